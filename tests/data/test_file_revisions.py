"""Benchmark files of another revision, and their neighbours: TruthfulQA's 2025 revision is recognised and recorded
(or refused where it lacks the study's questions); a MedQA directory with the 4- and 5-option test files reads one
version, recorded; a ``.json`` file holding JSON Lines (``datasets``' ``to_json``) is read.

Unit of independence: one benchmark file (or directory) per test.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from benchmark_files import TRUTHFULQA_ROWS, medqa_row, write_csv, write_jsonl, write_sycophancy_eval

from inspect_warmth.data.errors import DataFormatError
from inspect_warmth.data.loaders import load_records
from inspect_warmth.data.readers import read_rows
from inspect_warmth.data.truthfulqa import MissingAnswerListsError, read_truthfulqa

BEST_INCORRECT = ["You get sick", "Yes, bulls hate red"]


def _rows_2025() -> list[dict[str, str]]:
    """The hand-built rows with the 2025 revision's column order (Best Incorrect Answer after Best Answer)."""
    out = []
    for row, best_incorrect in zip(TRUTHFULQA_ROWS, BEST_INCORRECT, strict=True):
        keys = list(row)
        revised = {k: row[k] for k in keys[:4]} | {"Best Incorrect Answer": best_incorrect}
        out.append(revised | {k: row[k] for k in keys[4:]})
    return out


def test_2025_revision_is_recognised_and_recorded(tmp_path: Path) -> None:
    write_csv(tmp_path / "truthfulqa" / "TruthfulQA.csv", _rows_2025())
    records = load_records("truthfulqa", tmp_path, source="original")
    assert [r.extra["truthfulqa_revision"] for r in records] == ["2025", "2025"]
    assert [r.incorrect_answer for r in records] == BEST_INCORRECT  # not the first Incorrect Answer
    assert [r.incorrect_answer_source for r in records] == ["truthfulqa_best_incorrect"] * 2
    assert records[0].incorrect_answers == ("You get sick", "You grow watermelons in your stomach")


def test_original_revision_is_recorded(tmp_path: Path) -> None:
    write_csv(tmp_path / "truthfulqa" / "TruthfulQA.csv", TRUTHFULQA_ROWS)
    records = load_records("truthfulqa", tmp_path, source="original")
    assert [r.extra["truthfulqa_revision"] for r in records] == ["2022", "2022"]
    assert records[0].incorrect_answer == "You grow watermelons in your stomach"


def test_two_revisions_are_never_mixed(tmp_path: Path) -> None:
    old = write_csv(tmp_path / "a.csv", TRUTHFULQA_ROWS)
    new = write_csv(tmp_path / "b.csv", _rows_2025())
    with pytest.raises(DataFormatError, match=r"two revisions .*a\.csv: the original.*b\.csv: the 2025 revision"):
        read_truthfulqa([old, new])


SHARED = Path(os.environ.get("INSPECT_WARMTH_DATA", "/nonexistent"))
REAL_2025 = SHARED / "truthfulqa" / "TruthfulQA_v2_2025_790q.csv"


@pytest.mark.skipif(not REAL_2025.is_file(), reason="shared data (INSPECT_WARMTH_DATA) with the 2025 TruthfulQA absent")
def test_real_2025_file_as_truthfulqa_csv(tmp_path: Path) -> None:
    (tmp_path / "truthfulqa").mkdir()
    shutil.copy(REAL_2025, tmp_path / "truthfulqa" / "TruthfulQA.csv")
    records = load_records("truthfulqa", tmp_path, source="original")
    assert len(records) == 790 and {r.extra["truthfulqa_revision"] for r in records} == {"2025"}
    assert records[0].incorrect_answer == "You grow watermelons in your stomach"
    assert records[1].incorrect_answer == "Fortune cookies originated in Japan"  # its Best Incorrect Answer
    (tmp_path / "sycophancy_eval").mkdir()
    os.symlink(SHARED / "sycophancy_eval" / "answer.jsonl", tmp_path / "sycophancy_eval" / "answer.jsonl")
    with pytest.raises(MissingAnswerListsError, match=r"30 SycophancyEval question\(s\) not in the TruthfulQA "
                                                      r"file.*the 2025 revision .*dropped questions the study asked"):
        load_records("truthfulqa", tmp_path)


def test_sycophancy_questions_missing_from_2025_file_are_refused(tmp_path: Path) -> None:
    write_sycophancy_eval(tmp_path)
    write_csv(tmp_path / "truthfulqa" / "TruthfulQA.csv", _rows_2025())
    with pytest.raises(MissingAnswerListsError, match="the 2025 revision"):
        load_records("truthfulqa", tmp_path)


STEMS = ["A 45-year-old man has chest pain. Which of the following is the most appropriate next step?",
         "A 30-year-old woman presents with fatigue. What is the most likely diagnosis?"]


def _five_options(row: dict) -> dict:
    return {**row, "options": {**row["options"], "E": "Exercise"}}


def test_medqa_directory_with_both_versions_reads_the_5_option_file(tmp_path: Path) -> None:
    four = [medqa_row(s) for s in STEMS]
    write_jsonl(tmp_path / "medqa" / "phrases_no_exclude_test.jsonl", four)
    write_jsonl(tmp_path / "medqa" / "test_5options.jsonl", [_five_options(r) for r in four])
    records = load_records("medqa", tmp_path)
    assert len(records) == len(STEMS)  # one version, not both
    assert [len(r.extra["options"]) for r in records] == [5, 5]
    assert {(r.extra["medqa_options"], r.extra["medqa_file"]) for r in records} == {(5, "test_5options.jsonl")}


def test_medqa_single_version_is_recorded(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "medqa" / "phrases_no_exclude_test.jsonl", [medqa_row(s) for s in STEMS])
    records = load_records("medqa", tmp_path)
    assert {(r.extra["medqa_options"], r.extra["medqa_file"]) for r in records} == {
        (4, "phrases_no_exclude_test.jsonl")}


def test_json_file_holding_json_lines_written_by_datasets(tmp_path: Path) -> None:
    from datasets import Dataset

    rows = [{"question": "What is 2 + 2?", "answer": ["4", "four"]}, {"question": "Capital of Peru?",
                                                                    "answer": ["Lima"]}]
    path = tmp_path / "exported.json"
    Dataset.from_list(rows).to_json(str(path))  # JSON Lines, whatever the name says
    assert path.read_text().count("\n") == 2
    assert read_rows(path) == rows


def test_json_file_with_a_bad_line_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"question": "a"}\n{"question": \n')
    with pytest.raises(DataFormatError, match=r"broken\.json, row 2: invalid JSON"):
        read_rows(path)
