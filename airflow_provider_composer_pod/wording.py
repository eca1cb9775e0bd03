"""Counts in the messages people read: "1 pod", "2 pods", never "1 pods" or "pod(s)"."""

from __future__ import annotations

from typing import Optional


def counted(number: int, noun: str, plural: Optional[str] = None) -> str:
    """``counted(1, "pod")`` is "1 pod", ``counted(0, "pod")`` "0 pods"; give ``plural`` when adding "s" is wrong."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
