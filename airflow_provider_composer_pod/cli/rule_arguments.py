"""The command-line options that say which rules a pod is checked against (``render`` and ``validate``)."""

from __future__ import annotations

import argparse


def add_rule_arguments(parser: argparse.ArgumentParser, *, subject: str) -> None:
    """``--generation``, ``--compute-class`` and ``--pod-bursting``; ``subject`` is what the class applies to."""
    parser.add_argument(
        "--generation",
        type=int,
        choices=(1, 2, 3),
        help="Composer generation (default: the detected one; outside Composer, Composer 3 as warnings)",
    )
    parser.add_argument("--compute-class", help=f"check {subject} as if it asked for this compute class")
    parser.add_argument("--pod-bursting", action="store_true", help="the cluster supports Autopilot Pod bursting")
