"""Register secret values with Airflow's secrets masker, so a value that reaches a task log shows as ``***``."""

from __future__ import annotations

import base64
from typing import Callable, Collection, List, Mapping, Optional, Union

# Airflow's masker joins every pattern into one regex, recompiled on each new one: a 1 MiB file as a pattern costs
# seconds and gigabytes, and would never match a log line whole anyway. Longer values are masked line by line.
MAX_MASKED_LENGTH = 4096
MAX_MASKED_LINES = 100


def _airflow_mask_secret() -> Callable[..., None]:
    # Imported lazily: the masker pulls in Airflow's logging stack, which parse-time imports must not pay for.
    from airflow_provider_composer_pod.compat import mask_secret as airflow_mask_secret

    return airflow_mask_secret


def secret_patterns(value: Union[str, bytes]) -> List[str]:
    """What the masker must know to hide ``value``: the value, each of its lines and its base64 form (a key file is
    logged line by line, a manifest in base64).

    Airflow's masker matches whole strings only and skips values shorter than its minimum length; binary values that
    are not UTF-8 are masked in their base64 form only, and very long values by their first lines only.
    """
    raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    if not raw:
        return []
    patterns: List[str] = []
    encoded = base64.b64encode(raw).decode("ascii")
    if len(encoded) <= MAX_MASKED_LENGTH:
        patterns.append(encoded)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return patterns
    if len(text) <= MAX_MASKED_LENGTH:
        patterns.append(text)
    lines = [line.strip() for line in text.splitlines()]
    for line in lines[:MAX_MASKED_LINES] if len(lines) > 1 else ():
        if line and len(line) <= MAX_MASKED_LENGTH:
            patterns.append(line)
    return patterns


def mask_secret(value: Union[str, bytes]) -> None:
    """Register the value with Airflow's secrets masker, in every form :func:`secret_patterns` names."""
    patterns = secret_patterns(value)
    if patterns:
        register = _airflow_mask_secret()
        for pattern in patterns:
            register(pattern)


def used_values(data: Optional[Mapping[str, str]], keys: Optional[Collection[str]] = None) -> List[bytes]:
    """The decoded values of a Secret's ``data`` (base64, as the API returns it); only ``keys`` unless None."""
    return [base64.b64decode(encoded) for key, encoded in (data or {}).items() if keys is None or key in keys]


def mask_secret_data(data: Optional[Mapping[str, str]], keys: Optional[Collection[str]] = None) -> None:
    """Mask the values of a Secret's ``data`` as read from the API: every key's, or only those of ``keys``."""
    for value in used_values(data, keys):
        mask_secret(value)


async def amask_secret_data(data: Optional[Mapping[str, str]], keys: Optional[Collection[str]] = None) -> None:
    """:func:`mask_secret_data` in an event loop (the triggerer): Airflow 3 tells its supervisor asynchronously."""
    import importlib

    from airflow_provider_composer_pod.compat import MASKER_MODULE

    # Airflow 3's amask_secret tells the supervisor without blocking the loop; Airflow 2's triggerer masks in-process.
    masker = importlib.import_module(MASKER_MODULE)
    for value in used_values(data, keys):
        for pattern in secret_patterns(value):
            if hasattr(masker, "amask_secret"):
                await masker.amask_secret(pattern)
            else:
                masker.mask_secret(pattern)
