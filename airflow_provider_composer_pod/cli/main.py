"""``composer-pod``: one entry point; each sub-command lives in its own module and is imported only when chosen.

A sub-command module exposes ``add_arguments(parser)`` and ``run(args) -> int`` and keeps its top-level imports light,
so that ``composer-pod --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import List, Optional

from airflow_provider_composer_pod import __version__

# name -> (module, one-line help)
COMMANDS = {
    "emulator": (
        "airflow_provider_composer_pod.testing.cli",
        "run the Kubernetes API emulator (a test double) and print the KUBECONFIG to use",
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="composer-pod", description="Cloud Composer pod tools.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    for name, (module_name, help_text) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        module = importlib.import_module(module_name)
        module.add_arguments(sub)
        sub.set_defaults(_run=module.run)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args._run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
