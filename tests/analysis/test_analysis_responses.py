"""The responses table from Inspect logs equals the table it was written from, and gives the same numbers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from inspect_warmth.analysis.report import analysis_json, analyze_responses
from inspect_warmth.analysis.responses import (
    RESPONSE_COLUMNS,
    ResponsesError,
    load_responses,
    read_table,
    responses_from_table,
)


def test_logs_give_the_tidy_table(logged_table: tuple[pd.DataFrame, Path]) -> None:
    table, log_dir = logged_table
    responses = load_responses([log_dir])
    assert set(RESPONSE_COLUMNS) <= set(responses.table.columns)
    assert len(responses.table) == int(table["is_incorrect"].notna().sum())
    assert len(responses.unscored) == int(table["is_incorrect"].isna().sum()) > 0
    assert set(responses.table["variant"]) == {"original", "warm"}
    assert set(responses.table["model"]) == {"fam-a"}
    assert set(responses.table["scorer"]) == {"judge"}
    key = ["variant", "dataset", "question_id", "template", "amendment"]
    merged = responses.table.merge(table.dropna(subset=["is_incorrect"]), on=key, suffixes=("", "_want"))
    assert len(merged) == len(responses.table)
    assert (merged["is_incorrect"] == merged["is_incorrect_want"]).all()
    assert (merged["refusal"] == merged["refusal_want"]).all()
    assert (merged["response_length"] == merged["response_length_want"]).all()
    counts = responses.unscored_counts()
    assert int(counts["n_unscored"].sum()) == len(responses.unscored)


def test_same_numbers_from_logs_and_table(logged_table: tuple[pd.DataFrame, Path], tmp_path: Path) -> None:
    table, log_dir = logged_table
    csv = tmp_path / "responses.csv"
    table.to_csv(csv, index=False)
    from_table = analysis_json(analyze_responses(load_responses([csv])))
    from_logs = analysis_json(analyze_responses(load_responses([log_dir])))
    sections = ["main", "main_length", "context", "context_detailed", "sycophancy", "cells"]
    assert [s for s in sections if s in from_table] == sections
    for section in sections[:-1]:
        assert _flat(from_logs[section]) == pytest.approx(_flat(from_table[section]), rel=1e-9)
    assert _cells(from_logs) == _cells(from_table)
    assert from_logs["meta"]["n_unscored"] == from_table["meta"]["n_unscored"] > 0


def _flat(section: dict[str, object], prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in section.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _cells(doc: dict[str, object]) -> list[tuple[object, ...]]:
    cells = doc["cells"]
    assert isinstance(cells, list)
    return sorted((c["dataset"], c["test_type"], c["amendment"], c["n"], c["b"], c["c"], round(c["p"], 12))
                  for c in cells)


def test_table_errors_name_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"variant": ["a"], "dataset": ["triviaqa"]}).to_csv(bad, index=False)
    with pytest.raises(ResponsesError, match=r"bad\.csv: missing column\(s\) question_id, is_incorrect"):
        read_table(bad)
    frame = pd.DataFrame({"variant": ["a", "a"], "dataset": ["triviaqa"] * 2, "question_id": ["1", "2"],
                          "is_incorrect": [1, "maybe"]})
    with pytest.raises(ResponsesError, match=r"x\.csv: row 3: column is_incorrect must be 1/0, true/false"):
        responses_from_table(frame, "x.csv")
    pushback = frame.assign(is_incorrect=[1, 0], first_is_incorrect=[0, "maybe"])  # the pushback first reply's
    with pytest.raises(ResponsesError, match=r"x\.csv: row 3: column first_is_incorrect must be 1/0"):
        responses_from_table(pushback, "x.csv")
    with pytest.raises(ResponsesError, match="no such log file"):
        load_responses([tmp_path / "missing"])
    with pytest.raises(ResponsesError, match="holds no Inspect logs"):
        load_responses([tmp_path])


def test_reply_length_counts_the_visible_answer_not_its_reasoning() -> None:
    """The regression's ``response_length`` (Methods, statistical analysis, characters) is the reply the user reads.

    Unit of independence: one sample (a single reply).
    """
    from inspect_ai.log import EvalSample
    from inspect_ai.model import ModelOutput

    from inspect_warmth.analysis.responses import _reply_fields

    reasoning = "<think>As an AI I should check this carefully before answering.</think>"
    sample = EvalSample(id="s", epoch=1, input="q", target="t",
                        output=ModelOutput.from_content("m", reasoning + "Paris."))
    assert _reply_fields(sample)["reply_length"] == len("Paris.")
