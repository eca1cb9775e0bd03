"""Secret and ConfigMap manifests: loaded from YAML, or rendered from literals and files as ``kubectl create`` does.

One format serves both ways of creating them on Composer. The guide's YAML (``apiVersion: v1``, ``kind: Secret`` or
``ConfigMap``, ``metadata.name``, ``data``: base64 for Secrets, plain text for ConfigMaps) goes to ``kubectl apply``
on Composer 1 and 2. Composer 3 takes "a single Kubernetes Secret in YAML format" through
``gcloud composer environments user-workloads-secrets create --secret-file-path``, and likewise a ConfigMap through
``user-workloads-config-maps create --config-map-file-path``, because its Kubernetes API refuses Secret and ConfigMap
writes. Its API object (``UserWorkloadsSecret`` / ``UserWorkloadsConfigMap``) keeps only the name and ``data``
(base64 for Secrets), so a manifest for Composer 3 must carry its values in ``data``: :meth:`SecretManifest.to_yaml`
folds ``stringData`` into ``data``, as the API server does, and the result suits both. Sources:
https://cloud.google.com/sdk/gcloud/reference/composer/environments/user-workloads-secrets/create,
https://cloud.google.com/composer/docs/reference/rest/v1/projects.locations.environments.userWorkloadsSecrets,
https://cloud.google.com/composer/docs/composer-3/use-kubernetes-pod-operator (Secrets and ConfigMaps section).

Values are secret: each one read is registered with Airflow's secrets masker, and no message or ``repr`` shows it.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any, ClassVar, Dict, Iterable, List, Mapping, Optional, Union

import yaml

from airflow_provider_composer_pod.errors import ComposerPodInputError
from airflow_provider_composer_pod.wording import counted
from airflow_provider_composer_pod.workloads.masking import mask_secret
from airflow_provider_composer_pod.workloads.names import validate_key, validate_namespace, validate_object_name

# Kubernetes' MaxSecretSize and MaxConfigMapSize: the sum of the decoded values, keys not counted.
MAX_DATA_BYTES = 1024 * 1024

Sources = Union[Mapping[str, str], Iterable[str], None]

_METADATA_KEPT = ("name", "namespace", "labels", "annotations")
_TOP_LEVEL = {
    "Secret": ("apiVersion", "kind", "metadata", "data", "stringData", "type", "immutable"),
    "ConfigMap": ("apiVersion", "kind", "metadata", "data", "binaryData", "immutable"),
}


def _check_keys(keys: Iterable[str], parameter: str) -> None:
    for key in keys:
        validate_key(key, f"{parameter} key")


def _check_size(kind: str, name: str, total: int) -> None:
    if total > MAX_DATA_BYTES:
        raise ComposerPodInputError(
            f"{kind} {name!r} data",
            f"{total} bytes",
            f"Kubernetes limits the values of one {kind} to 1 MiB ({MAX_DATA_BYTES} bytes) in total",
            f"split it into several {kind}s, or keep large files in Cloud Storage and fetch them in the pod",
        )


@dataclass(frozen=True, repr=False)
class _Manifest:
    kind: ClassVar[str] = ""

    name: str
    namespace: Optional[str] = None
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    immutable: Optional[bool] = None

    def _validate_metadata(self) -> None:
        validate_object_name(self.name, f"{self.kind} metadata.name", self.kind)
        if self.namespace is not None:
            validate_namespace(self.namespace, f"{self.kind} metadata.namespace")

    def keys(self) -> List[str]:
        raise NotImplementedError

    def _metadata(self, namespace: Optional[str]) -> Dict[str, Any]:
        metadata: Dict[str, Any] = {"name": self.name}
        if namespace or self.namespace:
            metadata["namespace"] = namespace or self.namespace
        if self.labels:
            metadata["labels"] = dict(self.labels)
        if self.annotations:
            metadata["annotations"] = dict(self.annotations)
        return metadata

    def _body(self, namespace: Optional[str], fields: Dict[str, Any]) -> Dict[str, Any]:
        body: Dict[str, Any] = {"apiVersion": "v1", "kind": self.kind, "metadata": self._metadata(namespace)}
        body.update({key: value for key, value in fields.items() if value not in (None, {})})
        return body

    def to_body(self, namespace: Optional[str] = None) -> Dict[str, Any]:
        """A plain dict the kubernetes client takes as ``body`` for create and replace calls."""
        raise NotImplementedError

    def to_yaml(self) -> str:
        """The manifest as ``kubectl create ... --dry-run=client -o yaml`` prints it (keys sorted)."""
        return yaml.dump(self.to_body(), Dumper=_Dumper, default_flow_style=False, sort_keys=True, allow_unicode=True)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, namespace={self.namespace!r}, keys={self.keys()!r})"

    __str__ = __repr__


@dataclass(frozen=True, repr=False)
class SecretManifest(_Manifest):
    """A Kubernetes Secret whose values are held decoded (``bytes``) and never shown."""

    kind: ClassVar[str] = "Secret"

    data: Mapping[str, bytes] = field(default_factory=dict)
    type: Optional[str] = None

    def __post_init__(self) -> None:
        data = {}
        for key, value in self.data.items():
            if not isinstance(value, (str, bytes)):
                raise ComposerPodInputError(
                    f"Secret data[{key!r}]", None, "a value is str or bytes", "pass the value as bytes", hide_value=True
                )
            data[key] = value.encode("utf-8") if isinstance(value, str) else value
            mask_secret(data[key])
        object.__setattr__(self, "data", data)
        self._validate_metadata()
        _check_keys(self.data, f"Secret {self.name!r} data")
        _check_size(self.kind, self.name, sum(len(value) for value in self.data.values()))

    def keys(self) -> List[str]:
        return sorted(self.data)

    def to_body(self, namespace: Optional[str] = None) -> Dict[str, Any]:
        data = {key: base64.b64encode(value).decode("ascii") for key, value in sorted(self.data.items())}
        return self._body(namespace, {"data": data, "type": self.type, "immutable": self.immutable})


@dataclass(frozen=True, repr=False)
class ConfigMapManifest(_Manifest):
    """A Kubernetes ConfigMap: text values in ``data``, others in ``binary_data`` (which Composer 3 cannot take)."""

    kind: ClassVar[str] = "ConfigMap"

    data: Mapping[str, str] = field(default_factory=dict)
    binary_data: Mapping[str, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._validate_metadata()
        _check_keys(self.data, f"ConfigMap {self.name!r} data")
        _check_keys(self.binary_data, f"ConfigMap {self.name!r} binaryData")
        for key in set(self.data) & set(self.binary_data):
            raise ComposerPodInputError(
                f"ConfigMap {self.name!r} binaryData key",
                key,
                "a key may be in data or in binaryData, not both",
                "rename or drop one of them",
            )
        total = sum(len(value.encode("utf-8")) for value in self.data.values())
        _check_size(self.kind, self.name, total + sum(len(value) for value in self.binary_data.values()))

    def keys(self) -> List[str]:
        return sorted([*self.data, *self.binary_data])

    def to_body(self, namespace: Optional[str] = None) -> Dict[str, Any]:
        binary = {key: base64.b64encode(value).decode("ascii") for key, value in sorted(self.binary_data.items())}
        fields = {"data": dict(sorted(self.data.items())), "binaryData": binary, "immutable": self.immutable}
        return self._body(namespace, fields)


Manifest = Union[SecretManifest, ConfigMapManifest]
_CLASSES = {"Secret": SecretManifest, "ConfigMap": ConfigMapManifest}


class _Dumper(yaml.SafeDumper):
    """Multi-line text as a ``|`` block, as kubectl prints a ConfigMap made from a file."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


# --- loading YAML -------------------------------------------------------------------------------------------------


def _parse_yaml(text: str, source: str) -> Any:
    """One YAML document; parser errors keep their position only, as their excerpt may quote a secret value."""
    position = None
    try:
        documents = [document for document in yaml.safe_load_all(text) if document is not None]
    except (yaml.YAMLError, ValueError) as error:  # ValueError: a timestamp such as 2024-13-01
        mark = getattr(error, "problem_mark", None)
        position = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "unknown position"
        documents = []
    if position is not None:
        raise ComposerPodInputError(
            source,
            None,
            f"it does not parse as YAML (error at {position})",
            "fix the YAML syntax there",
            hide_value=True,
        )
    if len(documents) != 1:
        raise ComposerPodInputError(
            source,
            None,
            f"it holds {counted(len(documents), 'YAML document')}, but a manifest file holds exactly one Secret or "
            "ConfigMap (Composer 3's gcloud takes a single object)",
            "put each object in a file of its own",
            hide_value=True,
        )
    return documents[0]


def _string_map(
    document: Mapping[str, Any], field_name: str, where: str, secret: bool, data_keys: bool = True
) -> Dict[str, str]:
    values = document.get(field_name)
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise ComposerPodInputError(
            f"{where} {field_name}", type(values).__name__, "it must be a mapping of keys to values", "write key: value"
        )
    result: Dict[str, str] = {}
    for key, value in values.items():
        if data_keys:
            validate_key(key, f"{where} {field_name} key")
        elif not isinstance(key, str):
            raise ComposerPodInputError(f"{where} {field_name} key", key, "keys are strings", "quote the key")
        if secret and isinstance(value, str):
            mask_secret(value)
        if not isinstance(value, str):
            raise ComposerPodInputError(
                f"{where} {field_name}[{key!r}]",
                None,
                f"the value is {type(value).__name__}, but Kubernetes takes only strings here",
                "quote the value in the YAML",
                hide_value=True,
            )
        result[key] = value
    return result


def _decode_base64(values: Mapping[str, str], parameter: str, secret: bool) -> Dict[str, bytes]:
    """Base64 as the API server decodes it: standard alphabet with padding; line breaks are ignored."""
    decoded: Dict[str, bytes] = {}
    for key, value in values.items():
        try:
            raw = base64.b64decode(value.replace("\r", "").replace("\n", ""), validate=True)
        except (binascii.Error, ValueError):
            raw = None
        if raw is None:
            raise ComposerPodInputError(
                f"{parameter}[{key!r}]",
                None,
                "the value is not valid base64 (standard alphabet, with '=' padding)",
                "encode it with `base64 -w0 < file`, or move the plain value to stringData",
                hide_value=secret,
            )
        if secret:
            mask_secret(raw)
        decoded[key] = raw
    return decoded


def _metadata(document: Mapping[str, Any], where: str) -> Dict[str, Any]:
    metadata = document.get("metadata")
    if not isinstance(metadata, Mapping) or "name" not in metadata:
        raise ComposerPodInputError(
            f"{where} metadata", metadata, "a manifest needs metadata.name", "add metadata: {name: my-name}"
        )
    kept = {key: metadata[key] for key in _METADATA_KEPT if metadata.get(key) is not None}
    for key in ("labels", "annotations"):
        if key in kept:
            kept[key] = _string_map(metadata, key, f"{where} metadata", secret=False, data_keys=False)
    return kept


def _check_header(document: Any, kind: Optional[str], source: str) -> str:
    if not isinstance(document, Mapping):
        raise ComposerPodInputError(
            source, type(document).__name__, "a manifest is a YAML mapping", "start it with apiVersion: v1"
        )
    found = document.get("kind")
    if not isinstance(found, str) or found not in _CLASSES:
        raise ComposerPodInputError(
            f"{source} kind", found, "kind must be Secret or ConfigMap", f"set kind: {kind or 'Secret'}"
        )
    if kind is not None and found != kind:
        raise ComposerPodInputError(
            f"{source} kind",
            found,
            f"a {kind} was expected here",
            f"pass a {kind} manifest, or use the {found} command",
        )
    if document.get("apiVersion") != "v1":
        raise ComposerPodInputError(
            f"{source} apiVersion", document.get("apiVersion"), f"a {found} has apiVersion v1", "set apiVersion: v1"
        )
    unknown = sorted(str(key) for key in document if key not in _TOP_LEVEL[found])
    if unknown:
        raise ComposerPodInputError(
            f"{source} field",
            unknown[0],
            f"a {found} manifest has only the fields {', '.join(_TOP_LEVEL[found])}",
            "remove the field or fix its spelling (e.g. stringData, binaryData)",
        )
    immutable = document.get("immutable")
    if immutable is not None and not isinstance(immutable, bool):
        raise ComposerPodInputError(f"{source} immutable", immutable, "immutable is true or false", "use true/false")
    return found


def load_manifest(text: str, kind: Optional[str] = None, source: str = "manifest") -> Manifest:
    """Parse and check a Secret or ConfigMap manifest; ``kind`` (``"Secret"``/``"ConfigMap"``) insists on one.

    Secret ``data`` must decode as base64 (the error names the key, never the value); ``stringData`` is plain text
    and wins over ``data`` for the same key, as on the API server.
    """
    document = _parse_yaml(text, source)
    found = _check_header(document, kind, source)
    where = f"{source} {found}"
    metadata = _metadata(document, where)
    common = dict(metadata, immutable=document.get("immutable"))
    if found == "Secret":
        data = _decode_base64(_string_map(document, "data", where, secret=True), f"{where} data", secret=True)
        for key, value in _string_map(document, "stringData", where, secret=True).items():
            data[key] = value.encode("utf-8")
        secret_type = document.get("type")
        if secret_type is not None and not isinstance(secret_type, str):
            raise ComposerPodInputError(f"{where} type", secret_type, "type is a string", "e.g. type: Opaque")
        return SecretManifest(data=data, type=secret_type, **common)
    binary = _decode_base64(_string_map(document, "binaryData", where, secret=False), f"{where} binaryData", False)
    return ConfigMapManifest(data=_string_map(document, "data", where, secret=False), binary_data=binary, **common)


def read_manifest(path: str, kind: Optional[str] = None) -> Manifest:
    """:func:`load_manifest` on a file; errors name the file."""
    text = read_file(path, "manifest file").decode("utf-8", errors="strict")
    return load_manifest(text, kind=kind, source=path)


# --- rendering from literals and files ----------------------------------------------------------------------------


def read_file(path: str, parameter: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ComposerPodInputError(parameter, path, f"the file cannot be read ({reason})", "check the path") from None
