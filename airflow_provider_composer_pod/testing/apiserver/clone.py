"""``clone``: a copy of JSON data, as the API server's store hands out and keeps its objects.

``copy.deepcopy`` walks the data in Python; at thousands of pods the emulator spent three quarters of its CPU in it
(bench/startup_wait.py at 5,000 pods). ``marshal`` copies built-in types (dicts, lists, strings, numbers, None)
in C, about five times faster; anything else (a subclass, an object) is left to ``copy.deepcopy``.
"""

from __future__ import annotations

import copy
import marshal
from typing import Any, TypeVar

T = TypeVar("T")


def clone(value: T) -> T:
    data: Any = value
    try:
        copied: T = marshal.loads(marshal.dumps(data))
    except ValueError:  # marshal takes built-in types only
        return copy.deepcopy(value)
    return copied
