"""Prefect, quietly: what the CLI sets before it imports Prefect for a flow run, and
the temporary server, started so that it dies with the command.

Only defaults: a variable the user set wins. Prefect's own telemetry is off
(its failures printed tracebacks on machines without internet), the
temporary server runs without automations (whose SQLite races printed
"database is locked" tracebacks), and Prefect's INFO chatter (flow and task
run names, state changes) is left out, so a run prints the run summary;
warnings and errors still show.

Without PREFECT_API_URL, Prefect starts a temporary server as a child process
and stops it at exit; a `kill -9` of the command skips that, and the server
lived on as an orphan. `run_flow` therefore starts that server itself first
(Prefect's own `SubprocessASGIServer`, subclassed, registered as the default
instance that every later `SubprocessASGIServer()` returns), with the kernel
asked to kill it when the command dies (claimgraph.lifetime).
"""
from __future__ import annotations

import os
import subprocess
import sys

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
    joining it at exit costs about a second per call (LIBRARY-NOTES.md). Without a Prefect
    server configured, the temporary one is started first, tied to this process."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    start_tied_server()
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        return flow(**parameters)


def start_tied_server() -> None:
    """Start Prefect's temporary server now, from this (the main) thread, as a child that dies with
    this process; nothing when PREFECT_API_URL names a real server."""
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    if settings.api.url or not settings.server.ephemeral.enabled:
        return  # a real server, or none wanted: Prefect says what it needs
    if None in SubprocessASGIServer._instances:  # the default instance exists: started already
        return
    _tied_server_class()().start()  # registers itself as the default instance (SubprocessASGIServer.__new__)


def _tied_server_class():
    from prefect.server.api.server import SubprocessASGIServer

    class _TiedServer(SubprocessASGIServer):
        """Prefect 3.8.8's temporary server, its uvicorn command run through claimgraph.lifetime."""

        def _run_uvicorn_command(self) -> subprocess.Popen:
            import prefect
            from prefect.settings import get_current_settings

            from ..lifetime import tied_command

            # the command and environment of SubprocessASGIServer._run_uvicorn_command (prefect 3.8.8)
            command = [sys.executable, "-m", "uvicorn", "--app-dir", str(prefect.__module_path__.parent),
                       "--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1",
                       "--port", str(self.port), "--log-level", "error", "--lifespan", "on"]
            env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
                   "PREFECT__SERVER_FINAL": "1", **get_current_settings().to_environment_variables(exclude_unset=True)}
            return subprocess.Popen(tied_command(command), env=env)

    return _TiedServer

