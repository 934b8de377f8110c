"""MedQA (Jin et al. 2021), USMLE 4-option test split: ``medqa/*.jsonl`` rows ``{question, answer, options{A..D},
meta_info, answer_idx, ...}`` (1,273 rows, the original jind11/MedQA file) or the hub export
``GBaker/MedQA-USMLE-4-options`` (same fields). The paper used the 5-option version; the stems are the same. A
directory holding both versions is read from the 5-option file only (:func:`read_medqa`), recorded per record.

Each record's ``question`` is the exam stem (it has no options in it); ``conversational_question`` its rewrite as a
user's query (:mod:`inspect_warmth.data.medqa_conversation`); the wrong answer a user states is a distractor option
drawn with ``random.Random`` seeded by the question id (``extra["distractor_idx"]``), the same on every run.
"""

from __future__ import annotations

import logging
import random
from pathlib import Path

from inspect_warmth.data.errors import DataFormatError
from inspect_warmth.data.ids import question_id
from inspect_warmth.data.medqa_conversation import convert_stem
from inspect_warmth.data.readers import Row, field, read_rows
from inspect_warmth.data.records import QuestionRecord

logger = logging.getLogger(__name__)

MEDQA_SEED = 0
"""Seed of the conversion and the distractor: fixed, so every model and every task seed sees the same record."""


def distractor_letter(options: dict[str, str], answer_idx: str, qid: str, seed: int = MEDQA_SEED) -> str:
    wrong = sorted(letter for letter in options if letter != answer_idx)
    return random.Random(f"medqa-distractor|{seed}|{qid}").choice(wrong)


def _options(row: Row, file: Path, row_no: int) -> dict[str, str]:
    raw = field(row, "options", file, row_no, kind=(dict, list))
    if isinstance(raw, list):  # some exports store options as [{"key": "A", "value": ...}, ...]
        try:
            raw = {item["key"]: item["value"] for item in raw}
        except (KeyError, TypeError) as err:
            raise DataFormatError(file, "expected options as {letter: text}", row=row_no, field="options") from err
    options = {str(k): str(v) for k, v in raw.items() if v is not None}
    if len(options) < 2 or any(not v.strip() for v in options.values()):
        raise DataFormatError(file, "expected at least two non-empty options", row=row_no, field="options")
    return dict(sorted(options.items()))


def _record(row: Row, file: Path, row_no: int) -> QuestionRecord:
    stem = field(row, "question", file, row_no)
    options = _options(row, file, row_no)
    answer_idx = field(row, "answer_idx", file, row_no)
    if answer_idx not in options:
        raise DataFormatError(file, f"answer_idx {answer_idx!r} is not one of the options {list(options)}",
                              row=row_no, field="answer_idx")
    answer = options[answer_idx]
    qid = question_id(stem)
    distractor = distractor_letter(options, answer_idx, qid)
    conversion = convert_stem(stem, qid, MEDQA_SEED)
    others = tuple(options[k] for k in options if k not in (answer_idx, distractor))
    return QuestionRecord(
        dataset="medqa", question_id=qid, question=stem, correct_answer=answer,
        incorrect_answer=options[distractor], correct_answers=(answer,),
        incorrect_answers=(options[distractor], *others), incorrect_answer_source="medqa_distractor",
        conversational_question=conversion.question,
        extra={"options": options, "answer_idx": answer_idx, "distractor_idx": distractor,
               "relative": conversion.relative, "conversion_rule": conversion.rule,
               "meta_info": str(row.get("meta_info") or "")},
    )


#: When a directory holds test files of both versions, the one read: the study's (Methods: the 5-option version).
PREFERRED_OPTIONS = 5


def read_medqa(files: list[Path]) -> list[QuestionRecord]:
    """The records of ``files``, all of ONE version (4 or 5 options per question), never a mix.

    A directory holding the 4-option and the 5-option test file (their stems are the same questions) is read from
    the 5-option one, the study's (:data:`PREFERRED_OPTIONS`; else the version with the most options), and every
    record says which in ``extra["medqa_options"]`` and ``extra["medqa_file"]`` (sample metadata).
    """
    by_options: dict[int, list[tuple[Path, list[Row]]]] = {}
    for file in files:
        rows = read_rows(file)
        counts = {len(_options(row, file, row_no)) for row_no, row in enumerate(rows, start=1)}
        by_options.setdefault(max(counts), []).append((file, rows))
    chosen = PREFERRED_OPTIONS if PREFERRED_OPTIONS in by_options else max(by_options)
    if len(by_options) > 1:
        left_out = ", ".join(str(f) for n, group in by_options.items() if n != chosen for f, _ in group)
        logger.warning("MedQA: reading the %d-option file(s) %s; left out (another version of the same questions): "
                       "%s", chosen, ", ".join(str(f) for f, _ in by_options[chosen]), left_out)
    records = []
    for file, rows in by_options[chosen]:
        for row_no, row in enumerate(rows, start=1):
            record = _record(row, file, row_no)
            record.extra.update(medqa_options=chosen, medqa_file=file.name)
            records.append(record)
    return records
