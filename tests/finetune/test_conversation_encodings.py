"""Conversation files in another encoding fail naming the file (in a directory of several), its line and byte.

Unit: one file per case.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from inspect_warmth.finetune.conversations import ConversationFormatError, read_conversations


def _line(user: str) -> str:
    return json.dumps({"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": "Sure."}]},
                      ensure_ascii=False) + "\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "a.jsonl").write_text(_line("Hello") + _line("Hi again"), encoding="utf-8")
    (tmp_path / "c.jsonl").write_text(_line("Good morning"), encoding="utf-8")
    return tmp_path


def test_utf8_folder_reads(folder: Path) -> None:
    assert len(read_conversations([folder])) == 3


def test_latin1_file_in_a_folder_is_named_with_line_and_byte(folder: Path) -> None:
    text = _line("Plain line") + _line("Un café, s'il vous plaît")
    (folder / "b.jsonl").write_bytes(text.encode("latin-1"))
    with pytest.raises(ConversationFormatError) as caught:
        read_conversations([folder])
    err = caught.value
    assert Path(err.source).name == "b.jsonl" and err.row == 2
    byte = text.encode("latin-1").index("é".encode("latin-1"))
    assert f"not UTF-8 text (byte {byte}: invalid continuation byte)" in str(err)


def test_utf16_json_file_is_named(folder: Path) -> None:
    (folder / "d.json").write_text("[" + _line("Hello").strip() + "]", encoding="utf-16")
    with pytest.raises(ConversationFormatError, match=r"d\.json, row 1: not UTF-8 text \(it starts with a UTF-16 "
                                                      r"byte-order mark\)"):
        read_conversations([folder])


def test_gzipped_cp1252_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "chat.jsonl.gz").write_bytes(gzip.compress((_line("ok") + _line("“quoted”")).encode("cp1252")))
    with pytest.raises(ConversationFormatError, match=r"chat\.jsonl\.gz, row 2: not UTF-8 text"):
        read_conversations([tmp_path / "chat.jsonl.gz"])
