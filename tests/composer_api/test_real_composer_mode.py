"""``--real-composer``: the client tests run against the environment the variables name, emulator-only tests skip.

"Real" here is a Composer API emulator started by this test, reached only through the variables a real run uses,
so the mode is proven without calling Google.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from airflow_provider_composer_pod.testing.composer_api.emulator import ComposerApiEmulator

ROOT = Path(__file__).resolve().parents[2]


def _run(extra_env, *args):
    env = {key: value for key, value in os.environ.items() if not key.startswith("COMPOSER_")}
    env.update(extra_env)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "pytest", "-q", "-rs", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)


def test_client_tests_run_against_the_named_environment_and_emulator_tests_skip():
    with ComposerApiEmulator("real-project", "us-east1", "real-env", token="real-token") as real:
        variables = {
            "COMPOSER_TEST_PROJECT": "real-project",
            "COMPOSER_TEST_LOCATION": "us-east1",
            "COMPOSER_TEST_ENVIRONMENT": "real-env",
            "COMPOSER_TEST_ENDPOINT": real.url,
            "COMPOSER_TEST_TOKEN": "real-token",
        }
        result = _run(
            variables,
            "--real-composer",
            "tests/composer_api/test_client.py",
            "tests/composer_api/test_emulator_contract.py::test_401_without_or_with_a_wrong_token",
            "tests/composer_api/test_emulator_contract.py::test_an_empty_list_is_an_empty_object",
        )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "9 passed, 3 skipped" in result.stdout
    assert "needs the Composer API emulator" in result.stdout
    assert any(request.path.startswith("/v1/projects/real-project/") for request in real.requests)
    assert real.names() == []  # the tests deleted what they made


def test_without_the_variables_real_mode_skips_and_says_what_is_missing():
    result = _run({}, "--real-composer", "tests/composer_api/test_client.py::test_a_secret_comes_back_without_values")

    assert result.returncode == 0, result.stdout[-3000:]
    assert "1 skipped" in result.stdout
    assert "--real-composer needs $COMPOSER_TEST_PROJECT, $COMPOSER_TEST_LOCATION, $COMPOSER_TEST_ENVIRONMENT" in (
        result.stdout
    )
