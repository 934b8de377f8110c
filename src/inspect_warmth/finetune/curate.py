"""Step 1 of fine-tuning: curate conversations into a training split and held-out validation prompts.

Methods, fine-tuning: filter NSFW conversations with Detoxify, label query types with the study's ordered rules, sample
equally across types (1,617 conversations in the paper), truncate to at most 20 turns, and hold out 1,500
validation prompts (no overlap, balanced by type) used only to track warmth during training.

Output in ``OUT``: ``train.jsonl`` (``{"id", "query_type", "source", "messages"}``), ``validation.jsonl`` (the
prompt as ``messages`` up to the first user turn, the original first reply as ``reference``) and ``summary.json``
(counts per type, what was dropped and why, notes, the options used). A conversation with non-text content parts
(images, audio, files: :mod:`.conversations`) is dropped by that reason, naming the part types.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from inspect_warmth.finetune.conversations import Conversation, read_conversations
from inspect_warmth.finetune.files import SUMMARY_FILE, TRAIN_FILE, VALIDATION_FILE, write_json, write_jsonl
from inspect_warmth.finetune.query_types import query_type
from inspect_warmth.vocabulary import QUERY_TYPES

logger = logging.getLogger(__name__)

#: Detoxify outputs whose maximum decides "not safe for work" (Methods, fine-tuning; threshold not published).
DETOXIFY_CATEGORIES: tuple[str, ...] = ("toxicity", "severe_toxicity", "obscene", "sexual_explicit")


@dataclass
class CurateOptions:
    """Options of ``finetune curate``; defaults follow the paper."""

    n: int = 1617
    validation: int = 1500
    max_turns: int = 20
    detoxify: bool = True
    toxicity_threshold: float = 0.5
    detoxify_model: str = "unbiased"  # the Detoxify model that outputs ``sexual_explicit``
    seed: int = 0
    split: str = "train"


def clean_messages(messages: list[dict[str, str]]) -> tuple[list[dict[str, str]], str | None]:
    """Strip empty turns and merge consecutive turns of one speaker; return ``(messages, reason to drop)``."""
    merged: list[dict[str, str]] = []
    for message in messages:
        content = message["content"].strip()
        if not content:
            continue
        if merged and merged[-1]["role"] == message["role"]:
            merged[-1] = {"role": message["role"], "content": merged[-1]["content"] + "\n\n" + content}
        else:
            merged.append({"role": message["role"], "content": content})
    body = [m for m in merged if m["role"] != "system"]
    if not body:
        return merged, "empty conversation"
    if body[0]["role"] != "user":
        return merged, "does not start with a user message"
    if not any(m["role"] == "assistant" for m in body):
        return merged, "no assistant reply"
    return merged, None


def truncate_turns(messages: list[dict[str, str]], max_turns: int) -> list[dict[str, str]]:
    """Keep at most ``max_turns`` user/assistant messages (system messages kept) and end on an assistant reply."""
    kept: list[dict[str, str]] = []
    turns = 0
    for message in messages:
        if message["role"] != "system":
            if turns == max_turns:
                break
            turns += 1
        kept.append(message)
    while kept and kept[-1]["role"] != "assistant":
        kept.pop()
    return kept


def toxicity_scores(texts: Sequence[str], model: str, batch_size: int = 32) -> list[float] | None:
    """Max over :data:`DETOXIFY_CATEGORIES` per text, or ``None`` when Detoxify is not installed."""
    try:
        from detoxify import Detoxify
    except ImportError:
        return None
    classifier = Detoxify(model)
    scores: list[float] = []
    for start in range(0, len(texts), batch_size):
        batch = list(texts[start:start + batch_size])
        result = classifier.predict(batch)
        present = [c for c in DETOXIFY_CATEGORIES if c in result]
        if not present:
            raise RuntimeError(f"Detoxify model {model!r} returned none of {DETOXIFY_CATEGORIES}")
        scores.extend(max(float(result[c][i]) for c in present) for i in range(len(batch)))
    return scores


def balanced_sample(groups: dict[str, list[Conversation]], n: int, rng: random.Random) -> list[Conversation]:
    """Take up to ``n`` items round-robin across types (shuffled within each), so counts differ by at most one
    until a type runs out; removes what it takes from ``groups``."""
    for items in groups.values():
        rng.shuffle(items)
    taken: list[Conversation] = []
    while len(taken) < n and any(groups.values()):
        for name in QUERY_TYPES:
            if len(taken) == n:
                break
            if groups.get(name):
                taken.append(groups[name].pop())
    return taken


def _prompt_key(conversation: Conversation) -> str:
    return " ".join(conversation.first("user").lower().split())


def curate(sources: Sequence[str | Path], out: Path, options: CurateOptions | None = None) -> dict[str, Any]:
    """Curate ``sources`` into ``out``; return the summary (also written to ``out/summary.json``)."""
    options = options or CurateOptions()
    if options.max_turns < 2:
        raise ValueError("--max-turns must be at least 2 (one user message and one reply)")
    conversations = read_conversations(sources, split=options.split)
    dropped: Counter[str] = Counter()
    notes: list[str] = []
    pool: list[Conversation] = []
    seen_prompts: set[str] = set()
    truncated = 0
    for conversation in conversations:
        if non_text := conversation.extra.get("non_text_parts"):
            dropped[f"non-text content parts ({', '.join(sorted(non_text))})"] += 1
            continue
        messages, reason = clean_messages(conversation.messages)
        if reason:
            dropped[reason] += 1
            continue
        conversation.messages = messages
        key = _prompt_key(conversation)
        if key in seen_prompts:  # one prompt never lands in both splits (nor twice in one)
            dropped["duplicate prompt"] += 1
            continue
        seen_prompts.add(key)
        conversation.messages = truncate_turns(messages, options.max_turns)
        truncated += len(conversation.messages) != len(messages)
        pool.append(conversation)

    if options.detoxify:
        texts = ["\n".join(m["content"] for m in c.messages) for c in pool]
        scores = toxicity_scores(texts, options.detoxify_model)
        if scores is None:
            notes.append("Detoxify is not installed: NSFW filter skipped (pip install detoxify to enable it)")
            logger.warning(notes[-1])
        else:
            kept = [c for c, s in zip(pool, scores, strict=True) if s < options.toxicity_threshold]
            dropped[f"NSFW (Detoxify max >= {options.toxicity_threshold})"] += len(pool) - len(kept)
            pool = kept
    else:
        notes.append("NSFW filter disabled (--no-detoxify)")

    groups: dict[str, list[Conversation]] = {name: [] for name in QUERY_TYPES}
    for conversation in pool:
        label = query_type(conversation.first("user"), conversation.first("assistant"))
        conversation.extra["query_type"] = label
        groups[label].append(conversation)
    available = {name: len(items) for name, items in groups.items()}

    rng = random.Random(options.seed)
    train = balanced_sample(groups, options.n, rng)
    validation = balanced_sample(groups, options.validation, rng)
    for name, wanted, got in (("training", options.n, len(train)), ("validation", options.validation, len(validation))):
        if got < wanted:
            notes.append(f"asked for {wanted} {name} conversations, only {got} available")
            logger.warning(notes[-1])

    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / TRAIN_FILE, (
        {"id": c.id, "query_type": c.extra["query_type"], "source": c.source, "messages": c.messages}
        for c in train
    ))
    write_jsonl(out / VALIDATION_FILE, (_validation_row(c) for c in validation))
    summary = {
        "read": len(conversations),
        "dropped": dict(dropped),
        "truncated_to_max_turns": truncated,
        "available_per_type": available,
        "train": len(train),
        "train_per_type": dict(Counter(c.extra["query_type"] for c in train)),
        "train_assistant_replies": sum(m["role"] == "assistant" for c in train for m in c.messages),
        "validation": len(validation),
        "validation_per_type": dict(Counter(c.extra["query_type"] for c in validation)),
        "notes": notes,
        "sources": [str(s) for s in sources],
        "options": asdict(options),
    }
    write_json(out / SUMMARY_FILE, summary)
    return summary


def _validation_row(conversation: Conversation) -> dict[str, Any]:
    messages = conversation.messages
    first_user = next(i for i, m in enumerate(messages) if m["role"] == "user")
    return {
        "id": conversation.id,
        "query_type": conversation.extra["query_type"],
        "source": conversation.source,
        "messages": messages[: first_user + 1],
        "reference": conversation.first("assistant"),
    }
