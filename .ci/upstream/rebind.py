"""Pytest plugin: run upstream's KubernetesPodOperator tests against ComposerPodOperator, files untouched.

``UPSTREAM_REBIND`` chooses what is rebound: ``operator`` (the lane's default variant) or ``operator,trigger``.

The operator is rebound on the provider module before any test module is imported, so the tests'
``from ...operators.pod import KubernetesPodOperator``, their ``patch.object(KubernetesPodOperator, ...)`` decorators
and their ``patch("...operators.pod.KubernetesPodOperator.x")`` strings all reach ComposerPodOperator. After
collection each test module's own name is checked and rebound too, for a module imported before the swap.

The trigger is rebound only around trigger tests (tests under ``triggers/``): in their module namespace and as the
provider module's attribute, restored after each test, so the operator tests still see the stock trigger.
"""

from __future__ import annotations

import logging
import os

import pytest

log = logging.getLogger(__name__)

POD_MODULE = "airflow.providers.cncf.kubernetes.operators.pod"
TRIGGER_MODULE = "airflow.providers.cncf.kubernetes.triggers.pod"


def _targets() -> set[str]:
    return {part.strip() for part in os.environ.get("UPSTREAM_REBIND", "").split(",") if part.strip()}


class _Rebinder:
    def __init__(self, targets: set[str]) -> None:
        # Imported here, not at plugin import: Airflow must not load before the test configuration is set.
        import importlib

        from airflow_provider_composer_pod.operators.composer_pod import ComposerPodOperator
        from airflow_provider_composer_pod.triggers.pod import ComposerPodTrigger

        self.targets = targets
        self.pod_module = importlib.import_module(POD_MODULE)
        self.trigger_module = importlib.import_module(TRIGGER_MODULE)
        self.stock_operator = self.pod_module.KubernetesPodOperator
        self.stock_trigger = self.trigger_module.KubernetesPodTrigger
        self.operator = ComposerPodOperator
        self.trigger = ComposerPodTrigger
        if "operator" in targets:
            self.pod_module.KubernetesPodOperator = ComposerPodOperator
            log.warning("rebound %s.KubernetesPodOperator to %s", POD_MODULE, ComposerPodOperator.__qualname__)

    def pytest_itemcollected(self, item: pytest.Item) -> None:
        module = getattr(item, "module", None)
        if "operator" in self.targets and getattr(module, "KubernetesPodOperator", None) is self.stock_operator:
            module.KubernetesPodOperator = self.operator

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem):
        module = getattr(item, "module", None)
        if "trigger" not in self.targets or "/triggers/" not in item.nodeid or module is None:
            return (yield)
        saved = getattr(module, "KubernetesPodTrigger", None)
        module.KubernetesPodTrigger = self.trigger
        self.trigger_module.KubernetesPodTrigger = self.trigger
        try:
            return (yield)
        finally:
            self.trigger_module.KubernetesPodTrigger = self.stock_trigger
            if saved is not None:
                module.KubernetesPodTrigger = saved


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    targets = _targets()
    if targets:
        session.config.pluginmanager.register(_Rebinder(targets), "upstream-rebinder")
