"""JSONL files of the fine-tuning pipeline: the split, rewrite caches, replies. One row per line."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from inspect_warmth.data.readers import read_text

#: File names inside a curated directory.
TRAIN_FILE = "train.jsonl"
VALIDATION_FILE = "validation.jsonl"
SUMMARY_FILE = "summary.json"


def styled_train_file(style: str) -> str:
    """``train.warm.jsonl``: the rewritten training set of one style."""
    return f"train.{style}.jsonl"


def read_jsonl(path: Path, *, tolerate_torn_tail: bool = False) -> list[dict[str, Any]]:
    """Rows of a JSONL file. ``tolerate_torn_tail`` skips an unfinished last line (a killed writer)."""
    rows: list[dict[str, Any]] = []
    lines = read_text(path).splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as err:
            if tolerate_torn_tail and number == len(lines):
                break
            raise ValueError(f"{path}, row {number}: invalid JSON ({err.msg})") from err
    return rows


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """Write atomically (temporary file, then rename)."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(path)


def write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
