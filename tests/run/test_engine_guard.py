"""The engine guard: the server it holds, and every process the server spawned, never outlive the command.

A shell stands in for the vLLM server (a process that spawns a worker, as vLLM's API server spawns its engine
core); the real server is covered by test_vllm_engine.py and benchmarks/faults.py. Every test here takes seconds.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from inspect_warmth.run.engine_guard import process_alive
from inspect_warmth.run.vllm_engine import EngineDied, watched

GUARD = [sys.executable, "-m", "inspect_warmth.run.engine_guard", "--"]




def _wait_gone(pids: list[int], seconds: float = 30.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = [pid for pid in pids if process_alive(pid)]
        if not left:
            return []
        time.sleep(0.1)
    return [pid for pid in pids if process_alive(pid)]


def _server_script(pids: Path, exit_code: int | None = None) -> list[str]:
    """A 'server' that spawns a worker and writes both pids to ``pids``; it waits, or exits with ``exit_code``
    leaving its worker behind (as a crashed server leaves its engine core)."""
    end = f"exit {exit_code}" if exit_code is not None else "wait"
    return ["bash", "-c", f"sleep 300 & echo $! $$ > {pids}.tmp && mv {pids}.tmp {pids}; {end}"]


def _read_pids(path: Path) -> list[int]:
    deadline = time.monotonic() + 20
    while not path.exists():
        assert time.monotonic() < deadline, "the stand-in server did not start"
        time.sleep(0.05)
    return [int(p) for p in path.read_text().split()]


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_killing_the_command_ends_the_server_and_its_workers(tmp_path: Path, how: signal.Signals) -> None:
    """Unit: one kill of the command that started the guard (SIGKILL leaves it no chance to clean up)."""
    pids_file = tmp_path / "pids"
    command = textwrap.dedent(f"""
        import subprocess, sys, time
        guard = subprocess.Popen({GUARD + _server_script(pids_file)!r}, stdin=subprocess.PIPE)
        print(guard.pid, flush=True)
        time.sleep(300)
    """)
    parent = subprocess.Popen([sys.executable, "-c", command], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    guard_pid = int(parent.stdout.readline())
    server_pids = _read_pids(pids_file)
    assert all(process_alive(pid) for pid in server_pids)
    parent.send_signal(how)
    parent.wait(timeout=30)
    assert _wait_gone([*server_pids, guard_pid]) == [], f"left running after {how.name} of the command"


def test_closing_the_pipe_stops_the_server_and_its_workers(tmp_path: Path) -> None:
    """Unit: one stop (what VLLMServer.stop does: close the guard's stdin)."""
    pids_file = tmp_path / "pids"
    guard = subprocess.Popen(GUARD + _server_script(pids_file), stdin=subprocess.PIPE)
    server_pids = _read_pids(pids_file)
    assert guard.stdin is not None
    guard.stdin.close()
    assert guard.wait(timeout=30) == 0
    assert _wait_gone(server_pids) == []


def test_a_server_that_dies_takes_its_workers_and_the_guard_reports_its_code(tmp_path: Path) -> None:
    """Unit: one server exit (code 3) with a worker still running."""
    pids_file = tmp_path / "pids"
    guard = subprocess.Popen(GUARD + _server_script(pids_file, exit_code=3), stdin=subprocess.PIPE)
    worker, _ = _read_pids(pids_file)
    assert guard.wait(timeout=30) == 3
    assert _wait_gone([worker]) == []


class _DyingServer:
    base = "some/base"
    log_path = Path("server.log")

    def __init__(self) -> None:
        self.dead_at = time.monotonic() + 0.5

    def exit_code(self) -> int | None:
        return -9 if time.monotonic() > self.dead_at else None

    def log_tail(self) -> str:
        return "CPU out of memory (last line of the log)"


def test_a_server_dying_mid_run_stops_the_block_with_its_code_and_log() -> None:
    """Unit: one block running while its server dies; the block is interrupted and says why."""
    expected = r"(?s)exited with code -9.*rerunning the same command resumes.*out of memory"
    with pytest.raises(EngineDied, match=expected), watched(_DyingServer(), poll_s=0.1):  # type: ignore[arg-type]
        time.sleep(30)


def test_a_block_that_ends_first_is_not_interrupted() -> None:
    """Unit: one block that ends before its server dies."""
    with watched(_DyingServer(), poll_s=0.1):  # type: ignore[arg-type]
        pass
    time.sleep(0.8)  # past the server's death: no stray KeyboardInterrupt arrives
    assert os.getpid() > 0


def test_a_server_dying_while_inspect_absorbs_the_interrupt_still_stops_the_block() -> None:
    """Unit: one block that catches the interrupt itself (as Inspect does when it cancels a run)."""
    server = _DyingServer()
    with (pytest.raises(EngineDied, match="exited with code -9"), watched(server, poll_s=0.1),  # type: ignore[arg-type]
          contextlib.suppress(KeyboardInterrupt)):
        time.sleep(30)
