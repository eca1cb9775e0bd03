"""Time to a clear failure for a pod whose Secret is missing: stock KubernetesPodOperator against ours, in one run.

Both run the same task, a pod with ``secrets=[Secret("env", "SQL_CONN", "airflow-secrets", "sql_alchemy_conn")]``
and the same ``startup_timeout_seconds``, against the Kubernetes emulator with no such Secret. Stock KPO creates the
pod, which waits in ``CreateContainerConfigError`` until the startup timeout; ComposerPodOperator's pre-flight reads
the Secret first and fails before any pod exists. Reported per run: wall time to the exception, its first line, and
whether a pod was created (POSTs the emulator received); then medians and the ratio stock / ours. Stock KPO polls
a pending pod every ``startup_check_interval_seconds`` (5 s by default, left as is on both sides) and starts the
startup clock only once it sees the pod scheduled, so it fails after about the timeout plus one or two polls.

The operators' ``execute(context)`` is called directly, with a minimal context: KPO reads only ``ti`` (its
dag_id/task_id/map_index/try_number for the pod's labels, ``xcom_push`` for pod_name/pod_namespace, ``start_date``),
``run_id`` and ``dag`` from it. A small stand-in ``ti`` is enough for that, and it keeps the timing free of
``dag.test()``'s database work, which would be the same on both sides. The order alternates between repeats.

Usage: .venv/bin/python bench/missing_secret.py [--repeat 3] [--startup-timeout 30]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any, List, Optional

from task_context import task_context  # bench/task_context.py, next to this script

NAMESPACE = "composer-user-workloads"


@dataclass
class Outcome:
    side: str
    seconds: float
    first_line: str
    cause: str
    pods_created: int


def _task(cls: type, task_id: str, startup_timeout: int) -> Any:
    from airflow.providers.cncf.kubernetes.secret import Secret

    return cls(
        task_id=task_id,
        name=task_id,
        namespace=NAMESPACE,
        image="bash",
        cmds=["bash", "-c", "echo $SQL_CONN"],
        secrets=[Secret("env", "SQL_CONN", "airflow-secrets", "sql_alchemy_conn")],
        startup_timeout_seconds=startup_timeout,
        kubernetes_conn_id="kubernetes_default",
        get_logs=True,
    )


def run_once(emulator: Any, side: str, cls: type, startup_timeout: int, index: int) -> Outcome:
    task_id = f"missing-secret-{'stock' if cls.__name__ == 'KubernetesPodOperator' else 'ours'}-{index}"
    context = task_context("bench_missing_secret", task_id, f"bench__{index}")
    task = _task(cls, task_id, startup_timeout)
    emulator.clear_requests()
    error: Optional[BaseException] = None
    start = time.perf_counter()
    try:
        task.execute(context)
    except Exception as caught:  # the failure is what we time
        error = caught
    seconds = time.perf_counter() - start
    created = [r for r in emulator.requests(method="POST") if r.path.endswith("/pods")]
    if error is None:
        return Outcome(side, seconds, "(no exception: the task succeeded?)", "", len(created))
    chained = error.__cause__ or error.__context__
    cause = _first_line(chained) if chained is not None else ""
    return Outcome(side, seconds, _first_line(error), cause, len(created))


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"


def _shorten(text: str, width: int = 110) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="runs per side (default 3)")
    parser.add_argument("--startup-timeout", type=int, default=30, help="startup_timeout_seconds of both tasks")
    args = parser.parse_args(argv)

    home = tempfile.mkdtemp(prefix="bench-missing-secret-airflow-home-")
    os.environ["AIRFLOW_HOME"] = home  # before Airflow is imported: nothing lands in ~/airflow
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")  # keep the table readable
    for name in ("KUBECONFIG", "COMPOSER_ENVIRONMENT", "COMPOSER_VERSION", "COMPOSER_POD_GENERATION"):
        os.environ.pop(name, None)
    try:
        from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator

        from airflow_provider_composer_pod import ComposerPodOperator
        from airflow_provider_composer_pod.testing import KubernetesEmulator

        with KubernetesEmulator(namespace=NAMESPACE) as emulator:
            extra = {"kube_config_path": emulator.kubeconfig_path, "namespace": NAMESPACE}
            os.environ["AIRFLOW_CONN_KUBERNETES_DEFAULT"] = json.dumps({"conn_type": "kubernetes", "extra": extra})
            sides = [("stock KPO", KubernetesPodOperator), ("ComposerPodOperator", ComposerPodOperator)]
            outcomes: List[Outcome] = []
            for index in range(args.repeat):
                for side, cls in sides if index % 2 == 0 else reversed(sides):
                    outcomes.append(run_once(emulator, side, cls, args.startup_timeout, index))
    finally:
        shutil.rmtree(home, ignore_errors=True)

    print(
        f"Python {sys.version.split()[0]}; missing Secret; startup_timeout_seconds={args.startup_timeout}; "
        f"{args.repeat} runs per side, interleaved"
    )
    print(f"{'side':<20} {'seconds':>8}  {'pods':>4}  first line of the exception")
    for outcome in outcomes:
        print(f"{outcome.side:<20} {outcome.seconds:8.2f}  {outcome.pods_created:>4}  {_shorten(outcome.first_line)}")
        if outcome.cause:
            print(f"{'':<36}caused by {_shorten(outcome.cause, 100)}")
    medians = {
        side: statistics.median(o.seconds for o in outcomes if o.side == side)
        for side in ("stock KPO", "ComposerPodOperator")
    }
    ratio = medians["stock KPO"] / medians["ComposerPodOperator"]
    print(
        f"median time to failure: stock KPO {medians['stock KPO']:.2f} s, "
        f"ComposerPodOperator {medians['ComposerPodOperator']:.2f} s; ratio stock / ours: {ratio:.1f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
