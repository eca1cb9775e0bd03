"""``composer-pod``: one entry point; each sub-command lives in its own module and is imported only when chosen.

A sub-command module exposes an ``add_arguments(parser)`` and a ``run(args) -> int`` (named below) and keeps its
top-level imports light, so that ``composer-pod --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import List, NoReturn, Optional

from airflow_provider_composer_pod import __version__

# name -> (module, add-arguments function, run function, one-line help)
COMMANDS = {
    "demo": (
        "airflow_provider_composer_pod.testing.demo.cli",
        "add_arguments",
        "run",
        "run a folder of DAGs (the guide's examples) with airflow dags test on the Kubernetes API emulator",
    ),
    "emulator": (
        "airflow_provider_composer_pod.testing.harness.cli",
        "add_arguments",
        "run",
        "run the Kubernetes API emulator (a test double) and print the KUBECONFIG to use",
    ),
    "render": (
        "airflow_provider_composer_pod.cli.render",
        "add_arguments",
        "run",
        "show a task's pod as KPO submits it and as Autopilot and Composer run it",
    ),
    "validate": (
        "airflow_provider_composer_pod.cli.validate",
        "add_arguments",
        "run",
        "check every pod task in a DAG folder against Autopilot and Composer rules",
    ),
    "secret": (
        "airflow_provider_composer_pod.cli.secrets",
        "add_secret_arguments",
        "run_secret",
        "render or apply a Secret from literals and files (kubectl create secret generic, for Composer)",
    ),
    "connection": (
        "airflow_provider_composer_pod.cli.connections",
        "add_arguments",
        "run",
        "test a Kubernetes connection (read as `airflow connections get` reads it) and say what works or what to fix",
    ),
    "config-map": (
        "airflow_provider_composer_pod.cli.secrets",
        "add_config_map_arguments",
        "run_config_map",
        "render or apply a ConfigMap from literals and files",
    ),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse echoes unrecognised arguments, and a mistyped --from-literal would print a secret value.
        if message.startswith("unrecognized arguments"):
            message = "unrecognized arguments (not shown: they may hold secret values)"
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="composer-pod", description="Cloud Composer pod tools.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    for name, (module_name, add_name, run_name, help_text) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        module = importlib.import_module(module_name)
        getattr(module, add_name)(sub)
        sub.set_defaults(_run=getattr(module, run_name))
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args._run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
