"""Install the wheel `make dist` built the way Cloud Composer does, in the oldest and the newest supported cell.

    python .ci/install_check.py dist/airflow_provider_composer_pod-X-py3-none-any.whl [CELL ...]

Per cell (the install matrix's pins and interpreters, from noxfile.py), in a fresh venv under ``.dist/cells/``:

1. Airflow and the provider, nothing of ours: the environment Composer has.
2. ``pip install <wheel>``, plain pip into that environment, as Composer's PyPI install does: ``pip freeze`` before
   and after (and pip's ``--report``) must show nothing upgraded, downgraded or removed; new dependencies are listed.
3. The same check for ``"<wheel>[testing]" pytest`` (installed with uv), what a user adds to test DAGs on the emulator.
4. From a directory outside the checkout: the package imports from the venv; ``airflow providers list`` shows it at
   the wheel's version; ``composer-pod --version`` prints it; ``composer-pod demo`` runs one of the example DAGs to
   success on the emulator, from the copy in the wheel (no ``--dags``); and a test using the pytest plugin's
   ``k8s_emulator`` fixture passes.

Timings and the install check go to ``.dist/cells/<cell>.json``. Needs nox importable (the dev venv) for noxfile.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import noxfile  # noqa: E402 - the matrix's cells, interpreters and install comparison

CELLS_DIR = ROOT / ".dist" / "cells"
DEFAULT_CELLS = ["af2.6.3-k4.4.0-py3.8", "af3.3.2-k10.25.0-py3.11"]
DEMO_DAG = "composer_pod_ex_minimum"
UV = os.environ.get("UV", "uv")

PLUGIN_TEST = """
from kubernetes import client, config


def test_the_emulator_serves_the_real_client(k8s_emulator):
    pod = {"metadata": {"name": "probe"}, "spec": {"containers": [{"name": "c", "image": "bash"}]}}
    k8s_emulator.create("pods", pod, namespace="default")
    api = client.CoreV1Api(config.new_client_from_config(k8s_emulator.kubeconfig_path))

    names = [p.metadata.name for p in api.list_namespaced_pod("default").items]

    assert names == ["probe"]
"""


class CellFailed(Exception):
    pass


def _run(command: List[str], *, env: Dict[str, str], cwd: Path, timeout: int = 600) -> str:
    result = subprocess.run(command, env=env, cwd=str(cwd), capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        tail = (result.stdout + result.stderr)[-4000:]
        raise CellFailed(f"{' '.join(command)} exited with {result.returncode}:\n{tail}")
    return result.stdout


def _freeze(python: str, env: Dict[str, str], cwd: Path) -> Dict[str, str]:
    """``pip freeze --all`` as {canonical name: version}; a direct-URL install's version is its URL."""
    out = _run([python, "-m", "pip", "freeze", "--all", "--disable-pip-version-check"], env=env, cwd=cwd)
    return _parse_freeze(out)


def _parse_freeze(out: str) -> Dict[str, str]:
    packages = {}
    for line in out.splitlines():
        if "==" in line:
            name, version = line.split("==", 1)
        elif " @ " in line:
            name, version = line.split(" @ ", 1)
        else:
            continue
        packages[noxfile._canonical(name.strip())] = version.strip()
    return packages


def _composer_install(python: str, requirements: List[str], env: Dict[str, str], cwd: Path) -> Dict[str, Any]:
    """Plain ``pip install`` into the environment as it is; what it did to the packages already there."""
    before = _freeze(python, env, cwd)
    report = cwd / "pip-report.json"
    pip = [python, "-m", "pip", "install", "--disable-pip-version-check", "--report", str(report), *requirements]
    _run(pip, env=env, cwd=cwd)
    after = _freeze(python, env, cwd)
    return _compared(requirements, before, after, json.loads(report.read_text()))


def _uv_install(python: str, requirements: List[str], env: Dict[str, str], cwd: Path) -> Dict[str, Any]:
    """The same check for what a user adds on top (the testing extra, pytest), installed with uv for speed."""
    freeze = [UV, "pip", "freeze", "--python", python]
    before = _parse_freeze(_run(freeze, env=env, cwd=cwd))
    _run([UV, "pip", "install", "--quiet", "--python", python, *requirements], env=env, cwd=cwd)
    after = _parse_freeze(_run(freeze, env=env, cwd=cwd))
    return _compared(requirements, before, after, {})


def _compared(requirements: List[str], before: Dict[str, str], after: Dict[str, str], report: Any) -> Dict[str, Any]:
    ours = noxfile._canonical(noxfile.DISTRIBUTION)  # installed from a file: pip and uv spell its URL differently
    before, after = ({k: v for k, v in d.items() if k != ours} for d in (before, after))
    check = noxfile.compare_installs(before, after, report)
    if not check["ok"]:
        raise CellFailed(f"pip install {' '.join(requirements)} changed installed packages: {check}")
    return check


def check_cell(name: str, wheel: Path, version: str) -> Dict[str, Any]:
    cell = next((c for c in noxfile.CELLS if noxfile.cell_name(c) == name), None)
    if cell is None:
        raise SystemExit(f"no cell {name!r} in noxfile.py; `nox -l` lists them")
    venv = CELLS_DIR / name
    work = Path(tempfile.mkdtemp(prefix="composer-pod-install-check-"))  # outside the checkout: no source imports
    # PYTHONDONTWRITEBYTECODE off: the first Airflow process compiles what it imports, the later ones reuse it.
    unset = ("PYTHONPATH", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(
        AIRFLOW_HOME=str(work / "airflow"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        UV_PYTHON_DOWNLOADS="never",
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
    )
    python = str(venv / "bin" / "python")
    record: Dict[str, Any] = {"cell": name, "wheel": wheel.name}
    timings: Dict[str, float] = {}
    started = time.monotonic()
    try:
        shutil.rmtree(venv, ignore_errors=True)  # a failed run's venv, kept for inspection
        interpreter = noxfile._python(cell["python"])
        _run([UV, "venv", "--quiet", "--seed", "--python", interpreter, str(venv)], env=env, cwd=work)
        base = [f"apache-airflow=={cell['airflow']}", f"apache-airflow-providers-cncf-kubernetes=={cell['provider']}"]
        install = [UV, "pip", "install", "--quiet", "--python", python, *cell.get("flags", []), *base]
        _run([*install, *cell.get("pins", [])], env=env, cwd=work)
        timings["airflow_install_s"] = round(time.monotonic() - started, 1)

        step = time.monotonic()
        record["plain_install"] = _composer_install(python, [str(wheel)], env, work)
        record["testing_install"] = _uv_install(python, [f"{wheel}[testing]", "pytest"], env, work)
        timings["composer_install_s"] = round(time.monotonic() - step, 1)

        step = time.monotonic()
        where = _run([python, "-c", "import airflow_provider_composer_pod as m; print(m.__file__)"], env=env, cwd=work)
        if not where.strip().startswith(str(venv)):
            raise CellFailed(f"the package imported from {where.strip()}, not from {venv}")
        listed = _run([str(venv / "bin" / "airflow"), "providers", "list"], env=env, cwd=work)
        row = [line for line in listed.splitlines() if noxfile.DISTRIBUTION in line]
        if not row or version not in row[0]:
            raise CellFailed(f"`airflow providers list` shows no {noxfile.DISTRIBUTION} {version}:\n{listed[-2000:]}")
        shown = _run([str(venv / "bin" / "composer-pod"), "--version"], env=env, cwd=work).strip()
        if shown != f"composer-pod {version}":
            raise CellFailed(f"`composer-pod --version` printed {shown!r}, expected 'composer-pod {version}'")
        timings["cli_s"] = round(time.monotonic() - step, 1)

        step = time.monotonic()
        # No --dags, from a directory without example_dags/: the copy the wheel carries (pyproject's force-include).
        demo = [str(venv / "bin" / "composer-pod"), "demo", "--dag-id", DEMO_DAG]
        demo_out = _run(demo, env=dict(env, COLUMNS="150"), cwd=work)
        if "success" not in demo_out:
            raise CellFailed(f"`composer-pod demo` reported no success:\n{demo_out[-3000:]}")
        if f"DAG folder {venv}" not in demo_out:
            raise CellFailed(f"`composer-pod demo` ran DAGs from outside the venv:\n{demo_out[:1000]}")
        timings["demo_s"] = round(time.monotonic() - step, 1)

        step = time.monotonic()
        (work / "test_plugin.py").write_text(PLUGIN_TEST)
        pytest_run = [str(venv / "bin" / "pytest"), "-q", "-p", "no:cacheprovider", "test_plugin.py"]
        record["pytest"] = _run(pytest_run, env=env, cwd=work).strip().splitlines()[-1]
        timings["pytest_plugin_s"] = round(time.monotonic() - step, 1)
        record["ok"] = True
        shutil.rmtree(venv, ignore_errors=True)
    except (CellFailed, subprocess.TimeoutExpired) as error:
        record["ok"] = False
        record["problem"] = str(error)
    finally:
        timings["total_s"] = round(time.monotonic() - started, 1)
        record["timings"] = timings
        CELLS_DIR.mkdir(parents=True, exist_ok=True)
        (CELLS_DIR / f"{name}.json").write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
        shutil.rmtree(work, ignore_errors=True)
    return record


def main(argv: List[str]) -> int:
    if not argv or not argv[0].endswith(".whl"):
        print(__doc__, file=sys.stderr)
        return 2
    wheel = Path(argv[0]).resolve()
    version = wheel.name.split("-")[1]
    started = time.monotonic()
    failed = 0
    names = argv[1:] or DEFAULT_CELLS
    # Side by side: much of a cell is waiting (the package index, Airflow's start-up, the demo's simulated pulls).
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        records = list(pool.map(lambda name: check_cell(name, wheel, version), names))
    for name, record in zip(names, records):
        added = sorted(set(record.get("plain_install", {}).get("added", [])))
        if record["ok"]:
            print(f"install check {name}: OK in {record['timings']['total_s']} s {record['timings']}")
            print(f"  plain pip install added: {', '.join(added) or 'nothing'}; pytest plugin: {record['pytest']}")
        else:
            failed += 1
            print(f"install check {name}: FAILED\n{record['problem']}", file=sys.stderr)
    print(f"install check: {time.monotonic() - started:.0f} s in all")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
