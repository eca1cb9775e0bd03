"""Pytest plugin: one outcome per test id, written as JSON, so two runs can be compared test by test.

Junit XML would do, but it folds setup errors and teardown errors into the same element as the call, and loses
xfail; recording the reports directly keeps "error in setup" apart from "failed in call".
"""

from __future__ import annotations

import json

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--outcomes-json", default=None, help="write {test id: {outcome, message}} to this file")


class _Recorder:
    def __init__(self, path: str) -> None:
        self.path = path
        self.results: dict[str, dict[str, str]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        entry = self.results.setdefault(report.nodeid, {"outcome": "passed", "message": ""})
        outcome = _outcome(report)
        if outcome is None or entry["outcome"] in ("failed", "error"):
            return  # the first failure of a test is the one that explains it
        if outcome == "passed" and entry["outcome"] != "passed":
            return
        entry["outcome"] = outcome
        entry["message"] = _first_line(report)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.results[report.nodeid] = {"outcome": "error", "message": _first_line(report)}

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        with open(self.path, "w", encoding="utf-8") as handle:
            json.dump(self.results, handle, indent=1, sort_keys=True)


def _outcome(report) -> str | None:
    """The test's outcome as seen in this phase, or None when the phase says nothing new (a passing setup)."""
    if hasattr(report, "wasxfail"):
        return "xfailed" if report.skipped else "xpassed"
    if report.failed:
        return "failed" if report.when == "call" else "error"
    if report.skipped:
        return "skipped"
    return "passed" if report.when == "call" else None


def _first_line(report) -> str:
    """The line a reader wants first: the exception line, or the skip reason."""
    longrepr = report.longrepr
    if longrepr is None:
        return ""
    if isinstance(longrepr, tuple):  # skips: (path, line, reason)
        return str(longrepr[2]).strip()
    crash = getattr(longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(longrepr)
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:300]
    return ""


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--outcomes-json")
    if path:
        config.pluginmanager.register(_Recorder(path), "upstream-outcomes-recorder")
