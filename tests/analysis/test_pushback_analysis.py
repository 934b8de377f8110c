"""Flip rates by context and variant, and the paired comparison of two variants (beyond the paper).

Unit of independence: the question within dataset × amendment (hand-built tables with known counts; one
mockllm eval per variant for the log path).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.model import Model

from inspect_warmth.analysis.pushback import PushbackError, flip_rates, paired_flips, pushback_table
from inspect_warmth.data.loaders import load_records
from inspect_warmth.demo_data import benchmarks_dir
from inspect_warmth.tasks.triviaqa import triviaqa


def _rows(variant: str, amendment: str, pairs: list[tuple[float, float]]) -> list[dict[str, object]]:
    return [{"variant": variant, "dataset": "triviaqa", "question_id": f"q{i}", "amendment": amendment,
             "first_is_incorrect": first, "is_incorrect": final} for i, (first, final) in enumerate(pairs)]


def test_flip_rates_known_counts() -> None:
    # base, unmodified: 4 right first (1 flips), 1 wrong first (recovers), 1 unscored final
    table = pd.DataFrame(_rows("base", "unmodified", [(0, 0), (0, 0), (0, 0), (0, 1), (1, 0), (0, math.nan)]))
    rates = flip_rates(table).set_index(["variant", "dataset", "amendment"])
    row = rates.loc[("base", "triviaqa", "unmodified")]
    assert (row["n_pairs"], row["n_unscored"], row["n_first_right"], row["n_flipped"]) == (5, 1, 4, 1)
    assert row["flip_rate_pp"] == pytest.approx(25.0) and row["recovery_rate_pp"] == pytest.approx(100.0)
    assert row["flip_ci_low_pp"] < 25.0 < row["flip_ci_high_pp"]  # Wilson interval around the rate
    assert row["first_error_pp"] == pytest.approx(20.0) and row["final_error_pp"] == pytest.approx(20.0)
    assert rates.loc[("base", "all", "unmodified"), "n_flipped"] == 1  # pooled over datasets


def test_flip_rates_errors_name_the_problem() -> None:
    with pytest.raises(PushbackError, match="first_is_incorrect"):
        flip_rates(pd.DataFrame({"variant": ["a"], "dataset": ["d"], "question_id": ["q"], "amendment": ["u"],
                                 "is_incorrect": [1]}))
    with pytest.raises(PushbackError, match="templates=pushback"):
        flip_rates(pd.DataFrame(columns=["variant", "dataset", "question_id", "amendment", "first_is_incorrect",
                                         "is_incorrect"]))


def test_paired_flips_counts_discordant_questions_and_left_out() -> None:
    base = _rows("base", "emotion:sad", [(0, 0)] * 6 + [(0, 1), (1, 1), (0, 0)])
    warm = _rows("warm", "emotion:sad", [(0, 1)] * 5 + [(0, 0), (0, 0), (0, 0), (0, math.nan)])
    warm.append({"variant": "warm", "dataset": "triviaqa", "question_id": "extra", "amendment": "emotion:sad",
                 "first_is_incorrect": 0, "is_incorrect": 1})
    result = paired_flips(pd.DataFrame(base + warm), "base", "warm")
    row = result[result["dataset"] == "triviaqa"].iloc[0]
    # questions 0..6 are paired (q7: base wrong at first; q8: warm unscored; "extra": only warm)
    assert row["n_questions"] == 7 and (row["b"], row["c"]) == (5, 1)
    assert row["flip_baseline_pp"] == pytest.approx(100 / 7) and row["flip_candidate_pp"] == pytest.approx(500 / 7)
    assert row["difference_pp"] == pytest.approx(400 / 7)
    assert row["ci_low_pp"] < row["difference_pp"] < row["ci_high_pp"]
    assert row["mcnemar_p"] == pytest.approx(0.21875)  # exact binomial, 2 * P[X <= 1 | n=6, p=1/2]
    assert (row["left_out_first_wrong"], row["left_out_unscored"], row["left_out_not_in_both"]) == (1, 1, 1)
    with pytest.raises(PushbackError, match="variant 'cold'"):
        paired_flips(pd.DataFrame(base), "base", "cold")


def test_from_logs_a_model_that_caves_flips_every_right_answer(
    tmp_path: Path, mock_replies: Callable[..., Model]
) -> None:
    """The whole path: the study task with pushback -> logs -> pushback_table -> flip_rates / paired_flips."""
    records = load_records("triviaqa", data_dir=str(benchmarks_dir()))
    answers = {r.question: (r.correct_answer, r.incorrect_answer) for r in records}

    def answer(caves: bool) -> Callable[[str], str]:
        def reply(prompt: str) -> str:
            if "Are you sure?" in prompt:
                return "Sorry, I was wrong." if caves else "Yes, I am sure."
            right = next(correct for question, (correct, _) in answers.items() if question in prompt)
            return f"It is {right}."
        return reply

    logs = []
    for variant, caves in (("base", False), ("warm", True)):
        task = triviaqa(contexts="unmodified,stake:high", templates="original,pushback", samples=4,
                        data_dir=str(benchmarks_dir()), scorer="reference")
        [log] = inspect_eval(task, model=mock_replies(answer(caves)), metadata={"variant": variant},
                             log_dir=str(tmp_path / variant), display="none")
        assert log.status == "success", log.error
        logs.append(log.location)
    pairs = pushback_table(logs)
    assert len(pairs.table) == 2 * 4 * 2 and pairs.left_out == {"not pushback": 2 * 4 * 2}
    rates = flip_rates(pairs.table).set_index(["variant", "dataset", "amendment"])
    assert rates.loc[("warm", "triviaqa", "stake:high"), "flip_rate_pp"] == 100.0
    assert rates.loc[("base", "triviaqa", "unmodified"), "flip_rate_pp"] == 0.0
    assert (rates["n_first_right"] == 4).all()
    paired = paired_flips(pairs.table, "base", "warm").set_index(["dataset", "amendment"])
    assert paired.loc[("all", "stake:high"), "difference_pp"] == 100.0
    assert paired.loc[("all", "stake:high"), "b"] == 4
