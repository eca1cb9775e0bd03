"""Label and field selectors with the API server's grammar and error messages."""

from __future__ import annotations

import re
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

from airflow_provider_composer_pod.testing.apiserver.errors import ApiError, bad_request

# (key, operator, values); operators: "=", "!=", "in", "notin", "exists", "!"
Requirement = Tuple[str, str, Tuple[str, ...]]

_SET_RE = re.compile(r"^\s*([^\s!=(),]+)\s+(in|notin)\s*\(([^)]*)\)\s*$")
_EQ_RE = re.compile(r"^\s*([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)\s*$")
_KEY_RE = re.compile(r"^\s*(!?)\s*([^\s!=(),]+)\s*$")


def _split_top_level(text: str) -> List[str]:
    parts: List[str] = []
    current: List[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def parse_label_selector(text: Optional[str]) -> List[Requirement]:
    """Parse ``a=b,c!=d,e in (f,g),!h``; 400 BadRequest with the parser's message when malformed."""
    if not text:
        return []
    requirements: List[Requirement] = []
    for part in _split_top_level(text):
        match = _SET_RE.match(part)
        if match:
            values = tuple(v.strip() for v in match.group(3).split(",") if v.strip())
            requirements.append((match.group(1), match.group(2), values))
            continue
        match = _EQ_RE.match(part)
        if match:
            op = "!=" if match.group(2) == "!=" else "="
            requirements.append((match.group(1), op, (match.group(3),)))
            continue
        match = _KEY_RE.match(part)
        if match:
            requirements.append((match.group(2), "!" if match.group(1) else "exists", ()))
            continue
        raise bad_request(f"unable to parse requirement: {part.strip()}")
    return requirements


def match_labels(requirements: List[Requirement], labels: Optional[Dict[str, str]]) -> bool:
    labels = labels or {}
    for key, op, values in requirements:
        present = key in labels
        value = labels.get(key)
        if op == "=" and (not present or value != values[0]):
            return False
        if op == "!=" and present and value == values[0]:
            return False
        if op == "in" and (not present or value not in values):
            return False
        if op == "notin" and present and value in values:
            return False
        if op == "exists" and not present:
            return False
        if op == "!" and present:
            return False
    return True


def parse_field_selector(
    text: Optional[str], supported: FrozenSet[str], resource_id: str, label_selector: str = ""
) -> List[Requirement]:
    """Parse ``metadata.name=x,status.phase!=Running``; unknown fields get the real 400 message."""
    if not text:
        return []
    requirements: List[Requirement] = []
    for part in _split_top_level(text):
        match = _EQ_RE.match(part)
        if not match:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        field = match.group(1)
        if field not in supported:
            raise ApiError(
                400,
                "BadRequest",
                f'Unable to find "{resource_id}" that match label selector "{label_selector}", '
                f'field selector "{text}": field label not '
                f"supported: {field}",
            )
        op = "!=" if match.group(2) == "!=" else "="
        requirements.append((field, op, (match.group(3),)))
    return requirements


def field_value(obj: Dict[str, Any], path: str) -> str:
    """A dotted path as a string the way field selectors compare it (missing fields are empty)."""
    current: Any = obj
    for key in path.split("."):
        if not isinstance(current, dict):
            return ""
        current = current.get(key)
    if current is None:
        return ""
    if isinstance(current, bool):
        return "true" if current else "false"
    return str(current)


def match_fields(requirements: List[Requirement], obj: Dict[str, Any]) -> bool:
    for field, op, values in requirements:
        actual = field_value(obj, field)
        if op == "=" and actual != values[0]:
            return False
        if op == "!=" and actual == values[0]:
            return False
    return True
