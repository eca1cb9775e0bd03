from __future__ import annotations

import base64
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_composer_pod.errors import ComposerPodInputError
from airflow_provider_composer_pod.manifests import (  # the documented path
    MAX_DATA_BYTES,
    ConfigMapManifest,
    SecretManifest,
    config_map_manifest,
    load_manifest,
    read_manifest,
    render_config_map,
    render_secret,
    secret_manifest,
)

GUIDE_SQL_CONN = "cG9zdGdyZXNxbCtwc3ljb3BnMjovL3Jvb3Q6ZXhhbXBsZS1wYXNzd29yZEAxMjcuMC4wLjE6MzMwNi9leGFtcGxlLWRiIC1uCg=="
GUIDE_SECRET = f"""\
apiVersion: v1
kind: Secret
metadata:
  name: airflow-secrets
data:
  sql_alchemy_conn: {GUIDE_SQL_CONN}
"""
# The guide's second example elides the middle of the value with "...": not base64, as written.
GUIDE_ELIDED_SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: service-account
data:
  service-account.json: |
    ewogICJ0eXBl...mdzZXJ2aWNlYWNjb3VudC5jb20iCn0K
"""
GUIDE_CONFIG_MAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: example-configmap
data:
  example_key: example_value
"""
# Composer 3's --secret-file-path takes one Kubernetes Secret; what `kubectl create ... -o yaml` prints is the usual
# way to write one (note creationTimestamp: null, and a base64 block wrapped over lines).
COMPOSER_3_SECRET = """\
apiVersion: v1
data:
  service-account.json: |
    eyJ0eXBlIjogInNlcnZpY2VfYWNjb3VudCJ9
    Cg==
kind: Secret
metadata:
  creationTimestamp: null
  name: service-account
  namespace: composer-user-workloads
type: Opaque
"""


def _secret(body: str) -> str:
    return f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n{body}"


def test_loads_the_guides_secret() -> None:
    manifest = load_manifest(GUIDE_SECRET)

    assert isinstance(manifest, SecretManifest)
    assert manifest.name == "airflow-secrets"
    assert manifest.data == {"sql_alchemy_conn": base64.b64decode(GUIDE_SQL_CONN)}
    assert manifest.to_body()["data"] == {"sql_alchemy_conn": GUIDE_SQL_CONN}


def test_loads_the_guides_config_map() -> None:
    manifest = load_manifest(GUIDE_CONFIG_MAP, kind="ConfigMap")

    assert isinstance(manifest, ConfigMapManifest)
    assert manifest.data == {"example_key": "example_value"}
    assert manifest.to_body() == yaml.safe_load(GUIDE_CONFIG_MAP)


def test_loads_composer_3_secret_file_format() -> None:
    manifest = load_manifest(COMPOSER_3_SECRET, kind="Secret")

    assert manifest.namespace == "composer-user-workloads"
    assert manifest.data == {"service-account.json": b'{"type": "service_account"}\n'}
    assert manifest.to_body() == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "service-account", "namespace": "composer-user-workloads"},
        "data": {"service-account.json": "eyJ0eXBlIjogInNlcnZpY2VfYWNjb3VudCJ9Cg=="},
        "type": "Opaque",
    }


def test_bad_base64_names_the_key_but_not_the_value() -> None:
    with pytest.raises(ComposerPodInputError) as raised:
        load_manifest(GUIDE_ELIDED_SECRET, source="secret.yaml")

    message = str(raised.value)
    assert "secret.yaml Secret data['service-account.json']" in message
    assert "not valid base64" in message
    assert "ewogICJ0eXBl" not in message
    assert raised.value.value is None


def test_string_data_is_plain_text_and_wins_over_data() -> None:
    manifest = load_manifest(_secret("data:\n  a: YWFh\n  b: YmJi\nstringData:\n  b: plain b\n  c: plain c\n"))

    assert manifest.data == {"a": b"aaa", "b": b"plain b", "c": b"plain c"}
    assert manifest.to_body()["data"] == {"a": "YWFh", "b": "cGxhaW4gYg==", "c": "cGxhaW4gYw=="}
    assert "stringData" not in manifest.to_yaml()  # Composer 3's API keeps only data


@pytest.mark.parametrize(
    ("text", "kind", "fragment"),
    [
        pytest.param(GUIDE_CONFIG_MAP, "Secret", "kind='ConfigMap' is not valid: a Secret was expected", id="mismatch"),
        pytest.param(GUIDE_SECRET.replace("kind: Secret", "kind: Pod"), None, "Secret or ConfigMap", id="other-kind"),
        pytest.param(GUIDE_SECRET.replace("kind: Secret\n", ""), None, "kind=None", id="no-kind"),
        pytest.param(GUIDE_SECRET.replace("v1", "v2"), None, "apiVersion='v2'", id="api-version"),
        pytest.param(
            GUIDE_SECRET.replace("  name: airflow-secrets\n", "  labels: {}\n"), None, "metadata.name", id="nameless"
        ),
        pytest.param(GUIDE_SECRET.replace("airflow-secrets", "Airflow_Secrets"), None, "DNS-1123", id="bad-name"),
        pytest.param(GUIDE_SECRET.replace("sql_alchemy_conn", "sql alchemy"), None, "key='sql alchemy'", id="bad-key"),
        pytest.param(GUIDE_SECRET.replace("data:", "dta:"), None, "field='dta'", id="misspelt-field"),
        pytest.param(_secret("data:\n  a: 1234\n"), None, "quote the value", id="unquoted-number"),
        pytest.param(_secret("data: [a, b]\n"), None, "must be a mapping", id="data-not-mapping"),
        pytest.param(GUIDE_SECRET + "---\n" + GUIDE_CONFIG_MAP, None, "2 YAML documents", id="two-documents"),
        pytest.param("", None, "0 YAML documents", id="empty"),
        pytest.param("- a\n- b\n", None, "a YAML mapping", id="a-list"),
        pytest.param("a: [b\n", None, "does not parse as YAML (error at line 2", id="yaml-syntax"),
        pytest.param(_secret("immutable: maybe\n"), None, "immutable", id="immutable-not-bool"),
        pytest.param(
            GUIDE_CONFIG_MAP + "binaryData:\n  example_key: AA==\n", None, "data or in binaryData", id="cm-key-twice"
        ),
    ],
)
def test_bad_manifests_raise_typed_errors(text: str, kind: Any, fragment: str) -> None:
    with pytest.raises(ComposerPodInputError) as raised:
        load_manifest(text, kind=kind)

    assert fragment in str(raised.value)


def test_size_limit_is_one_mebibyte_of_decoded_values() -> None:
    at_limit = {"a": b"x" * (MAX_DATA_BYTES - 10), "b": b"y" * 10}
    SecretManifest(name="big", data=at_limit)

    with pytest.raises(ComposerPodInputError, match="1 MiB") as raised:
        SecretManifest(name="big", data=dict(at_limit, c=b"z"))

    assert str(MAX_DATA_BYTES + 1) in str(raised.value)


def test_size_limit_applies_to_loaded_and_config_map_manifests() -> None:
    encoded = base64.b64encode(b"\0" * (MAX_DATA_BYTES + 1)).decode()

    with pytest.raises(ComposerPodInputError, match="1 MiB"):
        load_manifest(_secret(f"data:\n  big: {encoded}\n"))
    with pytest.raises(ComposerPodInputError, match="1 MiB"):
        ConfigMapManifest(name="big", data={"a": "é" * (MAX_DATA_BYTES // 2 + 1)})  # two bytes each in UTF-8


def test_read_manifest_names_a_missing_file(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.yaml")

    with pytest.raises(ComposerPodInputError, match="cannot be read") as raised:
        read_manifest(missing)

    assert missing in str(raised.value)


def test_kubernetes_metadata_from_kubectl_get_is_dropped_from_the_body() -> None:
    text = GUIDE_SECRET.replace(
        "  name: airflow-secrets\n", "  name: airflow-secrets\n  resourceVersion: '42'\n  uid: abc\n  labels: {a: b}\n"
    )

    assert load_manifest(text).to_body()["metadata"] == {"name": "airflow-secrets", "labels": {"a": "b"}}


def test_to_body_takes_the_namespace_the_hook_resolved() -> None:
    manifest = load_manifest(GUIDE_SECRET)

    assert manifest.to_body(namespace="composer-user-workloads")["metadata"]["namespace"] == "composer-user-workloads"
    assert manifest.namespace is None


# --- rendering, compared with kubectl ----------------------------------------------------------------------------


@pytest.fixture
def source_files(tmp_path: Path) -> Path:
    (tmp_path / "key.json").write_text('{\n  "type": "service_account"\n}\n')
    (tmp_path / "notes.txt").write_text("héllo\nwörld")
    (tmp_path / "blob.bin").write_bytes(b"\xff\xfe\x00binary")
    (tmp_path / "empty").write_bytes(b"")
    directory = tmp_path / "dir"
    directory.mkdir()
    (directory / "one").write_text("1")
    (directory / "two.conf").write_text("2\n")
    (directory / "sub").mkdir()
    return tmp_path


def _kubectl(*args: str, cwd: Path) -> Dict[str, Any]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(cwd), "KUBECONFIG": str(cwd / "no-kubeconfig")}
    output = subprocess.run(
        [kubectl, "create", *args, "--dry-run=client", "-o", "yaml"],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    document = yaml.safe_load(output)
    document["metadata"].pop("creationTimestamp", None)
    return document


KUBECTL_CASES = [
    pytest.param(["a=1", "b=2"], [], None, id="literals"),
    pytest.param(["url=postgresql://u:p@h/db?x=1"], [], None, id="literal-with-equals"),
    pytest.param(["empty="], [], "composer-user-workloads", id="empty-literal-and-namespace"),
    pytest.param(["greeting=héllo wörld"], [], None, id="unicode-literal"),
    pytest.param([], ["key.json", "service-account.json=key.json"], None, id="files-with-and-without-key"),
    pytest.param([], ["notes.txt", "blob.bin", "empty"], None, id="text-binary-and-empty-files"),
    pytest.param(["k=v"], ["dir"], None, id="directory"),
]


@pytest.mark.parametrize(("literals", "files", "namespace"), KUBECTL_CASES)
def test_render_secret_equals_kubectl_create_secret_generic(
    source_files: Path, monkeypatch: pytest.MonkeyPatch, literals: List[str], files: List[str], namespace: Any
) -> None:
    monkeypatch.chdir(source_files)
    args = ["secret", "generic", "rendered"] + [f"--from-literal={item}" for item in literals]
    args += [f"--from-file={item}" for item in files] + (["-n", namespace] if namespace else [])

    ours = yaml.safe_load(render_secret("rendered", literals=literals, files=files, namespace=namespace))

    assert ours == _kubectl(*args, cwd=source_files)


@pytest.mark.parametrize(("literals", "files", "namespace"), KUBECTL_CASES)
def test_render_config_map_equals_kubectl_create_configmap(
    source_files: Path, monkeypatch: pytest.MonkeyPatch, literals: List[str], files: List[str], namespace: Any
) -> None:
    monkeypatch.chdir(source_files)
    args = ["configmap", "rendered"] + [f"--from-literal={item}" for item in literals]
    args += [f"--from-file={item}" for item in files] + (["-n", namespace] if namespace else [])

    ours = yaml.safe_load(render_config_map("rendered", literals=literals, files=files, namespace=namespace))

    assert ours == _kubectl(*args, cwd=source_files)


def test_rendered_config_map_prints_multi_line_text_as_a_block(source_files: Path) -> None:
    text = render_config_map("cm", files=[str(source_files / "key.json")])

    assert "key.json: |\n" in text


def test_render_takes_mappings_too(source_files: Path) -> None:
    manifest = secret_manifest("s", literals={"a": "1"}, files={"key": str(source_files / "key.json")})

    assert manifest.keys() == ["a", "key"]
    assert manifest.data["key"] == (source_files / "key.json").read_bytes()


@pytest.mark.parametrize(
    ("literals", "files", "fragment"),
    [
        pytest.param(["a=1", "a=2"], [], "key='a' is not valid: each key may be given once", id="duplicate-literal"),
        pytest.param(["a=1"], ["a=key.json"], "key='a'", id="duplicate-across-sources"),
        pytest.param(["novalue"], [], "literals[0] (value hidden)", id="literal-without-equals"),
        pytest.param(["=value"], [], "non-empty KEY", id="literal-without-key"),
        pytest.param(["a b=1"], [], "key='a b'", id="bad-literal-key"),
        pytest.param([], ["=key.json"], "PATH or KEY=PATH", id="file-without-key"),
        pytest.param([], ["k="], "PATH or KEY=PATH", id="file-without-path"),
        pytest.param([], ["a=b=c"], "PATH or KEY=PATH", id="two-equals"),
        pytest.param([], ["k=dir"], "a directory gives one key per file", id="key-for-directory"),
        pytest.param([], ["missing.txt"], "files='missing.txt' is not valid: the file cannot be read", id="missing"),
    ],
)
def test_render_rejects_bad_sources(
    source_files: Path, monkeypatch: pytest.MonkeyPatch, literals: List[str], files: List[str], fragment: str
) -> None:
    monkeypatch.chdir(source_files)

    for build in (secret_manifest, config_map_manifest):
        with pytest.raises(ComposerPodInputError) as raised:
            build("s", literals=literals, files=files)
        assert fragment in str(raised.value)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.dictionaries(
        st.from_regex(r"[-_a-zA-Z0-9][-._a-zA-Z0-9]{0,20}", fullmatch=True), st.binary(max_size=64), max_size=5
    )
)
def test_rendered_secrets_load_back_unchanged(data: Dict[str, bytes]) -> None:
    manifest = SecretManifest(name="round-trip", namespace="ns", data=data)

    loaded = load_manifest(manifest.to_yaml(), kind="Secret")

    assert loaded == manifest


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(st.text(), st.text(alphabet="abc:-{}[]\n '\"!&*|>%@`#", max_size=60)))
def test_loading_any_text_raises_only_our_typed_error(text: str) -> None:
    try:
        load_manifest(text)
    except ComposerPodInputError as error:
        assert error.rule  # noqa: PT017  # the property: nothing but our error escapes
