"""What a test arranges and inspects on the emulator: pod scenarios, bearer tokens, RBAC denials, the request log."""

from __future__ import annotations

import threading
from typing import Any, Dict, List, Optional

from airflow_provider_composer_pod.testing.apiserver.recording import RequestLog, RequestRecord
from airflow_provider_composer_pod.testing.apiserver.routes import DenyRule
from airflow_provider_composer_pod.testing.kubelet.scenarios import PodScenario


class Controls:
    """Part of :class:`~.emulator.KubernetesEmulator`, which mixes it in and creates this state."""

    token: Optional[str]
    user: str
    request_log: RequestLog
    _lock: threading.Lock
    _scenarios: List[PodScenario]
    _deny: List[DenyRule]
    _extra_tokens: Dict[str, str]

    # ---------------------------------------------------------------------------------------- scenarios
    def scenarios(self) -> List[PodScenario]:
        with self._lock:
            return list(self._scenarios)

    def scenario(self, **fields: Any) -> PodScenario:
        """Register a :class:`PodScenario` from keyword arguments, e.g. ``scenario(image="busybox", pull_delay=2)``."""
        return self.add_scenario(PodScenario(**fields))

    def add_scenario(self, scenario: PodScenario) -> PodScenario:
        if scenario.runtime not in (None, "builtin", "host"):
            raise ValueError(f"runtime must be 'builtin' or 'host', got {scenario.runtime!r}")
        with self._lock:
            self._scenarios.append(scenario)
        return scenario

    def clear_scenarios(self) -> None:
        with self._lock:
            self._scenarios = []

    # --------------------------------------------------------------------------------------- auth, RBAC
    def _tokens(self) -> Dict[str, str]:
        tokens = dict(self._extra_tokens)
        if self.token:
            tokens[self.token] = self.user
        return tokens

    def add_token(self, token: str, user: str) -> None:
        """Accept another bearer token as ``user`` (for tests on 403 messages naming a different user)."""
        self._extra_tokens[token] = user

    def _deny_rules(self) -> List[DenyRule]:
        with self._lock:
            return list(self._deny)

    def deny(self, verb: str, resource: str, namespace: Optional[str] = None, name: Optional[str] = None) -> DenyRule:
        """Make matching requests answer 403 Forbidden (``"*"`` wildcards verb or resource; ``pods/exec`` works)."""
        rule = DenyRule(verb, resource, namespace, name)
        with self._lock:
            self._deny.append(rule)
        return rule

    def allow_all(self) -> None:
        with self._lock:
            self._deny = []

    # ------------------------------------------------------------------------------------- request log
    def requests(
        self, method: Optional[str] = None, path_contains: Optional[str] = None, **filters: Any
    ) -> List[RequestRecord]:
        """Recorded requests, filtered by method, path substring, ``path``, ``status``, ``is_watch``, ``verb``…"""
        return self.request_log.select(method=method, path_contains=path_contains, **filters)

    def clear_requests(self) -> None:
        self.request_log.clear()
