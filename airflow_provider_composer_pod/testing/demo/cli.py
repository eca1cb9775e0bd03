"""``composer-pod demo``: run a folder of DAGs (the guide's examples) on the Kubernetes API emulator.

Everything is real but the cluster: a throwaway Airflow home with its SQLite database, ``airflow dags test`` for each
DAG in its own process, the real KubernetesPodOperator and kubernetes client over HTTP. The emulator stands in for
GKE; it pulls no images (see airflow_provider_composer_pod.testing).

Without ``--dags`` it runs ``./example_dags`` (a checkout of the repository, ``make demo``), else the copy of the
repository's example DAGs the wheel carries in this package (``example_dags/`` next to this module: pyproject's
force-include; a source checkout has none here).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional, Tuple

from airflow_provider_composer_pod.wording import counted

# The folder ``composer-pod demo`` runs without --dags: in the working directory, else the wheel's copy.
LOCAL_DAGS = "example_dags"
PACKAGED_DAGS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "example_dags")
# Simulated start-up, so the summary's phase timings show what a Composer task waits for.
_STARTUP = {"schedule_delay": 1.5, "pull_delay": 2.0, "start_delay": 0.3}
_FINISHED = re.compile(r"DagRun Finished: .*?state=(\w+)|dag run .* (success|failed)", re.IGNORECASE)
# What the demo shows of a task's log: the pod's own lines, where the config came from, the startup story
# (startup_wait="defer"), and failures.
_SHOWN = re.compile(r"\[[\w-]+\] |Kubernetes config:|Task failed|exited with code|Pod startup:")
# Airflow 3 (structlog): "<time> [info     ] message [logger] loc=file:line";
# Airflow 2: "[<time>] {file:line} INFO - message".
_MESSAGE = re.compile(r"^(?:\S+ \[\w+\s*\] |\[[^\]]+\] \{[^}]+\} \w+ - )(?P<message>.*?)(?: +\[[\w.]+\] loc=\S+)?$")
# The last line of a traceback: "airflow.sdk.exceptions.AirflowException: container base exited with code 3 ...".
_RAISED = re.compile(r"^(?P<type>[A-Za-z_][\w.]*): (?P<message>\S.*)$")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dags",
        metavar="FOLDER",
        help="folder of DAG files to run (default: ./example_dags when it exists, else the example DAGs installed "
        "with this package)",
    )
    parser.add_argument("--dag-id", action="append", default=[], help="run only these DAG ids (repeatable)")
    parser.add_argument("--keep-home", action="store_true", help="keep the temporary AIRFLOW_HOME for inspection")


def dags_folder(given: Optional[str], packaged: str = PACKAGED_DAGS) -> Tuple[Optional[str], str]:
    """The folder to run and, when there is none, why: ``--dags`` as given, else ./example_dags, else ``packaged``."""
    if given is not None:
        if os.path.isdir(given):
            return given, ""
        return None, f"composer-pod demo: no such folder: {given}"
    for candidate in (LOCAL_DAGS, packaged):
        if os.path.isdir(candidate):
            return candidate, ""
    return None, (
        "composer-pod demo: no ./example_dags here and none installed with the package; "
        "name a folder of DAG files with --dags FOLDER"
    )


def _airflow(args: List[str], env: Dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "airflow", *args], env=env, capture_output=True, text=True, check=False, timeout=600
    )


def _dag_ids(folder: str) -> List[str]:
    pattern = re.compile(r"dag_id=[\"']([^\"']+)[\"']")
    found: List[str] = []
    for name in sorted(os.listdir(folder)):
        if name.endswith(".py"):
            with open(os.path.join(folder, name)) as source:
                found.extend(pattern.findall(source.read()))
    return found


def failure_reason(output: str) -> Optional[str]:
    """Why the task failed, from ``airflow dags test``'s output: the first line of the last traceback's exception
    ("Task failed with exception" is logged before the traceback, which ends with the exception and its message)."""
    reason, in_traceback = None, False
    for line in output.splitlines():
        if line.startswith("Traceback (most recent call last):"):
            in_traceback = True
        elif in_traceback and line and not line[0].isspace():
            match = _RAISED.match(line)
            if match:
                reason = f"{match.group('type').rpartition('.')[2]}: {match.group('message')}"
            in_traceback = False
    return reason


def _shorten(message: str, limit: int = 200) -> str:
    return (
        message
        if len(message) <= limit
        else f"{message[:limit]}... ({counted(len(message) - limit, 'more character')})"
    )


def _seconds(start: Optional[str], end: Optional[str]) -> Optional[float]:
    if not start or not end:
        return None
    parse = datetime.datetime.fromisoformat
    return (parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))).total_seconds()


def _phases(emulator: Any, pod_name: str, created: Optional[str]) -> str:
    """'scheduled 1.5 s, pulled 2.0 s, started 3.9 s' from the pod's events, relative to its creation."""
    first: Dict[str, str] = {}
    for event in emulator.events(namespace=None, involved_name=pod_name):
        stamp = event.get("eventTime") or event.get("firstTimestamp")
        first.setdefault(event["reason"], stamp)
    steps = [("scheduled", "Scheduled"), ("pulled", "Pulled"), ("started", "Started")]
    # The kubelet's events carry whole seconds, as on a real cluster.
    parts = [f"{label} {_seconds(created, first[reason]):.0f} s" for label, reason in steps if reason in first]
    return ", ".join(parts) or "-"


def _created_pods(emulator: Any, dag_id: str) -> List[Tuple[str, str, Optional[str]]]:
    pods: List[Tuple[str, str, Optional[str]]] = []
    for record in emulator.requests(method="POST"):
        body = record.body or {}
        labels = (body.get("metadata") or {}).get("labels") or {}
        if record.path.endswith("/pods") and labels.get("dag_id") == dag_id and record.status == 201:
            stamp = datetime.datetime.fromtimestamp(record.time, datetime.timezone.utc).isoformat()
            pods.append((labels.get("task_id", "?"), body["metadata"]["name"], stamp))
    return pods


def run(args: Any) -> int:
    folder, problem = dags_folder(args.dags)
    if folder is None:
        print(problem, file=sys.stderr)
        return 2
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from airflow_provider_composer_pod.compat import DB_MIGRATE_COMMAND
    from airflow_provider_composer_pod.testing import KubernetesEmulator, PodScenario
    from airflow_provider_composer_pod.testing.harness.guide import NAMESPACE, prepare_guide_examples

    console = Console(width=max(150, shutil.get_terminal_size().columns))
    home = tempfile.mkdtemp(prefix="composer-pod-demo-")
    dags = os.path.join(home, "dags")
    shutil.copytree(folder, dags)
    dag_ids = args.dag_id or _dag_ids(dags)
    emulator = KubernetesEmulator(namespace=NAMESPACE).start()
    started = time.monotonic()
    try:
        prepare_guide_examples(emulator)
        emulator.add_scenario(PodScenario(**_STARTUP))
        env = {
            **os.environ,
            "AIRFLOW_HOME": home,
            "AIRFLOW__CORE__DAGS_FOLDER": dags,
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW_CONN_KUBERNETES_DEFAULT": (
                json.dumps({"conn_type": "kubernetes", "extra": {"kube_config_path": emulator.kubeconfig_path}})
            ),
            "AIRFLOW_VAR_MY_VALUE": "example_value",
        }
        console.print(f"[bold]Kubernetes API emulator[/] at {emulator.url} (a test double; no images are pulled)")
        console.print(f"DAG folder {os.path.abspath(folder)}", markup=False, highlight=False, soft_wrap=True)
        console.print(f"Airflow home {home}: creating the metadata database ...")
        migrate = _airflow(list(DB_MIGRATE_COMMAND), env)
        if migrate.returncode != 0:
            console.print(migrate.stdout[-3000:], migrate.stderr[-3000:], markup=False)
            return 1
        rows = []
        for dag_id in dag_ids:
            console.rule(f"[bold]airflow dags test {dag_id}")
            result = _airflow(["dags", "test", dag_id], env)
            output = result.stdout + result.stderr
            for line in output.splitlines():
                match = _MESSAGE.match(line)
                if match and _SHOWN.search(match.group("message")):
                    console.print(
                        "  " + _shorten(match.group("message")), markup=False, highlight=False, soft_wrap=True
                    )
            states = [m.group(1) or m.group(2) for m in _FINISHED.finditer(output)]
            state = (states[-1] if states else ("success" if result.returncode == 0 else "failed")).lower()
            reason = failure_reason(output) if state != "success" else None
            if reason:
                console.print("  Reason: " + _shorten(reason), markup=False, highlight=False, soft_wrap=True)
                state = f"{state}: {_shorten(reason, 100)}"
            pods = _created_pods(emulator, dag_id) or [("-", "-", None)]
            for task_id, pod_name, created in pods:
                phases = _phases(emulator, pod_name, created) if created else "-"
                rows.append((dag_id, task_id, pod_name, phases, state))
        table = Table(title=f"composer-pod demo ({time.monotonic() - started:.0f} s)")
        for column in ("DAG", "task", "pod", "phase timings (from creation)"):
            table.add_column(column, no_wrap=True)
        table.add_column("result")  # a failure's reason wraps
        for dag_id, task_id, pod_name, phases, state in rows:
            colour = "green" if state == "success" else "red"
            table.add_row(dag_id, task_id, pod_name, phases, Text(state, style=colour))
        console.print(table)
        return 0 if rows and all(row[-1] == "success" for row in rows) else 1
    finally:
        emulator.stop()
        if not args.keep_home:
            shutil.rmtree(home, ignore_errors=True)
