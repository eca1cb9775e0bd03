"""Airflow version flags, computed like upstream's ``version_compat`` (base version, so rc/dev builds count)."""

from __future__ import annotations

from importlib.metadata import version

from packaging.version import Version


def _airflow_version() -> tuple[int, int, int]:
    base = Version(Version(version("apache-airflow")).base_version)
    return base.major, base.minor, base.micro


AIRFLOW_VERSION = _airflow_version()
AIRFLOW_V_2_10_PLUS = AIRFLOW_VERSION >= (2, 10, 0)
AIRFLOW_V_3_0_PLUS = AIRFLOW_VERSION >= (3, 0, 0)
AIRFLOW_V_3_1_PLUS = AIRFLOW_VERSION >= (3, 1, 0)
AIRFLOW_V_3_2_PLUS = AIRFLOW_VERSION >= (3, 2, 0)
AIRFLOW_V_3_3_PLUS = AIRFLOW_VERSION >= (3, 3, 0)
