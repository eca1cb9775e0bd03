"""Which Cloud Composer generation this worker runs on, and the defaults that follow from it.

Composer sets reserved environment variables on every scheduler, worker and triggerer (see "Reserved variables" in
https://cloud.google.com/composer/docs/composer-3/set-environment-variables). We read two of them:

- ``COMPOSER_ENVIRONMENT``: the environment's name; present means "this is Composer".
- ``COMPOSER_VERSION``: the Composer version of the environment's image (``1.20.12``, ``2.9.7``, ``3``); its major
  number is the generation.

Both can be overridden: the operator's ``composer_generation`` argument wins over ``COMPOSER_POD_GENERATION``, which
wins over what Composer sets. Everything here is pure: it reads the mapping it is given and touches no files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Optional, Union

COMPOSER_KUBE_CONFIG = "/home/airflow/composer_kube_config"
USER_WORKLOADS_NAMESPACE = "composer-user-workloads"
GENERATION_OVERRIDE_ENV = "COMPOSER_POD_GENERATION"

GENERATIONS = (1, 2, 3)


@dataclass(frozen=True)
class ComposerEnvironment:
    """What the worker knows about where it runs."""

    generation: Optional[int]
    """1, 2 or 3 on Composer (or when overridden); None outside Composer."""
    name: Optional[str] = None
    source: str = "none"
    """Where ``generation`` came from: ``argument``, ``COMPOSER_POD_GENERATION``, ``COMPOSER_VERSION`` or ``none``."""

    @property
    def on_composer(self) -> bool:
        return self.generation is not None

    @property
    def default_namespace(self) -> str:
        """Composer 1 runs user pods in ``default``; Composer 2 and 3 (and local runs) in ``composer-user-workloads``.

        Outside Composer we keep Composer 2/3's namespace so that a DAG tested in CI talks to the same namespace
        it will use in production.
        """
        return "default" if self.generation == 1 else USER_WORKLOADS_NAMESPACE

    def describe(self) -> str:
        if self.generation is None:
            return "not on Cloud Composer"
        where = f" environment {self.name!r}" if self.name else ""
        return f"Cloud Composer {self.generation}{where} (from {self.source})"


def parse_generation(value: Union[str, int, None], *, parameter: str) -> Optional[int]:
    """Turn ``"2"``, ``2``, ``"auto"`` or ``None`` into a generation, or explain what is accepted."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "auto")):
        return None
    try:
        generation = int(str(value).strip())
    except ValueError:
        generation = -1
    if generation not in GENERATIONS:
        from airflow_provider_composer_pod.errors import ComposerPodInputError

        raise ComposerPodInputError(
            parameter,
            value,
            "it is not a Composer generation",
            "use 1, 2, 3 or 'auto' (auto reads COMPOSER_VERSION, which Composer sets on its workers)",
        )
    return generation


def detect_environment(
    environ: Optional[Mapping[str, str]] = None, *, generation: Union[str, int, None] = None
) -> ComposerEnvironment:
    """Detect the Composer generation from an explicit value, the override variable, or Composer's own variables."""
    env = os.environ if environ is None else environ
    name = env.get("COMPOSER_ENVIRONMENT") or None
    explicit = parse_generation(generation, parameter="composer_generation")
    if explicit is not None:
        return ComposerEnvironment(explicit, name, "argument")
    override = parse_generation(env.get(GENERATION_OVERRIDE_ENV), parameter=GENERATION_OVERRIDE_ENV)
    if override is not None:
        return ComposerEnvironment(override, name, GENERATION_OVERRIDE_ENV)
    version = env.get("COMPOSER_VERSION", "")
    major = version.strip().lstrip("v").split(".", 1)[0]
    if major.isdigit() and int(major) in GENERATIONS:
        return ComposerEnvironment(int(major), name, "COMPOSER_VERSION")
    if name:
        # Composer always sets COMPOSER_VERSION next to COMPOSER_ENVIRONMENT; if it is missing or unreadable, assume
        # the current generations' rules rather than Composer 1's.
        return ComposerEnvironment(2, name, "COMPOSER_ENVIRONMENT")
    return ComposerEnvironment(None)
