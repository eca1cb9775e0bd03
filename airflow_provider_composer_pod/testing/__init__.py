"""A Kubernetes API emulator for tests: kube-apiserver, scheduler and kubelet as one in-process test double.

Start it, point any client at ``emulator.kubeconfig_path``, and pods run through a simulated lifecycle with
real-looking status, Events, logs and exec::

    from airflow_provider_composer_pod.testing import KubernetesEmulator

    with KubernetesEmulator() as emu:
        emu.scenario(image="busybox", pull_delay=2.0)
        ...  # kubernetes / kubernetes_asyncio / kubectl with KUBECONFIG=emu.kubeconfig_path

Images are never pulled and nothing is isolated: commands run in a built-in shell interpreter (or, opt-in, as
host subprocesses). It is a test double, not a cluster. This package imports neither Airflow nor aiohttp until
an emulator is created, so importing it is cheap.

Layout, each part importing only from those before it (and ``clock.py``, which all share):

- ``runtime/``: what runs a container's command: the shell subset and its commands, Python entrypoints, host
  subprocesses, the container filesystem and log.
- ``apiserver/``: object storage and validation, the REST API over HTTP (watch, logs, exec), fault injection.
- ``kubelet/``: the scheduler and kubelet: pod lifecycles, scenarios, Events, container environments.
- ``harness/``: ``KubernetesEmulator``, its kubeconfig, the pytest plugin, ``composer-pod emulator``.
- ``demo/``: ``composer-pod demo``, the one part that runs Airflow (``airflow dags test``, in child processes).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "KubernetesEmulator": "airflow_provider_composer_pod.testing.harness.emulator",
    "PodScenario": "airflow_provider_composer_pod.testing.kubelet.scenarios",
    "ContainerContext": "airflow_provider_composer_pod.testing.runtime.runners",
    "RequestRecord": "airflow_provider_composer_pod.testing.apiserver.recording",
    "FaultInjector": "airflow_provider_composer_pod.testing.apiserver.faults",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
