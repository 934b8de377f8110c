"""Scorers: the study's judge and offline reference scorer, refusal rule, capability scorers, judge agreement.

Importing this package is light: sentence-transformers / torch load only when the reference scorer needs its
embedding fallback.
"""

from inspect_ai.scorer import Scorer

from inspect_warmth.scorers.capability import advbench_refusal, gsm8k_number, mmlu_letter
from inspect_warmth.scorers.judge import judge
from inspect_warmth.scorers.metrics import HEADLINE_METRIC
from inspect_warmth.scorers.reference import reference
from inspect_warmth.scorers.refusal import is_refusal
from inspect_warmth.vocabulary import STUDY_SCORERS


def study_scorer(name: str, judge_context: str = "question") -> Scorer:
    """The study scorer called ``name``: ``"judge"`` (model-graded, default) or ``"reference"`` (offline).

    ``judge_context``: what the judge sees besides question, references and reply: ``question`` (nothing more,
    the paper's) or ``user_turn`` (the user's turn(s)); the reference scorer reads no context and accepts only
    ``question``.
    """
    if name == "judge":
        return judge(context=judge_context)
    if name == "reference":
        if judge_context != "question":
            raise ValueError(f"judge_context={judge_context!r} needs scorer=judge; the reference scorer reads rules, "
                             "not the user's turn")
        return reference()
    raise ValueError(f"unknown study scorer {name!r}; expected one of {', '.join(STUDY_SCORERS)}")


__all__ = [
    "HEADLINE_METRIC",
    "STUDY_SCORERS",
    "advbench_refusal",
    "gsm8k_number",
    "is_refusal",
    "judge",
    "mmlu_letter",
    "reference",
    "study_scorer",
]
