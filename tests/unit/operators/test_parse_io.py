"""What a DAG parse costs us in I/O, seen by an audit hook in a fresh interpreter (Composer re-parses every DAG file
every 30 s): importing the package and constructing tasks read no file but our modules' code, list no directory
outside the package (a distribution-metadata scan would), open no socket, and read each rule table at most once per
process, and only for a task whose literal arguments the rules must check."""

from __future__ import annotations

import json
import subprocess
import sys

from airflow_provider_composer_pod.compat import KubernetesPodOperator

# Runs in a fresh interpreter: KPO and a DAG of it are built first (their I/O is theirs), then the hook records
# every file opened, directory listed and socket used while ours is imported and 20 tasks of each shape are built.
PROBE = r"""
import json, os, sys
from datetime import datetime

from airflow import DAG
from KPO_MODULE import KubernetesPodOperator
from kubernetes.client import models as k8s

events = []
WATCHED = ("open", "os.listdir", "os.scandir", "socket.connect", "socket.getaddrinfo")


def audit(event, args):
    if event in WATCHED:
        target = args[0] if args else None
        events.append([event, os.fsdecode(target) if isinstance(target, (str, bytes, os.PathLike)) else repr(target)])


with DAG(dag_id="warm_up", start_date=datetime(2024, 1, 1), schedule=None):  # Airflow's own lazy imports
    KubernetesPodOperator(task_id="kpo", name="kpo", image="ubuntu", container_resources=k8s.V1ResourceRequirements())
sys.addaudithook(audit)
import airflow_provider_composer_pod
from airflow_provider_composer_pod import ComposerPodOperator

imported = len(events)
resources = k8s.V1ResourceRequirements(requests={"cpu": "1", "memory": "4Gi"}, limits={"cpu": "1", "memory": "4Gi"})
with DAG(dag_id="parse_io", start_date=datetime(2024, 1, 1), schedule=None):
    for i in range(20):
        ComposerPodOperator(task_id=f"plain-{i}", image="ubuntu", cmds=["echo"], arguments=["{{ ds }}"])
plain = len(events)
with DAG(dag_id="parse_io_resources", start_date=datetime(2024, 1, 1), schedule=None):
    for i in range(20):
        ComposerPodOperator(task_id=f"sized-{i}", image="ubuntu", container_resources=resources)
sys.stdout.write(json.dumps({
    "package": os.path.dirname(airflow_provider_composer_pod.__file__),
    "events": events, "imported": imported, "plain": plain, "path": [os.path.abspath(p or ".") for p in sys.path],
}))
"""


def _probe() -> dict:
    # KPO's module as the installed provider names it (``operators.kubernetes_pod`` on older ones).
    probe = PROBE.replace("KPO_MODULE", KubernetesPodOperator.__module__)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _ours(path: str, package: str) -> bool:
    return path == package or path.startswith(package + "/")


def _loaded_for_versions(path: str) -> bool:
    parts = path.split("/")
    return (
        "packaging" in parts
        or "slugify" in parts
        or ("cncf" in parts and parts[-1].split(".")[0] == "get_provider_info" and parts[-1].endswith((".py", ".pyc")))
    )


def test_import_and_construction_read_only_our_code():
    result = _probe()
    package, events = result["package"], result["events"]
    until_sized = events[: result["plain"]]

    # Import and tasks without ruled arguments: our modules' source or bytecode, and the import system's listing of
    # our own subpackages; nothing else (no rule table, no metadata, no kube config, no network). Three packages of
    # others are code we load where KPO has not: `packaging` (Airflow 2.6), the provider's own get_provider_info
    # where it has no __version__ (4.x, 5.x; in place of a distribution-metadata scan, which lists every sys.path
    # entry and reads METADATA files), and `slugify` for the pod name provider 4.x requires.
    unexpected = [
        (event, path)
        for event, path in until_sized
        if not (
            (_ours(path, package) or _loaded_for_versions(path)) and (event != "open" or path.endswith((".py", ".pyc")))
        )
    ]
    assert unexpected == []
    assert not [path for event, path in until_sized if event != "open" and path in result["path"]]
    assert not [path for _, path in until_sized if path.endswith(".yaml")]

    # Autopilot-checked resources: the rule tables, read on first use, once per process whatever the task count.
    sized = events[result["plain"] :]
    tables = [path for event, path in sized if event == "open" and path.endswith(".yaml")]
    assert tables
    assert len(tables) == len(set(tables)), tables
    assert all(_ours(path, package) for path in tables)
    assert [event for event, _ in sized if event.startswith("socket")] == []
