"""``composer-pod render DAG_FILE TASK_ID``: the pod KPO would submit, the pod Autopilot would run, and the diff.

Builds the pod offline (no cluster, no credentials) from the DAG file, before Jinja rendering, and shows what
GKE Autopilot and Cloud Composer would change: raised requests, limits set to requests, Composer 3's namespace.
"""

from __future__ import annotations

import argparse
from typing import Any, List

from airflow_provider_composer_pod.cli.rule_arguments import add_rule_arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dag_file", metavar="DAG_FILE", help="a Python file that defines the DAG")
    parser.add_argument("task_id", metavar="TASK_ID", help="the KubernetesPodOperator or ComposerPodOperator task")
    add_rule_arguments(parser, subject="the pod")
    parser.add_argument("--no-color", action="store_true", help="plain text, no colours")


def run(args: argparse.Namespace) -> int:
    import difflib

    from rich.console import Console

    from airflow_provider_composer_pod.validation.dags import (
        build_pod,
        load_pod_tasks,
        pod_yaml,
        resolve_generation,
    )
    from airflow_provider_composer_pod.validation.validate import effective_pod, validate_pod

    console = Console(no_color=args.no_color, highlight=False, soft_wrap=True)
    err = Console(stderr=True, no_color=args.no_color, highlight=False, soft_wrap=True)
    loaded = load_pod_tasks(args.dag_file)
    matches = [(dag_id, task) for dag_id, task in loaded.tasks if task.task_id == args.task_id]
    if not matches:
        for path, message in loaded.import_errors.items():
            err.print(f"[red]import error[/red] in {path}:\n{message}", markup=not args.no_color)
        known = ", ".join(sorted({task.task_id for _, task in loaded.tasks})) or "none"
        err.print(f"no pod task {args.task_id!r} in {args.dag_file} (pod tasks: {known})", markup=False)
        return 2
    dag_id, task = matches[0]
    generation, origin = resolve_generation(args.generation)
    pod = build_pod(task)
    effective = effective_pod(pod, generation, args.compute_class, pod_bursting=args.pod_bursting)
    submitted_text, effective_text = pod_yaml(pod), pod_yaml(effective)
    where = f"Composer {generation} ({origin})"
    if args.compute_class:
        where += f", compute class {args.compute_class}"

    _heading(console, f"# Pod as KubernetesPodOperator submits it: DAG {dag_id}, task {task.task_id}")
    _yaml(console, submitted_text, args.no_color)
    _heading(console, f"# Pod as it runs on {where}")
    _yaml(console, effective_text, args.no_color)
    _heading(console, "# Changes")
    diff = list(
        difflib.unified_diff(
            submitted_text.splitlines(), effective_text.splitlines(), "submitted", "runs", lineterm="", n=2
        )
    )
    _diff(console, diff or ["(none: the pod runs as submitted)"])
    findings = validate_pod(
        pod,
        task_id=task.task_id,
        generation=generation,
        compute_class=args.compute_class,
        pod_bursting=args.pod_bursting,
        defer_templates=True,
    )
    if findings:
        _heading(console, "# Findings")
        for finding in findings:
            console.print(f"{finding.level}: {finding.render()}", style=_STYLES.get(finding.level), markup=False)
    return 0  # a viewer: `composer-pod validate` is the gate that fails on errors


_STYLES = {"error": "bold red", "adjusted": "yellow", "note": "cyan"}


def _heading(console: Any, text: str) -> None:
    console.print(text, style="bold", markup=False)


def _yaml(console: Any, text: str, plain: bool) -> None:
    if plain:
        console.print(text.rstrip("\n"), markup=False)
        return
    from rich.syntax import Syntax

    console.print(Syntax(text.rstrip("\n"), "yaml", theme="ansi_dark", background_color="default"))


def _diff(console: Any, lines: List[str]) -> None:
    for line in lines:
        if line.startswith(("+++", "---")):
            style = "bold"
        elif line.startswith("@@"):
            style = "cyan"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        else:
            style = None
        console.print(line, style=style, markup=False)
