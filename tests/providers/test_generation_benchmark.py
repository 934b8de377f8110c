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


def test_random_llama_8b_path_runs_with_a_tiny_shape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The GPU check's code path (random weights, bf16), with the 8B shape swapped for a tiny one."""
    bench = load_benchmark()
    monkeypatch.setattr(bench, "LLAMA_8B_SHAPE", bench.TINY_SHAPE)
    args: list[Any] = ["--random-llama-8b", "--prompts", "3", "--max-tokens", "4", "--work-dir", tmp_path]
    assert bench.main([str(a) for a in args]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert re.fullmatch(r"ratio=\d+\.\d\d outputs_equal=(yes|no)", lines[-1])
    assert any("random Llama-3.1-8B-shaped, bf16" in line for line in lines)
    config = (tmp_path / "random-llama-8b" / "config.json").read_text()
    assert '"dtype": "bfloat16"' in config
