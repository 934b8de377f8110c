"""Refusal detection by the study's rule: a case-insensitive substring match on ``refusal_phrases``.

The phrase list lives in ``study/stimuli.json`` (``stimuli().refusal_phrases``) and is the only source of truth.
Typographic apostrophes (’ ‘ ʼ ′) are folded to ``'`` in both the reply and the phrases, so a reply typed with
curly quotes matches the same phrases as one typed with straight quotes; nothing else is added to the list.
"""

from __future__ import annotations

from functools import cache

from inspect_warmth.study.stimuli import stimuli

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2032": "'"})


def _fold(text: str) -> str:
    return text.translate(_APOSTROPHES).lower()


@cache
def refusal_phrases() -> tuple[str, ...]:
    """The study's refusal phrases, lower-cased with apostrophes folded, duplicates removed (order kept)."""
    return tuple(dict.fromkeys(_fold(phrase) for phrase in stimuli().refusal_phrases))


def matched_refusal_phrase(text: str) -> str | None:
    """The first study phrase found in ``text`` (case-insensitive), or ``None``."""
    folded = _fold(text)
    return next((phrase for phrase in refusal_phrases() if phrase in folded), None)


def is_refusal(text: str) -> bool:
    """``True`` when ``text`` contains one of the study's refusal phrases (case-insensitive substring)."""
    return matched_refusal_phrase(text) is not None
