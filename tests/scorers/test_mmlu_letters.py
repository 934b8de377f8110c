"""MMLU: replies that give the option as a lower-case letter, and prose whose article "a" is no option.

Unit of independence: one reply string.
"""

from __future__ import annotations

import pytest
from scorer_helpers import make_state, run_scorer

from inspect_warmth.scorers import mmlu_letter
from inspect_warmth.scorers.capability import extract_letter

CHOICES = ["Mercury", "Venus", "Earth", "Mars"]
MMLU = {"dataset": "mmlu", "question_id": "astronomy-1", "subject": "astronomy", "choices": CHOICES}


@pytest.mark.parametrize(("reply", "letter"), [
    ("b", "B"), ("(b)", "B"), ("**b**", "B"), ("b)", "B"), ("b.", "B"), (" c \n", "C"), ("`d`", "D"),
    ("Answer: b", "B"), ("Answer: **b**", "B"), ("**Answer: c**", "C"), ("answer: (d)", "D"),
    ("The answer is b.", "B"), ("The answer is a, since it is closest to the sun.", "A"),
    ("Final answer: c) Earth", "C"), ("b) Venus is the hottest planet.", "B"),
    ("Looking at the options, (c) fits best.", "C"), ("a", "A"),
])
def test_lower_case_letter_is_the_option(reply: str, letter: str) -> None:
    assert extract_letter(reply, CHOICES) == letter


@pytest.mark.parametrize("reply", [
    "I think a planet closer to the sun is hotter.",
    "Answer: a bit of both, really.",
    "It's a tough one; a lot depends on the orbit.",
    "The answer is a matter of taste.",
    "As a student, I would say it depends on a few things.",
])
def test_article_a_in_prose_is_no_option(reply: str) -> None:
    assert extract_letter(reply, CHOICES) is None


@pytest.mark.parametrize(("reply", "value"), [("b", "C"), ("(b)", "C"), ("**b**", "C"), ("c", "I")])
def test_mmlu_scorer_on_lower_case_replies(reply: str, value: str) -> None:
    score = run_scorer(mmlu_letter(), make_state(reply, MMLU, "B"))
    assert score.value == value


@pytest.mark.parametrize(("reply", "letter"), [
    ("Ｂ", "B"), ("（Ｂ）", "B"), ("答案：Ｂ", "B"), ("答案：Ａ", "A"), ("答案是 Ｃ。", "C"), ("正确答案：（Ｄ）", "D"),
    ("Ｃ．Ｅａｒｔｈ", "C"), ("The answer is Ｄ.", "D"), ("答え：Ｂ", "B"), ("选项Ｂ正确。", "B"),
    ("答案：ｂ", "B"), ("我认为是Ａ，不对，答案：Ｃ", "C"),
])
def test_full_width_letters_are_letters(reply: str, letter: str) -> None:
    assert extract_letter(reply, CHOICES) == letter


def test_full_width_reply_is_scored() -> None:
    assert run_scorer(mmlu_letter(), make_state("答案：（Ｂ）", MMLU, "B")).value == "C"
    assert run_scorer(mmlu_letter(), make_state("答案：（Ｃ）", MMLU, "B")).value == "I"
