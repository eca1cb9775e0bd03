"""Secrets and ConfigMaps through the hook and the CLI, against the emulator."""

from __future__ import annotations

import argparse

import pytest

from airflow_provider_composer_pod.cli import secrets as secrets_cli
from airflow_provider_composer_pod.hooks.composer_pod import ComposerPodHook
from airflow_provider_composer_pod.workloads.manifest_sources import config_map_manifest, secret_manifest
from airflow_provider_composer_pod.workloads.objects import ComposerPodObjectError

NAMESPACE = "composer-user-workloads"


@pytest.fixture
def hook(k8s_emulator) -> ComposerPodHook:
    return ComposerPodHook(conn_id="kubernetes_default")


def test_create_then_replace_then_read_and_delete(k8s_emulator, hook):
    first = secret_manifest("airflow-secrets", literals={"sql_alchemy_conn": "one"})
    second = secret_manifest("airflow-secrets", literals={"sql_alchemy_conn": "two", "extra": "extra-value-two"})

    assert hook.create_or_replace_secret(first) == "created"
    assert hook.create_or_replace_secret(second) == "replaced"

    stored = k8s_emulator.get("secrets", "airflow-secrets", NAMESPACE)
    assert sorted(stored["data"]) == ["extra", "sql_alchemy_conn"]
    assert sorted(hook.get_secret("airflow-secrets").data) == ["extra", "sql_alchemy_conn"]
    assert hook.delete_secret("airflow-secrets") is True
    assert hook.get_secret("airflow-secrets") is None
    assert hook.delete_secret("airflow-secrets") is False
    methods = [r.method for r in k8s_emulator.requests(path_contains="/secrets")]
    assert methods[:3] == ["POST", "POST", "PUT"]


def test_config_map_round_trip(k8s_emulator, hook):
    assert hook.create_or_replace_config_map(config_map_manifest("settings", literals={"MODE": "fast"})) == "created"

    assert hook.get_config_map("settings").data == {"MODE": "fast"}
    assert hook.delete_config_map("settings") is True


def test_forbidden_write_points_to_gcloud(k8s_emulator, hook):
    k8s_emulator.deny("create", "configmaps")

    with pytest.raises(ComposerPodObjectError, match=r"Forbidden \(403\).*user-workloads-config-maps create"):
        hook.create_or_replace_config_map(config_map_manifest("settings", literals={"MODE": "fast"}))


def test_cli_apply(k8s_emulator, capsys):
    parser = argparse.ArgumentParser()
    secrets_cli.add_secret_arguments(parser)
    args = parser.parse_args(["apply", "--name", "airflow-secrets", "--from-literal", "sql_alchemy_conn=cli-canary-9"])

    code = secrets_cli.run_secret(args)

    captured = capsys.readouterr()
    assert code == 0
    assert captured.out.strip() == "secret/airflow-secrets created"
    assert "cli-canary-9" not in captured.out + captured.err
    assert k8s_emulator.get("secrets", "airflow-secrets", NAMESPACE)["data"]["sql_alchemy_conn"]
