"""TruthfulQA (Lin et al. 2022), generation set: ``TruthfulQA.csv`` (columns ``Type, Category, Question, Best Answer,
Correct Answers, Incorrect Answers, Source``; answer lists separated by ``"; "``) or the hub export
``truthfulqa/truthful_qa`` (``question, best_answer, correct_answers, incorrect_answers, ...``).

Two sources for the study's records:

* ``sycophancy_eval`` (default): questions and belief answers from SycophancyEval, joined on the question text to
  TruthfulQA for the full answer lists the judge needs (Best Answer first, then Correct Answers; Incorrect Answers).
  A question without TruthfulQA's lists (no TruthfulQA file, or no matching row) is an error, unless the caller opts
  into ``allow_single_answer_lists``: then its lists hold the single SycophancyEval answers and
  ``extra["answer_lists"]`` says so.
* ``original``: TruthfulQA alone; the wrong answer a user states is its first Incorrect Answer (its Best Incorrect
  Answer in the 2025 revision).

Revisions (:data:`REVISIONS`), recognised by the file's columns and recorded in every record's
``extra["truthfulqa_revision"]`` (so in each sample's metadata): ``2022``, the original generation set (817
questions; the study's); ``2025``, the 2025 revision (790 questions, with a ``Best Incorrect Answer`` column and
longer answer lists). Files of two revisions are never mixed. The 2025 revision dropped questions the study asked:
with SycophancyEval's questions those are named in the "answer lists missing" error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from inspect_warmth.data.errors import DataFormatError, DataNotFoundError
from inspect_warmth.data.ids import normalize_question, question_id
from inspect_warmth.data.readers import Row, field, read_rows
from inspect_warmth.data.records import QuestionRecord
from inspect_warmth.data.sycophancy_eval import SycophancyItem

_CSV_FIELDS = {"question": "Question", "best": "Best Answer", "correct": "Correct Answers",
               "incorrect": "Incorrect Answers", "category": "Category", "type": "Type",
               "best_incorrect": "Best Incorrect Answer"}
_HUB_FIELDS = {"question": "question", "best": "best_answer", "correct": "correct_answers",
               "incorrect": "incorrect_answers", "category": "category", "type": "type",
               "best_incorrect": "best_incorrect_answer"}

#: TruthfulQA revisions this reader recognises (by the ``Best Incorrect Answer`` column) -> description.
REVISIONS: dict[str, str] = {
    "2022": "the original generation set (Lin et al. 2022; 817 questions)",
    "2025": "the 2025 revision (790 questions, with Best Incorrect Answer)",
}


@dataclass(frozen=True)
class TruthfulQAItem:
    question: str
    best_answer: str
    correct_answers: tuple[str, ...]
    incorrect_answers: tuple[str, ...]
    category: str = ""
    type: str = ""
    revision: str = "2022"
    best_incorrect_answer: str = ""


def _answers(value: object, file: Path, row_no: int, name: str) -> tuple[str, ...]:
    if isinstance(value, str):
        parts = [part.strip() for part in value.split("; ")]
    elif isinstance(value, list | tuple):
        parts = [str(part).strip() for part in value]
    else:
        raise DataFormatError(file, "expected a '; '-separated string or a list", row=row_no, field=name)
    answers = tuple(p for p in parts if p)
    if not answers:
        raise DataFormatError(file, "no answers", row=row_no, field=name)
    return answers


def _item(row: Row, file: Path, row_no: int) -> TruthfulQAItem:
    names = _HUB_FIELDS if "question" in row and "Question" not in row else _CSV_FIELDS
    revised = names["best_incorrect"] in row
    return TruthfulQAItem(
        revision="2025" if revised else "2022",
        best_incorrect_answer=field(row, names["best_incorrect"], file, row_no).strip() if revised else "",
        question=field(row, names["question"], file, row_no).strip(),
        best_answer=field(row, names["best"], file, row_no).strip(),
        correct_answers=_answers(field(row, names["correct"], file, row_no, kind=(str, list)), file, row_no,
                                 names["correct"]),
        incorrect_answers=_answers(field(row, names["incorrect"], file, row_no, kind=(str, list)), file, row_no,
                                   names["incorrect"]),
        category=str(row.get(names["category"]) or ""),
        type=str(row.get(names["type"]) or ""),
    )


def read_truthfulqa(files: list[Path]) -> list[TruthfulQAItem]:
    """Every row of ``files``, all of one revision (:data:`REVISIONS`); files of two revisions raise
    :class:`DataFormatError` naming them."""
    items, revisions = [], {}
    for file in files:
        own = [_item(row, file, row_no) for row_no, row in enumerate(read_rows(file), start=1)]
        revisions[file] = own[0].revision
        items += own
    if len(set(revisions.values())) > 1:
        listed = "; ".join(f"{f.name}: {REVISIONS[r]}" for f, r in revisions.items())
        raise DataFormatError(files[0], f"TruthfulQA files of two revisions ({listed}); keep one of them")
    return items


def _unique(*groups: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a for group in groups for a in group if a))


def _extra(item: TruthfulQAItem | None, answer_lists: str) -> dict[str, object]:
    extra: dict[str, object] = {"answer_lists": answer_lists}
    if item is not None:
        extra.update(best_answer=item.best_answer, category=item.category, type=item.type,
                     truthfulqa_revision=item.revision)
    return extra


class MissingAnswerListsError(DataNotFoundError):
    """TruthfulQA's answer lists are missing for some questions and single answers were not allowed."""


def records_from_sycophancy(
    items: list[SycophancyItem], truthfulqa: list[TruthfulQAItem] | None, *, allow_single_answer_lists: bool = False
) -> list[QuestionRecord]:
    """SycophancyEval's TruthfulQA questions with TruthfulQA's answer lists (Best/Correct, Incorrect Answers).

    ``truthfulqa`` None means no TruthfulQA file was found. A question without lists raises
    ``MissingAnswerListsError`` (naming the questions) unless ``allow_single_answer_lists``: the judge would then
    grade against one correct and one incorrect answer, which the study did not do.
    """
    by_question = {normalize_question(t.question): t for t in truthfulqa or []}
    if not allow_single_answer_lists:
        missing = [i.question for i in items if normalize_question(i.question) not in by_question]
        if missing:
            why = ("no TruthfulQA file (truthfulqa/TruthfulQA.csv)" if truthfulqa is None
                   else f"{len(missing)} SycophancyEval question(s) not in the TruthfulQA file, e.g. {missing[0]!r}")
            if truthfulqa and truthfulqa[0].revision != "2022":
                why += (f" (the file is {REVISIONS[truthfulqa[0].revision]}, which dropped questions the study "
                        f"asked; the study used {REVISIONS['2022']})")
            raise MissingAnswerListsError(
                f"TruthfulQA answer lists missing: {why}. Provide TruthfulQA.csv, or pass "
                "allow_single_answer_lists=True (task: -T allow_single_answer_lists=true) to grade against "
                "SycophancyEval's single correct/incorrect answer instead.")
    records = []
    for item in items:
        full = by_question.get(normalize_question(item.question))
        if full is not None:
            correct = _unique([item.correct_answer, full.best_answer], full.correct_answers)
            incorrect = _unique([item.incorrect_answer], full.incorrect_answers)
            lists = "truthfulqa"
        else:
            correct = _unique([item.correct_answer], [item.long_correct_answer or ""])
            incorrect = (item.incorrect_answer,)
            lists = "sycophancy_eval only (" + ("no TruthfulQA file)" if truthfulqa is None else "no match)")
        records.append(QuestionRecord(
            dataset="truthfulqa", question_id=question_id(item.question), question=item.question,
            correct_answer=item.correct_answer, incorrect_answer=item.incorrect_answer,
            correct_answers=correct, incorrect_answers=incorrect, incorrect_answer_source="sycophancy_eval",
            extra=_extra(full, lists),
        ))
    return records


def records_from_original(items: list[TruthfulQAItem]) -> list[QuestionRecord]:
    """TruthfulQA alone: Best Answer is the correct answer, the first Incorrect Answer the stated wrong one (the
    Best Incorrect Answer in the 2025 revision, which names it)."""
    return [
        QuestionRecord(
            dataset="truthfulqa", question_id=question_id(item.question), question=item.question,
            correct_answer=item.best_answer, incorrect_answer=item.best_incorrect_answer or item.incorrect_answers[0],
            correct_answers=_unique([item.best_answer], item.correct_answers),
            incorrect_answers=_unique([item.best_incorrect_answer], item.incorrect_answers),
            incorrect_answer_source=("truthfulqa_best_incorrect" if item.best_incorrect_answer
                                     else "truthfulqa_first_incorrect"),
            extra=_extra(item, "truthfulqa"),
        )
        for item in items
    ]
