"""``composer-pod validate`` as a CI gate, run as CI runs it: a separate process, stdout piped into a JSON parser.

Issue 19, item 3: a file's later tasks were never checked after a bad one, mapped tasks were skipped, stdout held
Airflow's log lines and a traceback before the JSON, the operator's field checks were not run, and outside Composer
Composer 3's rules were errors although the same DAG runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Tuple

import pytest

HEADER = """\
from datetime import datetime

from airflow import DAG
from kubernetes.client import models as k8s

from airflow_provider_composer_pod import ComposerPodOperator
"""

THREE_FINDINGS = HEADER + textwrap.dedent(
    """
    with DAG(dag_id="three", start_date=datetime(2024, 1, 1), schedule=None, catchup=False):
        ComposerPodOperator(
            task_id="too-big",
            image="ubuntu",
            container_resources=k8s.V1ResourceRequirements(requests={"cpu": "4", "memory": "200Gi"}),
        )
        ComposerPodOperator(task_id="bad-label", image="ubuntu", labels={"team": "data eng"})
        ComposerPodOperator(task_id="bad-env", image="ubuntu", env_vars={"1ST": "x"})
    """
)

MAPPED = HEADER + textwrap.dedent(
    """
    with DAG(dag_id="mapped", start_date=datetime(2024, 1, 1), schedule=None, catchup=False):
        ComposerPodOperator.partial(task_id="per-team", image="ubuntu", cmds=["echo"]).expand(
            labels=[{"team": "ok"}, {"team": "not ok"}], arguments=[["a"], ["b"]]
        )
    """
)

AFFINITY = HEADER + textwrap.dedent(
    """
    AFFINITY = k8s.V1Affinity(
        pod_anti_affinity=k8s.V1PodAntiAffinity(
            required_during_scheduling_ignored_during_execution=[
                k8s.V1PodAffinityTerm(
                    topology_key="kubernetes.io/hostname",
                    label_selector=k8s.V1LabelSelector(match_labels={"app": "x"}),
                )
            ]
        )
    )
    with DAG(dag_id="spread", start_date=datetime(2024, 1, 1), schedule=None, catchup=False):
        ComposerPodOperator(task_id="spread", image="ubuntu", affinity=AFFINITY)
    """
)

CLEAN = HEADER + textwrap.dedent(
    """
    with DAG(dag_id="clean", start_date=datetime(2024, 1, 1), schedule=None, catchup=False):
        ComposerPodOperator(task_id="fits", image="ubuntu")
    """
)

BROKEN = "from airflow import DAG\nraise RuntimeError('boom')\n"


def _folder(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "dags"
    folder.mkdir()
    for name, text in files.items():
        (folder / f"{name}.py").write_text(text)
    return folder


def _composer_pod(*argv: str) -> Tuple[int, str, str]:
    env = dict(os.environ)
    env.pop("COMPOSER_VERSION", None)
    env.pop("COMPOSER_POD_GENERATION", None)
    done = subprocess.run(
        [sys.executable, "-m", "airflow_provider_composer_pod.cli.main", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    return done.returncode, done.stdout, done.stderr


def _findings(document: dict, **match: object) -> list:
    return [f for f in document["findings"] if all(f[key] == value for key, value in match.items())]


def test_json_is_the_only_stdout_and_every_task_is_checked(tmp_path):
    folder = _folder(tmp_path, three=THREE_FINDINGS, mapped=MAPPED, broken=BROKEN)

    code, out, err = _composer_pod("validate", str(folder), "--format", "json", "--generation", "3")

    document = json.loads(out)  # nothing but the document: Airflow's logs went to stderr
    assert "boom" in err or "broken.py" in err
    assert code == 2
    assert document["exit_code"] == 2
    assert list(document["import_errors"]) == [str(folder / "broken.py")]
    errors = _findings(document, level="error", dag_id="three")
    assert [(f["task_id"], f["field"], f["value"]) for f in errors] == [
        ("too-big", "container base resources.requests.memory", "200Gi"),
        ("bad-label", "labels['team']", "data eng"),
        ("bad-env", "env_vars", "1ST"),
    ]
    assert {f["file"] for f in errors} == {"three.py"}
    mapped = _findings(document, task_id="per-team")
    assert {f["map_index"] for f in mapped} == {0, 1, 2, 3}  # expand() crosses its lists: 2 x 2 pods
    bad_labels = _findings(document, task_id="per-team", level="error")
    assert [(f["map_index"], f["value"]) for f in bad_labels] == [(2, "not ok"), (3, "not ok")]
    assert document["tasks_checked"] == 3 + 4


@pytest.mark.parametrize(
    ("files", "argv", "expected"),
    [
        pytest.param({"clean": CLEAN}, ["--generation", "3"], 0, id="clean"),
        pytest.param({"three": THREE_FINDINGS}, ["--generation", "3"], 1, id="findings"),
        pytest.param({"clean": CLEAN, "broken": BROKEN}, [], 2, id="import-error"),
        pytest.param({"clean": CLEAN}, ["--generation", "7"], 2, id="usage"),
    ],
)
def test_exit_codes(tmp_path, files, argv, expected):
    folder = _folder(tmp_path, **files)

    code, out, _ = _composer_pod("validate", str(folder), "--format", "json", *argv)

    assert code == expected
    if expected != 2 or files.get("broken"):
        assert json.loads(out)["exit_code"] == expected


def test_missing_folder_is_a_usage_error(tmp_path):
    code, out, err = _composer_pod("validate", str(tmp_path / "nope"), "--format", "json")

    assert (code, out) == (2, "")
    assert "no such file or folder" in err


def test_outside_composer_composer_only_rules_are_warnings(tmp_path):
    folder = _folder(tmp_path, spread=AFFINITY)

    code, out, _ = _composer_pod("validate", str(folder), "--format", "json")
    forced, forced_out, _ = _composer_pod("validate", str(folder), "--format", "json", "--generation", "3")

    document, forced_document = json.loads(out), json.loads(forced_out)
    assert (document["generation"], document["generation_from"]) == (None, "not Composer")
    (warning,) = _findings(document, field="spec.affinity.podAntiAffinity")
    assert warning["level"] == "warning"
    assert "pass --generation 3" in warning["rule"]
    assert code == 0  # the same DAG runs green outside Composer
    (error,) = _findings(forced_document, field="spec.affinity.podAntiAffinity")
    assert (forced, error["level"]) == (1, "error")


def test_render_a_mapped_task_by_map_index(tmp_path):
    dag_file = _folder(tmp_path, mapped=MAPPED) / "mapped.py"

    code, out, _ = _composer_pod("render", str(dag_file), "per-team", "--map-index", "2", "--no-color")
    first, first_out, _ = _composer_pod("render", str(dag_file), "per-team", "--no-color")
    beyond, _, beyond_err = _composer_pod("render", str(dag_file), "per-team", "--map-index", "4", "--no-color")

    assert code == 0
    assert first == 0
    assert "map index 2 of 0..3" in out
    assert "team: not ok" in out
    assert "- a" in out
    assert "team: ok" in first_out
    assert "- a" in first_out
    assert beyond == 2
    assert "--map-index=4 is not one of 0..3" in beyond_err


MAPPED_OVER_UPSTREAM = HEADER + textwrap.dedent(
    """
    with DAG(dag_id="upstream", start_date=datetime(2024, 1, 1), schedule=None, catchup=False):
        lists = ComposerPodOperator(task_id="lists", image="ubuntu", do_xcom_push=True)
        ComposerPodOperator.partial(task_id="later", image="ubuntu", labels={"team": "data eng"}).expand(
            arguments=lists.output
        )
    """
)


def test_a_task_mapped_over_an_upstream_output_is_checked_for_its_partial_arguments(tmp_path, capsys):
    import argparse

    from airflow_provider_composer_pod.cli import validate

    parser = argparse.ArgumentParser()
    validate.add_arguments(parser)
    folder = _folder(tmp_path, upstream=MAPPED_OVER_UPSTREAM)

    code = validate.run(parser.parse_args([str(folder), "--format", "json", "--generation", "3"]))

    document = json.loads(capsys.readouterr().out)
    (finding,) = _findings(document, task_id="later", level="error")
    assert code == 1
    assert (finding["mapped"], finding["map_index"]) == (True, None)
    assert (finding["field"], finding["value"]) == ("labels['team']", "data eng")
