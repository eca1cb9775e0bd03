"""Typed errors for bad user input, worded for the person who has to fix the DAG or the command line."""

from __future__ import annotations

from typing import Any

# Long values make a message unreadable; the start is enough to find the typo.
_MAX_SHOWN = 80


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 4] + "...'"


class ComposerPodInputError(ValueError):
    """An argument, manifest field or command-line value that Kubernetes or Composer would reject.

    A ``ValueError`` so callers that already catch bad values keep working. The message names the parameter, the
    value, the rule and the fix; with ``hide_value=True`` (secret data) the value is neither shown nor kept. Pass
    ``...`` as the value when the argument's presence, not its value, is the problem.
    """

    def __init__(self, parameter: str, value: Any, rule: str, fix: str, *, hide_value: bool = False) -> None:
        self.parameter = parameter
        self.value = None if hide_value else value
        self.rule = rule
        self.fix = fix
        shown = " (value hidden)" if hide_value else "" if value is ... else "=" + _shown(value)
        super().__init__(f"{parameter}{shown} is not valid: {rule}. Fix: {fix}")
