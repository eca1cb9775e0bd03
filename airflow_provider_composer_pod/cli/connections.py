"""The connection as the command line reads it, and ``composer-pod connection test CONN_ID``.

A task reads connections through Airflow's Task SDK; outside a task, on Airflow 3, that finds only ``AIRFLOW_CONN_*``
variables and secrets backends, never the metadata database. The commands read them as ``airflow connections get``
does, on every Airflow version.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

DEFAULT_CONN_ID = "kubernetes_default"


def cli_hook(conn_id: str) -> Any:
    """A ComposerPodHook for ``conn_id`` that reads the connection as Airflow's own CLI does."""
    from airflow_provider_composer_pod.compat import connection_from_secrets
    from airflow_provider_composer_pod.hooks.composer_pod import ComposerPodHook

    hook = ComposerPodHook(conn_id=conn_id)
    hook.composer_connection.read_connection = connection_from_secrets
    return hook


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    test = actions.add_parser("test", help="reach the cluster through a connection and say what works or what to fix")
    test.add_argument("conn_id", metavar="CONN_ID", nargs="?", default=DEFAULT_CONN_ID, help="default: %(default)s")


def run(args: argparse.Namespace) -> int:
    """``composer-pod connection test``: the Test button's answer, success included (Airflow prints only its own)."""
    from airflow_provider_composer_pod.validation.dags import quiet_stdout

    try:
        with quiet_stdout():  # Airflow's logs to stderr; stdout holds the answer
            ok, message = cli_hook(args.conn_id).test_connection()
    except Exception as error:  # a connection that cannot be read is an answer too
        ok, message = False, f"{type(error).__name__}: {error}"
    print(message, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1
