"""``composer-pod render DAG_FILE TASK_ID``: the pod KPO would submit, the pod Autopilot would run, and the diff.

Builds the pod offline (no cluster, no credentials) from the DAG file, before Jinja rendering, and shows what
GKE Autopilot and Cloud Composer would change: raised requests, limits set to requests, Composer 3's namespace.
"""

from __future__ import annotations

import argparse
from typing import Any, List, Optional, Tuple

from airflow_provider_composer_pod.cli.rule_arguments import add_rule_arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dag_file", metavar="DAG_FILE", help="a Python file that defines the DAG")
    parser.add_argument("task_id", metavar="TASK_ID", help="the KubernetesPodOperator or ComposerPodOperator task")
    parser.add_argument(
        "--map-index", type=int, help="for a mapped task (.partial().expand()): which map index (default: 0)"
    )
    add_rule_arguments(parser, subject="the pod")
    parser.add_argument("--no-color", action="store_true", help="plain text, no colours")


def run(args: argparse.Namespace) -> int:
    import difflib

    from rich.console import Console

    from airflow_provider_composer_pod.validation.dags import (
        DEFAULT_GENERATION,
        NOT_COMPOSER,
        build_pod,
        load_pod_tasks,
        pod_yaml,
        resolve_generation,
    )
    from airflow_provider_composer_pod.validation.validate import effective_pod, validate_pod

    console = Console(no_color=args.no_color, highlight=False, soft_wrap=True)
    err = Console(stderr=True, no_color=args.no_color, highlight=False, soft_wrap=True)
    loaded = load_pod_tasks(args.dag_file)
    matches = [pod_task for pod_task in loaded.tasks if pod_task.task_id == args.task_id]
    if not matches:
        for path, message in loaded.import_errors.items():
            err.print(f"[red]import error[/red] in {path}:\n{message}", markup=not args.no_color)
        known = ", ".join(sorted({pod_task.task_id for pod_task in loaded.tasks})) or "none"
        err.print(f"no pod task {args.task_id!r} in {args.dag_file} (pod tasks: {known})", markup=False)
        return 2
    pod_task, problem = _choose(matches, args.map_index)
    if pod_task is None:
        err.print(problem, markup=False)
        return 2
    task, dag_id = pod_task.task, pod_task.dag_id
    generation, origin = resolve_generation(args.generation)
    if generation is None:
        generation, origin = DEFAULT_GENERATION, f"{NOT_COMPOSER}: shown as Composer {DEFAULT_GENERATION}"
    if pod_task.error is not None:
        err.print(f"task {task.task_id} fails at DAG parse: {pod_task.error}", markup=False)
    try:
        pod = build_pod(task)
    except Exception as error:  # shown as a line, not a traceback: `validate` reports it as a finding too
        err.print(f"task {args.task_id}: no pod can be built: {type(error).__name__}: {error}", markup=False)
        return 2
    effective = effective_pod(pod, generation, args.compute_class, pod_bursting=args.pod_bursting)
    submitted_text, effective_text = pod_yaml(pod), pod_yaml(effective)
    where = f"Composer {generation} ({origin})"
    if args.compute_class:
        where += f", compute class {args.compute_class}"

    _heading(console, f"# Pod as KubernetesPodOperator submits it: DAG {dag_id}, task {task.task_id}{problem}")
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


def _choose(matches: List[Any], map_index: Optional[int]) -> Tuple[Optional[Any], str]:
    """The pod task to show and a note for the heading, or None and why not."""
    first = matches[0]
    if not first.mapped:
        if map_index is not None:
            return None, f"task {first.task_id} is not mapped; leave out --map-index"
        return first, ""
    if first.map_count is None:
        return first, " (mapped over values known at run time only: its partial arguments)"
    index = 0 if map_index is None else map_index
    chosen = next((pod_task for pod_task in matches if pod_task.map_index == index), None)
    if chosen is None:
        return None, (
            f"task {first.task_id} is mapped over {first.map_count} value(s): --map-index={index} is not one of "
            f"0..{first.map_count - 1}; pass one of those"
        )
    return chosen, f" (map index {index} of 0..{first.map_count - 1}; choose another with --map-index)"


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
