"""Stable question ids derived from content, so reruns and eval-set retries reuse finished samples."""

from __future__ import annotations

import hashlib
import re

_SPACE = re.compile(r"\s+")


def normalize_question(text: str) -> str:
    """Whitespace-collapsed, stripped question text: the join key between sources (TruthfulQA.csv has trailing
    spaces that SycophancyEval's copy lacks)."""
    return _SPACE.sub(" ", text).strip()


def question_id(text: str) -> str:
    """First 10 hex digits of the sha1 of the normalized question text (same id whatever file it came from)."""
    return hashlib.sha1(normalize_question(text).encode("utf-8")).hexdigest()[:10]
