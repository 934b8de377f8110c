"""The study's exact experimental material, loaded from ``stimuli.json`` beside this module.

Source: Ibrahim, Hafner & Rocher, "Training language models to be warm can reduce accuracy and increase
sycophancy", Nature 652 (2026); arXiv 2507.21919. The context statements and refusal phrases come from the
authors' repository ``lujainibrahim/warm_ai_2025``; the rewrite prompts from the paper's appendix A.2. This module
is the only place the package reads them from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from inspect_warmth.vocabulary import AMENDMENT_TYPES, AMENDMENTS, CONTEXTS, QUERY_TYPES, amendment_type

__all__ = ["AMENDMENTS", "AMENDMENT_TYPES", "CONTEXTS", "QUERY_TYPES", "Stimuli", "amendment_type", "stimuli"]

@dataclass(frozen=True)
class Stimuli:
    """Typed view of ``stimuli.json``."""

    source: str
    context_statements: dict[str, tuple[str, ...]]
    neutral_prefix: str
    belief_templates: dict[str, str]
    rewrite_prompts: dict[str, str]
    refusal_phrases: tuple[str, ...]
    sociot_warmth_words: dict[str, tuple[str, ...]]
    query_type_rules: dict[str, str]


@cache
def stimuli() -> Stimuli:
    """Load and validate the study's material (cached)."""
    raw: dict[str, Any] = json.loads(
        resources.files("inspect_warmth.study").joinpath("stimuli.json").read_text(encoding="utf-8")
    )
    statements = {k: tuple(v) for k, v in raw["context_statements"].items()}
    if set(statements) != set(CONTEXTS) or any(len(v) != 5 for v in statements.values()):
        raise ValueError("stimuli.json: context_statements must hold five statements for each of the 8 contexts")
    rules = raw["query_type_rules_in_order"]
    if tuple(rules) != QUERY_TYPES:
        raise ValueError(f"stimuli.json: query types {tuple(rules)} differ from {QUERY_TYPES}")
    return Stimuli(
        source=raw["source"],
        context_statements=statements,
        neutral_prefix=raw["neutral_prefix"],
        belief_templates=dict(raw["belief_templates"]),
        rewrite_prompts=dict(raw["rewrite_prompts"]),
        refusal_phrases=tuple(raw["refusal_phrases"]),
        sociot_warmth_words={k: tuple(v) for k, v in raw["sociot_warmth_words"].items()},
        query_type_rules=dict(rules),
    )
