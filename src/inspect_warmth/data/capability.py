"""The capability benchmarks: MMLU, GSM8K and AdvBench, as small typed items for the capability tasks.

* MMLU (Hendrycks et al. 2021): ``mmlu/test/<subject>_test.csv`` without header (``question, A, B, C, D,
  answer letter``), or the hub's ``cais/mmlu`` ``all`` rows (``question, subject, choices, answer`` index).
  Question id ``<subject>-<index within the subject>`` (both layouts keep the same order).
* GSM8K (Cobbe et al. 2021): ``gsm8k/test.jsonl`` ``{question, answer}``; the answer ends ``#### <number>``.
  Question id: sha1 of the question (:func:`inspect_warmth.data.ids.question_id`).
* AdvBench (Zou et al. 2023): ``advbench/harmful_behaviors.csv`` ``goal, target`` or the hub's
  ``walledai/AdvBench`` ``prompt, target``. Question id: sha1 of the request.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from inspect_warmth.data.errors import DataFormatError
from inspect_warmth.data.ids import question_id
from inspect_warmth.data.readers import field, read_rows
from inspect_warmth.data.sources import resolve_files

MMLU_COLUMNS = ("question", "A", "B", "C", "D", "answer")
LETTERS = "ABCD"


@dataclass(frozen=True)
class MMLUItem:
    question_id: str
    subject: str
    question: str
    choices: tuple[str, str, str, str]
    answer: str
    """The correct letter, A-D."""


@dataclass(frozen=True)
class GSM8KItem:
    question_id: str
    question: str
    solution: str
    answer: str
    """The final number of the solution, without thousands separators (``"1000"``)."""


@dataclass(frozen=True)
class AdvBenchItem:
    question_id: str
    goal: str
    target: str


def _subject_of(path: Path) -> str:
    return path.stem.removesuffix("_test")


def _mmlu_from_csv(path: Path) -> list[MMLUItem]:
    subject = _subject_of(path)
    items = []
    for index, row in enumerate(read_rows(path, columns=MMLU_COLUMNS)):
        answer = field(row, "answer", path, index + 1).strip().upper()
        if answer not in LETTERS:
            raise DataFormatError(path, f"answer {answer!r} is not one of A-D", row=index + 1, field="answer")
        choices = tuple(str(row[letter]) for letter in LETTERS)
        items.append(MMLUItem(f"{subject}-{index}", subject, field(row, "question", path, index + 1),
                              choices, answer))  # type: ignore[arg-type]
    return items


def _mmlu_from_table(path: Path) -> list[MMLUItem]:
    items: list[MMLUItem] = []
    counters: dict[str, int] = {}
    for row_no, row in enumerate(read_rows(path), start=1):
        subject = field(row, "subject", path, row_no)
        choices = field(row, "choices", path, row_no, kind=list)
        if len(choices) != 4:
            raise DataFormatError(path, f"expected 4 choices, found {len(choices)}", row=row_no, field="choices")
        answer = field(row, "answer", path, row_no, kind=(int, str))
        letter = LETTERS[answer] if isinstance(answer, int) and 0 <= answer < 4 else str(answer).strip().upper()
        if letter not in LETTERS:
            raise DataFormatError(path, f"answer {answer!r} is not 0-3 or A-D", row=row_no, field="answer")
        index = counters.get(subject, 0)
        counters[subject] = index + 1
        items.append(MMLUItem(f"{subject}-{index}", subject, field(row, "question", path, row_no),
                              tuple(str(c) for c in choices), letter))  # type: ignore[arg-type]
    return items


def load_mmlu(data_dir: str | Path | None = None, subjects: Sequence[str] | None = None) -> list[MMLUItem]:
    """MMLU test questions, optionally of some ``subjects`` only (names as in the file names: ``anatomy``)."""
    items: list[MMLUItem] = []
    for path in resolve_files("mmlu", data_dir):
        items.extend(_mmlu_from_csv(path) if path.suffix.lower() == ".csv" else _mmlu_from_table(path))
    if subjects:
        known = sorted({i.subject for i in items})
        unknown = [s for s in subjects if s not in known]
        if unknown:
            raise ValueError(f"unknown MMLU subject(s) {', '.join(unknown)}; expected some of: {', '.join(known)}")
        items = [i for i in items if i.subject in set(subjects)]
    return items


_FINAL = re.compile(r"####\s*(.+?)\s*$")


def gsm8k_final_number(solution: str) -> str | None:
    """The number after ``####`` in a GSM8K solution, without commas; ``None`` when absent."""
    match = _FINAL.search(solution.strip())
    if not match:
        return None
    number = match.group(1).replace(",", "").strip()
    return number if re.fullmatch(r"-?\d+(?:\.\d+)?", number) else None


def load_gsm8k(data_dir: str | Path | None = None) -> list[GSM8KItem]:
    items = []
    for path in resolve_files("gsm8k", data_dir):
        for row_no, row in enumerate(read_rows(path), start=1):
            question = field(row, "question", path, row_no)
            solution = field(row, "answer", path, row_no)
            number = gsm8k_final_number(solution)
            if number is None:
                raise DataFormatError(path, "the solution does not end with '#### <number>'", row=row_no,
                                      field="answer")
            items.append(GSM8KItem(question_id(question), question, solution, number))
    return items


def load_advbench(data_dir: str | Path | None = None) -> list[AdvBenchItem]:
    items = []
    for path in resolve_files("advbench", data_dir):
        for row_no, row in enumerate(read_rows(path), start=1):
            name = "prompt" if "prompt" in row and "goal" not in row else "goal"
            goal = field(row, name, path, row_no)
            items.append(AdvBenchItem(question_id(goal), goal, field(row, "target", path, row_no)))
    return items


class _HasId(Protocol):
    @property
    def question_id(self) -> str: ...


Item = TypeVar("Item", bound=_HasId)


def draw(items: Sequence[Item], samples: int | None, seed: int) -> list[Item]:
    """Seeded draw of ``samples`` items (all when ``samples`` is None or not smaller), in question-id order."""
    if samples is not None and samples < 1:
        raise ValueError(f"samples must be at least 1, got {samples}")
    ordered = sorted(items, key=lambda i: i.question_id)
    if samples is None or samples >= len(ordered):
        return ordered
    return sorted(random.Random(seed).sample(ordered, samples), key=lambda i: i.question_id)
