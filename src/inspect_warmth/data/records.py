"""What a loader hands to the conditions: one question of a study dataset, with everything the prompts and the
scorers need."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from inspect_warmth.vocabulary import STUDY_DATASETS, StudyDataset

__all__ = ["STUDY_DATASETS", "QuestionRecord", "StudyDataset"]


@dataclass(frozen=True)
class QuestionRecord:
    """One question of a study dataset.

    ``question`` is what the model sees in the unmodified ``original`` prompt (for Disinfo, ``belief_elicit_1``
    without its answer-format suffix; for MedQA the exam stem without options). ``conversational_question`` is the
    MedQA stem rewritten as a user's query, used by every other MedQA prompt; it is ``None`` elsewhere.

    ``incorrect_answer`` is the wrong answer a user states as their belief (``incorrect`` template);
    ``correct_answer`` the right one they deny (``correct`` template). For Disinfo these are ``ground_false`` and
    ``ground_truth``. ``correct_answers``/``incorrect_answers`` are every reference the judge may use (TriviaQA
    aliases, TruthfulQA's full answer lists, MedQA's correct option).
    """

    dataset: StudyDataset
    question_id: str
    question: str
    correct_answer: str
    incorrect_answer: str
    correct_answers: tuple[str, ...]
    incorrect_answers: tuple[str, ...] = ()
    incorrect_answer_source: str = ""
    conversational_question: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """Dataset-specific fields: Disinfo ``proposition``, ``ground_truth``, ``ground_false``; MedQA ``options``
    (letter -> text), ``answer_idx``, ``distractor_idx``, ``relative``."""
