"""The two kinds of user workload, in the words of each place that names them: REST, IAM, gcloud, Kubernetes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict

from airflow_provider_composer_pod.composer_api.errors import ComposerApiInputError


@dataclass(frozen=True)
class Kind:
    key: str  # our word: "secret" or "config_map"
    label: str  # Kubernetes' word: "Secret" or "ConfigMap"
    collection: str  # the REST collection under the environment, also the list answer's array
    permission_prefix: str  # IAM: composer.<noun>.<verb> (audit-logging page, research section 2)
    gcloud_group: str  # gcloud composer environments <group> <verb>
    gcloud_file_flag: str  # create/update read one Kubernetes object from a YAML file

    def permission(self, verb: str) -> str:
        return f"{self.permission_prefix}.{verb}"


SECRET = Kind(
    "secret",
    "Secret",
    "userWorkloadsSecrets",
    "composer.userworkloadssecrets",
    "user-workloads-secrets",
    "--secret-file-path",
)
CONFIG_MAP = Kind(
    "config_map",
    "ConfigMap",
    "userWorkloadsConfigMaps",
    "composer.userworkloadsconfigmaps",
    "user-workloads-config-maps",
    "--config-map-file-path",
)
KINDS: Dict[str, Kind] = {SECRET.key: SECRET, CONFIG_MAP.key: CONFIG_MAP}
# Our method verbs -> gcloud's (gcloud says "describe" where the API says "get").
GCLOUD_VERBS = {"create": "create", "update": "update", "get": "describe", "list": "list", "delete": "delete"}


def kind_of(key: str) -> Kind:
    try:
        return KINDS[key]
    except KeyError:
        raise ComposerApiInputError(
            f"kind {key!r} is not a user-workloads kind; use 'secret' or 'config_map'"
        ) from None


def gcloud_command(kind: Kind, verb: str, environment: str, location: str, project: str, name: str = "") -> str:
    """The gcloud line that does the same; create/update take a YAML file, which the user writes (no values here)."""
    words = ["gcloud composer environments", kind.gcloud_group, GCLOUD_VERBS[verb]]
    if verb in ("create", "update"):
        words.append(f"{kind.gcloud_file_flag}={name or kind.key.replace('_', '-')}.yaml")
    elif name:
        words.append(name)
    words += [f"--environment={environment}", f"--location={location}", f"--project={project}"]
    return " ".join(words)
