"""JSONL files of the fine-tuning pipeline: the split, rewrite caches, replies. One row per line."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from inspect_warmth.data.atomic_files import atomic_open
from inspect_warmth.data.atomic_files import write_json as _write_json
from inspect_warmth.data.readers import read_text

logger = logging.getLogger(__name__)

#: File names inside a curated directory.
TRAIN_FILE = "train.jsonl"
VALIDATION_FILE = "validation.jsonl"
SUMMARY_FILE = "summary.json"


def styled_train_file(style: str) -> str:
    """``train.warm.jsonl``: the rewritten training set of one style."""
    return f"train.{style}.jsonl"


def read_jsonl(path: Path, *, tolerate_torn_tail: bool = False) -> list[dict[str, Any]]:
    """Rows of a JSONL file. ``tolerate_torn_tail`` leaves out an unfinished last line (no newline: a writer killed
    mid-line), with a warning naming the file; a bad line anywhere else raises ValueError naming file and row."""
    rows: list[dict[str, Any]] = []
    text = read_text(path)
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as err:
            if tolerate_torn_tail and number == len(lines) and not text.endswith("\n"):
                logger.warning("%s, row %d: an unfinished last line (a killed writer) is left out and redone",
                               path, number)
                break
            raise ValueError(f"{path}, row {number}: invalid JSON ({err.msg})") from err
    return rows


def cut_torn_tail(path: Path) -> int:
    """Cut an unfinished last line (no final newline: a writer killed mid-line) from an append-only JSONL file,
    so the next append starts on a line of its own; returns the bytes cut (0 when the file ends with a newline or
    does not exist). The cut is logged with the file's name."""
    if not path.exists():
        return 0
    data = path.read_bytes()
    if not data or data.endswith(b"\n"):
        return 0
    keep = data.rfind(b"\n") + 1
    with path.open("r+b") as handle:
        handle.truncate(keep)
    logger.warning("%s: cut an unfinished last line of %d bytes (a killed writer); its row is redone",
                   path, len(data) - keep)
    return len(data) - keep


def append_jsonl(handle: Any, row: dict[str, Any]) -> None:
    """Append one row as one whole line to an open JSONL ``handle`` and push it to disk (``fsync``), so a kill
    loses at most the row being written (cut by :func:`cut_torn_tail` on the next run)."""
    handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    handle.flush()
    os.fsync(handle.fileno())


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """Write atomically (:func:`inspect_warmth.data.atomic_files.atomic_open`)."""
    with atomic_open(path) as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (:func:`inspect_warmth.data.atomic_files.write_json`)."""
    _write_json(path, data)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
