"""Secret values masked in a task's log records before they leave the task process (Airflow 3).

Airflow 3's task process sends its log records to the Task SDK supervisor unmasked; the supervisor masks what it
writes to the task's log file, but the LocalExecutor's supervisor (``LocalExecutor._run_worker`` ->
``BaseExecutor.run_workload(subprocess_logs_to_stdout=True)``) also repeats every record on its own output, through
the scheduler's logger (``airflow.logging_config.configure_logging``), which has no masking step. A record masked in
the task process is masked in both copies.
"""

from __future__ import annotations

import logging

from airflow_provider_composer_pod.compat import AIRFLOW_3, redact


class RedactRecords(logging.Filter):
    """Replaces a ``logging`` record's message by the secrets masker's version of it when that hides something."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the handler's to report, as it would be without us
            return True
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


REDACT_RECORDS = RedactRecords()


def _mask_structlog_events() -> None:
    # Airflow's loggers (LoggingMixin: KPO's PodManager, the operator's self.log) are structlog's, not logging's.
    # Every structlog logger, cached ones too, holds the configured processor list itself: Airflow's own masking step
    # goes in before the last one, the renderer.
    import structlog

    try:
        from airflow.sdk.log import mask_logs
    except ImportError:  # an Airflow 3 release without it: the handlers' filter below still masks what they write
        return
    processors = structlog.get_config()["processors"]
    if mask_logs not in processors:
        processors.insert(max(len(processors) - 1, 0), mask_logs)


def redact_task_log_records() -> None:
    """On Airflow 3, mask what this process logs, through ``logging`` or structlog, before a handler or renderer
    writes it (once; Airflow 2's handlers have the masker as their filter already)."""
    if not AIRFLOW_3:
        return
    _mask_structlog_events()
    for handler in logging.getLogger().handlers:
        if REDACT_RECORDS not in handler.filters:
            handler.addFilter(REDACT_RECORDS)
