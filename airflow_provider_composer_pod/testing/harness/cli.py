"""``composer-pod emulator``: run the Kubernetes API emulator in the foreground for manual poking."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free port)")
    parser.add_argument("--kubeconfig", default=None, help="where to write the kubeconfig (default: a temp file)")
    parser.add_argument("--https", action="store_true", help="serve TLS with a throwaway CA")
    parser.add_argument(
        "--runtime",
        choices=("builtin", "host"),
        default="builtin",
        help="container runtime: built-in shell subset (default) or real host subprocesses",
    )
    parser.add_argument("--time-scale", type=float, default=1.0, help="multiplier for simulated durations")
    parser.add_argument("--namespace", default="default", help="namespace of the kubeconfig context")
    parser.add_argument("--no-auth", action="store_true", help="accept requests without a bearer token")
    parser.add_argument(
        "--no-guide",
        action="store_true",
        help="start empty: without the guide's Secrets and the perl scenario that run the example DAGs "
        "(as `composer-pod demo` prepares them)",
    )


def run(args: Any) -> int:
    """Start, print ``export KUBECONFIG=…``, and serve until SIGINT/SIGTERM."""
    from airflow_provider_composer_pod.testing.harness.emulator import KubernetesEmulator

    emulator = KubernetesEmulator(
        port=args.port,
        https=args.https,
        runtime=args.runtime,
        kubeconfig_path=args.kubeconfig,
        time_scale=getattr(args, "time_scale", 1.0),
        namespace=getattr(args, "namespace", "default"),
        token=None if getattr(args, "no_auth", False) else "auto",
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    emulator.start()
    try:
        if not getattr(args, "no_guide", False):
            from airflow_provider_composer_pod.testing.harness.guide import prepare_guide_examples

            sys.stderr.write(f"Prepared {prepare_guide_examples(emulator)} (--no-guide: none)\n")
        sys.stdout.write(f"export KUBECONFIG={emulator.kubeconfig_path}\n")
        sys.stdout.flush()
        sys.stderr.write(f"Kubernetes emulator serving {emulator.url}; Ctrl-C to stop\n")
        while not stop.wait(0.5):
            pass
    finally:
        emulator.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def main(argv: Any = None) -> int:
    parser = argparse.ArgumentParser(prog="composer-pod emulator", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
