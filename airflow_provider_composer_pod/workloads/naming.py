"""Pod names for providers that require ``name`` (4.x): the newest provider's algorithm, so a DAG's pods are named
alike on every provider.

From 5.0 KubernetesPodOperator derives the name from ``task_id`` itself, and ComposerPodOperator leaves it to it.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from airflow_provider_composer_pod.compat import REQUIRES_POD_NAME

# cncf-kubernetes 7.0+ (POD_NAME_MAX_LENGTH): the Linux host name limit, so the name is also a valid DNS-1123 label.
POD_NAME_MAX_LENGTH = 63
# "-" and 8 random characters: what add_unique_suffix (10.x) and PodGenerator.make_unique_pod_id (4.x) append.
_SUFFIX_LENGTH = 9


def pod_name_from_task_id(task_id: str, *, random_suffix: bool = True) -> str:
    """cncf-kubernetes 10.x's ``create_unique_id(task_id=...)`` up to its random suffix, which provider 4.x adds.

    With ``random_suffix`` the name is cut where 10.x cuts it before the suffix, so that 4.x's suffix gives a name of
    the same form and length.
    """
    from slugify import slugify  # python-slugify, an Airflow dependency; only 4.x needs it, and only here

    name = slugify(task_id, lowercase=True)[:POD_NAME_MAX_LENGTH].strip(".-")
    if random_suffix:
        name = name[: POD_NAME_MAX_LENGTH - _SUFFIX_LENGTH].strip("-.")
    return name or "pod"  # a task id with nothing slugify keeps (10.x would send the invalid "-<suffix>")


_POD_SOURCES = ("pod_template_file", "pod_template_dict", "full_pod_spec")


def name_argument(task_id: str, name: Optional[str], kwargs: Dict[str, Any]) -> Optional[str]:
    """``name`` as given; where the provider requires one (4.x), the one the newest provider would derive."""
    if name is not None or not REQUIRES_POD_NAME or any(kwargs.get(k) for k in _POD_SOURCES):
        return name
    return pod_name_from_task_id(task_id, random_suffix=kwargs.get("random_name_suffix", True) is not False)
