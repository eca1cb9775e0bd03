from __future__ import annotations

import argparse
import base64
import stat
import uuid
from pathlib import Path
from typing import List

import pytest
import yaml

from airflow_provider_composer_pod.cli.secrets import (
    DEFAULT_CONN_ID,
    add_config_map_arguments,
    add_secret_arguments,
    run_config_map,
    run_secret,
)


def _parser() -> argparse.ArgumentParser:
    """The sub-commands as the lead will register them under ``composer-pod``."""
    parser = argparse.ArgumentParser(prog="composer-pod")
    commands = parser.add_subparsers(dest="command")
    commands.required = True
    secret = commands.add_parser("secret")
    add_secret_arguments(secret)
    secret.set_defaults(_run=run_secret)
    config_map = commands.add_parser("config-map")
    add_config_map_arguments(config_map)
    config_map.set_defaults(_run=run_config_map)
    return parser


def _main(argv: List[str]) -> int:
    args = _parser().parse_args(argv)
    return args._run(args)


def test_arguments_parse_repeatable_sources_and_defaults() -> None:
    args = _parser().parse_args(
        ["secret", "apply", "--name", "s", "--from-literal", "a=1", "--from-literal", "b=2", "--from-file", "k=f"]
    )

    assert args.action == "apply"
    assert args.literals == ["a=1", "b=2"]
    assert args.files == ["k=f"]
    assert args.conn_id == DEFAULT_CONN_ID == "kubernetes_default"
    assert args.namespace is None


def test_an_action_is_required() -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["secret"])


def test_render_secret_prints_the_manifest(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    (tmp_path / "key.json").write_text("{}")

    code = _main(
        ["secret", "render", "--name", "airflow-secrets", "--namespace", "composer-user-workloads"]
        + ["--from-literal", "sql_alchemy_conn=test_value", "--from-file", f"service-account.json={tmp_path}/key.json"]
    )

    assert code == 0
    assert yaml.safe_load(capsys.readouterr().out) == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "airflow-secrets", "namespace": "composer-user-workloads"},
        "data": {"sql_alchemy_conn": "dGVzdF92YWx1ZQ==", "service-account.json": "e30="},
    }


def test_render_config_map_writes_a_private_file(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    output = tmp_path / "cm.yaml"

    code = _main(
        ["config-map", "render", "--name", "example-configmap", "--from-literal", "example_key=example_value"]
        + ["--output", str(output)]
    )

    assert code == 0
    assert capsys.readouterr().out == ""
    assert yaml.safe_load(output.read_text())["data"] == {"example_key": "example_value"}
    assert stat.S_IMODE(output.stat().st_mode) == 0o600


def test_render_normalises_a_manifest_file(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    manifest = tmp_path / "secret.yaml"
    manifest.write_text("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  a: plain\n")

    code = _main(["secret", "render", "--filename", str(manifest), "--namespace", "ns"])

    rendered = yaml.safe_load(capsys.readouterr().out)
    assert code == 0
    assert rendered["data"] == {"a": base64.b64encode(b"plain").decode()}
    assert rendered["metadata"] == {"name": "s", "namespace": "ns"}


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        pytest.param(["secret", "render", "--from-literal", "a=1"], "--name", id="no-name"),
        pytest.param(["secret", "render", "--name", "Bad_Name"], "use a name such as 'bad-name'", id="bad-name"),
        pytest.param(["secret", "render", "--name", "s", "--from-file", "/nope/x"], "cannot be read", id="no-file"),
        pytest.param(
            ["config-map", "render", "--name", "c", "--from-literal", "a=1", "--from-literal", "a=2"],
            "--from-literal key='a'",
            id="duplicate-key",
        ),
    ],
)
def test_bad_input_exits_2_with_the_error_on_stderr(
    capsys: pytest.CaptureFixture, argv: List[str], fragment: str
) -> None:
    code = _main(argv)

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert fragment in captured.err


def test_render_of_wrong_kind_manifest_is_refused(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    manifest = tmp_path / "cm.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n")

    assert _main(["secret", "render", "--filename", str(manifest)]) == 2
    assert "a Secret was expected" in capsys.readouterr().err


def test_values_are_never_echoed_outside_the_manifest(capsys: pytest.CaptureFixture, tmp_path: Path, log_text) -> None:
    canary = f"canary-{uuid.uuid4().hex}"
    (tmp_path / "value").write_text(canary)

    _main(["secret", "render", "--name", "s", "--from-literal", f"a={canary}", "--from-file", str(tmp_path / "value")])
    rendered = capsys.readouterr()
    _main(["secret", "render", "--name", "s", "--from-literal", canary])  # no KEY=: an error
    _main(["secret", "render", "--name", "s", "--from-literal", f"a={canary}", "--from-literal", f"a={canary}"])
    failed = capsys.readouterr()

    assert canary not in rendered.out  # Secret values are base64 in the manifest
    assert rendered.err == ""
    for text in (failed.out, failed.err, log_text()):
        assert canary not in text
    assert "value hidden" in failed.err


# TODO(lead): `apply` calls ComposerPodHook(conn_id=...).create_or_replace_secret(manifest) /
# create_or_replace_config_map(manifest); test it through the emulator once the hook has those methods.
