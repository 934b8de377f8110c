"""The study's ordered query-type rules (``stimuli().query_type_rules``) as code; first match wins.

The rules are written in prose in ``stimuli.json``; the word lists below are copied from it exactly and
:func:`check_rules_match_stimuli` (run by the tests) fails if the two drift apart. Choices the prose leaves open,
documented here: the rules look at the conversation's first user message and first assistant reply; "contains"
is a case-insensitive substring test (as the study's refusal matching is), while "starts with What/Who/... followed
by a space" is case-sensitive as written; curly apostrophes are read as straight ones.
"""

from __future__ import annotations

from inspect_warmth.study.stimuli import stimuli
from inspect_warmth.vocabulary import QUERY_TYPES

REFUSAL_PHRASES: tuple[str, ...] = (
    "I'm sorry",
    "I apologize",
    "I can't",
    "I cannot",
    "Unfortunately",
    "not able to",
    "unable to",
    "against my",
    "not appropriate",
)
FACTUAL_STARTS: tuple[str, ...] = ("What", "Who", "When", "Where", "Why", "How")
FACTUAL_WORDS: tuple[str, ...] = ("explain", "define", "describe", "difference between")
CREATIVE_WORDS: tuple[str, ...] = ("story", "poem", "write", "create", "generate", "imagine")
TECHNICAL_FENCE = "```"
TECHNICAL_WORDS: tuple[str, ...] = ("code", "program", "function", "algorithm", "debug")
ADVICE_WORDS: tuple[str, ...] = ("advice", "help me", "guide", "recommend", "suggestion")


def _norm(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'")


def _contains_any(text: str, words: tuple[str, ...]) -> bool:
    low = _norm(text).lower()
    return any(w.lower() in low for w in words)


def query_type(user_message: str, assistant_reply: str) -> str:
    """Label one exchange with the first matching rule: refusal, factual, creative, technical, advice, other."""
    if _contains_any(assistant_reply, REFUSAL_PHRASES):
        return "refusal"
    if any(user_message.startswith(w + " ") for w in FACTUAL_STARTS) or _contains_any(user_message, FACTUAL_WORDS):
        return "factual"
    if _contains_any(user_message, CREATIVE_WORDS):
        return "creative"
    if TECHNICAL_FENCE in assistant_reply or _contains_any(user_message, TECHNICAL_WORDS):
        return "technical"
    if _contains_any(user_message, ADVICE_WORDS):
        return "advice"
    return "other"


def check_rules_match_stimuli() -> None:
    """Raise if a word list above is missing from the prose rule it implements (guards against drift)."""
    rules = stimuli().query_type_rules
    if tuple(rules) != QUERY_TYPES:
        raise ValueError(f"query types {tuple(rules)} differ from {QUERY_TYPES}")
    lists = {
        "refusal": REFUSAL_PHRASES,
        "factual": FACTUAL_STARTS + FACTUAL_WORDS,
        "creative": CREATIVE_WORDS,
        "technical": (TECHNICAL_FENCE, *TECHNICAL_WORDS),
        "advice": ADVICE_WORDS,
    }
    for name, words in lists.items():
        missing = [w for w in words if w not in rules[name]]
        if missing:
            raise ValueError(f"query-type rule {name!r} in stimuli.json no longer mentions {missing}")
