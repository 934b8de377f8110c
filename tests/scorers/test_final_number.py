"""GSM8K's final number on the reply forms models write: LaTeX, grouped thousands, currency, units, minus signs.

Unit of independence: one reply string (each row of the table is read on its own).
"""

from __future__ import annotations

import pytest
from scorer_helpers import make_state, run_scorer

from inspect_warmth.scorers import gsm8k_number
from inspect_warmth.scorers.final_number import extract_final_number, fold_typography

REPLIES = [
    # LaTeX thousands grouping and spacing
    ("\\boxed{9{,}500}", "9500"),
    ("So the total is $\\boxed{9{,}500}$ dollars.", "9500"),
    ("\\boxed{9\\,500}", "9500"),
    ("\\boxed{9,500,000}", "9500000"),
    # typographic digit grouping: thin space, narrow no-break space, no-break space
    ("The answer is 9\u2009500.", "9500"),
    ("She pays 9\u202f500 euros in total.", "9500"),
    ("Total: 12\u00a0000 steps", "12000"),
    # commas, dollar signs, units
    ("The answer is 1,234.", "1234"),
    ("#### 1,234", "1234"),
    ("\\boxed{\\$1,234.50}", "1234.5"),
    ("She earns $18 a day.", "18"),
    ("\\boxed{18 \\text{ apples}}", "18"),
    ("\\boxed{\\text{9500 dollars}}", "9500"),
    ("He runs 18 km", "18"),
    ("**Answer:** 42", "42"),
    # negatives written with a Unicode minus or an en dash
    ("\u22125", "-5"),
    ("The answer is \u22125.", "-5"),
    ("\\boxed{\u221212}", "-12"),
    ("The temperature ends at \u20133 degrees.", "-3"),
    ("She read pages 3\u20135.", "5"),  # a range, not a negative number
    # decimals, fractions, equations, percent
    ("The answer is 0.75", "0.75"),
    ("\\boxed{\\frac{3}{4}}", "0.75"),
    ("\\boxed{\\dfrac{12}{4}}", "3"),
    ("\\boxed{x = 12}", "12"),
    ("\\boxed{50\\%}", "50"),
    ("The answer is 50%.", "50"),
    # which number: the last box; GSM8K's #### before a box
    ("First \\boxed{3}, then corrected: \\boxed{4}", "4"),
    ("#### 72 (I also wrote \\boxed{5})", "72"),
    ("no number here", None),
]


@pytest.mark.parametrize(("reply", "number"), REPLIES)
def test_extract_final_number(reply: str, number: str | None) -> None:
    assert extract_final_number(reply) == number


def test_fold_typography() -> None:
    assert fold_typography("\u22129\u2009500 and 1{,}000 and 3\u20135") == "-9,500 and 1,000 and 3\u20135"


@pytest.mark.parametrize(("reply", "target", "value"), [
    ("The answer is \u22125.", "5", "I"),
    ("The answer is \u22125.", "-5", "C"),
    ("\\boxed{9{,}500}", "9500", "C"),
    ("\\boxed{9{,}500}", "500", "I"),
])
def test_gsm8k_scorer_on_unicode_minus_and_latex_grouping(reply: str, target: str, value: str) -> None:
    meta = {"dataset": "gsm8k", "question_id": "g1", "solution": f"... #### {target}"}
    assert run_scorer(gsm8k_number(), make_state(reply, meta, target)).value == value


RUN_ONS_AND_CALCULATIONS = [
    # a calculation after the final marker gives its result
    ("The answer is 5 + 3 = 8.", "8"),
    ("#### 44 * 24 = 1056", "1056"),
    ("#### 44 × 24 = 1,056", "1056"),
    ("Answer: $5 - $3 = $2", "2"),
    ("The answer is 12 - 4 = 8 dollars", "8"),
    ("The answer is 18 (6 * 3).", "18"),
    ("#### 7 - 2 - 1 = 4\n#### 5 + 5 = 10", "10"),
    # the reply runs on into an invented next question: read up to there
    ("3 + 4 = 7 apples.\n\nQuestion: Tom has 5 apples and eats 2. How many are left?\nAnswer: 5 - 2 = 3", "7"),
    ("The answer is 18.\nQ: Sam has 2 pens. The answer is 4", "18"),
    ("#### 18\n\nQuestion 2: A farmer ... #### 4", "18"),
    ("The answer is 18.\n**Problem:** Next one. The answer is 4", "18"),
    ("She pays 20 dollars.<|im_end|>\nUser: and 30?", "20"),
    ("Question: Ann has 2 cats.\nAnswer: 2 + 1 = 3 cats.", "3"),  # restating the question first is no run-on
]


@pytest.mark.parametrize(("reply", "number"), RUN_ONS_AND_CALCULATIONS)
def test_calculations_and_run_on_replies(reply: str, number: str) -> None:
    assert extract_final_number(reply) == number
