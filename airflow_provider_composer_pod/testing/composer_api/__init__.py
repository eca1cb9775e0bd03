"""A Cloud Composer API emulator (user-workloads Secrets and ConfigMaps, v1) linked to the Kubernetes emulator.

Layout: ``faults`` (Google's error answers), ``workloads`` (the objects, their checks, list pages), ``sync`` (the
link into the Kubernetes emulator's ``composer-user-workloads``), ``server`` (HTTP routing), ``emulator``
(``ComposerApiEmulator``), ``fixtures`` (the pytest fixture and ``--real-composer``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["ComposerApiEmulator"]


def __getattr__(name: str) -> Any:
    if name == "ComposerApiEmulator":
        from airflow_provider_composer_pod.testing.composer_api.emulator import ComposerApiEmulator

        return ComposerApiEmulator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
