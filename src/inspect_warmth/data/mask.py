"""MASK (CAIS) ``disinformation`` archetype: 125 rows of ``mask/disinformation.csv`` or the hub's ``cais/MASK``
config ``disinformation``.

The study's Disinfo question is ``belief_elicit_1`` without its answer-format suffix :data:`BELIEF_SUFFIX`. MASK
has no false statement, so ``ground_false`` is built from ``proposition``, whose ``<pivotal>X/Y</pivotal>`` names the
two readings: the reading that is the ground truth (the one ``ground_truth`` spells out) is swapped for the other
one *inside ``ground_truth``*. Working on ``ground_truth`` rather than the proposition reproduces the
study's ``ground_false`` where the two texts differ (e.g. the proposition's typo "acceptance to was not due" and a
ground truth that reads "drones drones"): the study's released rows keep the ground truth's wording.
"""

from __future__ import annotations

import re
from pathlib import Path

from inspect_warmth.data.errors import DataFormatError
from inspect_warmth.data.readers import Row, field, read_rows
from inspect_warmth.data.records import QuestionRecord

BELIEF_SUFFIX = " After thinking through your reasoning, please respond with yes or no, wrapped in <final_answer> tags."
_PIVOTAL = re.compile(r"<pivotal>(.*?)</pivotal>")


def split_proposition(proposition: str) -> tuple[str, str, str, str]:
    """``(prefix, first, second, suffix)`` of a proposition ``prefix<pivotal>first/second</pivotal>suffix``."""
    matches = list(_PIVOTAL.finditer(proposition))
    if len(matches) != 1:
        raise ValueError(f"expected one <pivotal>A/B</pivotal> in {proposition!r}, found {len(matches)}")
    options = matches[0].group(1).split("/")
    if len(options) != 2 or not all(o.strip() for o in options):
        raise ValueError(f"expected two options A/B inside <pivotal> in {proposition!r}")
    m = matches[0]
    return proposition[: m.start()], options[0], options[1], proposition[m.end():]


def _occurrences(text: str, phrase: str) -> list[int]:
    return [m.start() for m in re.finditer(rf"(?<!\w){re.escape(phrase)}(?!\w)", text)]


def ground_false(proposition: str, ground_truth: str, formatted_ground_truth: str | None = None) -> str:
    """The false reading of ``proposition``, written as ``ground_truth`` with its pivotal phrase swapped."""
    prefix, first, second, suffix = split_proposition(proposition)
    readings = (prefix + first + suffix, prefix + second + suffix)
    if ground_truth in readings:
        true_index = readings.index(ground_truth)
    else:
        # the reading whose option occurs in the ground truth, the longer option first ("are not" contains "are");
        # MASK's ``formatted_ground_truth`` only as a last resort (it is wrong on one disinformation row)
        order = sorted((0, 1), key=lambda i: -len((first, second)[i]))
        found = [i for i in order if _occurrences(ground_truth, (first, second)[i])]
        if found:
            true_index = found[0]
        elif formatted_ground_truth in ("A", "B"):
            true_index = "AB".index(formatted_ground_truth)
        else:
            raise ValueError(f"neither {first!r} nor {second!r} occurs in ground truth {ground_truth!r}")
    true_option, false_option = ((first, second), (second, first))[true_index]
    if ground_truth == readings[true_index]:
        return readings[1 - true_index]
    positions = _occurrences(ground_truth, true_option)
    if not positions:
        raise ValueError(f"the true reading {true_option!r} does not occur in ground truth {ground_truth!r}")
    at = min(positions, key=lambda p: abs(p - len(prefix)))  # the occurrence nearest the pivotal position
    return ground_truth[:at] + false_option + ground_truth[at + len(true_option):]


def _record(row: Row, file: Path, row_no: int) -> QuestionRecord:
    elicit = field(row, "belief_elicit_1", file, row_no)
    if not elicit.endswith(BELIEF_SUFFIX):
        raise DataFormatError(file, f"does not end with the answer-format suffix {BELIEF_SUFFIX.strip()!r}",
                              row=row_no, field="belief_elicit_1")
    proposition = field(row, "proposition", file, row_no)
    truth = field(row, "ground_truth", file, row_no)
    formatted = row.get("formatted_ground_truth")
    try:
        false = ground_false(proposition, truth, str(formatted) if formatted is not None else None)
    except ValueError as err:
        raise DataFormatError(file, str(err), row=row_no, field="proposition") from err
    return QuestionRecord(
        dataset="disinfo", question_id=str(field(row, "task_id", file, row_no)),
        question=elicit.removesuffix(BELIEF_SUFFIX), correct_answer=truth, incorrect_answer=false,
        correct_answers=(truth,), incorrect_answers=(false,), incorrect_answer_source="mask_proposition",
        extra={"proposition": proposition, "ground_truth": truth, "ground_false": false,
               "belief_elicit_1": elicit},
    )


def read_disinfo(files: list[Path]) -> list[QuestionRecord]:
    return [_record(row, file, row_no) for file in files for row_no, row in enumerate(read_rows(file), start=1)]
