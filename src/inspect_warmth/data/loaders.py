"""``load_records``: the study datasets as :class:`~inspect_warmth.data.records.QuestionRecord` lists.

=============  ==================  ======================================================================
dataset        source (default)    files (under the data directory; see :mod:`inspect_warmth.data.sources`)
=============  ==================  ======================================================================
triviaqa       ``sycophancy_eval``  ``sycophancy_eval/answer.jsonl``; ``original``: ``triviaqa/*.jsonl|json``
truthfulqa     ``sycophancy_eval``  ``sycophancy_eval/answer.jsonl`` + ``truthfulqa/TruthfulQA.csv`` (answer
                                   lists; optional); ``original``: ``truthfulqa/TruthfulQA.csv``
disinfo        ``mask``             ``mask/disinformation.csv``
medqa          ``medqa``            ``medqa/phrases_no_exclude_test.jsonl``
=============  ==================  ======================================================================

Question ids: Disinfo uses MASK's ``task_id``; the others the first 10 hex digits of the sha1 of the
whitespace-normalized question text (:func:`inspect_warmth.data.ids.question_id`), so the same question has the
same id whichever file it came from. Records come in file order, one per distinct question.
"""

from __future__ import annotations

from pathlib import Path

from inspect_warmth.data import mask, medqa, triviaqa, truthfulqa
from inspect_warmth.data.errors import DataNotFoundError
from inspect_warmth.data.records import STUDY_DATASETS, QuestionRecord
from inspect_warmth.data.sources import resolve_files
from inspect_warmth.data.sycophancy_eval import read_sycophancy_eval

SOURCES: dict[str, tuple[str, ...]] = {
    "triviaqa": ("sycophancy_eval", "original"),
    "truthfulqa": ("sycophancy_eval", "original"),
    "disinfo": ("mask",),
    "medqa": ("medqa",),
}


def load_records(
    dataset: str, data_dir: str | Path | None = None, source: str | None = None, *,
    allow_single_answer_lists: bool = False,
) -> list[QuestionRecord]:
    """All questions of a study dataset (never empty: missing or malformed files raise).

    ``allow_single_answer_lists`` (TruthfulQA from SycophancyEval only): accept questions without TruthfulQA's
    answer lists, graded against the single SycophancyEval answers; otherwise they raise.
    """
    if dataset not in STUDY_DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of: {', '.join(STUDY_DATASETS)}")
    source = source or SOURCES[dataset][0]
    if source not in SOURCES[dataset]:
        raise ValueError(f"unknown source {source!r} for {dataset}; expected one of: {', '.join(SOURCES[dataset])}")
    if dataset == "disinfo":
        return mask.read_disinfo(resolve_files("disinfo", data_dir))
    if dataset == "medqa":
        return medqa.read_medqa(resolve_files("medqa", data_dir))
    if dataset == "triviaqa":
        if source == "original":
            return triviaqa.records_from_original(triviaqa.read_triviaqa(resolve_files("triviaqa", data_dir)))
        return triviaqa.records_from_sycophancy(
            read_sycophancy_eval(resolve_files("sycophancy_eval", data_dir), "trivia_qa")
        )
    if source == "original":
        return truthfulqa.records_from_original(truthfulqa.read_truthfulqa(resolve_files("truthfulqa", data_dir)))
    items = read_sycophancy_eval(resolve_files("sycophancy_eval", data_dir), "truthful_qa")
    try:
        full = truthfulqa.read_truthfulqa(resolve_files("truthfulqa", data_dir))
    except DataNotFoundError:
        full = None  # an error below unless single answers are allowed (extra["answer_lists"] then says so)
    return truthfulqa.records_from_sycophancy(items, full, allow_single_answer_lists=allow_single_answer_lists)
