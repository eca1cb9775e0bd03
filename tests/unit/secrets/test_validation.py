from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_composer_pod.compat import Secret, k8s
from airflow_provider_composer_pod.errors import ComposerPodInputError
from airflow_provider_composer_pod.workloads.config_maps import config_map_env, config_map_env_from, config_map_volume
from airflow_provider_composer_pod.workloads.names import (
    is_templated,
    validate_env_name,
    validate_item_path,
    validate_key,
    validate_mount_path,
    validate_namespace,
    validate_object_name,
)
from airflow_provider_composer_pod.workloads.secrets import (
    secret_env,
    secret_env_from,
    secret_volume,
    validate_rendered,
)

VALID_NAMES = [
    pytest.param("airflow-secrets", id="guide-secret"),
    pytest.param("example-configmap", id="guide-configmap"),
    pytest.param("a", id="one-char"),
    pytest.param("0abc9", id="digits-at-ends"),
    pytest.param("my.secret.v2", id="dotted"),
    pytest.param("a" * 253, id="max-length"),
    pytest.param("{{ var.value.secret_name }}", id="jinja-passes-unchecked"),
]
INVALID_NAMES = [
    pytest.param("", "DNS-1123 subdomain", id="empty"),
    pytest.param("My_Secret", "DNS-1123 subdomain", id="upper-and-underscore"),
    pytest.param("-secret", "DNS-1123 subdomain", id="leading-dash"),
    pytest.param("secret-", "DNS-1123 subdomain", id="trailing-dash"),
    pytest.param("a..b", "DNS-1123 subdomain", id="empty-dns-label"),
    pytest.param("a" * 254, "at most 253", id="too-long"),
    pytest.param("secret\n", "DNS-1123 subdomain", id="trailing-newline"),
    pytest.param("sécret", "DNS-1123 subdomain", id="non-ascii"),
    pytest.param(42, "must be a string", id="not-a-string"),
]
VALID_KEYS = [
    pytest.param("sql_alchemy_conn", id="guide-env-key"),
    pytest.param("service-account.json", id="guide-file-key"),
    pytest.param(".hidden", id="dotfile"),
    pytest.param("A-Z_0.9", id="all-classes"),
    pytest.param("k" * 253, id="max-length"),
]
INVALID_KEYS = [
    pytest.param("", "[-._a-zA-Z0-9]+", id="empty"),
    pytest.param(".", "must not be '.'", id="dot"),
    pytest.param("..", "must not be '..'", id="dotdot"),
    pytest.param("..data", "must not start with '..'", id="dotdot-prefix"),
    pytest.param("a b", "[-._a-zA-Z0-9]+", id="space"),
    pytest.param("dir/file", "[-._a-zA-Z0-9]+", id="slash"),
    pytest.param("k" * 254, "at most 253", id="too-long"),
]
VALID_ENV_NAMES = [
    pytest.param("SQL_CONN", id="guide"),
    pytest.param("sql_conn", id="lower-case-kept"),
    pytest.param("_private", id="leading-underscore"),
    pytest.param("my.env-name", id="dot-and-dash"),
    pytest.param("{{ params.env }}", id="jinja-passes-unchecked"),
]
INVALID_ENV_NAMES = [
    pytest.param("", "must match", id="empty"),
    pytest.param("1VAR", "must match", id="leading-digit"),
    pytest.param("MY VAR", "must match", id="space"),
    pytest.param("A=B", "must match", id="equals"),
    pytest.param("..", "must not be '..'", id="dotdot"),
]
VALID_MOUNT_PATHS = [
    pytest.param("/var/secrets/google", id="guide"),
    pytest.param("/etc/config/", id="trailing-slash"),
    pytest.param("/a/..b/c..", id="dots-inside-names"),
]
INVALID_MOUNT_PATHS = [
    pytest.param("var/secrets", "must be absolute", id="relative"),
    pytest.param("", "must be absolute", id="empty"),
    pytest.param("/", "over '/'", id="root"),
    pytest.param("/var/../etc", "'..' element", id="parent-reference"),
    pytest.param("/var/..", "'..' element", id="parent-at-end"),
    pytest.param("/c:/secrets", "':'", id="colon"),
    pytest.param("/var/\nsecrets", "control characters", id="newline"),
]
INVALID_ITEM_PATHS = [
    pytest.param("", "must not be empty", id="empty"),
    pytest.param("/abs/key.json", "relative", id="absolute"),
    pytest.param("../key.json", "'..'", id="climbs-out"),
    pytest.param("..key", "start with '..'", id="dotdot-prefix"),
    pytest.param("a:b", "':'", id="colon"),
]


@pytest.mark.parametrize("name", VALID_NAMES)
def test_valid_names_pass(name: str) -> None:
    validate_object_name(name, "secret")


@pytest.mark.parametrize(("name", "rule"), INVALID_NAMES)
def test_invalid_names_name_parameter_value_rule_and_fix(name: object, rule: str) -> None:
    with pytest.raises(ComposerPodInputError) as raised:
        validate_object_name(name, "secret")

    message = str(raised.value)
    assert message.startswith(f"secret={name!r}"[:40])
    assert rule in message
    assert "Fix:" in message
    assert raised.value.parameter == "secret"


def test_invalid_name_suggests_a_valid_one() -> None:
    with pytest.raises(ComposerPodInputError, match="use a name such as 'my-secret'"):
        validate_object_name("My_Secret", "secret")


def test_namespace_is_a_label_without_dots() -> None:
    validate_namespace("composer-user-workloads")

    with pytest.raises(ComposerPodInputError, match="DNS-1123 label"):
        validate_namespace("composer.user")


@pytest.mark.parametrize("key", VALID_KEYS)
def test_valid_keys_pass(key: str) -> None:
    validate_key(key)


@pytest.mark.parametrize(("key", "rule"), INVALID_KEYS)
def test_invalid_keys_are_rejected_with_the_rule(key: str, rule: str) -> None:
    with pytest.raises(ComposerPodInputError) as raised:
        validate_key(key, "key")

    assert rule in str(raised.value)
    assert str(raised.value).startswith("key=")


@pytest.mark.parametrize("env_name", VALID_ENV_NAMES)
def test_valid_env_names_pass(env_name: str) -> None:
    validate_env_name(env_name)


@pytest.mark.parametrize(("env_name", "rule"), INVALID_ENV_NAMES)
def test_invalid_env_names_are_rejected(env_name: str, rule: str) -> None:
    with pytest.raises(ComposerPodInputError, match="env_name=") as raised:
        validate_env_name(env_name)

    assert rule in str(raised.value)


@pytest.mark.parametrize("mount_path", VALID_MOUNT_PATHS)
def test_valid_mount_paths_pass(mount_path: str) -> None:
    validate_mount_path(mount_path)


@pytest.mark.parametrize(("mount_path", "rule"), INVALID_MOUNT_PATHS)
def test_invalid_mount_paths_are_rejected(mount_path: str, rule: str) -> None:
    with pytest.raises(ComposerPodInputError, match="mount_path=") as raised:
        validate_mount_path(mount_path)

    assert rule in str(raised.value)


@pytest.mark.parametrize(("path", "rule"), INVALID_ITEM_PATHS)
def test_invalid_item_paths_are_rejected(path: str, rule: str) -> None:
    with pytest.raises(ComposerPodInputError) as raised:
        validate_item_path(path)

    assert rule in str(raised.value)


BAD_BUILDER_CALLS = [
    pytest.param(lambda: secret_env("Bad_Name", "k", "ENV"), "secret='Bad_Name'", id="secret_env-name"),
    pytest.param(lambda: secret_env("s", "a b", "ENV"), "key='a b'", id="secret_env-key"),
    pytest.param(lambda: secret_env("s", "k", "1ENV"), "env_name='1ENV'", id="secret_env-env-name"),
    pytest.param(lambda: secret_env_from("s_1"), "secret='s_1'", id="secret_env_from-name"),
    pytest.param(lambda: secret_volume("s", "relative"), "mount_path='relative'", id="secret_volume-path"),
    pytest.param(lambda: secret_volume("s", "/m", key="k", items=["k"]), "key='k'", id="secret_volume-key-and-items"),
    pytest.param(lambda: secret_volume("s", "/m", items={"k": "../x"}), "items['k']='../x'", id="secret_volume-items"),
    pytest.param(lambda: secret_volume("s", "/m", items="k"), "items='k'", id="secret_volume-items-string"),
    pytest.param(lambda: config_map_env_from("CM"), "name='CM'", id="config_map_env_from"),
    pytest.param(lambda: config_map_env("cm", "k", "A B"), "env_name='A B'", id="config_map_env"),
    pytest.param(lambda: config_map_volume("cm", "/m", items={"a b": "x"}), "items key='a b'", id="config_map_items"),
    pytest.param(lambda: config_map_volume("cm", "/a/../b"), "mount_path='/a/../b'", id="config_map_volume-path"),
]


@pytest.mark.parametrize(("call", "names"), BAD_BUILDER_CALLS)
def test_builders_reject_bad_input_naming_the_parameter(call, names: str) -> None:
    with pytest.raises(ComposerPodInputError) as raised:
        call()

    assert str(raised.value).startswith(names)


def test_jinja_passes_the_builders_and_is_caught_after_rendering_if_left_over() -> None:
    secret = secret_env("{{ var.value.secret_name }}", "k", "ENV")

    with pytest.raises(ComposerPodInputError, match="still contains Jinja after rendering"):
        validate_rendered(secret)


def test_validate_rendered_checks_rendered_values_of_every_kind() -> None:
    volume = config_map_volume("{{ params.cm }}", "/etc/config")
    volume.volume.config_map.name = "Rendered_Badly"  # what KPO's rendering could produce

    with pytest.raises(ComposerPodInputError, match=r"secrets\[1\]\[0\]\.config_map\.name='Rendered_Badly'"):
        validate_rendered(secret_env_from("ok"), volume)


@pytest.mark.parametrize(
    "item",
    [
        pytest.param(Secret("volume", "relative/path", "s"), id="hand-made-secret-volume"),
        pytest.param(Secret("env", "1BAD", "s", "k"), id="hand-made-secret-env"),
        pytest.param(k8s.V1EnvFromSource(secret_ref=k8s.V1SecretEnvSource(name="Bad")), id="env-from-secret"),
        pytest.param(k8s.V1VolumeMount(name="v", mount_path="/a/../b"), id="volume-mount"),
    ],
)
def test_validate_rendered_rejects_bad_objects_however_made(item: object) -> None:
    with pytest.raises(ComposerPodInputError):
        validate_rendered(item)


def test_validate_rendered_accepts_what_the_builders_make() -> None:
    validate_rendered(
        secret_env("airflow-secrets", "sql_alchemy_conn", "SQL_CONN"),
        secret_env_from("airflow-secrets"),
        secret_volume("service-account", "/var/secrets/google", key="service-account.json"),
        config_map_env_from("example-configmap"),
        config_map_volume("example-configmap", "/etc/config", items={"example_key": "conf/example"}),
    )


ANY_TEXT = st.one_of(st.text(), st.text(alphabet="abc-._/{}:% \n0Z9", max_size=30))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=ANY_TEXT, key=ANY_TEXT, env_name=ANY_TEXT, path=ANY_TEXT)
def test_any_text_either_passes_or_raises_only_our_typed_error(name: str, key: str, env_name: str, path: str) -> None:
    calls = [
        lambda: secret_env(name, key, env_name),
        lambda: secret_env_from(name),
        lambda: secret_volume(name, path, key=key),
        lambda: secret_volume(name, path, items={key: env_name}),
        lambda: config_map_env(name, key, env_name),
        lambda: config_map_volume(name, path, items=[key]),
        lambda: validate_namespace(name),
    ]
    errors = []
    for call in calls:
        try:
            result = call()
        except ComposerPodInputError as error:
            errors.append(error)
        else:
            if not any(is_templated(value) for value in (name, key, env_name, path)):
                validate_rendered(result)  # what a builder accepts, the post-render check accepts too
    assert all(error.rule for error in errors)
    assert all(error.fix for error in errors)
