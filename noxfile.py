"""Install matrix: one nox session per (Python, Airflow, cncf-kubernetes provider) cell.

Each cell
1. creates a fresh venv (uv, seeded with pip) and installs the cell's Airflow and provider pins plus the test
   dependencies, compiled to bytecode;
2. installs this package's wheel the way Cloud Composer's PyPI install does, with plain ``pip install`` into the
   already-installed environment, and checks that pip changed no package that was there before (no upgrade,
   downgrade or removal), from pip's ``--report`` and from ``pip list`` before and after;
3. runs the whole test suite against the installed wheel (not the source tree), offline as far as pip and uv are
   concerned, with ``AIRFLOW_HOME`` in a temporary directory (the development pair's cell runs the wheel's own
   checks only: `make test` runs the suite on those versions).

Results go to ``.matrix/<cell>/``: ``junit.xml``, ``cell.json`` (versions, install check, timings), the pip report and
the before/after package lists. ``.ci/compat_table.py`` turns them into docs/compatibility.md's table.

    nox -l                                   # list the cells
    nox -s "af2.11.2-k8.4.2-py3.11"          # run one
    nox -t matrix                            # run all of them
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import nox

ROOT = Path(__file__).resolve().parent
MATRIX_DIR = ROOT / ".matrix"
DISTRIBUTION = "airflow-provider-composer-pod"

nox.options.default_venv_backend = "uv"
nox.options.error_on_missing_interpreters = True
os.environ.setdefault("UV_PYTHON_DOWNLOADS", "never")

# What the test suite imports besides Airflow and the provider (kept in step with requirements/dev.in, minus the
# lint and type-check tools). kubernetes / kubernetes_asyncio are left to the provider's own bounds.
TEST_DEPS = [
    "pytest",
    "pytest-asyncio",
    "pytest-timeout",
    "hypothesis",
    "pyyaml",
    "aiohttp",
    "websockets",
    "rich",
    "jsonschema",
    "kubernetes",
    "kubernetes_asyncio",
    "flask-appbuilder",  # the connection-form test; Airflow 2 pins it itself, Airflow 3 does not ship it
]

# Airflow 2.6.3 no longer resolves unpinned: newer pendulum / flask-session / connexion releases break it, and the
# newest google-re2 is an sdist that does not build, so take its wheels only.
AIRFLOW_26_PINS = ["pendulum<3", "flask-session<0.6", "connexion[flask]<3"]
AIRFLOW_26_FLAGS = ["--only-binary", "google-re2"]
# cryptography 51 made its MultiFernet's attributes read-only, and Airflow 2.11.2's get_fernet sets one (AttributeError
# on every connection write: `airflow connections add`, `dags test`). Composer's Airflow 2 images ship the cryptography
# of their Airflow's constraints, from before 51; so does this cell (requirements/ui-af2.lock has 50.0.2).
AIRFLOW_211_PINS = ["cryptography<51"]


def _python(version: str) -> str:
    """The interpreter for ``version``: the pyenv build on the development machines, else whatever nox finds."""
    for candidate in sorted(Path("/root/.pyenv/versions").glob(f"{version}.*")):
        exe = candidate / "bin" / f"python{version}"
        if exe.exists():
            return str(exe)
    return version


KPO_FEATURES = "tests/integration/e2e/test_kpo_features.py"
# The Kubernetes and Composer API emulators and their contract tests import neither Airflow nor the provider: the
# Python 3.8 cells and the Python 3.13 cell run them (and `make test` on 3.11); the other cells would only repeat them.
STANDALONE = ["tests/emulator", "tests/composer_api"]

# The cell of the development pair runs what depends on being installed from the wheel (the provider entry point,
# the rules data, the guide's examples end to end); the rest of the suite is `make test`'s, on the same versions.
WHEEL_CHECKS = [
    "tests/unit/test_get_provider_info.py",
    "tests/unit/validation",
    "tests/integration/e2e/test_example_dags_e2e.py",
]
DEV_PAIR = "the whole suite runs in `make test` on this pair (requirements/dev.lock); here the installed wheel's checks"

CELLS: List[Dict[str, Any]] = [
    # Composer 1 / early Composer 2 images: Python 3.8, Airflow 2.6, the oldest provider we support...
    {"python": "3.8", "airflow": "2.6.3", "provider": "4.4.0", "pins": AIRFLOW_26_PINS, "flags": AIRFLOW_26_FLAGS},
    # ... and the last provider with the old module paths (operators.kubernetes_pod, triggers.kubernetes_pod).
    {"python": "3.8", "airflow": "2.6.3", "provider": "5.2.2", "pins": AIRFLOW_26_PINS, "flags": AIRFLOW_26_FLAGS},
    # The newest Airflow 2 across every provider generation.
    {"python": "3.11", "airflow": "2.11.2", "provider": "4.4.0", "pins": AIRFLOW_211_PINS, "ignore": STANDALONE},
    {"python": "3.11", "airflow": "2.11.2", "provider": "5.3.0", "pins": AIRFLOW_211_PINS, "ignore": STANDALONE},
    {"python": "3.11", "airflow": "2.11.2", "provider": "6.1.0", "pins": AIRFLOW_211_PINS, "ignore": STANDALONE},
    {"python": "3.11", "airflow": "2.11.2", "provider": "7.14.0", "pins": AIRFLOW_211_PINS, "ignore": STANDALONE},
    {"python": "3.11", "airflow": "2.11.2", "provider": "8.4.2", "pins": AIRFLOW_211_PINS, "ignore": STANDALONE},
    {"python": "3.11", "airflow": "2.11.2", "provider": "9.0.1", "pins": AIRFLOW_211_PINS, "ignore": STANDALONE},
    # every 10.x so far declares apache-airflow>=2.11
    {"python": "3.11", "airflow": "2.11.2", "provider": "10.25.0", "pins": AIRFLOW_211_PINS, "ignore": STANDALONE},
    # Airflow 3: the development pair, and the newer Pythons. `make test` runs the whole suite on this very pair
    # (requirements/dev.lock); here, the installed wheel's own checks only. The KPO feature tests (about 3 minutes of
    # worker processes) run in `make test` and on the Airflow 2 cell above; the newer Pythons would only repeat them.
    {"python": "3.11", "airflow": "3.3.2", "provider": "10.25.0", "tests": WHEEL_CHECKS, "suite": DEV_PAIR},
    {"python": "3.12", "airflow": "3.3.2", "provider": "10.25.0", "ignore": [KPO_FEATURES, *STANDALONE]},
    {"python": "3.13", "airflow": "3.3.2", "provider": "10.25.0", "ignore": [KPO_FEATURES]},
]


def cell_name(cell: Dict[str, Any]) -> str:
    return f"af{cell['airflow']}-k{cell['provider']}-py{cell['python']}"


_WHEEL: Optional[Path] = None


def _wheel(session: nox.Session) -> Path:
    """Build this package's wheel once per nox run (every cell installs the same file)."""
    global _WHEEL
    if _WHEEL is None or not _WHEEL.exists():
        out = Path(tempfile.mkdtemp(prefix="composer-pod-wheel-"))
        session.run("uv", "build", "--quiet", "--wheel", "--out-dir", str(out), str(ROOT), external=True)
        (_WHEEL,) = out.glob("*.whl")
    return _WHEEL


def _pip_list(session: nox.Session) -> Dict[str, str]:
    out = session.run("python", "-m", "pip", "list", "--format", "json", "--disable-pip-version-check", silent=True)
    return {_canonical(p["name"]): p["version"] for p in json.loads(str(out))}


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def compare_installs(before: Dict[str, str], after: Dict[str, str], report: Dict[str, Any]) -> Dict[str, Any]:
    """What the Composer-like install did to the packages that were already there.

    ``changed`` and ``removed`` fail the cell: Composer would have to replace a package it owns. ``added`` (a new
    dependency) is recorded but allowed.
    """
    ours = _canonical(DISTRIBUTION)
    changed = sorted(f"{n} {v} -> {after[n]}" for n, v in before.items() if n in after and after[n] != v)
    removed = sorted(f"{n} {v}" for n, v in before.items() if n not in after)
    added = sorted(f"{n} {v}" for n, v in after.items() if n not in before and n != ours)
    for item in report.get("install", []):
        meta = item.get("metadata", {})
        name, version = _canonical(meta.get("name", "")), meta.get("version", "")
        if name == ours:
            continue
        if name in before and before[name] != version:
            entry = f"{name} {before[name]} -> {version}"
            if entry not in changed:
                changed.append(entry)
        elif name not in before and f"{name} {version}" not in added:
            added.append(f"{name} {version}")
    return {"ok": not changed and not removed, "changed": changed, "removed": removed, "added": added}


def _versions(session: nox.Session) -> Dict[str, Optional[str]]:
    script = (
        "import json, platform\n"
        "from importlib.metadata import version, PackageNotFoundError\n"
        "def v(d):\n"
        "    try:\n"
        "        return version(d)\n"
        "    except PackageNotFoundError:\n"
        "        return None\n"
        "print(json.dumps({'python': platform.python_version(), 'airflow': v('apache-airflow'),"
        " 'provider': v('apache-airflow-providers-cncf-kubernetes'), 'kubernetes': v('kubernetes'),"
        " 'kubernetes_asyncio': v('kubernetes_asyncio'), 'pytest': v('pytest')}))\n"
    )
    return json.loads(str(session.run("python", "-c", script, silent=True)).strip().splitlines()[-1])


def _where_imported(session: nox.Session, cwd: Path) -> str:
    with session.chdir(str(cwd)):
        out = session.run("python", "-c", "import airflow_provider_composer_pod as m; print(m.__file__)", silent=True)
    return str(out).strip().splitlines()[-1]


_ISOLATION: Optional[bool] = None


def _network_isolation_available() -> bool:
    """Whether tests can run in a network namespace of their own (root, or unprivileged user namespaces).

    ``MATRIX_NETWORK=1`` turns the isolation off.
    """
    global _ISOLATION
    if _ISOLATION is None:
        _ISOLATION = False
        if os.environ.get("MATRIX_NETWORK") != "1" and shutil.which("unshare") and shutil.which("ip"):
            probe = ["unshare", "--net", "sh", "-c", "ip link set lo up"]
            _ISOLATION = subprocess.call(probe, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0
    return _ISOLATION


def _run_cell(session: nox.Session, cell: Dict[str, Any]) -> None:
    name = cell_name(cell)
    out_dir = MATRIX_DIR / name
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    record: Dict[str, Any] = {"cell": name, "requested": {k: cell[k] for k in ("python", "airflow", "provider")}}
    if cell.get("suite"):
        record["suite"] = cell["suite"]
    timings: Dict[str, float] = {}
    airflow_home = Path(tempfile.mkdtemp(prefix="composer-pod-matrix-airflow-home-"))
    env = {"AIRFLOW_HOME": str(airflow_home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    problems: List[str] = []
    try:
        # 1. The environment Composer would have: Airflow + provider (+ test tools), nothing of ours.
        started = time.monotonic()
        session.install(
            "--compile-bytecode",
            *cell.get("flags", []),
            f"apache-airflow=={cell['airflow']}",
            f"apache-airflow-providers-cncf-kubernetes=={cell['provider']}",
            *cell.get("pins", []),
            *TEST_DEPS,
            env=env,
        )
        timings["install_s"] = round(time.monotonic() - started, 1)
        record["versions"] = _versions(session)

        # 2. Composer-like install: plain pip, into the environment as it is.
        started = time.monotonic()
        wheel = _wheel(session)
        before = _pip_list(session)
        (out_dir / "pip-list-before.json").write_text(json.dumps(before, indent=1, sort_keys=True))
        report_path = out_dir / "pip-report.json"
        session.run(
            "python", "-m", "pip", "install", "--disable-pip-version-check", "--report", str(report_path),
            str(wheel), env=env, silent=True,
        )  # fmt: skip
        after = _pip_list(session)
        (out_dir / "pip-list-after.json").write_text(json.dumps(after, indent=1, sort_keys=True))
        check = compare_installs(before, after, json.loads(report_path.read_text()))
        check["wheel"] = wheel.name
        record["install_check"] = check
        timings["composer_install_s"] = round(time.monotonic() - started, 1)
        if not check["ok"]:
            problems.append(f"the Composer-like install changed installed packages: {check}")
        if check["added"]:
            session.warn(f"the Composer-like install added packages: {', '.join(check['added'])}")

        # 3. The whole suite against the installed wheel: the `pytest` script (not `python -m pytest`, which would
        # put the source tree on sys.path) with importlib import mode, so `airflow_provider_composer_pod` resolves
        # to site-packages. Nothing may be downloaded from here on: pip and uv are told so, and where the machine
        # allows it the suite runs in a network namespace that has only loopback.
        record["imported_from"] = _where_imported(session, airflow_home)
        test_env = dict(env, PIP_NO_INDEX="1", UV_OFFLINE="1", PYTHONDONTWRITEBYTECODE="1")
        started = time.monotonic()
        command = [
            str(Path(session.bin) / "pytest"), *cell.get("tests", ["tests"]), "--import-mode=importlib",
            f"--junitxml={out_dir / 'junit.xml'}", "-o", "junit_family=xunit2", "-p", "no:cacheprovider",
            *[f"--ignore={path}" for path in cell.get("ignore", [])],
            *session.posargs,
        ]  # fmt: skip
        isolated = _network_isolation_available()
        record["network_isolated"] = isolated
        if isolated:  # a network namespace with only loopback: a test that downloads fails instead
            command = ["unshare", "--net", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *command]
        session.log(" ".join(command))
        path = os.pathsep.join([session.bin, os.environ.get("PATH", "")])
        venv = {"PATH": path, "VIRTUAL_ENV": str(session.virtualenv.location)}
        code = subprocess.call(command, cwd=str(ROOT), env={**os.environ, **test_env, **venv})
        timings["tests_s"] = round(time.monotonic() - started, 1)
        record["pytest_exit"] = code
        if code != 0:
            problems.append(f"pytest exited with {code}")
    finally:
        record["timings"] = timings
        record["problems"] = problems
        (out_dir / "cell.json").write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
        shutil.rmtree(airflow_home, ignore_errors=True)
    if problems:
        session.error("; ".join(problems))


def _make_session(cell: Dict[str, Any]) -> None:
    def cell_session(session: nox.Session) -> None:
        _run_cell(session, cell)

    cell_session.__doc__ = (
        f"Python {cell['python']}, Airflow {cell['airflow']}, cncf-kubernetes {cell['provider']}: "
        "install, Composer-like pip install check, tests."
    )
    nox.session(
        name=cell_name(cell),
        python=_python(cell["python"]),
        venv_params=["--seed"],
        default=False,  # `nox` alone runs nothing by accident: use -s CELL or -t matrix
        tags=["matrix", f"af{cell['airflow'].split('.')[0]}"],
    )(cell_session)


for _cell in CELLS:
    _make_session(_cell)
