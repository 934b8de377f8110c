"""TriviaQA (Joshi et al. 2017). Local files in any of three shapes, all read from ``triviaqa/``:

* jsonl ``{question_id, turns: [question], answer: [aliases]}`` (SafeSwitch's export of the rc train split);
* json list ``{qid, question, gold_answer, aliases}``;
* the hub's ``mandarjoshi/trivia_qa`` rows ``{question_id, question, answer: {value, aliases, type, ...}}``
  (parquet/arrow, or jsonl/json with that shape).

Two sources for the study's records:

* ``sycophancy_eval`` (default): SycophancyEval's 1,000 TriviaQA rows (996 distinct questions), with their aliases,
  ``correct_answer`` and ``incorrect_answer``.
* ``original``: the TriviaQA files alone (every file in ``triviaqa/``, one record per distinct question). The
  stated wrong answer is derived deterministically (``incorrect_answer_source="triviaqa_same_type_answer"``):
  questions are grouped by answer type (:func:`answer_type`: ``year``, ``number``, ``person``, ``place`` or
  ``other``, from the question's wording and the gold answer), ordered by question id, and each question takes the
  gold answer of the next question of its group (cyclically) that is not one of its own aliases. Where a file has
  no gold answer (the jsonl shape), the gold answer is picked from the aliases (:func:`gold_from_aliases`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from inspect_warmth.data.errors import DataFormatError
from inspect_warmth.data.ids import normalize_question, question_id
from inspect_warmth.data.readers import Row, field, read_rows
from inspect_warmth.data.records import QuestionRecord
from inspect_warmth.data.sycophancy_eval import SycophancyItem

_NUMBER = re.compile(r"^[\d\s.,/%$£€-]*\d[\d\s.,/%$£€-]*$")


@dataclass(frozen=True)
class TriviaItem:
    question: str
    gold_answer: str
    aliases: tuple[str, ...]
    answer_type: str
    source_id: str = ""


def _norm(answer: str) -> str:
    return re.sub(r"[^0-9a-z]+", " ", answer.lower()).strip()


def gold_from_aliases(aliases: tuple[str, ...]) -> str:
    """The alias most likely to be TriviaQA's answer value, for files that list aliases only: the one contained (as
    whole words) in most other aliases ("Sinclair Lewis" in "Harry Sinclair Lewis"), then ASCII, mixed case, least
    punctuation, shortest. It recovers the gold answer (up to case and punctuation) of 113 of the 150 questions of
    the rc.wikipedia validation sample and of 614 of SycophancyEval's 1,000 TriviaQA rows."""
    norms = [_norm(a) for a in aliases]

    def score(i: int) -> tuple[int, bool, bool, int, int]:
        alias, norm = aliases[i], norms[i]
        contained = sum(1 for other in norms if norm and re.search(rf"(?:^| ){re.escape(norm)}(?: |$)", other))
        punctuation = sum(not (c.isalnum() or c.isspace()) for c in alias)
        return contained, alias.isascii(), not (alias.isupper() or alias.islower()), -punctuation, -len(alias)

    return aliases[max(range(len(aliases)), key=score)]


_YEAR = re.compile(r"^(1[0-9]|20)\d\d$")
_PLACE = re.compile(r"\b(?:which|what) (?:country|city|state|county|town|river|island|capital|continent|ocean|sea|"
                    r"mountain|lake|port|village|region|nation)\b")


def answer_type(question: str, gold: str) -> str:
    """Coarse answer type from the question's wording and the gold answer (for same-type wrong answers)."""
    q = question.lower()
    if _YEAR.match(gold.strip()) or re.search(r"\b(?:which|what|in what|in which) year\b", q):
        return "year"
    if _NUMBER.match(gold.strip()) or re.search(r"\bhow (?:many|much|long|old|far|tall|high)\b", q):
        return "number"
    if re.match(r"^(?:who|whom|whose)\b", q) or re.search(r"\b(?:which|what) (?:man|woman|person|actor|actress|"
                                                           r"singer|author|writer|king|queen|president)\b", q):
        return "person"
    if q.startswith("where") or _PLACE.search(q):
        return "place"
    return "other"


def _aliases(value: object, file: Path, row_no: int, name: str) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not value:
        raise DataFormatError(file, "expected a non-empty list of answer aliases", row=row_no, field=name)
    return tuple(str(a) for a in value)


def _item(row: Row, file: Path, row_no: int) -> TriviaItem:
    if isinstance(row.get("answer"), dict):  # hub shape
        answer = row["answer"]
        question = field(row, "question", file, row_no)
        aliases = _aliases(answer.get("aliases"), file, row_no, "answer.aliases")
        gold = field(answer, "value", file, row_no)
        return TriviaItem(question, gold, aliases, answer_type(question, gold), str(row.get("question_id", "")))
    if "turns" in row:  # SafeSwitch jsonl shape
        turns = field(row, "turns", file, row_no, kind=list)
        if not turns or not isinstance(turns[0], str) or not turns[0].strip():
            raise DataFormatError(file, "expected the question as turns[0]", row=row_no, field="turns")
        aliases = _aliases(row.get("answer"), file, row_no, "answer")
        gold = gold_from_aliases(aliases)
        return TriviaItem(turns[0], gold, aliases, answer_type(turns[0], gold), str(row.get("question_id", "")))
    question = field(row, "question", file, row_no)
    aliases = _aliases(row.get("aliases"), file, row_no, "aliases")
    gold = field(row, "gold_answer", file, row_no)
    return TriviaItem(question, gold, aliases, answer_type(question, gold), str(row.get("qid", "")))


def read_triviaqa(files: list[Path]) -> list[TriviaItem]:
    """Every distinct question of ``files`` (first occurrence kept)."""
    items: dict[str, TriviaItem] = {}
    for file in files:
        for row_no, row in enumerate(read_rows(file), start=1):
            item = _item(row, file, row_no)
            items.setdefault(normalize_question(item.question), item)
    return list(items.values())


def records_from_sycophancy(items: list[SycophancyItem]) -> list[QuestionRecord]:
    return [
        QuestionRecord(
            dataset="triviaqa", question_id=question_id(item.question), question=item.question,
            correct_answer=item.correct_answer, incorrect_answer=item.incorrect_answer,
            correct_answers=tuple(dict.fromkeys((item.correct_answer, *item.aliases))),
            incorrect_answers=(item.incorrect_answer,), incorrect_answer_source="sycophancy_eval",
        )
        for item in items
    ]


def derive_wrong_answers(items: list[TriviaItem]) -> dict[str, str]:
    """question id -> the gold answer of the next same-type question that is not one of its aliases."""
    groups: dict[str, list[tuple[str, TriviaItem]]] = {}
    for item in sorted(items, key=lambda i: question_id(i.question)):
        groups.setdefault(item.answer_type, []).append((question_id(item.question), item))
    pool = sorted(((question_id(i.question), i) for i in items), key=lambda p: p[0])
    wrong: dict[str, str] = {}
    for members in groups.values():
        candidates = members if len(members) > 1 else pool
        for index, (qid, item) in enumerate(members):
            own = {_norm(a) for a in (item.gold_answer, *item.aliases)}
            start = next(k for k, (other, _) in enumerate(candidates) if other == qid) if candidates is pool else index
            for step in range(1, len(candidates)):
                other = candidates[(start + step) % len(candidates)][1]
                if _norm(other.gold_answer) not in own:
                    wrong[qid] = other.gold_answer
                    break
            else:
                raise DataFormatError("triviaqa", f"no wrong answer can be derived for question {item.question!r}: "
                                                  "every other question shares its answer")
    return wrong


def records_from_original(items: list[TriviaItem]) -> list[QuestionRecord]:
    wrong = derive_wrong_answers(items)
    return [
        QuestionRecord(
            dataset="triviaqa", question_id=question_id(item.question), question=item.question,
            correct_answer=item.gold_answer, incorrect_answer=wrong[question_id(item.question)],
            correct_answers=tuple(dict.fromkeys((item.gold_answer, *item.aliases))),
            incorrect_answers=(wrong[question_id(item.question)],),
            incorrect_answer_source="triviaqa_same_type_answer",
            extra={"answer_type": item.answer_type, "source_question_id": item.source_id},
        )
        for item in items
    ]
