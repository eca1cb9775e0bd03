"""``composer-pod demo`` without ``--dags``: ./example_dags, else the copy the wheel carries, else a one-line error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import airflow_provider_composer_pod
from airflow_provider_composer_pod.cli.main import main
from airflow_provider_composer_pod.testing.demo import cli as demo

ROOT = Path(__file__).resolve().parents[2]
# A source checkout has no packaged copy (only the wheel carries it); run from an installed wheel, it is there.
source_tree_only = pytest.mark.skipif(os.path.isdir(demo.PACKAGED_DAGS), reason="the wheel's example DAGs are here")


def test_the_working_directory_example_dags_come_first(tmp_path, monkeypatch):
    (tmp_path / "cwd" / "example_dags").mkdir(parents=True)
    (tmp_path / "packaged").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")

    assert demo.dags_folder(None, packaged=str(tmp_path / "packaged")) == ("example_dags", "")


def test_else_the_packaged_copy(tmp_path, monkeypatch):
    (tmp_path / "packaged").mkdir()
    monkeypatch.chdir(tmp_path)

    assert demo.dags_folder(None, packaged=str(tmp_path / "packaged")) == (str(tmp_path / "packaged"), "")


def test_dags_as_given(tmp_path, monkeypatch):
    (tmp_path / "example_dags").mkdir()
    (tmp_path / "mine").mkdir()
    monkeypatch.chdir(tmp_path)

    assert demo.dags_folder("mine", packaged=str(tmp_path)) == ("mine", "")


def test_the_packaged_copy_is_where_pyproject_puts_it():
    tomllib = pytest.importorskip("tomllib")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    forced = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]

    assert forced == {"example_dags": "airflow_provider_composer_pod/testing/demo/example_dags"}
    # Beside the package, wherever it is imported from: the source tree (no copy there) or an installed wheel.
    installed_root = Path(airflow_provider_composer_pod.__file__).resolve().parents[1]
    assert Path(demo.PACKAGED_DAGS).resolve() == installed_root / forced["example_dags"]


@source_tree_only
def test_neither_is_a_one_line_error_naming_dags(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "airflow_provider_composer_pod.cli.main", "demo"]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=120)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "composer-pod demo: no ./example_dags here and none installed with the package; "
        "name a folder of DAG files with --dags FOLDER"
    ]


def test_a_missing_dags_folder_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)

    assert main(["demo", "--dags", "nowhere"]) == 2
    assert capsys.readouterr().err == "composer-pod demo: no such folder: nowhere\n"


def test_help_says_where_the_default_dags_come_from(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["demo", "--help"])

    assert exited.value.code == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--dags FOLDER" in help_text
    assert "default: ./example_dags when it exists, else the example DAGs installed with this package" in help_text
