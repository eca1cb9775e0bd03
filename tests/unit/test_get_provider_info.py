from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import airflow
import jsonschema

from airflow_provider_composer_pod import __version__
from airflow_provider_composer_pod.get_provider_info import get_provider_info


def test_provider_info_validates_against_installed_airflow_schema():
    schema_path = Path(airflow.__file__).parent / "provider_info.schema.json"
    schema = json.loads(schema_path.read_text())

    jsonschema.validate(get_provider_info(), schema)


def test_provider_info_names_our_distribution_and_version():
    info = get_provider_info()

    assert info["package-name"] == "airflow-provider-composer-pod"
    assert info["versions"] == [__version__]


def test_every_listed_module_imports():
    import importlib

    info = get_provider_info()
    modules = [m for key in ("operators", "hooks", "triggers") for e in info.get(key, []) for m in e["python-modules"]]

    assert modules
    for module in modules:
        importlib.import_module(module)


def test_providers_manager_discovers_us():
    from airflow.providers_manager import ProvidersManager

    providers = ProvidersManager().providers

    assert "airflow-provider-composer-pod" in providers
    assert providers["airflow-provider-composer-pod"].version == __version__


def test_airflow_providers_list_shows_us(tmp_path):
    env = {"AIRFLOW_HOME": str(tmp_path), "PATH": str(Path(sys.executable).parent)}

    result = subprocess.run(
        [sys.executable, "-m", "airflow", "providers", "list", "--output", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    names = [p["package_name"] for p in json.loads(result.stdout[result.stdout.index("[") :])]
    assert "airflow-provider-composer-pod" in names
