"""Wrap one method of one KPO object (its PodManager) for the length of a step, so that KPO's own code, on every
provider version, runs ours at the moment it calls that method: the pre-flight right before KPO creates the pod, a
fail-fast check inside KPO's startup wait."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator


@contextmanager
def wrapped(obj: Any, name: str, wrap: Callable[[Callable[..., Any]], Callable[..., Any]]) -> Iterator[None]:
    """``obj.<name>`` is ``wrap(obj.<name>)`` inside the block, and what it was before afterwards."""
    original, own = getattr(obj, name), name in vars(obj)
    setattr(obj, name, wrap(original))
    try:
        yield
    finally:
        if own:
            setattr(obj, name, original)
        else:
            delattr(obj, name)  # the class's method again
