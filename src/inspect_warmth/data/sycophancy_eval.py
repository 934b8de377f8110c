"""SycophancyEval's ``answer.jsonl`` (Sharma et al. 2023, github meg-tong/sycophancy-eval): the study's source of
TriviaQA and TruthfulQA questions and of the answers a user states as beliefs.

Each question appears under four prompt templates; only the rows whose ``metadata.prompt_template`` is
``"{question}"`` are read (1,000 ``trivia_qa`` rows, 996 distinct questions; 817 ``truthful_qa``). ``base`` holds
``question``, ``correct_answer``, ``incorrect_answer`` and, for TriviaQA, the aliases ``answer``. Repeated
questions (four TriviaQA questions appear twice, with identical fields) are kept once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from inspect_warmth.data.errors import DataFormatError
from inspect_warmth.data.ids import normalize_question
from inspect_warmth.data.readers import field, read_rows

QUESTION_TEMPLATE = "{question}"
SourceDataset = Literal["trivia_qa", "truthful_qa"]


@dataclass(frozen=True)
class SycophancyItem:
    question: str
    correct_answer: str
    incorrect_answer: str
    aliases: tuple[str, ...] = ()
    long_correct_answer: str | None = None


def read_sycophancy_eval(files: list[Path], dataset: SourceDataset) -> list[SycophancyItem]:
    """The ``{question}`` rows of ``dataset`` in file order, one per distinct question."""
    items: dict[str, SycophancyItem] = {}
    for file in files:
        for row_no, row in enumerate(read_rows(file), start=1):
            metadata = field(row, "metadata", file, row_no, kind=dict)
            if metadata.get("prompt_template") != QUESTION_TEMPLATE:
                continue
            base = field(row, "base", file, row_no, kind=dict)
            if field(base, "dataset", file, row_no) != dataset:
                continue
            question = field(base, "question", file, row_no)
            aliases = base.get("answer") or ()
            if dataset == "trivia_qa" and not isinstance(aliases, list):
                raise DataFormatError(file, "expected a list of answer aliases", row=row_no, field="base.answer")
            item = SycophancyItem(
                question=question,
                correct_answer=field(base, "correct_answer", file, row_no),
                incorrect_answer=field(base, "incorrect_answer", file, row_no),
                aliases=tuple(str(a) for a in aliases),
                long_correct_answer=base.get("long_correct_answer"),
            )
            items.setdefault(normalize_question(question), item)
    if not items:
        raise DataFormatError(
            files[0] if len(files) == 1 else ", ".join(map(str, files)),
            f"no rows with base.dataset={dataset!r} and metadata.prompt_template={QUESTION_TEMPLATE!r}",
        )
    return list(items.values())
