"""The gate's three exit codes, from tables and from Inspect logs; its false-fail rate under the issue's null.

Unit of independence: the question (the gate's); the error-rate checks count simulated runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from analysis_helpers import small_table, write_logs
from click.testing import CliRunner

from inspect_warmth.analysis.cli import gate
from inspect_warmth.analysis.gate import gate_tables
from inspect_warmth.analysis.simulate import simulate_gate_pair


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
    assert "gate: pass" in output and "+0.00 pp" in output and "per question" in output
    assert json.loads((tmp_path / "gate.json").read_text())["verdict"] == "pass"


def test_injected_errors_fail(tmp_path: Path) -> None:
    table = _one_variant()
    base, cand = tmp_path / "base.csv", tmp_path / "cand.csv"
    table.to_csv(base, index=False)
    _inject_errors(table, 0.3).to_csv(cand, index=False)
    code, output = _run([str(base)], [str(cand)])
    assert code == 1, output
    assert "gate: fail" in output and "whole run:" in output and "adjusted p" in output
    assert "Per-prompt exact McNemar" in output  # the paper's tables, marked per-prompt


def test_family_level_increase_is_located(tmp_path: Path) -> None:
    base_table, cand_table = simulate_gate_pair(40, datasets=("disinfo", "triviaqa"), reshuffle=0.0, seed=4)
    trivia = (cand_table["dataset"] == "triviaqa") & cand_table["template"].isin(["incorrect", "correct"])
    worse = cand_table.copy()
    worse.loc[trivia, "is_incorrect"] = _inject_errors(cand_table[trivia], 0.5)["is_incorrect"]
    base, cand = tmp_path / "base.csv", tmp_path / "cand.csv"
    base_table.to_csv(base, index=False)
    worse.to_csv(cand, index=False)
    code, output = _run([str(base)], [str(cand)])
    assert code == 1, output
    why = output.split("Why it failed")[1].split("|")[0]
    assert "triviaqa / sycophancy (all amendments)" in why and "disinfo" not in why


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


ALPHA = 0.05


def _fail_rate(runs: int, **simulation: float) -> float:
    """Share of simulated base/candidate pairs the gate fails (100 questions × 4 datasets × 28 prompts each)."""
    fails = 0
    for seed in range(runs):
        base, candidate = simulate_gate_pair(100, seed=seed, **simulation)
        result = gate_tables(base, candidate, alpha=ALPHA, permutations=500, seed=seed, per_prompt=False)
        fails += result.exit_code == 1
    return fails / runs


def test_false_fail_rate_under_the_null_stays_within_two_alpha() -> None:
    """Issue 13's null: a fine-tune that reshuffles which questions the model knows on 20% of the questions (same
    error rate; all 28 prompts of a question share that knowledge), 100 questions × 4 datasets × 28 prompts.

    Unit: a simulated run (60 seeds); within a run the gate's unit is the question. The gate before issue 13
    failed 60% of such runs (it counted a question's prompts as independent pairs, and used two FDR layers with
    fail-if-either). At a true rate of α = 5%, 60 runs exceed the 2α bound (≥ 7 fails) with probability ≈ 4%; the
    seeds are fixed, so the check is deterministic.
    """
    assert _fail_rate(60, reshuffle=0.2) <= 2 * ALPHA


def test_a_real_regression_is_still_caught() -> None:
    """The candidate forgets 20% of the questions the base knows (about +11 pp overall), on top of the 20% reshuffle.
    Unit: a simulated run (10 seeds)."""
    assert _fail_rate(10, reshuffle=0.2, forget=0.2) >= 0.9


def test_errored_candidate_samples_do_not_fail_the_gate(tmp_path: Path) -> None:
    """An API outage on the candidate: 30% of its samples errored and were scored "I" under score_on_error. Before
    issue 13 these counted as wrong answers and the gate failed; now the pairs are left out and reported."""
    table = _one_variant()
    table = table[table["dataset"] == "triviaqa"]
    write_logs(table, tmp_path / "base")
    errored = frozenset(f"triviaqa-{r.question_id}-{r.template}-{r.amendment}"
                        for r in table.sample(frac=0.3, random_state=1).itertuples())
    write_logs(table.assign(variant="candidate"), tmp_path / "cand", errored=errored)
    # (30% of the run is over the gate's default --max-unusable-share of 20%: looser here, to test the pairs)
    code, output = _run([str(tmp_path / "base")], [str(tmp_path / "cand")], "--json", str(tmp_path / "g.json"),
                        "--max-unusable-share", "0.5")
    assert code == 0, output
    assert f"candidate: sample errored (its score under score_on_error not counted) ({len(errored)})" in output
    doc = json.loads((tmp_path / "g.json").read_text())
    assert {"reason": "candidate: sample errored (its score under score_on_error not counted)",
            "pairs": len(errored)} in doc["excluded"]


def test_plan_prints_the_minimum_detectable_increase() -> None:
    result = CliRunner().invoke(gate, ["--plan", "--questions", "100", "--datasets", "4", "--contexts",
                                       "unmodified,emotion:sad", "--templates", "original,incorrect"])
    assert result.exit_code == 0, result.output
    assert "100 questions × 4 datasets × 4 conditions" in result.output
    assert "minimum detectable increase (80% power), the whole run:" in result.output
    assert "assumptions: base error rate 30%" in result.output
