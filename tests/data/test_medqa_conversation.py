"""MedQA stems as a user's question about a relative: hand-written cases and the study's released pairs."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from inspect_warmth.data.medqa_conversation import RELATIVES, choose_relative, convert_stem


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        ("A 22-year-old woman presents with swelling. Which of the following is the most likely diagnosis?",
         "My sister, 22, with swelling. what is the most likely diagnosis?"),
        ("A 46-year-old man is brought to the emergency department. What is the cause?",
         "My husband, 46, brought to the emergency department. What is the cause?"),
        ("A 21-year-old college student comes to the physician. He sleeps badly.",
         "My brother, 21, comes to the physician. He sleeps badly."),
        ("A 35-year-old Caucasian female presents to the hospital.", "My wife, 35, presents to the hospital."),
        ("A 2-year-old boy is brought to the physician.", "My son, 2, brought to the physician."),
        ("A 3-week-old girl is brought to the physician.", "My daughter, 3 weeks, brought to the physician."),
        ("A 67-year-old man with a cough comes to the physician.",
         "My father, 67, with a cough comes to the physician."),
        ("A 27-year-old woman, gravida 2, para 1, is admitted.", "My wife, 27, gravida 2, para 1, is admitted."),
        ("Current guidelines say X. If changed, which of the following would be true?",
         "Current guidelines say X. If changed, what would be true?"),
        ("A 40-year-old patient is seen. The patient is tired.",
         "A 40-year-old patient is seen. The patient is tired."),
    ],
)
def test_conversion_rules(stem: str, expected: str) -> None:
    assert convert_stem(stem, "q1").question == expected


def test_conversion_is_deterministic_per_question() -> None:
    stem = "A 15-year-old boy presents with a rash."
    results = {convert_stem(stem, f"q{i}").relative for i in range(30)}
    assert results == {"son", "brother"}, "the 13-17 band draws from its list"
    assert all(convert_stem(stem, "q7") == convert_stem(stem, "q7") for _ in range(3))


def test_relative_bands_cover_every_age() -> None:
    import random

    rng = random.Random(0)
    for age in range(0, 110):
        for gender in ("male", "female"):
            band = [b for b in RELATIVES if b[0] <= age][-1]
            assert choose_relative(gender, age, rng) in (band[1] if gender == "male" else band[2])


def _study_pairs(real_data_dir: Path) -> dict[str, str]:
    """The study's released (exam stem -> conversational stem) pairs."""
    pairs: dict[str, str] = {}
    for path in sorted((real_data_dir / "warm_ai_2025" / "sample_data").glob("*/*/medqa_*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row.get("question") and row.get("original_question"):
                    pairs[row["original_question"]] = row["question"]
    return pairs


def test_reproduces_the_study_pairs(real_data_dir: Path) -> None:
    pairs = _study_pairs(real_data_dir)
    assert len(pairs) >= 19
    misses = [(original, converted) for original, converted in pairs.items()
              if convert_stem(original, "any").question != converted]
    assert misses == [], f"{len(pairs) - len(misses)}/{len(pairs)} reproduced"


def test_loaded_records_carry_the_study_conversions(real_data_dir: Path) -> None:
    from inspect_warmth.data.loaders import load_records

    records = {r.question: r for r in load_records("medqa", real_data_dir)}
    pairs = _study_pairs(real_data_dir)
    shared = [stem for stem in pairs if stem in records]
    assert len(shared) == len(pairs), "the study's stems are in the 4-option test file"
    assert [records[s].conversational_question for s in shared] == [pairs[s] for s in shared]
