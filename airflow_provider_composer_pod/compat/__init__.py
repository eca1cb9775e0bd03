"""The one module that knows which Airflow and cncf-kubernetes provider versions are installed.

Versions are read once, at import, from the packages' ``__version__`` (where the provider has none, 4.x and 5.x, from
its ``get_provider_info``; the distributions' metadata, a scan of every ``sys.path`` entry, only as a last resort), and
every import path or behaviour that differs between provider generations is chosen here from those versions, never by
trying an import and catching the failure. Nothing else in the package branches on versions: it imports the names below.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from importlib.metadata import version as _distribution_version
from typing import TYPE_CHECKING, Any, Optional

from kubernetes.client import models as k8s
from packaging.version import Version

from airflow_provider_composer_pod.compat.legacy import translate


def _installed(package: str, distribution: str) -> Version:
    # Importing the package costs nothing here: KubernetesPodOperator's import loads both.
    found = (
        getattr(importlib.import_module(package), "__version__", None)
        or _listed_version(package)
        or _distribution_version(distribution)
    )
    return Version(Version(found).base_version)


def _listed_version(package: str) -> Optional[str]:
    """A provider without ``__version__`` (cncf-kubernetes 4.x and 5.x) lists its releases, its own first, in its
    ``get_provider_info``: one module to load, where the distribution's metadata means scanning ``sys.path``."""
    if importlib.util.find_spec(package + ".get_provider_info") is None:
        return None
    versions = importlib.import_module(package + ".get_provider_info").get_provider_info().get("versions") or []
    return versions[0] if versions else None


AIRFLOW_VERSION = _installed("airflow", "apache-airflow")
PROVIDER_VERSION = _installed("airflow.providers.cncf.kubernetes", "apache-airflow-providers-cncf-kubernetes")

AIRFLOW_3 = AIRFLOW_VERSION >= Version("3.0.0")
# `airflow db migrate` arrived in Airflow 2.7; 2.6 has `db upgrade` (`composer-pod demo` makes its database with it).
DB_MIGRATE_COMMAND = ("db", "migrate") if AIRFLOW_VERSION >= Version("2.7.0") else ("db", "upgrade")


def _provider_at_least(version: str) -> bool:
    return PROVIDER_VERSION >= Version(version)


def _load(path: str) -> Any:
    module_name, _, attribute = path.rpartition(".")
    return getattr(importlib.import_module(module_name), attribute)


if TYPE_CHECKING:  # type checkers see the newest provider's classes
    from airflow.providers.cncf.kubernetes.hooks.kubernetes import KubernetesHook
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
    from airflow.providers.cncf.kubernetes.secret import Secret
else:
    # KubernetesPodOperator moved from operators.kubernetes_pod to operators.pod in 5.3.0 (the old one is gone in 10.0).
    KubernetesPodOperator = _load(
        "airflow.providers.cncf.kubernetes.operators.pod.KubernetesPodOperator"
        if _provider_at_least("5.3.0")
        else "airflow.providers.cncf.kubernetes.operators.kubernetes_pod.KubernetesPodOperator"
    )

    KubernetesHook = _load("airflow.providers.cncf.kubernetes.hooks.kubernetes.KubernetesHook")

# Loaded on first use (PEP 562): the trigger module is heavy, and only deferrable tasks and triggers need these; a DAG
# file that uses no Secret does not load KPO's Secret module either.
# KubernetesPodTrigger: none before 5.2.0, triggers.kubernetes_pod in 5.2.x, triggers.pod from 5.3.0.
# AsyncKubernetesHook (what KPO's trigger uses) exists from provider 5.2.0.
_LAZY = {
    "KubernetesPodTrigger": (
        None
        if not _provider_at_least("5.2.0")
        else "airflow.providers.cncf.kubernetes.triggers.pod.KubernetesPodTrigger"
        if _provider_at_least("5.3.0")
        else "airflow.providers.cncf.kubernetes.triggers.kubernetes_pod.KubernetesPodTrigger"
    ),
    "AsyncKubernetesHook": (
        "airflow.providers.cncf.kubernetes.hooks.kubernetes.AsyncKubernetesHook"
        if _provider_at_least("5.2.0")
        else None
    ),
    # Secret lived in Airflow core (airflow.kubernetes.secret) until provider 7.4.0; Airflow 3 has no airflow.kubernetes
    "Secret": (
        "airflow.providers.cncf.kubernetes.secret.Secret"
        if _provider_at_least("7.4.0")
        else "airflow.kubernetes.secret.Secret"
    ),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    path = _LAZY[name]
    value = None if path is None else _load(path)
    globals()[name] = value
    return value


def async_hook_config(extras: dict) -> dict:
    """Hand a resolved kube config file to the installed AsyncKubernetesHook the way it reads one.

    Provider 10.x reads ``kube_config_path`` from the extras; 5.2 to 6.x read only ``config_dict`` (or inline
    ``kube_config``), so there the file is read here, on the worker, and passed as a dict. ``extras`` is updated.
    """
    path = extras.get("kube_config_path")
    reads_path = '_get_field("kube_config_path")' in inspect.getsource(__getattr__("AsyncKubernetesHook")._load_config)
    if path is None or reads_path:
        return {}
    import yaml

    with open(path) as handle:
        config = yaml.safe_load(handle)
    del extras["kube_config_path"]
    return {"config_dict": config}


# From 10.5 KubernetesHook takes conn_id *or* kubernetes_conn_id (default "kubernetes_default"), so conn_id=None quietly
# meant kubernetes_default; before, None meant "no connection". Passing both keeps the older meaning everywhere.
_HOOK_TAKES_KUBERNETES_CONN_ID = "kubernetes_conn_id" in inspect.signature(KubernetesHook.__init__).parameters


def hook_connection_kwargs(conn_id: Any) -> dict:
    """Keyword arguments that make KubernetesHook use exactly ``conn_id`` (None: no connection) on every version."""
    if _HOOK_TAKES_KUBERNETES_CONN_ID:
        return {"conn_id": conn_id, "kubernetes_conn_id": conn_id}
    return {"conn_id": conn_id}


def dag_bag(dag_folder: str, **kwargs: Any) -> Any:
    """A DagBag of ``dag_folder`` alone (no Airflow examples), on every Airflow version."""
    # DagBag moved to airflow.dag_processing in Airflow 3; only Airflow 2's loads Airflow's own examples by default.
    moved = importlib.util.find_spec("airflow.dag_processing.dagbag") is not None
    cls = _load("airflow.dag_processing.dagbag.DagBag" if moved else "airflow.models.dagbag.DagBag")
    accepted = inspect.signature(cls.__init__).parameters
    if "include_examples" in accepted:
        kwargs.setdefault("include_examples", False)
    return cls(dag_folder, **{key: value for key, value in kwargs.items() if key in accepted})


def connection_from_secrets(conn_id: str) -> Any:
    """A connection as ``airflow connections get`` reads it (variables, secrets backends, metadata database); outside a
    task, Airflow 3's Task SDK (``BaseHook.get_connection``) skips the metadata database."""
    from airflow.models.connection import Connection

    return Connection.get_connection_from_secrets(conn_id)


def dag_test_date(dag: Any, when: Any) -> dict:
    """``dag.test()`` keywords that make its DAG run id depend on ``when`` alone, so two calls make the same run:
    ``execution_date`` on Airflow 2; ``logical_date`` and ``run_after`` (the run id's time) on Airflow 3."""
    parameters = inspect.signature(dag.test).parameters
    if "logical_date" not in parameters:
        return {"execution_date": when}
    return {"logical_date": when, **({"run_after": when} if "run_after" in parameters else {})}


def prepare_thread_for_execute() -> None:
    """Let an operator's ``execute`` run in a thread other than the one that imported Airflow.

    Airflow 2.10 and 2.11 keep the guard against nested ``execute`` calls (ExecutorSafeguard) in a thread-local that
    only the importing thread has, so ``execute`` in any other thread fails with AttributeError ('callers').
    """
    guard = getattr(importlib.import_module("airflow.models.baseoperator"), "ExecutorSafeguard", None)
    state = getattr(guard, "_sentinel", None)
    if state is not None and not hasattr(state, "callers"):
        state.callers = {}


MASKER_MODULE = "airflow.sdk.log" if AIRFLOW_3 else "airflow.utils.log.secrets_masker"

# Airflow 3 deprecates airflow.exceptions.AirflowSkipException in favour of the Task SDK's.
AirflowSkipException: Any = _load(
    "airflow.sdk.exceptions.AirflowSkipException" if AIRFLOW_3 else "airflow.exceptions.AirflowSkipException"
)


def _interruption_types() -> tuple:
    # Airflow 3: the Task SDK's; Airflow 2 has AirflowTaskTimeout, and AirflowTaskTerminated from 2.7 (2.6's SIGTERM
    # handler raises a plain AirflowException after on_kill).
    module = importlib.import_module("airflow.sdk.exceptions" if AIRFLOW_3 else "airflow.exceptions")
    names = ("AirflowTaskTimeout", "AirflowTaskTerminated")
    return tuple(getattr(module, name) for name in names if hasattr(module, name))


def task_interruption() -> Any:
    """The execution_timeout or kill Airflow is raising through ``execute`` right now (from a ``finally``), or None."""
    import sys

    error = sys.exc_info()[1]
    return error if error is not None and isinstance(error, _interruption_types()) else None


def task_timeout(message: str) -> BaseException:
    """Airflow's ``AirflowTaskTimeout`` (the Task SDK's on Airflow 3) with ``message``."""
    return _interruption_types()[0](message)


def task_terminated(message: str) -> BaseException:
    """Airflow's ``AirflowTaskTerminated`` (2.7+; before, the ``AirflowException`` 2.6's SIGTERM handler raises)."""
    return (_interruption_types()[1:] or (_load("airflow.exceptions.AirflowException"),))[0](message)


def mask_secret(value: Any) -> None:
    """Register a value with Airflow's secrets masker (imported on first use: it pulls in the logging stack), and
    mask this process's log records before they leave it (``compat.log_records``)."""
    from airflow_provider_composer_pod.compat.log_records import redact_task_log_records

    _load(f"{MASKER_MODULE}.mask_secret")(value)
    redact_task_log_records()


def redact(value: Any) -> Any:
    """What Airflow's secrets masker makes of ``value`` (registered secrets become ``***``)."""
    return _load(f"{MASKER_MODULE}.redact")(value)


def _accepted_arguments(cls: Any) -> frozenset:
    """Every named parameter of the ``__init__`` methods in ``cls``'s MRO (read from their code objects: a tenth of
    what ``inspect.signature`` costs at import, and the same names without ``*args`` and ``**kwargs``)."""
    names: set = set()
    for klass in cls.__mro__:
        init = vars(klass).get("__init__")
        code = getattr(inspect.unwrap(init), "__code__", None) if init is not None else None  # object's has none
        if code is not None:
            names.update(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
    return frozenset(names - {"self"})


KPO_ARGUMENTS = _accepted_arguments(KubernetesPodOperator)


# Provider 4.4 converts container_resources and keeps the result as k8s_resources; 5.0+ keep container_resources.
RESOURCES_ATTRIBUTE = "container_resources" if _provider_at_least("5.0.0") else "k8s_resources"

# Airflow 2.10+ resumes a task whose deferral failed through the operator's resume_execution; before, it fails the
# task itself and only pre_execute still runs.
RESUMES_IN_OPERATOR = hasattr(KubernetesPodOperator, "resume_execution")

# Labels KubernetesPodOperator sets on every pod itself (the task instance's, made label-safe by KPO, and its own
# markers), overwriting any the DAG gave under the same key: they are KPO's to keep valid, not the DAG's.
KPO_LABELS = frozenset(
    {
        "dag_id",
        "task_id",
        "run_id",
        "try_number",
        "map_index",
        "parent_dag_id",
        "execution_date",
        "kubernetes_pod_operator",
        "airflow_version",
        "airflow_kpo_in_cluster",
        "already_checked",
    }
)


def base_container_name(task: Any) -> str:
    """The main container's name: an argument from provider 5.2, the class's BASE_CONTAINER_NAME before."""
    return getattr(task, "base_container_name", None) or task.BASE_CONTAINER_NAME


# build_pod_request_obj(dry_run=True) (10.21+) builds a pod without asking the hook whether it runs in a cluster.
_BUILD_TAKES_DRY_RUN = "dry_run" in inspect.signature(KubernetesPodOperator.build_pod_request_obj).parameters


def build_pod_offline(task: Any) -> Any:
    """The pod a KubernetesPodOperator would submit, built without loading a kube config or contacting a cluster."""
    if _BUILD_TAKES_DRY_RUN:
        return task.build_pod_request_obj(None, dry_run=True)
    task.hook._is_in_cluster = False  # older providers ask the hook, which would load a kube config to answer
    return task.build_pod_request_obj(None)


# KPO's startup wait gives up with PodLaunchFailedException (every provider) or PodLaunchTimeoutException (8.x+).
_POD_MANAGER = importlib.import_module("airflow.providers.cncf.kubernetes.utils.pod_manager")
POD_LAUNCH_ERRORS: tuple = tuple(
    getattr(_POD_MANAGER, name)
    for name in ("PodLaunchFailedException", "PodLaunchTimeoutException")
    if hasattr(_POD_MANAGER, name)
)

# How often KPO's blocking startup wait looks at the pod: ours is 1 s, as providers 7.x had it (8.0 made it 5 s).
STARTUP_CHECK_DEFAULTS = (
    {"startup_check_interval_seconds": 1} if "startup_check_interval_seconds" in KPO_ARGUMENTS else {}
)

# Provider 4.x requires `name` unless a pod template or full_pod_spec names the pod; 5.0+ derive it from task_id.
REQUIRES_POD_NAME = not _provider_at_least("5.0.0")

_INSTALLED = str(PROVIDER_VERSION)


def translate_arguments(kwargs: dict) -> dict:
    """Legacy and newer KubernetesPodOperator arguments in the installed provider's words (see ``legacy``)."""
    return translate(kwargs, KPO_ARGUMENTS, _INSTALLED)


# --- Deferral (startup_wait="defer" and deferrable=True) ---------------------------------------------------------


def on_kill_action(task: Any) -> str:
    """What a killed task does to its pod: KPO's ``on_kill_action`` (10.15+); before it, KPO's on_kill always
    deleted the pod."""
    action = getattr(task, "on_kill_action", None) if "on_kill_action" in KPO_ARGUMENTS else None
    return str(getattr(action, "value", action) or "delete_pod")


def trigger_event_extras(trigger: Any) -> dict:
    """What a KubernetesPodTrigger adds to each event it fires: its ``trigger_kwargs`` (10.6+), else nothing."""
    return dict(getattr(trigger, "trigger_kwargs", None) or {})


def trigger_redeferred(trigger: Any) -> bool:
    """KubernetesPodTrigger resumed after a ``logging_interval`` re-deferral (its ``last_log_time``, 5.2+ when given):
    the pod has started already."""
    return getattr(trigger, "last_log_time", None) is not None


def termination_grace_period(obj: Any) -> Optional[int]:
    """``termination_grace_period`` of a KubernetesPodOperator or KubernetesPodTrigger, where the provider has it."""
    return getattr(obj, "termination_grace_period", None)


def is_deferrable(task: Any) -> bool:
    """``deferrable=True`` (KubernetesPodOperator 5.2+; older ones have no such argument)."""
    return bool(getattr(task, "deferrable", False))


# Also importable, loaded on first use: KubernetesPodTrigger and AsyncKubernetesHook (None where the provider has none).
__all__ = [
    "AIRFLOW_3",
    "AIRFLOW_VERSION",
    "AirflowSkipException",
    "PROVIDER_VERSION",
    "RESOURCES_ATTRIBUTE",
    "base_container_name",
    "async_hook_config",
    "build_pod_offline",
    "dag_bag",
    "dag_test_date",
    "prepare_thread_for_execute",
    "mask_secret",
    "redact",
    "task_interruption",
    "task_terminated",
    "KubernetesHook",
    "KubernetesPodOperator",
    "Secret",
    "hook_connection_kwargs",
    "on_kill_action",
    "translate_arguments",
    "trigger_event_extras",
    "k8s",
]
