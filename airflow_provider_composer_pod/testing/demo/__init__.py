"""``composer-pod demo``: the guide's example DAGs through ``airflow dags test`` on the emulator.

The one part of ``testing`` that runs Airflow (in child processes) and reads the rest of the package's examples.
"""
