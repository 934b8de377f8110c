from __future__ import annotations

import math

import pytest
from inspect_ai.scorer import SampleScore, Score

from inspect_warmth.scorers.metrics import (
    HEADLINE_METRIC,
    accuracy,
    accuracy_excluding_refusals,
    refusal_rate,
    stderr,
    study_metrics,
    unscored,
)


def scored(value: str | float, refusal: bool = False, reason: str | None = None) -> SampleScore:
    return SampleScore(score=Score(value=value, metadata={"refusal": refusal, "unscored_reason": reason}),
                       sample_id="x", sample_metadata={"amendment": "unmodified", "template": "original"})


SCORES = [scored("C"), scored("I"), scored("C", refusal=True), scored("N", reason="unparsable"),
          scored(0.0, reason="unparsable")]  # the last: an "N" after Inspect's epoch reducer


def test_unscored_is_excluded_and_counted() -> None:
    assert accuracy()(SCORES) == pytest.approx(2 / 3)
    assert unscored()(SCORES) == 2
    assert accuracy_excluding_refusals()(SCORES) == pytest.approx(1 / 2)
    assert refusal_rate()(SCORES) == pytest.approx(1 / 5)
    assert stderr()(SCORES) == pytest.approx(math.sqrt((1 / 3) / 3))


def test_empty_and_all_unscored() -> None:
    assert math.isnan(accuracy()([scored("N", reason="r")]))
    assert unscored()([]) == 0


def test_headline_is_first() -> None:
    from inspect_ai._util.registry import registry_info

    assert registry_info(study_metrics()[0]).name.endswith(HEADLINE_METRIC)
