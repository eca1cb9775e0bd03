"""Upstream conformance lane: run cncf-kubernetes' own KubernetesPodOperator tests against ComposerPodOperator.

ComposerPodOperator subclasses KubernetesPodOperator, so every promise upstream's unit tests check should still hold.
The lane fetches the provider sdist matching the tested environment, runs its pod operator and trigger tests as
shipped and again with the operator rebound (rebind.py), and compares outcomes per test id against the reviewed
list in expected_flips.txt. Standard library only; pytest runs in the target environment (``--python``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import compare  # noqa: E402
import fetch  # noqa: E402
import triage  # noqa: E402

log = logging.getLogger("test-upstream")

REPO = HERE.parent.parent
# Provider versions of the install matrix (noxfile.py): reported, not run, until their venvs are wired.
MATRIX_PROVIDERS = ["4.4.0", "5.2.2", "5.3.0", "6.1.0", "7.14.0", "8.4.2", "9.0.1"]
TEST_FILES = [fetch.OPERATOR_TESTS, fetch.TRIGGER_TESTS]
# name -> UPSTREAM_REBIND value; "shipped" and "rebound" are the lane's comparison, "trigger" is measured only.
VARIANTS = {"shipped": "", "rebound": "operator", "trigger": "operator,trigger"}
# Variables our operator reads to detect a Composer worker or a cluster: a developer's shell must not leak them in.
SCRUBBED_ENV = ("KUBECONFIG", "COMPOSER_ENVIRONMENT", "COMPOSER_VERSION", "COMPOSER_POD_GENERATION", "AIRFLOW_HOME")


def provider_version(python: str) -> str:
    """The cncf-kubernetes provider installed in the environment of ``python``."""
    code = f"import importlib.metadata as m; print(m.version({fetch.PROJECT!r}))"
    return subprocess.run([python, "-c", code], check=True, capture_output=True, text=True).stdout.strip()


def survey(cache: Path) -> dict[str, bool]:
    """For each matrix provider version: does its sdist ship the pod unit tests?"""
    return {version: fetch.has_pod_tests(fetch.fetch_sdist(version, cache)) for version in MATRIX_PROVIDERS}


def start_pytest(python: str, sdist: Path, variant: str, out: Path) -> subprocess.Popen:
    """Start one pytest run of the pod tests; outcomes go to ``out/<variant>.json``, output to ``<variant>.log``."""
    tests = sdist / "tests"
    env = {key: value for key, value in os.environ.items() if key not in SCRUBBED_ENV}
    env["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix=f"upstream-{variant}-", dir=out)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
    env["UPSTREAM_REBIND"] = VARIANTS[variant]
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # keep the cached sdist free of __pycache__ from several Pythons
    command = [python, "-m", "pytest", "-c", str(HERE / "pytest.ini"), "--rootdir", str(tests), "-q"]
    command += ["-p", "no:warnings", "--outcomes-json", str(out / (f"{variant}.json"))]
    command += [str(Path(*Path(name).parts[1:])) for name in TEST_FILES]
    log_file = open(out / (f"{variant}.log"), "w", encoding="utf-8")
    log.info("pytest (%s): %s", variant, " ".join(command))
    process = subprocess.Popen(command, cwd=tests, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    process.log_file = log_file  # type: ignore[attr-defined]
    return process


def run_variants(python: str, sdist: Path, variants: list[str], out: Path) -> dict[str, dict]:
    """Run the variants side by side (each has its own Airflow home and database) and read their outcomes."""
    processes = {variant: start_pytest(python, sdist, variant, out) for variant in variants}
    results = {}
    for variant, process in processes.items():
        code = process.wait()
        process.log_file.close()  # type: ignore[attr-defined]
        # 0: all passed, 1: some failed; anything else (usage error, no tests, crash) means the run is not usable.
        if code not in (0, 1):
            raise RuntimeError(f"pytest ({variant}) exited {code}; see {out / (variant + '.log')}")
        results[variant] = json.loads((out / (f"{variant}.json")).read_text(encoding="utf-8"))
    return results


def summarize(label: str, results: dict) -> str:
    tally = ", ".join(f"{n} {outcome}" for outcome, n in compare.counts(results).items())
    return f"{label:<9} {tally}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="interpreter of the environment under test")
    parser.add_argument("--cache", type=Path, default=REPO / ".upstream", help="sdists, logs and results")
    parser.add_argument("--trigger", action="store_true", help="also measure the ComposerPodTrigger rebind")
    parser.add_argument("--no-survey", action="store_true", help="skip the matrix providers' sdist check")
    args = parser.parse_args(argv)
    if os.sep in args.python:  # pytest runs from the sdist's folder: a relative path would point elsewhere there
        args.python = os.path.abspath(args.python)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    started = time.monotonic()
    args.cache.mkdir(parents=True, exist_ok=True)

    if not args.no_survey:
        for version, shipped in survey(args.cache).items():
            print(f"provider {version:<7} " + ("ships pod unit tests" if shipped else "no unit tests in sdist"))

    version = provider_version(args.python)
    sdist = fetch.fetch_sdist(version, args.cache)
    if not fetch.has_pod_tests(sdist):
        print(f"provider {version}: no unit tests in sdist; nothing to run")
        return 0
    out = args.cache / (f"results-{version}")
    out.mkdir(parents=True, exist_ok=True)
    variants = ["shipped", "rebound"] + (["trigger"] if args.trigger else [])
    results = run_variants(args.python, sdist, variants, out)

    excluded = compare.read_expected(HERE / "excluded.txt")
    expected = compare.read_expected(HERE / "expected_flips.txt")
    shipped, rebound = results["shipped"], results["rebound"]
    broken = sorted(t for t, e in shipped.items() if e["outcome"] in ("failed", "error") and t not in excluded)
    found = compare.flips(shipped, rebound, set(excluded))
    unlisted = sorted(set(found) - set(expected))
    stale = sorted(set(expected) - set(found))

    print()
    print(f"provider {version}, {args.python}")
    print(summarize("shipped", shipped))
    print(summarize("rebound", rebound))
    if "trigger" in results:
        trigger_flips = compare.flips(rebound, results["trigger"], set(excluded))
        print(summarize("trigger", results["trigger"]))
        print(f"trigger rebind: {len(trigger_flips)} more flips against the rebound run")
        for test_id, (before, after) in trigger_flips.items():
            print("  {}: {} -> {}".format(test_id, before["outcome"], after["outcome"]))
    print(
        f"excluded {len(excluded)}, flips {len(found)}, listed {len(expected)}, unlisted {len(unlisted)}, "
        f"stale {len(stale)}"
    )
    for test_id in unlisted:
        before, after = found[test_id]
        print("UNLISTED {}: {} -> {}: {}".format(test_id, before["outcome"], after["outcome"], after["message"]))
    for test_id in stale:
        print(f"STALE {test_id}: listed in expected_flips.txt but no longer flips")
    for test_id in broken:
        message = shipped[test_id]["message"]
        print(f"SHIPPED-FAIL {test_id}: {message} (a stand-in helper is missing something)")
    report = triage.write(args.cache / "triage.md", version, found, results.get("trigger"), rebound)
    print(f"triage: {report}")
    print(f"lane time {time.monotonic() - started:.0f}s")
    return 1 if unlisted or stale or broken else 0


if __name__ == "__main__":
    sys.exit(main())
