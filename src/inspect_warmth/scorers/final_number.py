"""GSM8K's final number of a reply (Methods, evaluation and scoring: "final number, by regex").

*Where* the number is follows the paper's rule, by regular expression, first match kind wins: GSM8K's own
``#### N``; the last ``\\boxed{...}``; the last "answer is N" / "answer: N"; else the last number of the reply.
A calculation after the marker gives its result (``The answer is 5 + 3 = 8.`` -> 8), and a reply that runs on into
an invented next question (``\\nQuestion: ...``, as lm-eval's GSM8K ``until`` stops) is read up to there.

*How* it is read: the content of a ``\\boxed{}`` by Math-Verify (``math_verify.parse``, Hugging Face; LaTeX such as
``9{,}500``, ``\\$18``, ``18 \\text{ apples}``, ``\\dfrac{3}{4}``, ``x = 12``), a plain number by
:class:`decimal.Decimal` after dropping ``$``, commas and spaces. Before either, :func:`fold_typography` folds what
neither reads: minus signs (U+2212 and kin) to ``-``, and digit-group separators between a digit and three
digits (thin, narrow no-break, no-break and figure spaces; LaTeX ``{,}``, ``\\,``, ``\\!``, ``\\ ``) to ``,``. A percent
sign is read as the number printed before it (GSM8K's answers are those numbers), not divided by 100.
"""

from __future__ import annotations

import re
import threading
from decimal import Decimal, InvalidOperation
from typing import Any

_MINUS = re.compile(r"[\u2212\u2012\ufe63\uff0d]|(?<![\w.])\u2013(?=\$?\d)")  # minus, figure dash, en dash before
_GROUP = re.compile(r"(?<=\d)(?:\{,\}|\\[,!; ]|[\u00a0\u2007\u2009\u202f])(?=\d{3}(?!\d))")
_LATEX_PERCENT = re.compile(r"\\?%")
_NUMBER = r"-?\$?\s?\d[\d,]*(?:\.\d+)?"
#: A number, or a calculation written after the final marker ("5 + 3 = 8", "44 * 24 = 1056").
_CALCULATION = rf"{_NUMBER}(?:\s*(?:[-+*/×÷x·=])\s*{_NUMBER})*"
_HASHES = re.compile(rf"####\s*({_CALCULATION})")
_ANSWER_IS = re.compile(rf"answer(?:\s+is|:)\s*[:\*\s]*({_CALCULATION})", re.IGNORECASE)
#: Where a reply runs on into a question of its own (a few-shot habit; lm-eval's GSM8K stops at "Question:"):
#: a line opening a new question or turn, or a chat end-of-turn token.
_RUN_ON = re.compile(r"\n\s*(?:#+\s*|\*\*)?(?:Question|Q|Problem|Human|User)\s*\d*\s*:|<\|im_end\|>|<\|eot_id\|>"
                     r"|<\|endoftext\|>|</s>", re.IGNORECASE)
_ANY_NUMBER = re.compile(_NUMBER)
_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")


def fold_typography(text: str) -> str:
    """Minus signs to ``-`` and digit-group separators to ``,``: ``"−9 500"`` (thin space) -> ``"-9,500"``."""
    return _GROUP.sub(",", _MINUS.sub("-", text))


def normalize_number(text: str) -> str | None:
    """``"$1,234.50"`` -> ``"1234.5"``, ``"18.0"`` -> ``"18"``, ``"18."`` -> ``"18"``; ``None`` if not a number."""
    cleaned = re.sub(r"[\s$,]", "", fold_typography(text)).rstrip(".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


def _sympy_number(value: Any) -> str | None:
    """A Math-Verify result as :func:`normalize_number` writes it (``Eq(x, 12)`` -> ``"12"``); ``None`` when the
    result is not a real number."""
    import sympy

    if isinstance(value, sympy.Equality):
        value = value.rhs
    if not isinstance(value, sympy.Basic) or not value.is_number or not value.is_real:
        return None
    exact = sympy.nsimplify(value, rational=True)
    if not exact.is_Rational:
        return None
    numerator, denominator = int(exact.p), int(exact.q)
    return normalize_number(str(Decimal(numerator) / Decimal(denominator)))


def read_boxed(text: str) -> str | None:
    """The number in the last ``\\boxed{}`` of ``text`` (Math-Verify's LaTeX reading), else the last plain number
    inside it; ``None`` when there is no ``\\boxed{}`` or no number in it."""
    from math_verify import LatexExtractionConfig, parse

    starts = [m.start() for m in _BOXED.finditer(text)]
    if not starts:
        return None
    tail = _LATEX_PERCENT.sub("", text[starts[-1]:])
    # Math-Verify times out with signal.alarm, which only the main thread may set; elsewhere it runs without
    main_thread = threading.current_thread() is threading.main_thread()
    found = parse(tail, [LatexExtractionConfig(boxed_match_priority=0)], fallback_mode="first_match",
                  parsing_timeout=5 if main_thread else None)  # type: ignore[arg-type]
    if not found:
        return None
    number = _sympy_number(found[0])
    if number is None and isinstance(found[-1], str):
        numbers = _ANY_NUMBER.findall(found[-1])
        number = normalize_number(numbers[-1]) if numbers else None
    return number


def calculation_result(text: str) -> str | None:
    """The number a marker's calculation ends in: after its last ``=`` (``"5 + 3 = 8"`` -> ``"8"``), else its first
    number (``"18 (6 * 3)"`` -> ``"18"``); normalised, ``None`` when there is none."""
    numbers = _ANY_NUMBER.findall(text.rsplit("=", 1)[-1])
    return normalize_number(numbers[0]) if numbers else None


def until_run_on(reply: str) -> str:
    """The reply up to where it runs on into an invented next question or turn (``\\nQuestion:``, ``\\nQ:``,
    ``\\nUser:``, ``<|im_end|>`` ...); the whole reply when it does not."""
    found = _RUN_ON.search(reply)
    return reply if found is None or found.start() == 0 else reply[:found.start()]


def extract_final_number(reply: str) -> str | None:
    """The final number of a reply, normalised (:func:`normalize_number`): ``#### N``, ``\\boxed{N}``,
    "The answer is N" (the last of each kind; a calculation after the marker gives its result, ``#### 44 * 24 =
    1056`` -> ``1056``), else the last number in the reply; ``None`` when it has none. A reply that runs on into
    an invented next question is read up to there (:func:`until_run_on`)."""
    text = fold_typography(until_run_on(reply))
    if found := _HASHES.findall(text):
        return calculation_result(found[-1])
    if (boxed := read_boxed(text)) is not None:
        return boxed
    if found := _ANSWER_IS.findall(text):
        return calculation_result(found[-1])
    if found := _ANY_NUMBER.findall(text):
        return normalize_number(found[-1])
    return None
