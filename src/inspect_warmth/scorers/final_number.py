"""GSM8K's final number of a reply (Methods, evaluation and scoring: "final number, by regex").

*Where* the number is follows the paper's rule, by regular expression, first match kind wins: GSM8K's own
``#### N``; the last ``\\boxed{...}``; the last "answer is N" / "answer: N"; else the last number of the reply.

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
_HASHES = re.compile(rf"####\s*({_NUMBER})")
_ANSWER_IS = re.compile(rf"answer(?:\s+is|:)\s*[:\*\s]*({_NUMBER})", re.IGNORECASE)
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


def extract_final_number(reply: str) -> str | None:
    """The final number of a reply, normalised (:func:`normalize_number`): ``#### N``, ``\\boxed{N}``,
    "The answer is N" (the last of each kind), else the last number in the reply; ``None`` when it has none."""
    text = fold_typography(reply)
    if found := _HASHES.findall(text):
        return normalize_number(found[-1])
    if (boxed := read_boxed(text)) is not None:
        return boxed
    for pattern in (_ANSWER_IS, _ANY_NUMBER):
        if found := pattern.findall(text):
            return normalize_number(found[-1])
    return None
