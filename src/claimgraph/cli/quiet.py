"""Prefect, quietly: what the CLI sets before it imports Prefect for a flow run.

Only defaults: a variable the user set wins. Prefect's own telemetry is off
(its failures printed tracebacks on machines without internet), the
temporary server runs without automations (whose SQLite races printed
"database is locked" tracebacks), and Prefect's INFO chatter (flow and task
run names, state changes) is left out, so a run prints the run summary;
warnings and errors still show.
"""
from __future__ import annotations

import os

DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",  # Prefect's client-side telemetry
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_LOG_PRINTS": "false",
    # The temporary server is a throwaway subprocess: its own errors (e.g. a task-run recorder
    # cancelled while flushing as the run ends) are not the run's; the run's errors are logged
    # in this process at WARNING and above.
    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
    "PREFECT_UI_ENABLED": "false",  # the temporary server needs no UI
    # Prefect waits 20 s for its temporary server; a busy or first-run machine needs longer.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    # Automations (triggers and their actions) are for a real server; in the temporary one their
    # periodic checks race the run for SQLite and print "database is locked" tracebacks
    # (PrefectHQ/prefect#15170, #18934). The run's own records do not need them.
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
}


def quiet_prefect() -> None:
    for name, value in DEFAULTS.items():
        os.environ.setdefault(name, value)


def run_flow(flow, **parameters):
    """Call a flow with its heartbeat thread off: it is for long runs watched by a server, and
    joining it at exit costs about a second per call (LIBRARY-NOTES.md)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        return flow(**parameters)
