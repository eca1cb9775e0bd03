"""What the builtin command groups share: their registration decorator, error output and signal names."""

from __future__ import annotations

from typing import Callable, Dict

from airflow_provider_composer_pod.testing.runtime.shell_types import SIGNALS, Builtin, Fds


def registrar(table: Dict[str, Builtin]) -> Callable[..., Callable[[Builtin], Builtin]]:
    """A ``@builtin("name", …)`` decorator that files each command into ``table`` under its names."""

    def builtin(*names: str) -> Callable[[Builtin], Builtin]:
        def register(func: Builtin) -> Builtin:
            for name in names:
                table[name] = func
            return func

        return register

    return builtin


def err(fds: Fds, text: str) -> None:
    fds[2].write((text + "\n").encode())


def signal_number(text: str) -> int:
    text = text.upper()
    if text.isdigit():
        return int(text)
    if text.startswith("SIG"):
        text = text[3:]
    if text not in SIGNALS:
        raise ValueError(text)
    return SIGNALS[text]
