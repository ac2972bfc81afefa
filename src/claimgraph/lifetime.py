"""Child processes that die with their parent, even when the parent is killed with SIGKILL.

A process killed by `kill -9` runs no exit handler, so children it started
(the temporary Prefect server of `claimgraph ingest`, query workers of
`claimgraph serve`) would live on as orphans. On Linux a child can ask the
kernel for a signal when its parent dies (`prctl(PR_SET_PDEATHSIG)`); it
survives `exec`, so a wrapper can set it and then become the real command:

    python -m claimgraph.lifetime PARENT_PID COMMAND ARGS...

`die_with_parent(parent_pid)` is the same for a Python child of our own. The
parent's pid is checked after the request, so a parent that died in between
is not missed. Elsewhere than Linux both do nothing more than run the command.

The signal comes when the *thread* that started the child ends, so children
are started from the main thread (as the CLI does).
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int, sig: int = signal.SIGKILL) -> bool:
    """Ask the kernel to send `sig` to this process when its parent ends; exit now if the parent
    `parent_pid` is already gone. False where the kernel offers no such request."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) != 0:
        return False
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(1)
    return True


def tied_command(command: list[str]) -> list[str]:
    """`command`, run so that it dies with this process (see the module docstring)."""
    return [sys.executable, "-m", "claimgraph.lifetime", str(os.getpid()), *command]


def main(argv: list[str]) -> None:
    parent_pid, command = int(argv[0]), argv[1:]
    die_with_parent(parent_pid)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
