"""`make test-dist`'s install comparison (.ci/install_check.py): what a plain pip install did to the environment."""

from __future__ import annotations

from types import ModuleType

import pytest

from tests.scripts import load_script


@pytest.fixture(scope="module")
def install_check() -> ModuleType:
    pytest.importorskip("nox")  # the script reads the matrix's cells from noxfile.py
    return load_script(".ci/install_check.py", "install_check")


FREEZE = """\
apache-airflow==2.6.3
airflow-provider-composer-pod @ file:///tmp/dist/airflow_provider_composer_pod-1.0.0-py3-none-any.whl
Flask_AppBuilder==4.3.0
-e git+https://example.invalid/x.git#egg=x
"""


def test_freeze_is_read_by_canonical_name(install_check):
    assert install_check._parse_freeze(FREEZE) == {
        "apache-airflow": "2.6.3",
        "airflow-provider-composer-pod": "file:///tmp/dist/airflow_provider_composer_pod-1.0.0-py3-none-any.whl",
        "flask-appbuilder": "4.3.0",
    }


def test_new_dependencies_pass_and_ours_is_ignored(install_check):
    before = {"apache-airflow": "2.6.3", "airflow-provider-composer-pod": "file:///a.whl#sha256=1"}
    after = {"apache-airflow": "2.6.3", "airflow-provider-composer-pod": "file:///a.whl", "pytest": "8.3.5"}

    check = install_check._compared(["a.whl"], before, after, {})

    assert check["ok"]
    assert check["added"] == ["pytest 8.3.5"]


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        pytest.param(
            {"apache-airflow": "2.7.0", "kubernetes": "23.6.0"}, "apache-airflow 2.6.3 -> 2.7.0", id="upgraded"
        ),
        pytest.param({"apache-airflow": "2.6.3"}, "kubernetes 23.6.0", id="removed"),
    ],
)
def test_an_upgrade_or_removal_fails_the_cell(install_check, after, expected):
    before = {"apache-airflow": "2.6.3", "kubernetes": "23.6.0"}

    with pytest.raises(install_check.CellFailed, match="changed installed packages") as raised:
        install_check._compared(["a.whl"], before, after, {})

    assert expected in str(raised.value)
