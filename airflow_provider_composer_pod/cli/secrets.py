"""``composer-pod secret render|apply`` and ``composer-pod config-map render|apply``.

``render`` prints the manifest that ``kubectl create secret generic`` (or ``create configmap``) would make, ready for
``kubectl apply -f`` on Composer 1 and 2 or for ``gcloud composer environments user-workloads-secrets create
--secret-file-path`` on Composer 3. ``apply`` creates or replaces the object through ``ComposerPodHook``.

Values given on the command line or read from files are written only to the rendered manifest (base64 for Secrets):
never to stderr, logs or error messages. Heavy imports (the hook, Airflow) wait until ``apply`` runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any, Callable, Dict, Optional, Tuple, cast

from airflow_provider_composer_pod.errors import ComposerPodInputError
from airflow_provider_composer_pod.workloads.manifest_sources import config_map_manifest, secret_manifest
from airflow_provider_composer_pod.workloads.manifests import Manifest, read_manifest

DEFAULT_CONN_ID = "kubernetes_default"

_KINDS: Dict[str, Tuple[str, Callable[..., Manifest], str]] = {
    "Secret": ("secret", secret_manifest, "create_or_replace_secret"),
    "ConfigMap": ("configmap", config_map_manifest, "create_or_replace_config_map"),
}


def _add_arguments(parser: argparse.ArgumentParser, kind: str) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    render = actions.add_parser("render", help=f"print the {kind} manifest (YAML) without contacting a cluster")
    apply = actions.add_parser("apply", help=f"create or replace the {kind} in the cluster")
    for sub in (render, apply):
        sub.add_argument("--name", help=f"the {kind}'s name (a DNS-1123 subdomain)")
        sub.add_argument("--namespace", help="the namespace; default: the manifest's, else the connection's")
        sub.add_argument(
            "--from-literal",
            dest="literals",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="a key and its value (repeatable)",
        )
        sub.add_argument(
            "--from-file",
            dest="files",
            action="append",
            default=[],
            metavar="[KEY=]PATH",
            help="a file's content under KEY, or under the file's name; a directory gives a key per file (repeatable)",
        )
        sub.add_argument(
            "--filename",
            help=f"a {kind} manifest (YAML) to check and normalise instead of --from-literal/--from-file",
        )
    render.add_argument("--output", metavar="PATH", help="write the YAML to PATH (mode 0600) instead of stdout")
    apply.add_argument(
        "--conn-id", default=DEFAULT_CONN_ID, help=f"the Kubernetes connection to use (default: {DEFAULT_CONN_ID})"
    )


def add_secret_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``composer-pod secret``."""
    _add_arguments(parser, "Secret")


def add_config_map_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``composer-pod config-map``."""
    _add_arguments(parser, "ConfigMap")


def build_manifest(args: argparse.Namespace, kind: str) -> Manifest:
    """The manifest the arguments describe: from ``--filename``, or from literals and files."""
    _, build, _ = _KINDS[kind]
    if args.filename:
        if args.literals or args.files:
            raise ComposerPodInputError(
                "--filename",
                args.filename,
                "a manifest file replaces --from-literal/--from-file",
                "use one or the other",
            )
        manifest = read_manifest(args.filename, kind=kind)
        overrides = {key: getattr(args, key) for key in ("name", "namespace") if getattr(args, key)}
        return cast(Manifest, dataclasses.replace(manifest, **overrides)) if overrides else manifest
    if not args.name:
        raise ComposerPodInputError("--name", args.name, f"a {kind} needs a name", "pass --name my-name")
    return build(
        args.name,
        args.literals,
        args.files,
        args.namespace,
        literal_parameter="--from-literal",
        file_parameter="--from-file",
    )


def _write(text: str, output: Optional[str]) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    from airflow_provider_composer_pod.workloads.objects import write_private

    write_private(output, text)


def _failure_reason(error: Exception) -> str:
    """Why the API call failed, without the request or response bodies (they may carry values)."""
    status = getattr(error, "status", None)
    if status is None:
        return f"{type(error).__name__}: {error}"
    message = ""
    try:
        message = json.loads(getattr(error, "body", None) or "{}").get("message", "")
    except (TypeError, ValueError, AttributeError):
        message = ""
    reason = getattr(error, "reason", "") or ""
    return " ".join(part for part in (f"HTTP {status}", str(reason), str(message)) if part)


def _apply(manifest: Manifest, conn_id: str, kind: str) -> int:
    from airflow_provider_composer_pod.cli.connections import cli_hook
    from airflow_provider_composer_pod.validation.dags import quiet_stdout

    resource, _, method_name = _KINDS[kind]
    try:
        with quiet_stdout():  # Airflow 3 logs to stdout; keep stdout for the result line
            hook = cli_hook(conn_id)
            method: Callable[[Manifest], Any] = getattr(hook, method_name)
            outcome = method(manifest)
    except Exception as error:
        print(f"error: applying {resource}/{manifest.name} failed: {_failure_reason(error)}", file=sys.stderr)
        return 1
    print(f"{resource}/{manifest.name} {outcome if isinstance(outcome, str) else 'applied'}")
    return 0


def _run(args: argparse.Namespace, kind: str) -> int:
    try:
        manifest = build_manifest(args, kind)
    except ComposerPodInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.action == "apply":
        return _apply(manifest, args.conn_id, kind)
    _write(manifest.to_yaml(), args.output)
    return 0


def run_secret(args: argparse.Namespace) -> int:
    """Run ``composer-pod secret render|apply``."""
    return _run(args, "Secret")


def run_config_map(args: argparse.Namespace) -> int:
    """Run ``composer-pod config-map render|apply``."""
    return _run(args, "ConfigMap")
