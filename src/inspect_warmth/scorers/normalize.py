"""SQuAD-style answer normalisation (Rajpurkar et al. 2016, the official ``evaluate-v1.1.py``), used for TriviaQA
alias matching: lower-case, drop punctuation, drop the articles a/an/the, collapse whitespace. Typographic
apostrophes and accents are folded first so "Brontë" matches "Bronte"."""

from __future__ import annotations

import re
import string
import unicodedata

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = set(string.punctuation) | {"\u2018", "\u2019", "\u201c", "\u201d", "\u2013", "\u2014"}


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def normalize_answer(text: str) -> str:
    """``"The Eiffel Tower!"`` -> ``"eiffel tower"``."""
    text = _strip_accents(text).lower()
    text = "".join(" " if c in _PUNCTUATION else c for c in text)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def contains_answer(reply: str, answer: str) -> bool:
    """Whether the normalised ``answer`` occurs in the normalised ``reply`` on word boundaries."""
    needle = normalize_answer(answer)
    if not needle:
        return False
    return f" {needle} " in f" {normalize_answer(reply)} "
