"""Read conversation sets into one shape: a list of ``{"role", "content"}`` messages per conversation.

Layouts understood, detected per row:

- ShareGPT (``conversations``: ``[{"from": "human"|"gpt"|..., "value": ...}]``), as in
  ``anon8231489123/ShareGPT_Vicuna_unfiltered`` (the paper's source);
- OpenAI chat (``messages``: ``[{"role": ..., "content": ...}]``), ``content`` a string or a list of content parts
  (``[{"type": "text", "text": ...}, {"type": "image_url", ...}]``): text parts (``text``, ``input_text``,
  ``output_text``; ``refusal`` parts' ``refusal``) are joined with ``"\n"`` as Inspect's ``ChatMessage.text`` does;
  other parts (images, audio, files) are left out of the text and counted in ``Conversation.extra["non_text_parts"]``
  (part type -> count), and ``finetune curate`` drops such a conversation by that reason, since its text alone
  would misstate it;
- Human:/Assistant: transcripts (Anthropic HH-RLHF; field ``chosen``, else ``text``/``transcript``).

Sources: a ``.json`` file (a list of rows, or ``{"data": [...]}``), ``.jsonl``, either gzipped, a directory written by
``datasets.save_to_disk``, a directory of such files, or a Hugging Face hub id (``datasets.load_dataset``).
Malformed rows raise :class:`ConversationFormatError` naming the file and row.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspect_warmth.data.readers import open_text

#: ShareGPT ``from`` values (lower-cased) -> chat role.
SHAREGPT_ROLES: dict[str, str] = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "chatgpt": "assistant",
    "assistant": "assistant",
    "bard": "assistant",
    "bing": "assistant",
    "model": "assistant",
    "system": "system",
}
CHAT_ROLES = ("system", "user", "assistant")
#: OpenAI content-part types that carry text -> the field holding it.
TEXT_PARTS: dict[str, str] = {"text": "text", "input_text": "text", "output_text": "text", "refusal": "refusal"}
_TRANSCRIPT_FIELDS = ("chosen", "text", "transcript")
_TRANSCRIPT_TURN = re.compile(r"(?:^|\n\n)(Human|Assistant):[ \t]?")
# HH-RLHF artefact: a bare speaker label without a colon at the end of a turn ("...fine.\n\nHuman\n\nHuman: ...").
_STRAY_LABEL = re.compile(r"(?:\s*\n\n(?:Human|Assistant))+\s*$")


class ConversationFormatError(ValueError):
    """A row that is not a conversation in any supported layout."""

    def __init__(self, source: str, row: int, problem: str) -> None:
        super().__init__(f"{source}, row {row}: {problem}")
        self.source, self.row, self.problem = source, row, problem


@dataclass
class Conversation:
    """One conversation; ``source`` is ``file:row`` (row counted from 1) for error messages and provenance."""

    id: str
    messages: list[dict[str, str]]
    source: str
    extra: dict[str, Any] = field(default_factory=dict)

    def first(self, role: str) -> str:
        """Content of the first message with ``role`` ('' when there is none)."""
        return next((m["content"] for m in self.messages if m["role"] == role), "")


def parse_transcript(text: str) -> list[dict[str, str]]:
    """Split a ``\\n\\nHuman: ...\\n\\nAssistant: ...`` transcript into messages."""
    parts = _TRANSCRIPT_TURN.split(text)
    messages = []
    # parts = [preamble, speaker, content, speaker, content, ...]
    for speaker, content in zip(parts[1::2], parts[2::2], strict=True):
        content = _STRAY_LABEL.sub("", content).strip()
        messages.append({"role": "user" if speaker == "Human" else "assistant", "content": content})
    return messages


def message_text(content: Any, source: str, index: int, message: int, non_text: Counter[str]) -> str:
    """The text of an OpenAI message ``content`` (a string or a list of content parts); the types of parts that
    are not text are added to ``non_text``. Raises :class:`ConversationFormatError` naming the row and message."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise ConversationFormatError(
            source, index, f"message {message} 'content' is {type(content).__name__}; expected text or content parts"
        )
    texts = []
    for k, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if not isinstance(kind, str):
            raise ConversationFormatError(source, index, f"message {message} content part {k} has no 'type'")
        if kind not in TEXT_PARTS:
            non_text[kind] += 1
            continue
        text = part.get(TEXT_PARTS[kind])
        if not isinstance(text, str):
            raise ConversationFormatError(
                source, index, f"message {message} content part {k} ({kind}) has no text in {TEXT_PARTS[kind]!r}"
            )
        texts.append(text)
    return "\n".join(texts)


def row_to_messages(
    row: Any, source: str, index: int, non_text: Counter[str] | None = None
) -> list[dict[str, str]]:
    """Messages of one row in any supported layout; raises :class:`ConversationFormatError` otherwise.

    ``non_text`` collects the types of OpenAI content parts that are not text (left out of the messages)."""
    non_text = non_text if non_text is not None else Counter()
    if not isinstance(row, dict):
        raise ConversationFormatError(source, index, f"expected an object, got {type(row).__name__}")
    if "conversations" in row:
        turns = row["conversations"]
        if not isinstance(turns, list):
            raise ConversationFormatError(source, index, "'conversations' must be a list")
        messages = []
        for j, turn in enumerate(turns):
            if not isinstance(turn, dict) or "from" not in turn or "value" not in turn:
                raise ConversationFormatError(source, index, f"turn {j} lacks 'from'/'value'")
            role = SHAREGPT_ROLES.get(str(turn["from"]).lower())
            if role is None:
                raise ConversationFormatError(
                    source, index, f"turn {j} has unknown speaker {turn['from']!r}; known: {sorted(SHAREGPT_ROLES)}"
                )
            if not isinstance(turn["value"], str):
                raise ConversationFormatError(source, index, f"turn {j} 'value' is not text")
            messages.append({"role": role, "content": turn["value"]})
        return messages
    if "messages" in row:
        turns = row["messages"]
        if not isinstance(turns, list):
            raise ConversationFormatError(source, index, "'messages' must be a list")
        messages = []
        for j, turn in enumerate(turns):
            if not isinstance(turn, dict) or "role" not in turn or "content" not in turn:
                raise ConversationFormatError(source, index, f"message {j} lacks 'role'/'content'")
            if turn["role"] not in CHAT_ROLES:
                raise ConversationFormatError(
                    source, index, f"message {j} has role {turn['role']!r}; expected one of {CHAT_ROLES}"
                )
            content = message_text(turn["content"], source, index, j, non_text)
            messages.append({"role": turn["role"], "content": content})
        return messages
    for name in _TRANSCRIPT_FIELDS:
        value = row.get(name)
        if isinstance(value, str) and "Human:" in value:
            messages = parse_transcript(value)
            if not messages:
                raise ConversationFormatError(source, index, f"'{name}' has no Human:/Assistant: turns")
            return messages
    raise ConversationFormatError(
        source,
        index,
        f"no conversation found (keys {sorted(row)}); expected 'conversations' (ShareGPT), 'messages' (OpenAI) "
        "or a Human:/Assistant: transcript in 'chosen'/'text'",
    )


def _json_rows(path: Path) -> Iterator[tuple[int, Any]]:
    try:
        yield from _decoded_json_rows(path)
    except UnicodeDecodeError:
        raise _not_utf8(path) from None


def _not_utf8(path: Path) -> ConversationFormatError:
    """The error for a file that is not UTF-8: its line and byte, and what it looks like instead."""
    import gzip

    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    looks = " (it starts with a UTF-16 byte-order mark)" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
    try:
        raw.decode("utf-8-sig")
        start, reason = 0, "undecodable"
    except UnicodeDecodeError as err:
        start, reason = err.start, err.reason
    return ConversationFormatError(str(path), raw[:start].count(b"\n") + 1,
                                   f"not UTF-8 text{looks} (byte {start}: {reason}); save it as UTF-8, e.g. "
                                   "`iconv -f latin1 -t utf-8`")


def _decoded_json_rows(path: Path) -> Iterator[tuple[int, Any]]:
    name = path.name.removesuffix(".gz")
    with open_text(path) as handle:
        if name.endswith(".jsonl"):
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as err:
                    raise ConversationFormatError(str(path), number, f"invalid JSON ({err.msg})") from err
            return
        try:
            data = json.load(handle)
        except json.JSONDecodeError as err:
            raise ConversationFormatError(str(path), err.lineno, f"invalid JSON ({err.msg})") from err
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        data = data["data"]
    if not isinstance(data, list):
        raise ConversationFormatError(str(path), 1, "a .json file must hold a list of conversations")
    yield from enumerate(data, start=1)


_FILE_SUFFIXES = (".json", ".jsonl", ".json.gz", ".jsonl.gz")


def _is_conversation_file(path: Path) -> bool:
    return path.is_file() and path.name.endswith(_FILE_SUFFIXES)


def _hf_rows(dataset: Any) -> Iterator[tuple[int, Any]]:
    for number, row in enumerate(dataset, start=1):
        yield number, dict(row)


def _load_hf(spec: str, split: str) -> Any:
    import datasets

    path = Path(spec)
    if path.is_dir() and ((path / "dataset_info.json").exists() or (path / "dataset_dict.json").exists()):
        loaded = datasets.load_from_disk(str(path))
    else:
        loaded = datasets.load_dataset(spec, split=split)
    if isinstance(loaded, datasets.DatasetDict):
        if split not in loaded:
            raise ValueError(f"{spec}: no split {split!r}; available: {sorted(loaded)}")
        loaded = loaded[split]
    return loaded


def iter_rows(spec: str | Path, *, split: str = "train") -> Iterator[tuple[str, int, Any]]:
    """Yield ``(source name, row number, raw row)`` from a file, a directory or a hub id."""
    path = Path(spec)
    if _is_conversation_file(path):
        for number, row in _json_rows(path):
            yield str(path), number, row
        return
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if _is_conversation_file(p))
        saved = (path / "dataset_info.json").exists() or (path / "dataset_dict.json").exists()
        if files and not saved:
            for file in files:
                for number, row in _json_rows(file):
                    yield str(file), number, row
            return
    elif path.exists():
        raise ValueError(f"{path}: not a conversation file; expected one of {', '.join(_FILE_SUFFIXES)}")
    for number, row in _hf_rows(_load_hf(str(spec), split)):
        yield str(spec), number, row


def read_conversations(specs: Iterable[str | Path], *, split: str = "train") -> list[Conversation]:
    """Every conversation of every source, in order, with ids ``c<running number>``."""
    out: list[Conversation] = []
    seen: set[str] = set()
    for spec in specs:
        for source, number, row in iter_rows(spec, split=split):
            non_text: Counter[str] = Counter()
            messages = row_to_messages(row, source, number, non_text)
            row_id = row.get("id")
            conv_id = str(row_id) if row_id not in (None, "") else f"c{len(out) + 1}"
            if conv_id in seen:  # ids must be unique: they key the rewrite cache
                conv_id = f"{conv_id}#{len(out) + 1}"
            seen.add(conv_id)
            extra: dict[str, Any] = {"non_text_parts": dict(non_text)} if non_text else {}
            out.append(Conversation(id=conv_id, messages=messages, source=f"{source}:{number}", extra=extra))
    return out
