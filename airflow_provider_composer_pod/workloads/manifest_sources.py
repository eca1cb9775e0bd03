"""Secret and ConfigMap manifests from literals and files, as ``kubectl create secret generic`` and ``kubectl create
configmap`` build them (``--from-literal``, ``--from-file``); see :mod:`.manifests` for the manifests themselves."""

from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

from airflow_provider_composer_pod.errors import ComposerPodInputError
from airflow_provider_composer_pod.workloads.manifests import (
    ConfigMapManifest,
    SecretManifest,
    Sources,
    read_file,
)
from airflow_provider_composer_pod.workloads.masking import mask_secret
from airflow_provider_composer_pod.workloads.names import validate_key


def _literal_pairs(literals: Sources, parameter: str) -> List[Tuple[str, str]]:
    if literals is None:
        return []
    if isinstance(literals, Mapping):
        return [(key, value) for key, value in literals.items()]
    if isinstance(literals, str):
        literals = [literals]
    pairs = []
    for index, literal in enumerate(literals):
        key, separator, value = literal.partition("=") if isinstance(literal, str) else ("", "", "")
        if not separator or not key:
            raise ComposerPodInputError(
                f"{parameter}[{index}]",
                None,
                "a literal is KEY=VALUE with a non-empty KEY",
                "write KEY=VALUE",
                hide_value=True,
            )
        pairs.append((key, value))
    return pairs


def _file_source(source: str, parameter: str) -> Tuple[Optional[str], str]:
    """``[KEY=]PATH`` as kubectl reads it: one '=' at most, neither side empty."""
    separators = source.count("=")
    if separators == 0:
        return None, source
    key, _, path = source.partition("=")
    if separators > 1 or not key or not path:
        raise ComposerPodInputError(
            parameter, source, "a file source is PATH or KEY=PATH, with no other '='", "write e.g. key.json=./key.json"
        )
    return key, path


def _file_pairs(files: Sources, parameter: str) -> List[Tuple[str, bytes]]:
    if files is None:
        return []
    if isinstance(files, Mapping):
        sources: List[Tuple[Optional[str], str]] = [(key, path) for key, path in files.items()]
    else:
        sources = [_file_source(source, parameter) for source in ([files] if isinstance(files, str) else files)]
    pairs: List[Tuple[str, bytes]] = []
    for key, path in sources:
        if os.path.isdir(path):
            if key is not None:
                raise ComposerPodInputError(
                    parameter, f"{key}={path}", "a directory gives one key per file", f"pass {path!r} without a key"
                )
            with os.scandir(path) as entries:
                names = sorted(entry.name for entry in entries if entry.is_file(follow_symlinks=False))
            pairs.extend((name, read_file(os.path.join(path, name), parameter)) for name in names)
        else:
            pairs.append((os.path.basename(path) if key is None else key, read_file(path, parameter)))
    return pairs


def _add(collected: Dict[str, Any], key: str, value: Any, parameter: str) -> None:
    validate_key(key, f"{parameter} key")
    if key in collected:
        raise ComposerPodInputError(
            f"{parameter} key", key, "each key may be given once", "drop the duplicate or give one of them another key"
        )
    collected[key] = value


def secret_manifest(
    name: str,
    literals: Sources = None,
    files: Sources = None,
    namespace: Optional[str] = None,
    literal_parameter: str = "literals",
    file_parameter: str = "files",
) -> SecretManifest:
    """``kubectl create secret generic NAME --from-literal K=V --from-file [K=]PATH``, as an object.

    ``literals`` is a mapping or ``"KEY=VALUE"`` strings; ``files`` a mapping key -> path or ``"[KEY=]PATH"``
    strings, a directory giving one key per regular file.
    """
    data: Dict[str, bytes] = {}
    for key, text in _literal_pairs(literals, literal_parameter):
        mask_secret(text)
        _add(data, key, text.encode("utf-8"), literal_parameter)
    for key, content in _file_pairs(files, file_parameter):
        mask_secret(content)
        _add(data, key, content, file_parameter)
    return SecretManifest(name=name, namespace=namespace, data=data)


def config_map_manifest(
    name: str,
    literals: Sources = None,
    files: Sources = None,
    namespace: Optional[str] = None,
    literal_parameter: str = "literals",
    file_parameter: str = "files",
) -> ConfigMapManifest:
    """``kubectl create configmap``, as an object: UTF-8 files go to ``data``, other files to ``binaryData``."""
    values: Dict[str, Union[str, bytes]] = {}
    for key, text in _literal_pairs(literals, literal_parameter):
        _add(values, key, text, literal_parameter)
    for key, content in _file_pairs(files, file_parameter):
        _add(values, key, content, file_parameter)
    data: Dict[str, str] = {}
    binary: Dict[str, bytes] = {}
    for key, value in values.items():
        try:
            data[key] = value.decode("utf-8") if isinstance(value, bytes) else value
        except UnicodeDecodeError:
            binary[key] = value  # type: ignore[assignment]  # only bytes fail to decode
    return ConfigMapManifest(name=name, namespace=namespace, data=data, binary_data=binary)


def render_secret(name: str, literals: Sources = None, files: Sources = None, namespace: Optional[str] = None) -> str:
    """The YAML of :func:`secret_manifest`, for ``kubectl apply -f`` or Composer 3's ``--secret-file-path``."""
    return secret_manifest(name, literals, files, namespace).to_yaml()


def render_config_map(
    name: str, literals: Sources = None, files: Sources = None, namespace: Optional[str] = None
) -> str:
    """The YAML of :func:`config_map_manifest`, for ``kubectl apply -f`` or ``--config-map-file-path``."""
    return config_map_manifest(name, literals, files, namespace).to_yaml()
