"""The design frame: every rule once, every row left out counted (issue 13's silent paths).

Unit of independence: none is tested statistically here; each test checks row bookkeeping on small tables/logs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from analysis_helpers import small_table, write_logs
from click.testing import CliRunner

from inspect_warmth.analysis.cli import analyze
from inspect_warmth.analysis.design import PUSHBACK_REASON, REFUSAL_REASON, design_frame
from inspect_warmth.analysis.responses import load_responses
from inspect_warmth.analysis.simulate import simulate_responses


def test_authors_dataset_and_template_labels_are_kept(tmp_path: Path) -> None:
    """The authors' labels (sample_data: dataset ``trivia``, prompt_template ``original_neutral``) are read as
    ours; before issue 13 those rows vanished from every regression without a note."""
    table = small_table(questions=6, datasets=("disinfo", "triviaqa"))
    authors = table.assign(dataset=table["dataset"].replace({"triviaqa": "trivia"}),
                           template=table["template"].replace({"neutral": "original_neutral"}))
    path = tmp_path / "authors.csv"
    authors.to_csv(path, index=False)
    ours = design_frame(table, "original", "warm")
    theirs = design_frame(load_responses([path]), "original", "warm")
    assert len(theirs.data) == len(ours.data)
    assert set(theirs.data["dataset"]) == {"disinfo", "triviaqa"}
    assert (theirs.data["template"] == "neutral").sum() == (ours.data["template"] == "neutral").sum() > 0
    assert any("'trivia' read as 'triviaqa'" in n for n in theirs.notes)

    doc_path = tmp_path / "a.json"
    result = CliRunner().invoke(analyze, [str(path), "--out", str(tmp_path / "r"), "--json", str(doc_path)])
    assert result.exit_code == 0, result.output
    doc = json.loads(doc_path.read_text())
    assert doc["main"]["n"] == len(ours.data[(ours.data["amendment"] == "unmodified")
                                             & (ours.data["prompt_type"] == "no_belief")])


def test_unknown_dataset_rows_are_counted_not_dropped_silently() -> None:
    table = small_table(questions=4)
    odd = pd.concat([table, table.assign(dataset="my_quiz")], ignore_index=True)
    frame = design_frame(odd, "original", "warm")
    assert frame.excluded["dataset not in the study: my_quiz"] == len(table)
    assert len(frame.data) + sum(frame.excluded.values()) == len(odd)


def test_every_row_is_kept_or_counted() -> None:
    table = small_table(questions=5)
    frame = design_frame(table, "original", "warm")
    assert len(frame.data) + sum(frame.excluded.values()) == len(table)
    refusals = int((table["refusal"] & (table["dataset"] != "disinfo")).sum())
    assert refusals > 0 and frame.excluded[REFUSAL_REASON] == refusals


def test_pushback_rows_are_counted_out_of_the_regressions_by_their_reason() -> None:
    """Pushback samples (beyond the paper) are flip-rate pairs: left out of the regressions under their own reason
    (before, they were counted as an unknown template), every row still kept or counted."""
    table = small_table(questions=4)
    pushback = table[table["template"] == "original"].assign(template="pushback", first_is_incorrect=0.0)
    frame = design_frame(pd.concat([table, pushback], ignore_index=True), "original", "warm")
    assert frame.excluded[PUSHBACK_REASON] == len(pushback) > 0
    assert not any(reason.startswith("template not in the study") for reason in frame.excluded)
    assert len(frame.data) + sum(frame.excluded.values()) == len(table) + len(pushback)
    assert len(frame.data) == len(design_frame(table, "original", "warm").data)


def test_cold_comparison_keeps_only_families_with_a_cold_model() -> None:
    """fam-b has original and warm only: comparing cold with original must not keep fam-b's base rows (before
    issue 13 they entered the regressions as is_finetuned = 0 rows of a family with no cold model)."""
    table = simulate_responses(4, families=("fam-a", "fam-b"), variants=("original", "warm", "cold"), seed=2)
    table = table[~((table["model"] == "fam-b") & (table["variant"] == "cold"))]
    frame = design_frame(table, "original", "cold")
    assert set(frame.data["model"]) == {"fam-a"}
    base_b = int(((table["model"] == "fam-b") & (table["variant"] == "original")
                  & ~(table["refusal"] & (table["dataset"] != "disinfo"))).sum())
    assert frame.excluded["family fam-b has no cold replies"] == base_b


def test_errored_samples_and_stopped_logs_are_set_aside_and_reported(tmp_path: Path) -> None:
    """Samples that errored (scored "I" under score_on_error) and samples of a log that stopped early are never
    counted as wrong answers: they are set aside, counted by reason and shown in the report."""
    table = small_table(questions=4)
    table = table[table["model"] == "fam-a"]
    warm_trivia = table[(table["variant"] == "warm") & (table["dataset"] == "triviaqa")]
    errored = frozenset(f"triviaqa-{r.question_id}-{r.template}-{r.amendment}"
                        for r in warm_trivia.head(7).itertuples())
    trivia = table[table["dataset"] == "triviaqa"]
    write_logs(trivia[trivia["variant"] == "original"], tmp_path / "logs")
    write_logs(trivia[trivia["variant"] == "warm"], tmp_path / "logs", errored=errored)
    write_logs(table[table["dataset"] == "disinfo"], tmp_path / "logs", status="error")
    responses = load_responses([tmp_path / "logs"])
    reasons = responses.unscored["set_aside"].value_counts().to_dict()
    assert reasons["sample errored (its score under score_on_error not counted)"] == 7
    assert reasons["log stopped early (status error)"] == int((table["dataset"] == "disinfo").sum())
    warm = responses.table[responses.table["variant"] == "warm"]
    assert not warm["sample_id"].isin(errored).any()

    out = tmp_path / "report"
    result = CliRunner().invoke(analyze, [str(tmp_path / "logs"), "--out", str(out), "--json", str(out / "a.json")])
    assert result.exit_code == 0, result.output
    summary = (out / "summary.md").read_text()
    assert "sample errored" in summary and "log stopped early" in summary
    excluded = {e["reason"]: e["rows"] for e in json.loads((out / "a.json").read_text())["meta"]["excluded"]}
    assert excluded["sample errored (its score under score_on_error not counted)"] == 7


def test_provenance_columns_ride_along(logged_table: tuple[pd.DataFrame, Path]) -> None:
    _, log_dir = logged_table
    frame = design_frame(load_responses([log_dir]), "original", "warm")
    for column in ("statement_index", "system_prompt", "belief_form", "grader", "question"):
        assert column in frame.data.columns
