"""compat/log_records: registering a value masks what the task process logs, on every Airflow 3 release."""

from __future__ import annotations

import logging

import pytest

from airflow_provider_composer_pod.compat import AIRFLOW_3, log_records

pytestmark = pytest.mark.skipif(not AIRFLOW_3, reason="Airflow 2's handlers carry the masker as their filter already")


@pytest.fixture
def root_handler():
    handler = logging.StreamHandler()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


def test_without_airflows_structlog_step_the_handlers_still_mask(root_handler, monkeypatch):
    import airflow.sdk.log
    import structlog

    monkeypatch.delattr(airflow.sdk.log, "mask_logs")  # a release that does not have it
    before = list(structlog.get_config()["processors"])

    log_records.redact_task_log_records()

    assert log_records.REDACT_RECORDS in root_handler.filters
    assert structlog.get_config()["processors"] == before
