"""The browser lane (``make test-ui``): our connection form in real Airflow UIs, driven by Debian's headless Chromium.

It needs what only ``make test-ui`` installs (Debian's ``chromium``, Playwright from requirements/ui.txt, the Airflow 2
venv .ui/af2), so a plain ``pytest``, ``make test`` and the install matrix never collect it: the Makefile target opts
in with ``COMPOSER_POD_UI_TESTS=1``. Playwright only drives ``/usr/bin/chromium``; nothing here downloads a browser.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterator

import pytest

from airflow_provider_composer_pod.testing import KubernetesEmulator
from tests.browser import CHROMIUM, chromium_page
from tests.ui.servers import AirflowServer

if TYPE_CHECKING:
    from playwright.sync_api import Page

if os.environ.get("COMPOSER_POD_UI_TESTS") != "1":
    collect_ignore_glob = ["*"]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
AIRFLOW2_VENV = Path(os.environ.get("COMPOSER_POD_UI_AF2", str(ROOT / ".ui" / "af2")))
USER_NAMESPACE = "composer-user-workloads"


def pytest_report_header() -> str:
    if os.environ.get("COMPOSER_POD_UI_TESTS") == "1":
        return f"browser lane: {CHROMIUM}, Airflow 2 venv {AIRFLOW2_VENV}"
    return "browser lane: not collected without COMPOSER_POD_UI_TESTS=1 (run `make test-ui`)"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Screenshots, server logs and what the browser saw, kept after the run (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def ui_tmp() -> Iterator[Path]:
    """AIRFLOW_HOMEs and the kube config: a directory both the test process and the servers can read."""
    path = Path(tempfile.mkdtemp(prefix="composer-pod-ui-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def emulator(ui_tmp: Path) -> Iterator[KubernetesEmulator]:
    """The Kubernetes API emulator on a thread of this process, with one pod in Composer's user namespace.

    The servers' Test buttons reach it through the kube config file it writes.
    """
    emulator = KubernetesEmulator(kubeconfig_path=str(ui_tmp / "kubeconfig.yaml"), namespace=USER_NAMESPACE).start()
    emulator.create(
        "pods",
        {"metadata": {"name": "already-there"}, "spec": {"containers": [{"name": "base", "image": "busybox"}]}},
        namespace=USER_NAMESPACE,
    )
    yield emulator
    emulator.stop()


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed


@pytest.fixture
def page(request: pytest.FixtureRequest, tmp_path: Path, artifacts: Path) -> Iterator[Page]:
    """A fresh headless Chromium with a fresh profile for each test (closed before the servers stop).

    A failed test leaves ``<test>-failed.png`` and ``.html`` in the artifacts: the page as the browser had it.
    """
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)  # as long as actions may take: two cores shared with the servers
    with chromium_page(tmp_path / "chromium-profile", "make test-ui") as page:
        yield page
        if request.node.stash.get(_CALL_FAILED, False):
            failed = artifacts / f"{request.node.name}-failed"
            page.screenshot(path=f"{failed}.png", full_page=True)
            failed.with_suffix(".html").write_text(page.content())


def airflow3_server(name: str, ui_tmp: Path, artifacts: Path, patched: bool) -> AirflowServer:
    """``airflow api-server`` from this venv (the default pair), with SimpleAuthManager and every user an admin.

    ``patched`` runs it through airflow3_api_server.py, which applies the upstream Test-button fix if needed.
    """
    airflow = [sys.executable, str(Path(__file__).with_name("airflow3_api_server.py"))] if patched else []
    return AirflowServer(
        name=name,
        airflow=airflow or [str(Path(sys.executable).with_name("airflow"))],
        server_args=["api-server", "--workers", "1", "--worker-timeout", "10"],
        home=ui_tmp / name,
        env={
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
        },
        health_path="/api/v2/monitor/health",
        log_dir=artifacts,
    )


# Airflow 2's Flask-AppBuilder: anonymous visitors get the Admin role, so no login page.
_WEBSERVER_CONFIG = """\
from airflow.www.fab_security.manager import AUTH_DB

AUTH_TYPE = AUTH_DB
AUTH_ROLE_PUBLIC = "Admin"
"""


def airflow2_server(ui_tmp: Path, artifacts: Path) -> AirflowServer:
    """``airflow webserver`` (Flask, one gunicorn worker) from the Airflow 2.11 venv that ``make test-ui`` builds."""
    airflow = AIRFLOW2_VENV / "bin" / "airflow"
    if not airflow.exists():
        pytest.fail(f"{airflow} is missing: `make test-ui` builds the Airflow 2 venv from requirements/ui-af2.lock")
    home = ui_tmp / "airflow2"
    home.mkdir(parents=True, exist_ok=True)
    (home / "webserver_config.py").write_text(_WEBSERVER_CONFIG)
    return AirflowServer(
        name="airflow2",
        airflow=[str(airflow)],
        server_args=["webserver", "--workers", "1"],
        home=home,
        env={
            "AIRFLOW__WEBSERVER__CONFIG_FILE": str(home / "webserver_config.py"),
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
            # gunicorn 23+ opens a control socket under ~/.gunicorn; the lane needs none.
            "GUNICORN_CMD_ARGS": "--no-control-socket",
        },
        health_path="/health",
        log_dir=artifacts,
    )


def record_seen(artifacts: Path, name: str, seen: Dict[str, Any]) -> None:
    """Keep what the browser saw (labels, values, messages) next to the screenshots."""
    (artifacts / f"{name}.json").write_text(json.dumps(seen, indent=2, sort_keys=True) + "\n")
