"""Arguments that KubernetesPodOperator gained after provider 4.4.0, and the first provider version that takes each.

Data only, read off the released providers' ``KubernetesPodOperator.__init__`` signatures (4.4.0 to 10.25.0). When a
DAG passes one of these to an older provider, ComposerPodOperator says which version it needs instead of Airflow's
generic "Invalid arguments were passed".
"""

from __future__ import annotations

FIRST_PROVIDER_VERSION = {
    "base_container_name": "5.2.0",
    "deferrable": "5.2.0",
    "poll_interval": "5.2.0",
    "skip_on_exit_code": "6.1.0",
    "dns_config": "7.0.0",
    "hostname": "7.0.0",
    "subdomain": "7.0.0",
    "log_pod_spec_on_failure": "7.1.0",
    "on_finish_action": "7.2.0",
    "container_logs": "7.3.0",
    "termination_message_policy": "7.4.0",
    "active_deadline_seconds": "7.5.0",
    "progress_callback": "7.6.0",
    "host_aliases": "7.8.0",
    "startup_check_interval_seconds": "7.9.0",
    "pod_template_dict": "7.12.0",
    "callbacks": "7.14.0",
    "logging_interval": "8.0.0",
    "init_container_logs": "10.1.0",
    "base_container_status_polling_interval": "10.4.0",
    "automount_service_account_token": "10.5.0",
    "schedule_timeout_seconds": "10.5.0",
    "trigger_kwargs": "10.6.0",
    "container_name_log_prefix_enabled": "10.8.0",
    "log_formatter": "10.8.0",
    "on_kill_action": "10.15.0",
    "runtime_class_name": "10.15.0",
    "durable": "10.20.0",
    "xcom_sidecar_container_security_context": "10.20.0",
    "log_events_on_startup": "10.25.0",
}
