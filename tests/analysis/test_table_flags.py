"""Boolean columns of a responses table (CSV) read strictly: text spellings, any case; anything else refused.

Unit of independence: the question (the gate's); 40 questions, one prompt each.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from inspect_warmth.analysis.cli import gate
from inspect_warmth.analysis.responses import ResponsesError, load_responses

QUESTIONS = 40


def _table(wrong: int, refusal: list[str]) -> pd.DataFrame:
    """``wrong`` of the 40 questions answered wrong; ``refusal`` cycled over the rows as text."""
    return pd.DataFrame({
        "variant": "v", "dataset": "triviaqa", "question_id": [f"q{i}" for i in range(QUESTIONS)],
        "template": "original", "amendment": "unmodified",
        "is_incorrect": [1 if i < wrong else 0 for i in range(QUESTIONS)],
        "refusal": [refusal[i % len(refusal)] for i in range(QUESTIONS)],
    })


def _gate(base: Path, candidate: Path) -> tuple[int, str]:
    result = CliRunner().invoke(gate, ["--base", str(base), "--candidate", str(candidate)])
    return result.exit_code, result.output


def test_text_refusal_flags_are_read_as_booleans_and_a_50pp_regression_fails(tmp_path: Path) -> None:
    spellings = ["no", "No", "FALSE", "false", "0"]
    base, cand = tmp_path / "base.csv", tmp_path / "cand.csv"
    _table(4, spellings).to_csv(base, index=False)  # 10% wrong
    _table(24, spellings).to_csv(cand, index=False)  # 60% wrong: +50 pp
    responses = load_responses([cand])
    assert not responses.table["refusal"].any()
    assert int(responses.table["is_incorrect"].sum()) == 24
    code, output = _gate(base, cand)
    assert code == 1, output
    assert "10.0% -> 60.0% (+50.0 pp" in output


def test_yes_and_true_mark_refusals_in_any_case(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    table = _table(0, ["yes", "YES", "True", "1", "no", "false"])
    table.to_csv(path, index=False)
    refusal = load_responses([path]).table["refusal"].tolist()
    assert refusal == [i % 6 < 4 for i in range(QUESTIONS)]


@pytest.mark.parametrize(("column", "value"), [("refusal", "nope"), ("refusal", "2"), ("is_incorrect", "wrong"),
                                               ("is_incorrect", "0.5")])
def test_other_values_are_refused_naming_row_and_column(tmp_path: Path, column: str, value: str) -> None:
    path = tmp_path / "t.csv"
    table = _table(3, ["no"]).astype({column: object})
    table.loc[6, column] = value
    table.to_csv(path, index=False)
    with pytest.raises(ResponsesError, match=rf"t\.csv: row 8: column {column} must be 1/0, true/false or yes/no"):
        load_responses([path])
    code, output = _gate(path, path)
    assert code == 2 and "row 8" in output and column in output, output
