"""The study metrics' standard error is clustered by question; unscored replies stay out of it."""

from __future__ import annotations

import math

import pytest
from inspect_ai.scorer import SampleScore, Score

from inspect_warmth.scorers.metrics import QUESTION_CLUSTER, stderr, study_metrics


def reply(question: str, value: str | float, reason: str | None = None, refusal: bool = False) -> SampleScore:
    """One prompt's scored reply to ``question``; ``reason`` marks it unscored (as the study scorers do)."""
    return SampleScore(score=Score(value=value, metadata={"refusal": refusal, "unscored_reason": reason}),
                       sample_id=question, sample_metadata={QUESTION_CLUSTER: question})


#: Three questions asked in two prompts each: a answered right twice, b wrong twice (once a refusal), c once each.
SCORED = [reply("a", "C"), reply("a", "C"), reply("b", "I"), reply("b", "I", refusal=True), reply("c", "C"),
          reply("c", "I")]
#: Unscored replies: an "N", an "N" after Inspect's epoch reducer (0.0 with its reason), and a question d whose only
#: reply is unscored (it must not count as a cluster).
UNSCORED = [reply("a", "N", reason="unparsable"), reply("b", 0.0, reason="unparsable"),
            reply("d", "N", reason="unparsable")]


def test_clustered_by_question_by_hand() -> None:
    """Unit of independence: the question (a, b, c), not the prompt.

    Values 1, 1 | 0, 0 | 1, 0: n = 6 prompts, mean 0.5, C = 3 questions.
    Unclustered: sample variance 6 · 0.25 / 5 = 0.3, SE = sqrt(0.3 / 6) = sqrt(0.05) ≈ 0.224.
    Clustered (Inspect's formula): per-question deviation sums +1, -1, 0, so SE = sqrt(3/2 · (1 + 1 + 0)) / 6
    = sqrt(3) / 6 ≈ 0.289, larger by the factor sqrt(5/3): the prompts of a question agree. With equal-size
    questions it is the plain SE of the three question means (1, 0, 0.5): sqrt(0.25 / 3) = sqrt(3) / 6.
    """
    clustered = stderr(cluster=QUESTION_CLUSTER)(SCORED)
    plain = stderr()(SCORED)
    assert plain == pytest.approx(math.sqrt(0.05))
    assert clustered == pytest.approx(math.sqrt(3) / 6)
    assert clustered / plain == pytest.approx(math.sqrt(5 / 3))


def test_unscored_replies_stay_out() -> None:
    """Unscored replies change neither the value nor the number of clusters (d would make C = 4)."""
    with_unscored = [*SCORED, *UNSCORED]
    assert stderr(cluster=QUESTION_CLUSTER)(with_unscored) == pytest.approx(math.sqrt(3) / 6)
    assert stderr()(with_unscored) == pytest.approx(math.sqrt(0.05))
    assert math.isnan(stderr(cluster=QUESTION_CLUSTER)(UNSCORED))


def test_one_question_has_no_spread() -> None:
    """One cluster: Inspect's finite-cluster correction C / (C - 1) is undefined, so 0.0 (as the plain SE of n = 1)."""
    assert stderr(cluster=QUESTION_CLUSTER)([reply("a", "C"), reply("a", "I")]) == 0.0


def test_study_metrics_cluster_by_question() -> None:
    """The study tasks' stderr is the clustered one: it needs the question of every scored sample."""
    study_stderr = study_metrics()[1]
    assert study_stderr([*SCORED, *UNSCORED]) == pytest.approx(math.sqrt(3) / 6)
    with pytest.raises(ValueError, match=QUESTION_CLUSTER):
        study_stderr([SampleScore(score=Score(value="C"), sample_id="x", sample_metadata={}), *SCORED])
