"""Cloud Composer's KubernetesPodOperator, with Composer-aware defaults.

Provider discovery imports this module in every Airflow process, so it stays light: the public names are loaded on
first attribute access (PEP 562), never at import.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0.dev0"

# Public name -> module that defines it. One stable import path for DAGs, whatever provider version is installed.
_EXPORTS = {
    "ComposerPodOperator": "airflow_provider_composer_pod.operators.composer_pod",
    "KubernetesPodOperator": "airflow_provider_composer_pod.compat",
    "KubernetesPodTrigger": "airflow_provider_composer_pod.compat",
    "Secret": "airflow_provider_composer_pod.compat",
    "k8s": "airflow_provider_composer_pod.compat",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    if value is None:  # not in the installed provider (compat says which version has it)
        from airflow_provider_composer_pod.compat import PROVIDER_VERSION

        raise ImportError(
            f"{name} is not in apache-airflow-providers-cncf-kubernetes {PROVIDER_VERSION} (it arrived in 5.2.0)"
        )
    globals()[name] = value
    return value
