"""Which Composer environment, and which Composer API endpoint, a client talks to."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Mapping, Optional

from airflow_provider_composer_pod.composer_api.errors import ComposerApiInputError

DEFAULT_ENDPOINT = "https://composer.googleapis.com"
ENDPOINT_VARIABLE = "COMPOSER_POD_COMPOSER_API_ENDPOINT"
# A bearer token to send instead of Google credentials: for the emulator and private endpoints.
TOKEN_VARIABLE = "COMPOSER_POD_COMPOSER_API_TOKEN"
# Composer's reserved environment variables on its workers (docs/research/composer-api-user-workloads.md, section 4:
# "Set environment variables", reserved list; composer-airflow reads them in composer_task_handler.py).
RESERVED_VARIABLES = {"project": "GCP_PROJECT", "location": "COMPOSER_LOCATION", "environment": "COMPOSER_ENVIRONMENT"}
# A project id, a region, an environment name: what may sit between the slashes of a resource name.
_PART = re.compile(r"^[a-z0-9][-a-z0-9.:]*$")


@dataclass(frozen=True)
class EnvironmentRef:
    """One Composer environment, as the API names it."""

    project: str
    location: str
    environment: str

    def __post_init__(self) -> None:
        for part in ("project", "location", "environment"):
            value = getattr(self, part)
            if not isinstance(value, str) or not _PART.match(value):
                raise ComposerApiInputError(
                    f"{part} {value!r} is not a valid Composer {part}: it must be a non-empty string of lowercase "
                    f"letters, digits, '-', '.' or ':'; give the {part} exactly as the Google Cloud console shows it"
                )

    @property
    def name(self) -> str:
        return f"projects/{self.project}/locations/{self.location}/environments/{self.environment}"


def detect_environment(
    overrides: Optional[Mapping[str, Optional[str]]] = None, env: Mapping[str, str] = os.environ
) -> EnvironmentRef:
    """The environment from ``overrides`` (keys ``project``, ``location``, ``environment``), else Composer's variables.

    On a Composer worker Composer sets all three variables, so nothing needs configuring there.
    """
    overrides = overrides or {}
    parts = {}
    missing = []
    for part, variable in RESERVED_VARIABLES.items():
        value = (overrides.get(part) or env.get(variable) or "").strip()
        if not value:
            missing.append(
                f"{part} (set the field '{part}' on the composer_pod connection, pass --{part} on the command "
                f"line, or set ${variable} as Composer does on its workers)"
            )
        parts[part] = value
    if missing:
        raise ComposerApiInputError("cannot tell which Composer environment to use; missing " + "; ".join(missing))
    return EnvironmentRef(parts["project"], parts["location"], parts["environment"])


def resolve_endpoint(override: Optional[str] = None, env: Mapping[str, str] = os.environ) -> str:
    """``override``, else ``$COMPOSER_POD_COMPOSER_API_ENDPOINT``, else Google's endpoint; no trailing slash."""
    endpoint = (override or env.get(ENDPOINT_VARIABLE) or DEFAULT_ENDPOINT).strip().rstrip("/")
    if not endpoint.startswith(("https://", "http://")):
        raise ComposerApiInputError(
            f"Composer API endpoint {endpoint!r} must be an http(s) URL such as {DEFAULT_ENDPOINT!r}; fix the "
            f"connection's endpoint field or ${ENDPOINT_VARIABLE}"
        )
    return endpoint
