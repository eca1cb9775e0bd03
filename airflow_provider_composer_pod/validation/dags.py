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
from airflow_provider_composer_pod.validation.mapped import is_mapped_pod_task, literal_expansions, unmapped

DEFAULT_GENERATION = 3
"""What ``render`` shows, and ``validate`` warns about, outside Composer when ``--generation`` is not given."""
NOT_COMPOSER = "not Composer"


@dataclass
class PodTask:
    """One pod task to check: a plain task, one map index of a mapped task, or a mapped task's partial arguments."""

    dag_id: str
    task: Any
    """The operator that runs (for a map index: the unmapped one); the MappedOperator itself when it would not build."""
    file: str = ""
    """The DAG's file, relative to the folder given (or the file's own folder)."""
    map_index: Optional[int] = None
    """The map index, or None for a task that is not mapped or whose expansion is known at run time only."""
    map_count: Optional[int] = None
    """How many map indexes literal expansions give; None for a task that is not mapped over literals."""
    mapped: bool = False
    error: Optional[BaseException] = None
    """What constructing the task raised (recorded, not raised, so the file's other tasks are checked too)."""

    @property
    def task_id(self) -> str:
        return str(self.task.task_id)


@dataclass
class LoadedDags:
    """The pod tasks found in a file or folder, and the files that failed to import."""

    tasks: List[PodTask] = field(default_factory=list)
    """Every KubernetesPodOperator, ComposerPodOperator included, and each map index of mapped ones, in DAG order."""
    dag_count: int = 0
    import_errors: Dict[str, str] = field(default_factory=dict)


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Everything written to stdout goes to stderr, even by a log handler that kept the original stream.

    Airflow's structured logger writes to file descriptor 1 directly, so redirecting ``sys.stdout`` is not enough
    for ``validate --format json``, whose stdout must hold only the JSON document.
    """
    sys.stdout.flush()
    saved: Optional[int] = None
    try:
        saved = os.dup(1)
        os.dup2(2, 1)
    except OSError:  # no file descriptors to redirect (an embedded interpreter): sys.stdout alone
        saved = None
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        if saved is not None:
            for stream in (sys.stdout, sys.__stdout__):
                with contextlib.suppress(Exception):
                    stream.flush()  # type: ignore[union-attr]
            os.dup2(saved, 1)
            os.close(saved)


def _dag_bag(path: str) -> Any:
    from airflow_provider_composer_pod.compat import dag_bag

    return dag_bag(path, safe_mode=False, load_op_links=False)


def load_pod_tasks(path: str) -> LoadedDags:
    """Every pod task defined in ``path`` (a DAG file or a folder), with what constructing each one raised."""
    from airflow_provider_composer_pod.compat import KubernetesPodOperator
    from airflow_provider_composer_pod.validation.literals import collecting_literal_errors

    root = os.path.abspath(path)
    root = root if os.path.isdir(root) else os.path.dirname(root)
    with quiet_stdout(), collecting_literal_errors() as errors:
        bag = _dag_bag(os.path.abspath(path))
        loaded = LoadedDags(dag_count=len(bag.dags), import_errors=dict(bag.import_errors))
        for dag_id in sorted(bag.dags):
            dag = bag.dags[dag_id]
            file = os.path.relpath(str(getattr(dag, "fileloc", "") or root), root)
            for task in dag.tasks:
                if isinstance(task, KubernetesPodOperator):
                    pod_task = PodTask(dag_id, task, file=file)
                    loaded.tasks.append(pod_task)
                elif is_mapped_pod_task(task, KubernetesPodOperator):
                    loaded.tasks.extend(_map_indexes(dag_id, task, file))
        for pod_task in loaded.tasks:
            pod_task.error = pod_task.error or errors.get(id(pod_task.task))
    return loaded


def _map_indexes(dag_id: str, task: Any, file: str) -> List[PodTask]:
    expansions = literal_expansions(task)
    count = None if expansions is None else len(expansions)
    tasks = []
    for index, expanded in enumerate([{}] if expansions is None else expansions):
        pod_task = PodTask(dag_id, task, file, None if expansions is None else index, count, mapped=True)
        try:
            pod_task.task = unmapped(task, expanded)
        except Exception as error:  # a bad expansion must not hide the other map indexes
            pod_task.error = error
        tasks.append(pod_task)
    return tasks


def build_pod(task: Any) -> Any:
    """The pod KPO would submit, before rendering, without a cluster; the random name suffix is left off."""
    from airflow_provider_composer_pod.compat import build_pod_offline

    task.random_name_suffix = False  # a stable name makes the output comparable from run to run
    with quiet_stdout():
        return build_pod_offline(task)


def resolve_generation(requested: Optional[int]) -> Tuple[Optional[int], str]:
    """The generation to check against, and where it came from (for the output's header); None outside Composer."""
    if requested is not None:
        return requested, "--generation"
    detected = detect_environment().generation
    if detected is not None:
        return detected, "this environment"
    return None, NOT_COMPOSER


def pod_to_dict(pod: Any) -> Dict[str, Any]:
    """The pod as the API server would receive it: camelCase keys, no empty fields."""
    if isinstance(pod, dict):
        return pod
    from kubernetes.client import ApiClient

    return ApiClient().sanitize_for_serialization(pod)


def pod_yaml(pod: Any) -> str:
    import yaml

    return yaml.safe_dump(pod_to_dict(pod), sort_keys=False, default_flow_style=False)
