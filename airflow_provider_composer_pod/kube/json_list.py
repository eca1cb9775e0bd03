"""A Kubernetes list response's items, decoded one at a time.

``json.loads`` of a list of 5,000 pods holds every pod's whole JSON at once (about 14 KB of Python objects per pod)
before anything is kept; the objects a caller keeps (a trimmed pod) then lie scattered among the freed ones, so the
process keeps that memory. Decoding item by item with ``json``'s own decoder frees each pod before the next is made:
the triggerer's resident memory per waiting pod stays what it keeps, and the work is less (bench/startup_wait.py).
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterator

_DECODE = json.JSONDecoder().raw_decode
_SPACE = " \t\n\r"


def list_items(raw: bytes, head: Dict[str, Any]) -> Iterator[Any]:
    """Each element of the top-level object's ``items`` array of ``raw``, in order; its other fields (``kind``,
    ``metadata`` with ``continue`` and ``resourceVersion``) are put into ``head`` as they are met, so read ``head``
    once the items are consumed. Raises ``ValueError`` for JSON that is malformed or cut short."""
    text = raw.decode("utf-8")
    try:
        index = _expect(text, _skip(text, 0), "{")
        while text[index] != "}":
            key, index = _DECODE(text, index)
            index = _expect(text, _skip(text, index), ":")
            if key == "items" and text[index] == "[":
                index = _skip(text, index + 1)
                while text[index] != "]":
                    item, index = _DECODE(text, index)
                    yield item
                    index = _separator(text, _skip(text, index), "]")
                index = _skip(text, index + 1)
            else:
                head[key], index = _DECODE(text, index)
                index = _skip(text, index)
            index = _separator(text, index, "}")
    except IndexError:
        raise ValueError("the list response ends before its JSON does") from None


def _skip(text: str, index: int) -> int:
    while text[index] in _SPACE:
        index += 1
    return index


def _expect(text: str, index: int, char: str) -> int:
    if text[index] != char:
        raise ValueError(f"expected {char!r} at character {index} of the list response")
    return _skip(text, index + 1)


def _separator(text: str, index: int, closing: str) -> int:
    """After a value: past a ``,``, or at ``closing``."""
    if text[index] == ",":
        return _skip(text, index + 1)
    if text[index] != closing:
        raise ValueError(f"expected ',' or {closing!r} at character {index} of the list response")
    return index
