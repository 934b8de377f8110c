"""The guard between a command and the vLLM server it starts: the server never outlives the command.

    python -m inspect_warmth.run.engine_guard -- python -m vllm.entrypoints.openai.api_server ...

The guard starts the server in a process group of its own (the server and every worker it spawns: vLLM's engine
core, its CPU workers; none of them starts a session of its own) and ends that whole group, SIGTERM then SIGKILL
after :data:`GRACE_S` seconds, as soon as any of these happens:

- the command that started the guard dies, however it dies (SIGKILL included): its end of the guard's stdin pipe
  closes (EOF), and the guard's parent changes (Linux reparents an orphan), checked every :data:`POLL_S` seconds;
- the command closes the pipe itself (:meth:`inspect_warmth.run.vllm_engine.VLLMServer.stop`);
- the guard receives SIGTERM, SIGINT or SIGHUP;
- the server exits by itself (its workers are ended too; the guard exits with the server's code).

The guard is a child subreaper (Linux ``prctl(PR_SET_CHILD_SUBREAPER)``), so workers orphaned by the server are
reaped here and the group is known to be empty, not full of zombies, before the guard exits. It also asks the
kernel for SIGTERM when its own parent dies (``prctl(PR_SET_PDEATHSIG)``). Both are Linux calls through
``ctypes``; elsewhere the guard relies on the pipe and the parent check alone.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

#: Seconds the server's group has between SIGTERM and SIGKILL.
GRACE_S = 10.0
#: Seconds between checks of the parent, the server and the pipe.
POLL_S = 0.5
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> None:
    if sys.platform != "linux":
        return
    with contextlib.suppress(OSError, AttributeError):  # no prctl: the pipe and the parent check remain
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` is running (a zombie is not: it holds no memory and no port)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _reap() -> None:
    """Collect every exited child (the server, and workers reparented to this subreaper)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def end_group(pgid: int, grace: float = GRACE_S) -> None:
    """SIGTERM to every process of group ``pgid``, SIGKILL to what is left after ``grace`` seconds; returns when
    the group is empty (its exited members reaped)."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 30.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            _reap()
            if not _group_alive(pgid):
                return
            time.sleep(0.1)


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "--" or len(argv) < 2:
        print("usage: python -m inspect_warmth.run.engine_guard -- COMMAND ...", file=sys.stderr)
        return 2
    parent = os.getppid()
    _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    stop = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    server = subprocess.Popen(argv[1:], stdin=subprocess.DEVNULL, start_new_session=True)
    code: int | None = None
    try:
        while not stop and os.getppid() == parent:
            readable, _, _ = select.select([sys.stdin], [], [], POLL_S)
            if readable and not os.read(sys.stdin.fileno(), 4096):
                break  # EOF: the command closed the pipe or died
            code = server.poll()
            if code is not None:
                break
    finally:
        end_group(server.pid)
    return server.returncode if code is not None and server.returncode is not None else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
