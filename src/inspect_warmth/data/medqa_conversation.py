"""MedQA exam stems rewritten as a user's question about a relative (Methods, evaluation).

Rules, read off the study's released pairs (``sample_data/*/*/medqa_*.csv``: ``original_question`` -> ``question``):

1. An opening ``A/An <age>-year-old <man|woman|boy|girl|male|female|patient> <presents|comes|arrives|is>`` becomes
   ``My <relative>, <age>,`` and the verb is dropped: "A 22-year-old woman presents with" -> "My sister, 22, with";
   "A 46-year-old man is brought to" -> "My husband, 46, brought to".
2. Any other opening ``A/An <age>-year-old <up to three words>`` followed by a verb, a preposition or a comma keeps
   what follows and drops the words between:
   "A 21-year-old college student comes to" -> "My brother, 21, comes to"; "A 33-year-old G2P1 woman presents to"
   -> "My wife, 33, presents to".
3. "which of the following" (any case) becomes "what", everywhere in the stem.
4. Stems without such an opening (no age) change only by rule 3.

The patient's gender comes from the noun (man, boy, male, ... / woman, girl, female, ...), else from the pronouns of
the stem (he/his/him vs she/her); the relative from :data:`RELATIVES` by gender and age band, chosen with a
``random.Random`` seeded by ``(seed, question id)``, so every run gives the same result. Ages in months, weeks or
days ("A 3-week-old boy") count as age 0 and read "3 weeks" ("My son, 3 weeks, brought to ...").
Where the gender cannot be told, the stem keeps its opening (rules 1-2 need a relative) and only rule 3 applies.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Literal

Gender = Literal["male", "female"]

# (lowest age, relatives for a male patient, relatives for a female patient); the band is the last whose lowest age
# is <= the patient's age. Bands with one relative per gender match every released pair.
RELATIVES: tuple[tuple[int, tuple[str, ...], tuple[str, ...]], ...] = (
    (0, ("son",), ("daughter",)),
    (13, ("son", "brother"), ("daughter", "sister")),
    (18, ("brother",), ("sister",)),
    (25, ("husband",), ("wife",)),
    (60, ("father",), ("mother",)),
    (80, ("father", "grandfather"), ("mother", "grandmother")),
)

_MALE_NOUNS = {"man", "boy", "male", "gentleman", "father", "husband", "son", "brother", "businessman"}
_FEMALE_NOUNS = {"woman", "girl", "female", "lady", "mother", "wife", "daughter", "sister", "primigravida",
                 "primigravid", "gravida", "multigravida", "multiparous", "nulliparous", "businesswoman"}
# What may follow the words after the age in rule 2: a verb or a preposition that starts the rest of the stem.
_NEXT = (
    "presents|presented|presenting|comes|came|arrives|arrived|is|was|visits|returns|seeks|schedules|makes|"
    "complains|develops|develop|undergoes|underwent|has|had|becomes|experiences|reports|calls|consults|goes|sees|"
    "attends|suffers|notices|wants|asks|requests|decides|collapses|falls|receives|received|starts|started|begins|"
    "states|complaining|involved|delivers|gave|uses|eats|who|with|at|in|from|on|after|during|whose|that|"
    "following|status"
)
_AGE = r"^An? (?:(?:previously|otherwise) )?(?:healthy )?(?P<num>\d+)[- ](?P<unit>year|month|week|day)s?[- ]old"
_NOUN_VERB = re.compile(
    _AGE + r" (?P<noun>man|woman|boy|girl|male|female|patient) (?P<verb>presents|comes|arrives|is) "
)
# up to three descriptive words ("college student", "G2P1 woman", "African American woman"), none of them a verb
_WORD = r"(?:(?!(?:" + _NEXT + r")\b)[A-Za-z0-9'’]+(?<!ed)(?<!es))"
_ANY_OPENING = re.compile(_AGE + r"(?P<words>(?:[- ]" + _WORD + r"){0,3}?)(?:, | (?=(?:" + _NEXT + r")\b))")
_WHICH = re.compile(r"which of the following", re.IGNORECASE)
_HE = re.compile(r"\b(?:he|his|him|himself)\b", re.IGNORECASE)
_SHE = re.compile(r"\b(?:she|her|hers|herself)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Conversion:
    question: str
    relative: str | None
    rule: str
    """``noun_verb``, ``opening``, or ``none`` (no age opening or no gender)."""


def _gender(words: str, stem: str) -> Gender | None:
    tokens = set(re.findall(r"[a-z]+", words.lower()))
    if tokens & _MALE_NOUNS and not tokens & _FEMALE_NOUNS:
        return "male"
    if tokens & _FEMALE_NOUNS and not tokens & _MALE_NOUNS:
        return "female"
    he, she = len(_HE.findall(stem)), len(_SHE.findall(stem))
    if he > she:
        return "male"
    if she > he:
        return "female"
    return None


def choose_relative(gender: Gender, age_years: int, rng: random.Random) -> str:
    band = [b for b in RELATIVES if b[0] <= age_years][-1]
    choices = band[1] if gender == "male" else band[2]
    return choices[0] if len(choices) == 1 else rng.choice(choices)


def _age_text(num: str, unit: str) -> tuple[int, str]:
    if unit == "year":
        return int(num), num
    return 0, f"{num} {unit}{'s' if num != '1' else ''}"


def convert_stem(stem: str, question_id: str, seed: int = 0) -> Conversion:
    """The conversational form of one exam stem (deterministic for a given ``question_id`` and ``seed``)."""
    rng = random.Random(f"medqa-relative|{seed}|{question_id}")
    text, relative, rule = stem, None, "none"
    match, matched_rule = _NOUN_VERB.match(stem), "noun_verb"
    words = match.group("noun") if match else ""
    if match is None:
        match, matched_rule = _ANY_OPENING.match(stem), "opening"
        words = match.group("words") if match else ""
    if match is not None:
        gender = _gender(words, stem)
        if gender is not None:
            age_years, age_text = _age_text(match.group("num"), match.group("unit"))
            relative = choose_relative(gender, age_years, rng)
            rule = matched_rule
            text = f"My {relative}, {age_text}, {stem[match.end():]}"
    text = _WHICH.sub("what", text)
    return Conversion(question=text, relative=relative, rule=rule)
