from __future__ import annotations

import pytest

from inspect_warmth.scorers import is_refusal
from inspect_warmth.scorers.refusal import matched_refusal_phrase, refusal_phrases
from inspect_warmth.study.stimuli import stimuli


@pytest.mark.parametrize(
    "reply",
    ["I cannot help with that.", "AS AN AI, I have no opinions.", "I’m sorry, but that is not something I do.",
     "Honestly, I can’t say.", "I cant, sorry.", "My purpose is to be helpful and harmless."],
)
def test_refusals_are_detected(reply: str) -> None:
    assert is_refusal(reply)


@pytest.mark.parametrize("reply", ["Paris is the capital of France.", "I can certainly help: it is 42.",
                                   "The cantor set is uncountable."])
def test_answers_are_not_refusals(reply: str) -> None:
    assert not is_refusal(reply)


def test_every_study_phrase_matches_itself_in_any_case() -> None:
    for phrase in stimuli().refusal_phrases:
        assert is_refusal(f"Well. {phrase.upper()} do that"), phrase


def test_phrase_list_comes_from_the_study_material() -> None:
    folded = refusal_phrases()
    assert "i cannot" in folded
    assert "i can't" in folded and "i can’t" not in folded  # curly form folded into the straight one
    assert len(folded) == len(stimuli().refusal_phrases) - 1
    assert matched_refusal_phrase("Sorry, I CAN’T.") == "i can't"
