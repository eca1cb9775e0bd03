"""``composer-pod validate DAG_FOLDER``: check every pod task against Autopilot and Composer rules, offline.

Exit status: 0 when nothing would be rejected, 1 when a task has an error (or ``--strict`` and an adjustment), 2 when
a DAG file fails to import or the arguments are wrong. Every task of every file is checked, each map index of a mapped
task over literal values too. Values that are still Jinja templates are checked at run time, not here. With
``--format json`` stdout holds only the JSON document (schema in docs/autopilot.md); Airflow's logs go to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Dict, List, Tuple

from airflow_provider_composer_pod.cli.rule_arguments import add_rule_arguments
from airflow_provider_composer_pod.wording import counted

_ORDER = {"error": 0, "warning": 1, "adjusted": 2, "note": 3}
_STYLES = {"error": "bold red", "warning": "magenta", "adjusted": "yellow", "note": "cyan"}
FINDINGS, IMPORT_ERRORS = 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dag_folder", metavar="DAG_FOLDER", help="a folder of DAG files (or one DAG file)")
    add_rule_arguments(parser, subject="every pod")
    parser.add_argument("--strict", action="store_true", help="treat what Autopilot would adjust as errors")
    parser.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    parser.add_argument("--no-color", action="store_true", help="plain text, no colours")


def collect(args: argparse.Namespace) -> Tuple[Dict[str, Any], List[Tuple[Any, Any]]]:
    """Load the DAGs and check each pod task: (summary, [(pod task, finding)])."""
    from airflow_provider_composer_pod.validation.dags import DEFAULT_GENERATION, load_pod_tasks, resolve_generation
    from airflow_provider_composer_pod.validation.task_findings import check_pod_task

    generation, origin = resolve_generation(args.generation)
    loaded = load_pod_tasks(args.dag_folder)
    results: List[Tuple[Any, Any]] = []
    for pod_task in loaded.tasks:
        findings = check_pod_task(
            pod_task,
            generation=generation,
            compute_class=args.compute_class,
            strict=args.strict,
            pod_bursting=args.pod_bursting,
            warn_for_generation=generation is None,
        )
        results.extend((pod_task, finding) for finding in findings)
    results.sort(key=lambda item: _ORDER.get(item[1].level, 9))  # stable: DAG and task order within a level
    summary = {
        "generation": generation,
        "generation_from": origin,
        "warnings_for_generation": DEFAULT_GENERATION if generation is None else None,
        "compute_class": args.compute_class,
        "strict": bool(args.strict),
        "dags": loaded.dag_count,
        "tasks_checked": len(loaded.tasks),
        "import_errors": loaded.import_errors,
    }
    return summary, results


def exit_code(summary: Dict[str, Any], results: List[Tuple[Any, Any]]) -> int:
    if summary["import_errors"]:
        return IMPORT_ERRORS
    return FINDINGS if any(finding.level == "error" for _, finding in results) else 0


def _where(pod_task: Any) -> str:
    if pod_task.map_index is not None:
        return f"{pod_task.dag_id} / {pod_task.task_id} [map index {pod_task.map_index}]"
    if pod_task.mapped:
        return f"{pod_task.dag_id} / {pod_task.task_id} [partial arguments]"
    return f"{pod_task.dag_id} / {pod_task.task_id}"


def run(args: argparse.Namespace) -> int:
    import os

    if not os.path.exists(args.dag_folder):
        print(f"composer-pod validate: no such file or folder: {args.dag_folder}", file=sys.stderr)
        return IMPORT_ERRORS
    summary, results = collect(args)
    code = exit_code(summary, results)
    if args.format == "json":
        findings = [
            dict(f.as_dict(), dag_id=t.dag_id, map_index=t.map_index, mapped=t.mapped, file=t.file) for t, f in results
        ]
        document = dict(summary, findings=findings, exit_code=code)
        print(json.dumps(document, indent=2, sort_keys=False))
        return code
    from rich.console import Console

    console = Console(no_color=args.no_color, highlight=False)
    where = (
        "no Composer generation (not Composer)"
        if summary["generation"] is None
        else f"Composer {summary['generation']}"
    )
    if summary["compute_class"]:
        where += ", compute class {}".format(summary["compute_class"])
    for path, message in sorted(summary["import_errors"].items()):
        console.print(f"import error in {path}:", style="bold red", markup=False)
        console.print(message.rstrip(), markup=False, soft_wrap=True)
    if not results and not summary["import_errors"]:
        console.print(
            f"OK: {counted(summary['tasks_checked'], 'pod task')} in {counted(summary['dags'], 'DAG')} checked for "
            f"{where}; no problems found.",
            style="bold green",
            markup=False,
        )
        return 0
    if results:
        console.print(_table(results, where))
    counts = {level: sum(1 for _, f in results if f.level == level) for level in _ORDER}
    console.print(
        f"{counted(counts['error'], 'error')}, {counted(counts['warning'], 'warning')}, {counts['adjusted']} adjusted, "
        f"{counted(counts['note'], 'note')} in {counted(summary['tasks_checked'], 'pod task')}; "
        f"{counted(len(summary['import_errors']), 'import error')}.",
        style="bold red" if code else "bold",
        markup=False,
    )
    return code


def _table(results: List[Tuple[Any, Any]], where: str) -> Any:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"Pod tasks checked for {where}", show_lines=True)
    for column in ("Level", "DAG / task", "Field", "Value", "Rule", "Fix", "Source"):
        table.add_column(column, overflow="fold")
    for pod_task, finding in results:
        rule = finding.rule + (f" (runs as {finding.effective})" if finding.effective is not None else "")
        table.add_row(
            Text(finding.level, style=_STYLES.get(finding.level, "")),
            Text(_where(pod_task)),
            Text(finding.field),
            Text(finding.value),
            Text(rule),
            Text(finding.fix),
            Text(finding.source),
        )
    return table
