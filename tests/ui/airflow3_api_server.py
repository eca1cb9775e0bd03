"""``airflow`` with the upstream fix for the Airflow 3 Test button on connections without a port (apache/airflow#73298).

Airflow 3.3.2's connection list sends ``port: Number(connection.port)``, which is ``0`` for a connection that has no
port, and its ``POST /api/v2/connections/test`` takes ``0`` for a different destination than the stored ``NULL``, so
it answers 400 "The host or port to test differs from the stored connection" for every such connection, ours
included. The upstream fix treats ``0`` like a blank port. Run as a script, this module applies that fix in the server
process only when the installed Airflow still lacks it, then runs Airflow's CLI: the browser lane uses it to check
what our hook tells the Test button, and checks separately, on an unpatched server, what users of the released
Airflow see.
"""

from __future__ import annotations

import sys
from typing import Any


def rejects_port_zero() -> bool:
    """Whether this Airflow's connection-test endpoint takes the UI's ``port: 0`` for a changed destination."""
    from airflow.api_fastapi.core_api.routes.public import connections

    same_endpoint = getattr(connections, "_same_endpoint", None)
    return same_endpoint is not None and not same_endpoint(0, None)


def apply_upstream_fix() -> None:
    from airflow.api_fastapi.core_api.routes.public import connections

    released = connections._same_endpoint

    def same_endpoint(requested: Any, stored: Any) -> bool:
        return bool(released(None if requested == 0 else requested, None if stored == 0 else stored))

    connections._same_endpoint = same_endpoint


if __name__ == "__main__":
    if rejects_port_zero():
        apply_upstream_fix()
    from airflow.__main__ import main

    sys.exit(main())
