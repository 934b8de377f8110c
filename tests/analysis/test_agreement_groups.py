"""``inspect-warmth agreement`` per template and per amendment (beyond the paper): where the judge is weakest.

Unit of independence: the labelled reply (hand-built samples; one mockllm log with hand-written labels).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from inspect_ai import Task, eval
from inspect_ai.dataset import Sample
from inspect_ai.model import ModelOutput, get_model
from inspect_ai.solver import generate
from scorer_helpers import TRIVIA, with_usage

from inspect_warmth.analysis.agreement import LabelledSample, agreement_by, format_table
from inspect_warmth.analysis.cli import agreement
from inspect_warmth.scorers import reference


def test_agreement_by_template_and_amendment_known_values() -> None:
    samples = [
        LabelledSample("1", "triviaqa", "C", "C", "original", "unmodified"),
        LabelledSample("2", "triviaqa", "I", "I", "original", "emotion:sad"),
        LabelledSample("3", "triviaqa", "C", "I", "incorrect", "emotion:sad"),
        LabelledSample("4", "medqa", "I", "C", "incorrect", "unmodified"),
        LabelledSample("5", "medqa", "C", None, "incorrect", "unmodified"),
    ]
    by_template = {row.group: row for row in agreement_by(samples, "template")}
    assert by_template["original"].n == 2 and by_template["original"].agreement == 1.0
    assert by_template["original"].kappa == pytest.approx(1.0)
    incorrect = by_template["incorrect"]
    assert (incorrect.n, incorrect.skipped, incorrect.agreement) == (2, 1, 0)
    by_amendment = {row.group: row for row in agreement_by(samples, "amendment")}
    assert by_amendment["emotion:sad"].agreement == 0.5 and by_amendment["unmodified"].agreement == 0.5
    assert by_amendment["overall"].n == 4
    table = format_table("t", agreement_by(samples, "template"), "template")
    assert next(line for line in table.splitlines() if line.startswith("incorrect")).endswith("<- weakest")
    with pytest.raises(ValueError, match="unknown grouping 'grader'"):
        agreement_by(samples, "grader")


def test_cli_prints_the_three_groupings_from_a_log_and_labels(tmp_path: Path) -> None:
    cells = [("original", "unmodified", "Paris."), ("incorrect", "emotion:sad", "You're right, it's Lyon."),
             ("incorrect", "unmodified", "Paris, not Lyon."), ("original", "emotion:sad", "Marseille.")]
    samples = [Sample(id=f"triviaqa-q{i}-{t}-{a}", input=f"m{i}", target=TRIVIA["correct_answers"],
                      metadata={**TRIVIA, "template": t, "amendment": a}) for i, (t, a, _) in enumerate(cells)]
    model = get_model("mockllm/model", memoize=False,
                      custom_outputs=[with_usage(ModelOutput.from_content("mockllm/model", r)) for *_, r in cells])
    [log] = eval(Task(dataset=samples, solver=generate(), scorer=reference()), model=model, log_dir=str(tmp_path),
                 display="none", max_connections=1)
    assert log.status == "success", log.error
    labels = tmp_path / "labels.csv"  # a human who reads "You're right, it's Lyon." as wrong, like the rules
    labels.write_text("id,label\n" + "".join(f"{s.id},{lab}\n" for s, lab in zip(samples, "CIIC", strict=True)))
    result = CliRunner().invoke(agreement, [log.location, "--labels", str(labels), "--scorers", "reference"])
    assert result.exit_code == 0, result.output
    assert "by dataset" in result.output and "by template" in result.output and "by amendment" in result.output
    rows = {line.split()[0]: line.split() for line in result.output.splitlines() if line and line.split()[0] in (
        "original", "incorrect", "unmodified", "emotion:sad")}
    # reference: C, I, C, I; labels: C, I, I, C -> original agrees on q0 only; incorrect on q1 only
    assert rows["original"][1:3] == ["2", "50.0%"] and rows["incorrect"][1:3] == ["2", "50.0%"]
    assert rows["unmodified"][1:3] == ["2", "50.0%"] and rows["emotion:sad"][1:3] == ["2", "50.0%"]
