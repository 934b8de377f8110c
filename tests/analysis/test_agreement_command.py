from __future__ import annotations

import math
from pathlib import Path

import pytest
from click.testing import CliRunner
from inspect_ai import Task, eval
from inspect_ai.dataset import Sample
from inspect_ai.model import ModelOutput, get_model
from inspect_ai.solver import generate
from scorer_helpers import TRIVIA, scripted_grader, with_usage

from inspect_warmth.analysis.agreement import (
    AgreementError,
    LabelledSample,
    agreement_by_dataset,
    cohen_kappa,
    read_labels,
)
from inspect_warmth.analysis.cli import agreement
from inspect_warmth.scorers import judge, reference


def test_cohen_kappa_known_values() -> None:
    # 2x2 table a=20 (C,C), b=5 (C,I), c=10 (I,C), d=15 (I,I): po=0.7, pe=0.5 -> kappa 0.4
    first = ["C"] * 25 + ["I"] * 25
    second = ["C"] * 20 + ["I"] * 5 + ["C"] * 10 + ["I"] * 15
    assert cohen_kappa(first, second) == pytest.approx(0.4)
    assert cohen_kappa(["C", "I"], ["C", "I"]) == pytest.approx(1.0)
    assert math.isnan(cohen_kappa(["C", "C"], ["C", "C"]))
    with pytest.raises(ValueError):
        cohen_kappa(["C"], [])


def test_agreement_by_dataset_skips_unscored() -> None:
    rows = agreement_by_dataset([
        LabelledSample("1", "triviaqa", "C", "C"), LabelledSample("2", "triviaqa", "I", "C"),
        LabelledSample("3", "medqa", "C", None), LabelledSample("4", "medqa", "I", "I"),
    ])
    by_group = {row.group: row for row in rows}
    assert [row.group for row in rows] == ["medqa", "triviaqa", "overall"]
    assert by_group["triviaqa"].n == 2 and by_group["triviaqa"].agreement == 0.5
    assert by_group["medqa"].n == 1 and by_group["medqa"].skipped == 1
    assert by_group["overall"].n == 3 and by_group["overall"].agreement == pytest.approx(2 / 3)


def test_read_labels_errors_name_file_and_row(tmp_path: Path) -> None:
    bad = tmp_path / "labels.csv"
    bad.write_text("id,label\na,CORRECT\nb,MAYBE\n")
    with pytest.raises(AgreementError, match="row 3"):
        read_labels(bad)
    bad.write_text("sample,verdict\na,CORRECT\n")
    with pytest.raises(AgreementError, match="expected columns id"):
        read_labels(bad)
    good = tmp_path / "good.csv"
    good.write_text("sample_id,label\na,correct\nb,I\n")
    assert read_labels(good) == {"a": "C", "b": "I"}


def test_read_labels_saved_by_a_spreadsheet(tmp_path: Path) -> None:
    """Unit: one labels file, saved with a byte-order mark and CRLF line ends (Excel's "CSV UTF-8")."""
    sheet = tmp_path / "labels.csv"
    sheet.write_bytes("\ufeffid,label\r\ns1,CORRECT\r\ns2,INCORRECT\r\n".encode())
    assert read_labels(sheet) == {"s1": "C", "s2": "I"}


def test_agreement_between_two_score_columns(tmp_path: Path) -> None:
    replies = ["Paris.", "Lyon.", "Paris, for sure.", "Marseille."]
    samples = [Sample(id=f"triviaqa-q{i}", input=f"m{i}", target=TRIVIA["correct_answers"], metadata=TRIVIA)
               for i in range(len(replies))]
    model = get_model("mockllm/model", memoize=False,
                      custom_outputs=[with_usage(ModelOutput.from_content("mockllm/model", r)) for r in replies])
    grader = scripted_grader("VERDICT: CORRECT")  # says CORRECT to everything: agrees on 2 of 4
    [log] = eval(Task(dataset=samples, solver=generate(), scorer=[judge(), reference()]), model=model,
                 model_roles={"grader": grader.model}, log_dir=str(tmp_path), display="none", max_connections=1)
    assert log.status == "success", log.error
    result = CliRunner().invoke(agreement, [log.location])
    assert result.exit_code == 0, result.output
    assert "judge vs reference" in result.output
    triviaqa = next(line for line in result.output.splitlines() if line.startswith("triviaqa")).split()
    assert triviaqa[1:3] == ["4", "50.0%"]
    assert triviaqa[3] == "0.000"  # po = 0.5 and chance agreement pe = 1 * 0.5 = 0.5
    missing = CliRunner().invoke(agreement, [log.location, "--scorers", "judge,socio_t"])
    assert missing.exit_code != 0 and "no score named socio_t" in missing.output
