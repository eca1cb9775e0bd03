"""``composer-pod validate DAG_FOLDER``: check every pod task against Autopilot and Composer rules, offline.

Exit status: 0 when nothing would be rejected, 1 when a task has an error (or ``--strict`` and an adjustment) or a
DAG file fails to import. Values that are still Jinja templates are checked at run time, not here.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, Dict, List, Tuple

from airflow_provider_composer_pod.cli.rule_arguments import add_rule_arguments
from airflow_provider_composer_pod.wording import counted

_ORDER = {"error": 0, "adjusted": 1, "note": 2}
_STYLES = {"error": "bold red", "adjusted": "yellow", "note": "cyan"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dag_folder", metavar="DAG_FOLDER", help="a folder of DAG files (or one DAG file)")
    add_rule_arguments(parser, subject="every pod")
    parser.add_argument("--strict", action="store_true", help="treat what Autopilot would adjust as errors")
    parser.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    parser.add_argument("--no-color", action="store_true", help="plain text, no colours")


def collect(args: argparse.Namespace) -> Tuple[Dict[str, Any], List[Tuple[str, Any]]]:
    """Load the DAGs and check each pod task: (summary, [(dag_id, finding)])."""
    from airflow_provider_composer_pod.validation.dags import build_pod, load_pod_tasks, resolve_generation
    from airflow_provider_composer_pod.validation.validate import Finding, validate_pod

    generation, origin = resolve_generation(args.generation)
    loaded = load_pod_tasks(args.dag_folder)
    results: List[Tuple[str, Any]] = []
    for dag_id, task in loaded.tasks:
        try:
            pod = build_pod(task)
        except Exception as exc:  # a broken task must not hide the others' findings
            results.append((dag_id, Finding("error", task.task_id, "pod", "(not built)", str(exc), "", "fix the task")))
            continue
        findings = validate_pod(
            pod,
            task_id=task.task_id,
            generation=generation,
            compute_class=args.compute_class,
            strict=args.strict,
            pod_bursting=args.pod_bursting,
            defer_templates=True,  # not rendered here; the operator checks rendered values before creating the pod
        )
        results.extend((dag_id, finding) for finding in findings)
    results.sort(key=lambda item: _ORDER.get(item[1].level, 3))  # stable: DAG and task order within a level
    summary = {
        "generation": generation,
        "generation_from": origin,
        "compute_class": args.compute_class,
        "strict": bool(args.strict),
        "dags": loaded.dag_count,
        "tasks_checked": len(loaded.tasks),
        "import_errors": loaded.import_errors,
    }
    return summary, results


def run(args: argparse.Namespace) -> int:
    summary, results = collect(args)
    failed = bool(summary["import_errors"]) or any(f.level == "error" for _, f in results)
    if args.format == "json":
        document = dict(summary, findings=[dict(f.as_dict(), dag_id=dag_id) for dag_id, f in results])
        print(json.dumps(document, indent=2, sort_keys=False))
        return 1 if failed else 0
    from rich.console import Console

    console = Console(no_color=args.no_color, highlight=False)
    where = f"Composer {summary['generation']}"
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
        f"{counted(counts['error'], 'error')}, {counts['adjusted']} adjusted, {counted(counts['note'], 'note')} in "
        f"{counted(summary['tasks_checked'], 'pod task')}; {counted(len(summary['import_errors']), 'import error')}.",
        style="bold red" if failed else "bold",
        markup=False,
    )
    return 1 if failed else 0


def _table(results: List[Tuple[str, Any]], where: str) -> Any:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"Pod tasks checked for {where}", show_lines=True)
    for column in ("Level", "DAG / task", "Field", "Value", "Rule", "Fix", "Source"):
        table.add_column(column, overflow="fold")
    for dag_id, finding in results:
        rule = finding.rule + (f" (runs as {finding.effective})" if finding.effective is not None else "")
        table.add_row(
            Text(finding.level, style=_STYLES.get(finding.level, "")),
            Text(f"{dag_id} / {finding.task_id}"),
            Text(finding.field),
            Text(finding.value),
            Text(rule),
            Text(finding.fix),
            Text(finding.source),
        )
    return table
