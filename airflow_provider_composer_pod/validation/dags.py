"""Load DAG files and build each pod task's pod offline, for the ``render`` and ``validate`` commands.

No cluster is contacted: pods come from ``compat.build_pod_offline`` (KPO's ``dry_run`` where it exists), which
skips everything that needs kube credentials. Airflow prints its logs to stdout; while DAGs load and pods are built
they go to stderr, so that the commands' own output stays clean enough to pipe.
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Tuple

from airflow_provider_composer_pod.environment import detect_environment

DEFAULT_GENERATION = 3


@dataclass
class LoadedDags:
    """The pod tasks found in a file or folder, and the files that failed to import."""

    tasks: List[Tuple[str, Any]] = field(default_factory=list)
    """(dag_id, task) for every KubernetesPodOperator, ComposerPodOperator included, in DAG and task order."""
    dag_count: int = 0
    import_errors: Dict[str, str] = field(default_factory=dict)


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    with contextlib.redirect_stdout(sys.stderr):
        yield


def _dag_bag(path: str) -> Any:
    from airflow_provider_composer_pod.compat import dag_bag

    return dag_bag(path, safe_mode=False, load_op_links=False)


def load_pod_tasks(path: str) -> LoadedDags:
    """Every pod task defined in ``path`` (a DAG file or a folder)."""
    from airflow_provider_composer_pod.compat import KubernetesPodOperator

    with quiet_stdout():
        bag = _dag_bag(os.path.abspath(path))
    loaded = LoadedDags(dag_count=len(bag.dags), import_errors=dict(bag.import_errors))
    for dag_id in sorted(bag.dags):
        for task in bag.dags[dag_id].tasks:
            if isinstance(task, KubernetesPodOperator):
                loaded.tasks.append((dag_id, task))
    return loaded


def build_pod(task: Any) -> Any:
    """The pod KPO would submit, before rendering, without a cluster; the random name suffix is left off."""
    from airflow_provider_composer_pod.compat import build_pod_offline

    task.random_name_suffix = False  # a stable name makes the output comparable from run to run
    with quiet_stdout():
        return build_pod_offline(task)


def resolve_generation(requested: Optional[int]) -> Tuple[int, str]:
    """The generation to check against, and where it came from (for the output's header)."""
    if requested is not None:
        return requested, "--generation"
    detected = detect_environment().generation
    if detected is not None:
        return detected, "this environment"
    return DEFAULT_GENERATION, "default"


def pod_to_dict(pod: Any) -> Dict[str, Any]:
    """The pod as the API server would receive it: camelCase keys, no empty fields."""
    if isinstance(pod, dict):
        return pod
    from kubernetes.client import ApiClient

    return ApiClient().sanitize_for_serialization(pod)


def pod_yaml(pod: Any) -> str:
    import yaml

    return yaml.safe_dump(pod_to_dict(pod), sort_keys=False, default_flow_style=False)
