"""Stand-ins for the unpublished parts of Airflow's ``tests_common`` that the cncf-kubernetes pod tests import.

Upstream keeps these helpers in ``devel-common/src/tests_common``, which is not on PyPI. Only what the two pod test
modules use is reproduced here, written to behave like the real helpers for those uses.
"""
