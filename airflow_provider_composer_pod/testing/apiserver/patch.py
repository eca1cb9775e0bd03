"""PATCH bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and a strategic merge patch subset.

Strategic merge is approximated: maps merge recursively, lists whose items carry a known merge key (containers,
env, volumes, volumeMounts, ports, ...) merge by that key, other lists are replaced, and the ``$patch: delete`` /
``$patch: replace`` directives are honoured on list items and maps.
"""

from __future__ import annotations

from typing import Any, Dict, List

from airflow_provider_composer_pod.testing.apiserver.clone import clone
from airflow_provider_composer_pod.testing.apiserver.errors import ApiError, bad_request

MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "ports": "containerPort",
    "imagePullSecrets": "name",
    "conditions": "type",
    "containerStatuses": "name",
    "initContainerStatuses": "name",
    "tolerations": "key",
    "hostAliases": "ip",
}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: ``null`` deletes, maps merge, everything else replaces."""
    if not isinstance(patch, dict):
        return clone(patch)
    result = clone(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge_patch(target: Any, patch: Any, field: str = "") -> Any:
    if isinstance(patch, dict):
        directive = patch.get("$patch")
        if directive == "replace":
            return {k: clone(v) for k, v in patch.items() if k != "$patch"}
        if directive == "delete":
            return None
        result = clone(target) if isinstance(target, dict) else {}
        for key, value in patch.items():
            if key.startswith("$"):
                continue
            if value is None:
                result.pop(key, None)
                continue
            merged = strategic_merge_patch(result.get(key), value, key)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        return result
    if isinstance(patch, list) and field in MERGE_KEYS and isinstance(target, list):
        return _merge_list(target, patch, MERGE_KEYS[field])
    return clone(patch)


def _merge_list(target: List[Any], patch: List[Any], key: str) -> List[Any]:
    if any(isinstance(i, dict) and i.get("$patch") == "replace" for i in patch):
        return [clone(i) for i in patch if not (isinstance(i, dict) and i.get("$patch"))]
    result = clone(target)
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            result.append(clone(item))
            continue
        index = next((n for n, old in enumerate(result) if isinstance(old, dict) and old.get(key) == item[key]), None)
        if item.get("$patch") == "delete":
            if index is not None:
                result.pop(index)
            continue
        if index is None:
            result.append({k: v for k, v in clone(item).items() if k != "$patch"})
        else:
            result[index] = strategic_merge_patch(result[index], item)
    return result


def _pointer(path: str) -> List[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _resolve(doc: Any, parts: List[str]) -> Any:
    for part in parts:
        if isinstance(doc, list):
            doc = doc[int(part)]
        elif isinstance(doc, dict):
            doc = doc[part]
        else:
            raise KeyError(part)
    return doc


def json_patch(target: Any, operations: Any) -> Any:
    """RFC 6902; failures answer 422 like the API server's "the server rejected our request" path."""
    if not isinstance(operations, list):
        raise bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = clone(target)
    for op in operations:
        try:
            doc = _apply_op(doc, op)
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            raise ApiError(
                422, "Invalid", f"the server rejected our request due to an error in our request: {exc}", {}
            ) from None
    return doc


def _apply_op(doc: Any, op: Dict[str, Any]) -> Any:
    kind = op.get("op")
    parts = _pointer(op.get("path", ""))
    if kind == "test":
        if _resolve(doc, parts) != op.get("value"):
            raise ValueError("testing value {} failed".format(op.get("path")))
        return doc
    if kind in ("move", "copy"):
        source = _pointer(op.get("from", ""))
        value = clone(_resolve(doc, source))
        if kind == "move":
            doc = _remove(doc, source)
        return _add(doc, parts, value)
    if kind == "remove":
        return _remove(doc, parts)
    if kind == "add":
        return _add(doc, parts, clone(op.get("value")))
    if kind == "replace":
        _resolve(doc, parts)
        doc = _remove(doc, parts)
        return _add(doc, parts, clone(op.get("value")))
    raise ValueError(f"Unexpected kind: {kind}")


def _add(doc: Any, parts: List[str], value: Any) -> Any:
    if not parts:
        return value
    parent = _resolve(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, list):
        if last == "-":
            parent.append(value)
        else:
            index = int(last)
            if index > len(parent):
                raise IndexError("add operation does not apply: doc is missing path: {}".format("/".join(parts)))
            parent.insert(index, value)
    elif isinstance(parent, dict):
        parent[last] = value
    else:
        raise KeyError(last)
    return doc


def _remove(doc: Any, parts: List[str]) -> Any:
    parent = _resolve(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, list):
        parent.pop(int(last))
    else:
        del parent[last]
    return doc


def apply_patch(target: Dict[str, Any], body: Any, content_type: str) -> Dict[str, Any]:
    """Dispatch on the PATCH ``Content-Type`` exactly as the API server negotiates it."""
    base = content_type.split(";")[0].strip().lower()
    if base == "application/json-patch+json":
        return json_patch(target, body)
    if base == "application/merge-patch+json":
        return merge_patch(target, body)
    if base in ("application/strategic-merge-patch+json", "application/apply-patch+yaml"):
        return strategic_merge_patch(target, body)
    raise ApiError(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, "
        "application/strategic-merge-patch+json",
    )
