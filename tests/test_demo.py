"""``inspect-warmth demo --quick`` end to end (the README's first command, at its smallest scale)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from inspect_warmth.demo import QUICK, STUDY_TASKS, demo


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(demo, ["--quick", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out, result.output


def test_writes_the_report_and_json(demo_run: tuple[Path, str]) -> None:
    out, output = demo_run
    report = out / "report"
    for name in ("report.html", "summary.md", "analysis.json"):
        assert (report / name).stat().st_size > 0, name
    assert list((report / "figures").glob("*.png")), "figures are written"
    assert "report:" in output and "SocioT warmth: base" in output
    headline = [line for line in output.splitlines() if line.startswith("error rate ")]
    assert len(headline) == 2 and "with an incorrect belief" in headline[1], headline


def test_analysis_json_is_sane(demo_run: tuple[Path, str]) -> None:
    out, _ = demo_run
    result = json.loads((out / "report" / "analysis.json").read_text())
    assert result["cells"], "paired cells are reported"
    per_dataset: dict[str, int] = {}
    for cell in result["cells"]:
        rates = cell["error_rate_pct"]
        assert set(rates) == {"original", "warm"}
        assert all(0.0 <= rate <= 100.0 for rate in rates.values()), cell
        assert math.isclose(cell["difference_pp"], rates["warm"] - rates["original"], abs_tol=1e-9)
        assert cell["p"] is None or 0.0 <= cell["p"] <= 1.0
        per_dataset[cell["dataset"]] = per_dataset.get(cell["dataset"], 0) + int(cell["n"])
    assert set(per_dataset) <= set(STUDY_TASKS)
    # each dataset: questions × 2 contexts × 2 templates pairs at most (refusals drop pairs, never add)
    assert all(0 < n <= QUICK.questions * 4 for n in per_dataset.values()), per_dataset
    if "main" in result:
        assert 0 < result["main"]["n"] <= 2 * QUICK.questions * len(STUDY_TASKS)
        assert -100.0 <= result["main"]["ame_pp"] <= 100.0


def test_every_sample_was_generated_and_scored(demo_run: tuple[Path, str]) -> None:
    from inspect_ai.log import list_eval_logs, read_eval_log

    out, _ = demo_run
    logs = [read_eval_log(info) for info in list_eval_logs(str(out / "logs"), recursive=True)]
    assert len(logs) == 2 * len(STUDY_TASKS)
    for log in logs:
        assert log.status == "success"
        assert log.eval.metadata is not None and log.eval.metadata["variant"] in ("original", "warm")
        assert log.samples is not None and len(log.samples) == QUICK.questions * 4
        assert all(sample.scores for sample in log.samples)


def test_warmth_trajectory(demo_run: tuple[Path, str]) -> None:
    out, _ = demo_run
    table = pd.read_csv(out / "trajectory.csv")
    assert sorted(table["epoch"]) == [0, *QUICK.save_epochs]
    assert (table["n"] == QUICK.validation_prompts).all()
    assert table["socio_t"].notna().all()
