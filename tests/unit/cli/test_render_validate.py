"""Snapshot tests of ``composer-pod render`` and ``composer-pod validate`` on small DAG files.

The expected output lives in ``snapshots/``. After an intended change of output, regenerate with
``UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/unit/cli/test_render_validate.py`` and review the diff.
"""

from __future__ import annotations

import argparse
import json
import os
import textwrap
from pathlib import Path

import pytest
from airflow import __version__ as airflow_version

from airflow_provider_composer_pod.cli import render, validate

SNAPSHOTS = Path(__file__).parent / "snapshots"

HEADER = """\
from datetime import datetime

from airflow import DAG
from kubernetes.client import models as k8s

from airflow_provider_composer_pod import ComposerPodOperator, KubernetesPodOperator
"""

OVERSIZED = HEADER + textwrap.dedent(
    """
    with DAG(dag_id="oversized", start_date=datetime(2024, 1, 1), schedule=None, catchup=False):
        # Plain KPO: ComposerPodOperator would already fail to import with these values (see the import-error test).
        KubernetesPodOperator(
            task_id="too-big",
            name="too-big",  # provider 4.4 requires a name
            image="ubuntu",
            container_resources=k8s.V1ResourceRequirements(requests={"cpu": "4", "memory": "200Gi"}),
        )
        ComposerPodOperator(
            task_id="small",
            image="ubuntu",
            namespace="team-a",
            do_xcom_push=True,
            container_resources=k8s.V1ResourceRequirements(
                requests={"cpu": "100m", "memory": "10G"}, limits={"cpu": "2", "memory": "10G"}
            ),
        )
    """
)

CLEAN = HEADER + textwrap.dedent(
    """
    with DAG(dag_id="clean", start_date=datetime(2024, 1, 1), schedule=None, catchup=False):
        ComposerPodOperator(
            task_id="fits",
            image="ubuntu",
            container_resources=k8s.V1ResourceRequirements(
                requests={"cpu": "1", "memory": "4Gi", "ephemeral-storage": "1Gi"},
                limits={"cpu": "1", "memory": "4Gi", "ephemeral-storage": "1Gi"},
            ),
        )
        ComposerPodOperator(
            task_id="templated",
            image="ubuntu",
            container_resources=k8s.V1ResourceRequirements(
                requests={"cpu": "1", "memory": "{{ params.memory }}", "ephemeral-storage": "1Gi"},
                limits={"cpu": "1", "memory": "{{ params.memory }}", "ephemeral-storage": "1Gi"},
            ),
        )
    """
)


@pytest.fixture(autouse=True)
def _composer_like_connection(kubernetes_connection):
    # As on Composer, kubernetes_default exists (provider 6.x's plain KPO refuses to build a pod without it).
    kubernetes_connection()


@pytest.fixture(autouse=True)
def _wide_plain_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("FORCE_COLOR", raising=False)


def _args(module, *argv):
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    return parser.parse_args(list(argv))


def _folder(tmp_path: Path, **files: str) -> Path:
    for name, text in files.items():
        (tmp_path / f"{name}.py").write_text(text)
    return tmp_path


# The snapshots show pods as KPO builds them, which differs by provider (labels, the xcom sidecar's resources), so
# they are compared on the provider they were recorded with; the behaviour tests around them run everywhere.
SNAPSHOT_PROVIDER = "10.25.0"


def assert_snapshot(name: str, text: str) -> None:
    from airflow_provider_composer_pod.compat import PROVIDER_VERSION

    if str(PROVIDER_VERSION) != SNAPSHOT_PROVIDER:
        pytest.skip(f"snapshot recorded with cncf-kubernetes {SNAPSHOT_PROVIDER}; this is {PROVIDER_VERSION}")
    text = text.replace(airflow_version, "<airflow-version>")
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.write_text(text)
    assert path.exists(), f"no snapshot {path}; run with UPDATE_SNAPSHOTS=1 to create it"
    assert text == path.read_text()


def test_render_shows_submitted_effective_and_diff(tmp_path, capsys):
    dag_file = _folder(tmp_path, oversized=OVERSIZED) / "oversized.py"

    code = render.run(_args(render, str(dag_file), "small", "--generation", "3", "--no-color"))

    out = capsys.readouterr().out
    assert code == 0
    assert "+  namespace: composer-user-workloads" in out
    assert "-  namespace: team-a" in out
    assert_snapshot("render_small_composer3.txt", out)


def test_render_unknown_task_fails_and_names_the_tasks(tmp_path, capsys):
    dag_file = _folder(tmp_path, oversized=OVERSIZED) / "oversized.py"

    code = render.run(_args(render, str(dag_file), "nope", "--no-color"))

    assert code == 2
    assert "no pod task 'nope'" in capsys.readouterr().err


def test_validate_table(tmp_path, capsys):
    folder = _folder(tmp_path, oversized=OVERSIZED)

    code = validate.run(_args(validate, str(folder), "--generation", "3", "--no-color"))

    out = capsys.readouterr().out
    assert code == 1
    assert_snapshot("validate_table.txt", out)


def test_validate_json(tmp_path, capsys):
    folder = _folder(tmp_path, oversized=OVERSIZED)

    code = validate.run(_args(validate, str(folder), "--generation", "2", "--format", "json"))

    out = capsys.readouterr().out
    document = json.loads(out)
    assert code == 1
    assert document["tasks_checked"] == 2
    assert [f["level"] for f in document["findings"]][0] == "error"
    assert_snapshot("validate_json.txt", out)


def test_validate_strict_fails_on_adjustments_only(tmp_path, capsys):
    folder = _folder(tmp_path, oversized=OVERSIZED.replace('"200Gi"', '"100Gi"'))

    relaxed = validate.run(_args(validate, str(folder), "--generation", "3", "--format", "json"))
    strict = validate.run(_args(validate, str(folder), "--generation", "3", "--format", "json", "--strict"))

    capsys.readouterr()
    assert (relaxed, strict) == (0, 1)


def test_validate_clean_folder_prints_one_green_line(tmp_path, capsys):
    folder = _folder(tmp_path, clean=CLEAN)

    code = validate.run(_args(validate, str(folder), "--generation", "3", "--no-color"))

    out = capsys.readouterr().out
    assert code == 0
    assert out.count("\n") == 1
    assert_snapshot("validate_clean.txt", out)


def test_validate_reports_import_errors(tmp_path, capsys):
    folder = _folder(tmp_path, broken="from airflow import DAG\nraise RuntimeError('boom')\n")

    code = validate.run(_args(validate, str(folder), "--no-color"))

    out = capsys.readouterr().out
    assert code == 2  # an import error is not a finding: the file's tasks were not checked
    assert "import error in" in out
    assert "boom" in out


def test_validate_shows_composer_pod_operator_rejections_as_findings(tmp_path, capsys):
    rejected = HEADER + textwrap.dedent(
        """
        with DAG(dag_id="rejected", start_date=datetime(2024, 1, 1), schedule=None, catchup=False):
            ComposerPodOperator(
                task_id="too-big",
                image="ubuntu",
                container_resources=k8s.V1ResourceRequirements(requests={"cpu": "4", "memory": "200Gi"}),
            )
        """
    )
    folder = _folder(tmp_path, rejected=rejected)

    code = validate.run(_args(validate, str(folder), "--generation", "2", "--format", "json"))

    document = json.loads(capsys.readouterr().out)
    assert code == 1
    assert document["import_errors"] == {}  # the file loads on, so that its other tasks are checked too
    (finding,) = [f for f in document["findings"] if f["level"] == "error"]
    assert (finding["task_id"], finding["value"]) == ("too-big", "200Gi")
    assert finding["rule"] == "exceeds the Autopilot general-purpose maximum of 110Gi"
