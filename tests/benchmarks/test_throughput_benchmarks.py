"""``benchmarks/finetune.py`` and ``benchmarks/socio_t.py`` (issue 15) run on this CPU with tiny settings, agree with
their references and end with their result lines. Times are printed, never asserted."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
NUMBER = r"(-?[0-9.]+(?:e[-+]?[0-9]+)?|nan)"


def _run(script: str, *args: str) -> str:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    result = subprocess.run([sys.executable, str(BENCHMARKS / script), *args], capture_output=True, text=True,
                            env=env, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def test_finetune_benchmark_fast_path_trains_like_the_reference() -> None:
    """Unit: one benchmark run (the tiny random Llama; both layouts from the same weights, the same 3 steps)."""
    out = _run("finetune.py", "--model", "tiny", "--count", "64", "--steps", "1", "--warmup-steps", "1",
               "--eval-rows", "4", "--profile")
    last = out.strip().splitlines()[-1]
    match = re.fullmatch(rf"tokens_per_s={NUMBER} mfu={NUMBER} loss_diff={NUMBER}", last)
    assert match, last
    assert float(match.group(1)) > 0
    assert abs(float(match.group(3))) <= 1e-3  # the bound on the per-token loss difference
    assert "profile of optimizer step 3" in out  # the step after the timed ones, profiled


def test_socio_t_benchmark_matches_the_released_loop_and_times_both_rngs() -> None:
    """Unit: one benchmark run (tiny random GPT-2; 6 texts against the released loop, a 4-text workload)."""
    out = _run("socio_t.py", "--lm", "tiny-gpt2", "--texts", "6", "--samples", "1", "--workload",
               "--workload-texts", "4", "--workload-samples", "2")
    last = out.strip().splitlines()[-1]
    match = re.fullmatch(rf"ratio={NUMBER} max_abs_diff={NUMBER} workload_s={NUMBER} workload_private_s={NUMBER}",
                         last)
    assert match, last
    assert float(match.group(2)) < 1e-5
    assert "rng=global" in out and "rng=private" in out
