"""A unique secret value through every path a Secret takes, and a grep for it everywhere it must not appear.

Paths: a Kubernetes Secret used as an env var and mounted as a file by a pod that prints both (and by one that
prints it and fails), a Secret manifest loaded from YAML, a literal, both applied with the hook, the
``composer-pod secret render|apply`` CLI, and the error paths of each. Grepped: the task log, every rendered template
field, every XCom of the run, every file under AIRFLOW_HOME (metadata database, log files), exceptions (``str``,
``repr``, attributes and traceback), and what was printed or logged. Each check also proves that the path really
carried the canary, so that no test can pass because the value never went anywhere.

Where Airflow's task log masks rather than never receives the value (a container that prints its own Secret), the
check is what Airflow writes to the task log: the supervisor redacts every log event with the masker it is told
about through ``MaskSecret`` messages, so the tests assert that the supervisor was told and that redaction leaves no
canary. Two known leaks are pinned down with strict xfails, see their reasons.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import re
import shutil
import stat
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple
from uuid import uuid4

import pytest

from airflow_provider_composer_pod.cli.secrets import add_secret_arguments, run_secret
from airflow_provider_composer_pod.compat import AIRFLOW_3, KPO_ARGUMENTS
from airflow_provider_composer_pod.errors import ComposerPodInputError
from airflow_provider_composer_pod.hooks.composer_pod import ComposerPodHook
from airflow_provider_composer_pod.validation.preflight import (
    ComposerPodPreflightError,
    Reference,
    check_references,
    object_keys,
)
from airflow_provider_composer_pod.workloads.manifest_sources import secret_manifest
from airflow_provider_composer_pod.workloads.manifests import load_manifest
from tests.integration.conftest import created_pods, pod_logged

pytestmark = pytest.mark.e2e

NAMESPACE = "composer-user-workloads"
SECRET = "canary-secret"  # as in tests/integration/dags/canary_secret_dags.py
KEY = "sql_alchemy_conn"
MOUNTED_FILE = f"/var/secrets/canary/{KEY}"


# --- helpers --------------------------------------------------------------------------------------------------------


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _redact(text: str) -> str:
    """What Airflow's masker makes of ``text``: the redaction applied to every event written to a task log."""
    try:
        from airflow.sdk.log import redact
    except ImportError:  # Airflow 2
        from airflow.utils.log.secrets_masker import redact
    return str(redact(text))


def _exception_text(error: BaseException) -> str:
    """Everything an exception can show: message, repr, attributes, and the traceback with its chained causes."""
    trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return "\n".join([str(error), repr(error), repr(vars(error)), trace])


_SCAN = """
import os, sys
root, needle = sys.argv[1], sys.argv[2].encode("utf-8")
for folder, _, names in os.walk(root):
    for name in names:
        path = os.path.join(folder, name)
        try:
            with open(path, "rb") as handle:
                if needle in handle.read():
                    print(path)
        except OSError:
            pass
"""


def _files_containing(root: str, needle: str) -> List[str]:
    """The files under ``root`` holding ``needle``, read by a child process.

    Not read here: this process has the SQLite metadata database open, and closing any other descriptor of that file
    drops all of this process's POSIX locks on it (sqlite.org/howtocorrupt.html, 2.2). A worker process of a later
    test then believes it is the database's last user, checkpoints and removes the WAL under this process's feet, and
    the next query here finds "database disk image is malformed".
    """
    scan = subprocess.run([sys.executable, "-c", _SCAN, root, needle], capture_output=True, text=True, check=True)
    return scan.stdout.splitlines()


def _rendered_fields(ti: Any) -> Dict[str, Any]:
    """The task instance's rendered template fields as stored after the run (Airflow 3.3 and 2.x)."""
    from airflow.models.renderedtifields import RenderedTaskInstanceFields

    fields = RenderedTaskInstanceFields.get_templated_fields(ti)
    assert fields, f"no rendered template fields stored for {ti.task_id}"
    return dict(fields)


def _xcoms(dag_run: Any) -> List[Tuple[str, str, Any]]:
    """Every XCom of the run: (task_id, key, value)."""
    try:
        from airflow.models.xcom import XComModel as XComRow
    except ImportError:  # Airflow 2
        from airflow.models.xcom import BaseXCom as XComRow
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.query(XComRow).filter(XComRow.dag_id == dag_run.dag_id, XComRow.run_id == dag_run.run_id)
        return [(row.task_id, row.key, row.value) for row in rows]


def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="composer-pod secret")
    add_secret_arguments(parser)
    return run_secret(parser.parse_args(list(argv)))


# --- fixtures -------------------------------------------------------------------------------------------------------


@pytest.fixture
def canary() -> str:
    """A value no test, log or database has seen before; one per test, so one test's masking cannot help another."""
    value = f"canary-{uuid4().hex}"
    assert _redact(value) == value  # not yet known to the masker
    return value


@pytest.fixture
def supervisor_told_to_mask(monkeypatch: pytest.MonkeyPatch) -> List[Any]:
    """Values the task asked the supervisor to mask (``MaskSecret``); the supervisor writes the task log on Airflow 3.

    Under dag.test the supervisor runs in-process but handles the task's messages as in production.
    """
    told: List[Any] = []
    supervisor = pytest.importorskip("airflow.sdk.execution_time.supervisor")
    original = getattr(supervisor, "handle_mask_secret", None)
    if original is None:
        pytest.skip("this Airflow has no task supervisor to tell (Airflow 2 masks in the task process)")

    def recording(msg: Any) -> None:
        told.append(msg.value)
        original(msg)

    monkeypatch.setattr(supervisor, "handle_mask_secret", recording)
    return told


@pytest.fixture
def exception_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "exception.json"
    monkeypatch.setenv("CANARY_EXCEPTION_FILE", str(path))  # read by the DAGs' on_failure_callback
    return path


@pytest.fixture
def printed_and_logged(capfd: pytest.CaptureFixture, caplog: pytest.LogCaptureFixture) -> Callable[[], str]:
    """Everything written to stdout/stderr, plus every log record's raw message (before any masking).

    At INFO, Airflow's default level: at DEBUG the kubernetes client logs whole request and response bodies, so a
    Secret's base64 data, which the masker then hides (its base64 form is registered too).
    """
    caplog.set_level(logging.INFO)

    def _read() -> str:
        out, err = capfd.readouterr()
        return "\n".join([out, err, *(record.getMessage() for record in caplog.records)])

    return _read


@pytest.fixture
def secret_in_cluster(k8s_emulator: Any, canary: str) -> Any:
    k8s_emulator.create_secret(SECRET, {KEY: canary}, NAMESPACE)
    return k8s_emulator


# --- a Secret as env var and volume, in a pod that prints it ----------------------------------------------------------


def _assert_no_leak_outside_the_container_output(log: str, canary: str, emulator: Any) -> None:
    """The container printed the value (its log in the emulator says so), and before Airflow's task-log masking the
    only lines carrying it are the container's own ("[base] ..."); on Airflow 3 none do: the task process masks its
    records before they leave it (compat/log_records.py)."""
    pod = created_pods(emulator, acted_on=False)[0].body["metadata"]["name"]
    assert canary in emulator.pod_log(pod), "the container did not print the canary: the test would prove nothing"
    raw_lines = [line for line in log.splitlines() if canary in line]
    assert all("[base] " in line for line in raw_lines), [line for line in raw_lines if "[base] " not in line]
    if AIRFLOW_3:
        assert raw_lines == []


def _assert_run_stored_nothing(result: Any, canary: str) -> None:
    for ti in result.dag_run.get_task_instances():
        fields = _rendered_fields(ti)
        assert canary not in json.dumps(fields, default=str)
    xcoms = _xcoms(result.dag_run)
    assert {key for _, key, _ in xcoms} >= {"pod_name", "pod_namespace"}
    assert not [(task, key) for task, key, value in xcoms if canary in json.dumps(value, default=str)]
    assert _files_containing(os.environ["AIRFLOW_HOME"], canary) == []  # metadata database, log files, DAGs


def test_secret_as_env_and_volume_is_masked_and_stored_nowhere(
    secret_in_cluster: Any, run_dag: Callable[..., Any], canary: str, supervisor_told_to_mask: List[Any]
) -> None:
    emulator = secret_in_cluster

    result = run_dag("canary_secret_paths")

    assert result.state == "success", result.log[-2000:]
    # The container really had the value, as env var and as file, and printed both.
    pod = created_pods(emulator, acted_on=False)[0].body["metadata"]["name"]
    assert emulator.read_file(pod, "base", MOUNTED_FILE) == canary
    assert f"env={canary}\nfile={canary}\n" in emulator.pod_log(pod)
    # The pre-flight registered it, and the supervisor, which writes the task log, was told.
    assert canary in supervisor_told_to_mask
    task_log = _redact(result.log)
    assert pod_logged(task_log, "env=***")
    assert pod_logged(task_log, "file=***")
    assert canary not in task_log
    assert _b64(canary) not in task_log
    _assert_no_leak_outside_the_container_output(result.log, canary, emulator)
    # Rendered template fields (non-empty: they hold the rendered env var), XComs and files.
    (ti,) = result.dag_run.get_task_instances()
    fields = _rendered_fields(ti)
    assert "NOT_SECRET" in json.dumps(fields["env_vars"], default=str)
    assert "SQL_CONN" in str(fields["cmds"])
    assert ("prints-secret", "return_value", {"rows": 1}) in _xcoms(result.dag_run)
    _assert_run_stored_nothing(result, canary)


def test_failing_task_that_printed_the_secret_keeps_it_out_of_its_exception(
    secret_in_cluster: Any,
    run_dag: Callable[..., Any],
    canary: str,
    supervisor_told_to_mask: List[Any],
    exception_file: Path,
) -> None:
    result = run_dag("canary_secret_fails")

    assert result.state == "failed"
    assert len(created_pods(secret_in_cluster, acted_on=False)) == 1
    exception = json.loads(exception_file.read_text())  # written by the task's on_failure_callback
    assert "container base exited with code 1" in exception["str"]
    assert canary not in exception["str"]
    assert canary not in exception["repr"]
    assert canary not in exception["traceback"]
    assert canary in supervisor_told_to_mask
    task_log = _redact(result.log)
    assert pod_logged(task_log, "leaked=***")
    assert pod_logged(task_log, "***")  # the mounted file, cat
    assert canary not in task_log
    _assert_no_leak_outside_the_container_output(result.log, canary, secret_in_cluster)
    _assert_run_stored_nothing(result, canary)


def test_dag_test_console_shows_the_printed_secret_masked(
    secret_in_cluster: Any, run_dag: Callable[..., Any], canary: str
) -> None:
    if not AIRFLOW_3:
        pytest.skip("Airflow 2 masks through a filter on its own handlers; this capture reads the raw log records")
    result = run_dag("canary_secret_paths")

    assert result.state == "success"
    assert _redact(canary) == "***"
    # Airflow 3.3's in-process logging (dag.test) has no masking step; registering a value adds Airflow's own
    # (compat/log_records.py), as in a task process whose lines the LocalExecutor repeats on the scheduler's output.
    assert canary not in result.log


# With termination_message_policy='FallbackToLogsOnError' Kubernetes makes the container's last log lines its
# termination message, which both our failure summary and KPO's 'remote_pod: ...' dump quote: the operator passes the
# whole message through the secrets masker (and does not chain KPO's unmasked exception).
def test_termination_message_from_logs_keeps_the_secret_out_of_the_exception(
    secret_in_cluster: Any, run_dag: Callable[..., Any], canary: str, exception_file: Path
) -> None:
    if "termination_message_policy" not in KPO_ARGUMENTS:
        pytest.skip("termination_message_policy arrived in cncf-kubernetes 7.4.0")
    result = run_dag("canary_secret_fails_fallback_to_logs")

    assert result.state == "failed"
    exception = json.loads(exception_file.read_text())
    assert "container base exited with code 1" in exception["str"]
    assert canary not in _redact(result.log)  # the task log itself is masked
    assert canary not in exception["str"]
    assert canary not in exception["repr"]


# --- manifests and literals, applied with the hook ------------------------------------------------------------------


def test_manifest_and_literal_applied_with_the_hook(
    k8s_emulator: Any, canary: str, printed_and_logged: Callable[[], str]
) -> None:
    hook = ComposerPodHook(conn_id="kubernetes_default")
    from_yaml = load_manifest(
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: canary-manifest\ndata:\n  {KEY}: {_b64(canary)}\n",
        kind="Secret",
    )
    from_literal = secret_manifest("canary-literal", literals={KEY: canary})

    outcomes = [
        hook.create_or_replace_secret(from_yaml),
        hook.create_or_replace_secret(from_literal),
        hook.create_or_replace_secret(from_literal),
    ]

    assert outcomes == ["created", "created", "replaced"]
    writes = k8s_emulator.requests(path_contains="/secrets")
    assert [(r.method, r.status, r.body["data"]) for r in writes if r.method in ("POST", "PUT")] == [
        ("POST", 201, {KEY: _b64(canary)}),
        ("POST", 201, {KEY: _b64(canary)}),
        ("POST", 409, {KEY: _b64(canary)}),  # exists: replaced
        ("PUT", 200, {KEY: _b64(canary)}),
    ]
    for name in ("canary-manifest", "canary-literal"):
        assert k8s_emulator.get("secrets", name, NAMESPACE)["data"] == {KEY: _b64(canary)}
    assert _redact(f"{canary} {_b64(canary)}") == "*** ***"  # both were registered with the masker
    shown = "\n".join([printed_and_logged(), *map(repr, (from_yaml, from_literal)), *map(str, outcomes)])
    assert "canary-manifest" in repr(from_yaml)
    assert KEY in repr(from_literal)
    assert canary not in shown
    assert _b64(canary) not in shown


# --- the CLI ----------------------------------------------------------------------------------------------------------


def test_cli_render_and_apply(k8s_emulator: Any, canary: str, tmp_path: Path, capfd: pytest.CaptureFixture) -> None:
    output = tmp_path / "secret.yaml"
    manifest_file = tmp_path / "in.yaml"
    manifest_file.write_text(_manifest(f"data:\n  k: {_b64(canary)}\n", name="canary-file"))

    # render to stdout: by design the YAML carries the value, base64-encoded as `kubectl create --dry-run` prints it
    # (that is the point of the command), so stdout must hold the base64 and never the plain value; stderr nothing.
    assert _cli("render", "--name", "canary-cli", "--from-literal", f"{KEY}={canary}") == 0
    rendered, render_err = capfd.readouterr()
    assert f"{KEY}: {_b64(canary)}" in rendered
    assert canary not in rendered
    assert canary not in render_err

    assert _cli("render", "--name", "canary-cli", "--from-literal", f"{KEY}={canary}", "--output", str(output)) == 0
    to_file = capfd.readouterr()
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    assert f"{KEY}: {_b64(canary)}" in output.read_text()
    assert canary not in output.read_text()

    assert _cli("apply", "--name", "canary-cli", "--from-literal", f"{KEY}={canary}") == 0
    assert _cli("apply", "--filename", str(manifest_file)) == 0
    applied = capfd.readouterr()

    assert applied.out.splitlines() == ["secret/canary-cli created", "secret/canary-file created"]
    assert k8s_emulator.get("secrets", "canary-cli", NAMESPACE)["data"] == {KEY: _b64(canary)}
    assert k8s_emulator.get("secrets", "canary-file", NAMESPACE)["data"] == {"k": _b64(canary)}
    for text in (*to_file, *applied):
        assert canary not in text
        assert _b64(canary) not in text


def test_cli_apply_refused_writes_a_private_manifest_and_says_only_where(
    k8s_emulator: Any, canary: str, capfd: pytest.CaptureFixture
) -> None:
    k8s_emulator.deny("create", "secrets")

    code = _cli("apply", "--name", "canary-denied", "--from-literal", f"{KEY}={canary}")

    out, err = capfd.readouterr()
    assert code == 1
    assert "Forbidden (403)" in err
    match = re.search(r"the manifest is at (\S+), readable only by you", err)
    assert match, err
    path = Path(match.group(1))
    try:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert _b64(canary) in path.read_text()  # the value went somewhere: the private file the message names
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)
    for text in (out, err):
        assert canary not in text
        assert _b64(canary) not in text


# --- error paths: the value is in the input, never in the error -------------------------------------------------------


def _manifest(body: str, name: str = "canary-bad") -> str:
    return f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n{body}"


BAD_MANIFESTS = [
    pytest.param(lambda c: _manifest(f"data:\n  {KEY}: '{c}!'\n"), "is not valid base64", id="broken-base64"),
    pytest.param(lambda c: _manifest(f"data:\n  'bad key!': {_b64(c)}\n"), "bad key!", id="bad-key"),
    pytest.param(lambda c: _manifest(f"stringData:\n  {KEY}: [{c}]\n"), "Kubernetes takes only strings", id="a-list"),
    pytest.param(lambda c: _manifest(f"stringData:\n  {KEY}: '{c}\n"), "does not parse as YAML", id="bad-yaml"),
    pytest.param(lambda c: _manifest(f"data:\n  {KEY}: {_b64(c)}\nsecret: {c}\n"), "field", id="unknown-field"),
]


@pytest.mark.parametrize(("manifest", "expected"), BAD_MANIFESTS)
def test_manifest_errors_never_quote_the_value(
    manifest: Callable[[str], str], expected: str, canary: str, printed_and_logged: Callable[[], str]
) -> None:
    text = manifest(canary)
    assert canary in text or _b64(canary) in text  # the value is in the input

    with pytest.raises(ComposerPodInputError) as raised:
        load_manifest(text, kind="Secret")

    shown = _exception_text(raised.value)
    assert expected in str(raised.value)
    assert canary not in shown
    assert _b64(canary) not in shown
    assert canary not in printed_and_logged()


@pytest.mark.parametrize(
    "literal",
    [
        pytest.param(lambda c: c, id="no-equals-sign"),
        pytest.param(lambda c: f"={c}", id="empty-key"),
        pytest.param(lambda c: f"bad key={c}", id="bad-key"),
    ],
)
def test_cli_input_errors_never_quote_the_value(
    literal: Callable[[str], str], canary: str, capfd: pytest.CaptureFixture, tmp_path: Path
) -> None:
    code = _cli("render", "--name", "canary-cli", "--from-literal", literal(canary), "--output", str(tmp_path / "x"))

    out, err = capfd.readouterr()
    assert code == 2
    assert err.startswith("error: --from-literal")
    assert not (tmp_path / "x").exists()
    assert canary not in out + err


def test_preflight_error_for_a_missing_key_names_keys_never_values(
    secret_in_cluster: Any, canary: str, printed_and_logged: Callable[[], str]
) -> None:
    from kubernetes import client

    api = client.CoreV1Api(secret_in_cluster.kubernetes_client())
    ref = Reference("Secret", SECRET, "missing_key", "env OTHER of container base")
    log = logging.getLogger("canary.preflight")

    with pytest.raises(ComposerPodPreflightError) as raised:
        check_references(object_keys(api), NAMESPACE, [ref], None, log)

    shown = _exception_text(raised.value)
    assert "has no key 'missing_key'" in shown  # it read the Secret
    assert f"it has: {KEY}" in shown
    assert _redact(canary) == "***"  # and registered its value on the way
    assert canary not in shown
    assert _b64(canary) not in shown
    assert canary not in printed_and_logged()
