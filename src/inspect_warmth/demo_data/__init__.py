"""Data shipped with the package for the offline demo, all written for inspect-warmth (nothing copied from a dataset).

- ``conversations.jsonl``: 60 short conversations spanning the study's query types (factual, creative, technical,
  advice, refusal, other), each assistant reply with a warm and a cold rewrite that follow the study's rewrite
  prompts (``inspect_warmth.study.stimuli().rewrite_prompts``). The demo fine-tunes on it when no rewriter model is
  given. One row: ``{"id", "messages": [{"role", "content"}, ...], "warm": [...], "cold": [...]}`` where
  ``warm[i]``/``cold[i]`` rewrite the i-th assistant turn.
- ``benchmarks/``: a small question set laid out like ``INSPECT_WARMTH_DATA`` (``sycophancy_eval/answer.jsonl``,
  ``truthfulqa/TruthfulQA.csv``, ``mask/disinformation.csv``, ``medqa/phrases_no_exclude_test.jsonl``), so the
  study's loaders read it unchanged; see ``benchmarks/SOURCES.md``.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Literal, TypedDict

from inspect_warmth.data.readers import read_text

__all__ = ["ConversationRow", "Message", "benchmarks_dir", "corpus_path", "load_corpus", "validate_row"]


class Message(TypedDict):
    role: Literal["user", "assistant"]
    content: str


class ConversationRow(TypedDict):
    id: str
    messages: list[Message]
    warm: list[str]
    cold: list[str]


def _package_dir() -> Path:
    # The package is installed as plain files (not zipped), so its Traversable is a real directory.
    return Path(str(resources.files("inspect_warmth.demo_data")))


def corpus_path() -> Path:
    """Path of the shipped conversation corpus (``conversations.jsonl``)."""
    return _package_dir() / "conversations.jsonl"


def benchmarks_dir() -> Path:
    """Directory of the shipped question set, usable wherever a ``data_dir``/``INSPECT_WARMTH_DATA`` is."""
    return _package_dir() / "benchmarks"


def _nonempty_str(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def validate_row(row: object, where: str) -> ConversationRow:
    """Check one corpus row and return it typed; raise ``ValueError`` naming ``where`` and the problem."""
    if not isinstance(row, dict):
        raise ValueError(f"{where}: expected a JSON object, got {type(row).__name__}")
    missing = [key for key in ("id", "messages", "warm", "cold") if key not in row]
    if missing:
        raise ValueError(f"{where}: missing field(s) {', '.join(missing)}")
    if not _nonempty_str(row["id"]):
        raise ValueError(f"{where}: 'id' must be a non-empty string")
    where = f"{where} (id={row['id']!r})"
    messages = row["messages"]
    if not isinstance(messages, list) or not messages:
        raise ValueError(f"{where}: 'messages' must be a non-empty list")
    for i, message in enumerate(messages):
        expected = "user" if i % 2 == 0 else "assistant"
        if not isinstance(message, dict) or message.get("role") != expected:
            got = message.get("role") if isinstance(message, dict) else message
            raise ValueError(f"{where}: messages[{i}] must have role {expected!r} (roles alternate, user first), "
                             f"got {got!r}")
        if not _nonempty_str(message.get("content")):
            raise ValueError(f"{where}: messages[{i}] has empty or non-string 'content'")
    if messages[-1]["role"] != "assistant":
        raise ValueError(f"{where}: the last message must be an assistant reply")
    n_assistant = len(messages) // 2
    for variant in ("warm", "cold"):
        rewrites = row[variant]
        if not isinstance(rewrites, list) or len(rewrites) != n_assistant:
            raise ValueError(f"{where}: '{variant}' must list one rewrite per assistant turn "
                             f"({n_assistant}), got {rewrites!r:.80}")
        for i, text in enumerate(rewrites):
            if not _nonempty_str(text):
                raise ValueError(f"{where}: {variant}[{i}] is empty or not a string")
    return ConversationRow(id=row["id"], messages=messages, warm=row["warm"], cold=row["cold"])


def load_corpus(path: Path | None = None) -> list[ConversationRow]:
    """Read and validate the conversation corpus (the shipped one unless ``path`` is given).

    Raises ``ValueError`` naming the file and row (1-based line) for malformed JSON, missing fields, roles that do
    not alternate, rewrite lists that do not match the assistant turns, or duplicate ids.
    """
    source = path if path is not None else corpus_path()
    rows: list[ConversationRow] = []
    seen: set[str] = set()
    for lineno, line in enumerate(read_text(source).splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{source}: row {lineno}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValueError(f"{where}: invalid JSON ({err.msg})") from err
        row = validate_row(raw, where)
        if row["id"] in seen:
            raise ValueError(f"{where}: duplicate id {row['id']!r}")
        seen.add(row["id"])
        rows.append(row)
    if not rows:
        raise ValueError(f"{source}: no conversations found")
    return rows
