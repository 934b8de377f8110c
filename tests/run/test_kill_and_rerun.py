"""Kill ``grid`` at a random moment with SIGKILL, rerun the same command: it finishes with every sample exactly once,
every log readable, and nothing left running. The moments are drawn from a seeded generator (bounded: two kills,
each within a few seconds of the log appearing), so a failure reproduces.

Unit: one grid run (a log directory), killed and rerun. Marked slow: each grid command starts Inspect (seconds).
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from inspect_warmth.analysis.responses import check_logs, load_responses

TASK = str(Path(__file__).with_name("kill_task.py")) + "@slow"
SAMPLES = 16


def grid_command(log_dir: Path, samples: int = SAMPLES) -> list[str]:
    return [sys.executable, "-c", "from inspect_warmth.cli import main; main()", "grid", "--family", "f",
            "--model", "original=mockllm/model", "--tasks", TASK, "--samples", str(samples), "--scorer", "reference",
            "--log-dir", str(log_dir), "--max-samples", "2"]


def kill_at_random(log_dir: Path, rng: random.Random, within_s: float = 3.0, samples: int = SAMPLES) -> bool:
    """Start the grid, wait for its first log, SIGKILL it ``uniform(0, within_s)`` seconds later; True when it was
    killed before finishing."""
    process = subprocess.Popen(grid_command(log_dir, samples), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not list(log_dir.rglob("*.eval")) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(rng.uniform(0, within_s))
    killed = process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait()
    return killed


def samples_in_finished_logs(log_dir: Path) -> Counter[str]:
    """Sample ids over every log whose status is success (what a reader would count)."""
    from inspect_ai.log import list_eval_logs, read_eval_log

    seen: Counter[str] = Counter()
    for info in list_eval_logs(str(log_dir), recursive=True):
        log = read_eval_log(info)
        if log.status == "success":
            seen.update(str(s.id) for s in log.samples or [])
    return seen


@pytest.mark.slow
def test_grid_killed_twice_at_random_moments_finishes_every_sample_once(tmp_path: Path) -> None:
    log_dir = tmp_path / "logs"
    rng = random.Random(24)
    kills = sum(kill_at_random(log_dir, rng) for _ in range(2))
    assert kills >= 1, "the grid finished before any kill: make the task slower"
    rerun = subprocess.run(grid_command(log_dir), capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    check_logs([str(p) for p in log_dir.rglob("*.eval")])  # raises, naming the file, on a torn log
    seen = samples_in_finished_logs(log_dir)
    assert set(seen) == {f"slow-q{q}" for q in range(SAMPLES)}, "samples lost"
    assert max(seen.values()) == 1, f"samples duplicated: {[s for s, n in seen.items() if n > 1]}"
    responses = load_responses([str(log_dir)])
    assert len(responses.table) == SAMPLES and responses.unscored.empty
