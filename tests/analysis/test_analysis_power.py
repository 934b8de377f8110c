"""The gate's plan: minimum detectable increase for a design (unit of independence: the question)."""

from __future__ import annotations

import pytest

from inspect_warmth.analysis.power import (
    PlanAssumptions,
    grid_plan_lines,
    minimum_detectable_increase,
)
from inspect_warmth.study.conditions import design

CI_EXAMPLE = design(("original", "incorrect"), ("unmodified", "emotion:sad"))


def test_more_questions_detect_smaller_increases() -> None:
    small = minimum_detectable_increase(100, 4, CI_EXAMPLE, simulations=500)
    large = minimum_detectable_increase(400, 4, CI_EXAMPLE, simulations=500)
    assert small.units_tested == 1 + 4 * (2 + 4) == large.units_tested  # run + 8 families + 16 cells
    assert large.units[0].mde_pp == pytest.approx(small.units[0].mde_pp / 2, rel=0.05)  # 1 / sqrt(questions)


def test_correlated_prompts_add_little_information() -> None:
    """With within-question correlation 1 a question's prompts are one observation: more prompts do not help."""
    one = PlanAssumptions(within_question_correlation=1.0)
    few = minimum_detectable_increase(100, 4, CI_EXAMPLE, assumptions=one, simulations=500)
    indep = minimum_detectable_increase(100, 4, CI_EXAMPLE, assumptions=PlanAssumptions(
        within_question_correlation=0.0), simulations=500)
    # sqrt(4) = 2 times the SE, partly offset by a lower max-T threshold (units then move together)
    assert few.units[0].mde_pp > 1.5 * indep.units[0].mde_pp


def test_bad_plans_are_refused() -> None:
    with pytest.raises(ValueError, match="alpha"):
        minimum_detectable_increase(100, 4, CI_EXAMPLE, alpha=1.5)
    with pytest.raises(ValueError, match="at least 2 questions"):
        minimum_detectable_increase(1, 4, CI_EXAMPLE)


def test_grid_dry_run_lines() -> None:
    lines = grid_plan_lines("inspect_warmth/triviaqa,truthfulqa,mmlu", "unmodified,emotion:sad",
                            "original,incorrect", 100)
    assert lines[0].startswith("gate plan: 100 questions × 2 datasets × 4 conditions")
    assert grid_plan_lines("mmlu", "unmodified", "original", 100)[0].startswith("gate plan: no study tasks")
