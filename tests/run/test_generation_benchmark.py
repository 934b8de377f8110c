"""``benchmarks/generation.py`` runs end to end (tiny settings) and ends with its ratio line."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "generation.py"


def load_benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generation_benchmark", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def test_prompts_come_from_the_condition_grid() -> None:
    bench = load_benchmark()
    prompts = bench.study_prompts(40)
    assert len(prompts) == len(set(prompts)) == 40
    assert any("I think the answer is" in p for p in prompts)
    with pytest.raises(SystemExit, match="at most"):
        bench.study_prompts(10_000)


def test_mcnemar_exact_counts_discordant_pairs() -> None:
    bench = load_benchmark()
    assert bench.mcnemar_exact([False] * 6, [True] * 6) == (0, 6, pytest.approx(0.03125))
    assert bench.mcnemar_exact([True, False], [True, False]) == (0, 0, 1.0)
    b, c, p = bench.mcnemar_exact([True, True, False], [False, True, True])
    assert (b, c) == (1, 1) and p == pytest.approx(1.0)


@pytest.mark.slow
def test_runs_both_engines_and_ends_with_the_ratio_line(engine: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """Unit: a prompt (3 of them, 8 tokens). Reuses the package's vLLM server; times are printed, not checked."""
    bench = load_benchmark()
    assert bench.main(["--prompts", "3", "--max-tokens", "8"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert re.fullmatch(r"ratio=\d+\.\d\d agreement=(0|1)\.\d{3} tokens_per_s=\d+\.\d", lines[-1]), lines[-1]
    assert any(line.startswith("vLLM: vLLM (") and "start-up" in line for line in lines), lines
    assert any(line.startswith("greedy outputs equal: ") and "/3" in line for line in lines), lines
