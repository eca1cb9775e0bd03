"""A unique canary value goes in through every path our helpers read secrets from; it must never come out."""

from __future__ import annotations

import base64
import traceback
import uuid
from pathlib import Path
from typing import Callable, List

import pytest

from airflow_provider_composer_pod.compat import redact
from airflow_provider_composer_pod.errors import ComposerPodInputError
from airflow_provider_composer_pod.manifests import (  # the documented path
    MAX_DATA_BYTES,
    SecretManifest,
    load_manifest,
    secret_manifest,
)


@pytest.fixture
def canary() -> str:
    return f"canary-{uuid.uuid4().hex}"


def _leaks(canary: str) -> List[str]:
    """The forms a leaked value could take, including the cut-off excerpts parsers print ("... 9a14b44dd3a: x")."""
    unique = canary.split("-", 1)[1]
    return [canary, unique[:12], unique[-12:], base64.b64encode(canary.encode()).decode()]


def _everything_said(error: BaseException) -> str:
    """What a user could ever see of an error: message, repr, args, and the printed traceback with its chain."""
    printed = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    context = error.__context__
    return "\n".join([str(error), repr(error), repr(error.args), repr(vars(error)), printed, repr(context)])


def _manifest_with(canary: str, body: str) -> str:
    return f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n{body}"


def _failures(canary: str, tmp_path: Path) -> List[Callable[[], object]]:
    """Every way we know to make our helpers fail after they have read the canary."""
    (tmp_path / "secret.txt").write_text(canary)
    encoded = base64.b64encode(canary.encode()).decode()
    return [
        lambda: secret_manifest("s", literals=[f"a={canary}", f"a={canary}"]),
        lambda: secret_manifest("s", literals=[canary]),  # a value typed without KEY=
        lambda: secret_manifest("s", literals=[f"bad key={canary}"]),
        lambda: secret_manifest("Bad_Name", literals=[f"a={canary}"]),
        lambda: secret_manifest("s", literals=[f"a={canary}"], files=[f"a={tmp_path / 'secret.txt'}"]),
        lambda: secret_manifest("s", literals={"big": canary * (MAX_DATA_BYTES // len(canary) + 1)}),
        lambda: load_manifest(_manifest_with(canary, f"data:\n  a: {canary}!\n")),  # not base64
        lambda: load_manifest(_manifest_with(canary, f"data:\n  a: {encoded}\n  b: '{canary}'\n")),
        lambda: load_manifest(_manifest_with(canary, f"stringData:\n  a: [{canary}\n")),  # YAML syntax error
        lambda: load_manifest(_manifest_with(canary, f"stringData:\n  a: {canary}: x\n")),  # error on its line
        lambda: load_manifest(_manifest_with(canary, f"stringData:\n  a: {{x: {canary}}}\n")),  # not a string
        lambda: load_manifest(_manifest_with(canary, f"stringData:\n  a: {canary}\n  b b: x\n")),  # bad key
        lambda: load_manifest(_manifest_with(canary, f"stringData:\n  a: {canary}\n") + "---\nkind: Secret\n"),
        lambda: load_manifest(f"{canary}: [\n"),
    ]


def test_canary_never_appears_in_errors_logs_or_output(canary: str, tmp_path: Path, log_text) -> None:
    raised = []
    for fail in _failures(canary, tmp_path):
        with pytest.raises(ComposerPodInputError) as error:
            fail()
        raised.append(error.value)

    said = "\n".join(_everything_said(error) for error in raised) + log_text()

    assert len(raised) == len(_failures(canary, tmp_path))
    for leak in _leaks(canary):
        assert leak not in said


def test_canary_never_appears_in_reprs(canary: str, tmp_path: Path, log_text) -> None:
    (tmp_path / "secret.txt").write_text(canary)
    encoded = base64.b64encode(canary.encode()).decode()
    manifests = [
        secret_manifest("s", literals=[f"literal={canary}"], files=[str(tmp_path / "secret.txt")]),
        load_manifest(_manifest_with(canary, f"data:\n  a: {encoded}\nstringData:\n  b: {canary}\n")),
        SecretManifest(name="s", data={"a": canary.encode()}),
    ]

    shown = "\n".join(f"{manifest!r} {manifest!s} {[manifest]!r}" for manifest in manifests) + log_text()

    assert "keys=['literal', 'secret.txt']" in shown
    for leak in _leaks(canary):
        assert leak not in shown


@pytest.mark.parametrize(
    "read",
    [
        pytest.param(lambda canary, path: secret_manifest("s", literals=[f"k={canary}"]), id="literal"),
        pytest.param(lambda canary, path: secret_manifest("s", files=[str(path)]), id="file"),
        pytest.param(
            lambda canary, path: load_manifest(
                _manifest_with(canary, f"data:\n  k: {base64.b64encode(canary.encode()).decode()}\n")
            ),
            id="manifest-data",
        ),
        pytest.param(
            lambda canary, path: load_manifest(_manifest_with(canary, f"stringData:\n  k: {canary}\n")),
            id="manifest-string-data",
        ),
        pytest.param(
            lambda canary, path: secret_manifest("s", literals=[f"k=line one\n{canary}\nline three"]),
            id="one-line-of-a-multi-line-value",
        ),
    ],
)
def test_every_value_read_is_registered_with_airflows_masker(canary: str, tmp_path: Path, read) -> None:
    path = tmp_path / "secret.txt"
    path.write_text(canary)

    read(canary, path)

    assert redact(f"connecting with {canary} now") == "connecting with *** now"


def test_the_base64_form_is_masked_too(canary: str) -> None:
    encoded = base64.b64encode(canary.encode()).decode()

    secret_manifest("s", literals=[f"k={canary}"])

    assert redact(f"data: {encoded}") == "data: ***"
