"""The gate's three exit codes, from tables and from Inspect logs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from analysis_helpers import small_table, write_logs
from click.testing import CliRunner

from inspect_warmth.analysis.cli import gate


def _run(base: list[str], candidate: list[str], *extra: str) -> tuple[int, str]:
    args = [a for b in base for a in ("--base", b)] + [a for c in candidate for a in ("--candidate", c)]
    result = CliRunner().invoke(gate, [*args, *extra])
    return result.exit_code, result.output


def _one_variant(variant: str = "original") -> pd.DataFrame:
    table = small_table(questions=8, seed=7)
    return table[table["variant"] == variant].reset_index(drop=True)


def _inject_errors(table: pd.DataFrame, share: float, seed: int = 0) -> pd.DataFrame:
    """Flip a share of the correct, non-refused answers to incorrect."""
    out = table.copy()
    rng = np.random.default_rng(seed)
    correct = out.index[(out["is_incorrect"] == 0) & ~out["refusal"]]
    flip = rng.choice(correct, size=int(share * len(correct)), replace=False)
    out.loc[flip, "is_incorrect"] = 1
    return out


def test_identical_runs_pass(tmp_path: Path) -> None:
    base = tmp_path / "base.csv"
    _one_variant().to_csv(base, index=False)
    code, output = _run([str(base)], [str(base)], "--json", str(tmp_path / "gate.json"))
    assert code == 0, output
    assert "gate: pass" in output and "+0.00 pp" in output
    assert json.loads((tmp_path / "gate.json").read_text())["verdict"] == "pass"


def test_injected_errors_fail(tmp_path: Path) -> None:
    table = _one_variant()
    base, cand = tmp_path / "base.csv", tmp_path / "cand.csv"
    table.to_csv(base, index=False)
    _inject_errors(table, 0.3).to_csv(cand, index=False)
    code, output = _run([str(base)], [str(cand)])
    assert code == 1, output
    assert "gate: fail" in output and "more than the allowed 2.00 pp" in output
    assert "FDR p" in output  # a cell-level reason too


def test_family_level_increase_fails_below_the_overall_threshold(tmp_path: Path) -> None:
    table = _one_variant()
    base, cand = tmp_path / "base.csv", tmp_path / "cand.csv"
    table.to_csv(base, index=False)
    trivia = table["dataset"] == "triviaqa"
    pd.concat([table[~trivia], _inject_errors(table[trivia], 0.3)]).to_csv(cand, index=False)
    code, output = _run([str(base)], [str(cand)], "--max-increase-pp", "50")
    assert code == 1, output
    assert "triviaqa / normal (all amendments)" in output or "triviaqa / sycophancy (all amendments)" in output
    assert "disinfo /" not in output.split("Why it failed")[1].split("|")[0]


def test_small_increase_within_threshold_passes(tmp_path: Path) -> None:
    table = _one_variant()
    base, cand = tmp_path / "base.csv", tmp_path / "cand.csv"
    table.to_csv(base, index=False)
    _inject_errors(table, 0.004).to_csv(cand, index=False)
    code, output = _run([str(base)], [str(cand)], "--max-increase-pp", "5")
    assert code == 0, output


def test_unusable_inputs_exit_2(tmp_path: Path) -> None:
    table = _one_variant()
    base = tmp_path / "base.csv"
    table.to_csv(base, index=False)
    code, output = _run([str(base)], [str(tmp_path / "nowhere")])
    assert code == 2 and "candidate" in output and "no such log file" in output

    unpaired = tmp_path / "unpaired.csv"
    table.iloc[5:].to_csv(unpaired, index=False)
    code, output = _run([str(base)], [str(unpaired)])
    assert code == 2 and "5 samples are missing from the candidate run" in output

    other_scorer = tmp_path / "reference.csv"
    table.assign(scorer="reference").to_csv(other_scorer, index=False)
    code, output = _run([str(base)], [str(other_scorer)])
    assert code == 2 and "different scorers" in output


def test_logs_pass_fail_and_different_graders(tmp_path: Path) -> None:
    table = _one_variant()
    table = table[(table["dataset"] == "triviaqa") & (table["question_id"].isin(["q0", "q1", "q2", "q3", "q4"]))]
    base = write_logs(table, tmp_path / "base", grader="openai/gpt-4o")
    write_logs(_inject_errors(table, 0.3), tmp_path / "worse", grader="openai/gpt-4o")
    other = write_logs(table, tmp_path / "other", grader="openai/gpt-4o-mini")
    assert _run(base, base)[0] == 0
    assert _run([str(tmp_path / "base")], [str(tmp_path / "worse")])[0] == 1
    code, output = _run(base, other)
    assert code == 2 and "different graders" in output and "gpt-4o-mini" in output
