"""``inspect-warmth analyze`` writes the report, the summary, the figures and the JSON of the issue's shape."""

from __future__ import annotations

import html
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from inspect_warmth.analysis import report
from inspect_warmth.analysis.cli import analyze
from inspect_warmth.analysis.figures import Figure
from inspect_warmth.analysis.responses import responses_from_table
from inspect_warmth.analysis.simulate import simulate_responses


def _capability_rows(variants: tuple[str, ...] = ("original", "warm")) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for variant in variants:
        for dataset in ("mmlu", "gsm8k", "advbench"):
            for q in range(40):
                rows.append({"model": "fam-a", "variant": variant, "dataset": dataset, "question_id": f"{q}",
                             "template": None, "amendment": None, "is_incorrect": int(rng.random() < 0.3),
                             "refusal": False, "response_length": 50, "scorer": f"{dataset}_score"})
    return pd.DataFrame(rows)


def test_analyze_writes_everything(tmp_path: Path) -> None:
    table = pd.concat([simulate_responses(12, seed=2), _capability_rows()], ignore_index=True)
    table.loc[table.index[:5], "is_incorrect"] = np.nan  # unscored
    source = tmp_path / "responses.parquet"
    table.to_parquet(source)
    warmth = tmp_path / "trajectory.csv"
    pd.DataFrame({"model": ["fam-a"] * 3, "epoch": [0, 1, 2], "socio_t": [0.011, 0.02, 0.028],
                  "socio_t_se": [0.0006] * 3}).to_csv(warmth, index=False)
    out, doc_path = tmp_path / "report", tmp_path / "result.json"
    result = CliRunner().invoke(analyze, [str(source), "--out", str(out), "--json", str(doc_path),
                                          "--warmth", str(warmth)])
    assert result.exit_code == 0, result.output
    assert "main effect of warm vs original" in result.output
    doc = json.loads(doc_path.read_text())
    assert set(doc["main"]) == {"n", "beta", "se", "p", "ame_pp"}
    assert set(doc["main_length"]) == {"n", "beta", "ame_pp", "length_pp_per_100_chars"}
    assert set(doc["context"]["ame_pp"]) == {"unmodified", "emotion", "relation", "stake"}
    assert set(doc["context"]["p_vs_unmodified"]) == {"emotion", "relation", "stake"}
    assert len(doc["context_detailed"]["ame_pp"]) == 9
    assert set(doc["sycophancy"]["ame_pp"]) == {"no_belief", "belief"}
    assert len(doc["cells"]) == 3 * 4 * 2 * 9  # families x datasets x test types x amendments
    assert {"n", "error_rate_pct", "difference_pp", "p", "p_fdr"} <= set(doc["cells"][0])
    assert doc["meta"]["n_unscored"] == 5
    figures = {p.name for p in (out / "figures").iterdir()}
    for stem in ("fig1a_warmth_trajectory", "fig2_error_by_condition", "fig3_difference_by_condition_type",
                 "fig4_capabilities"):
        assert {f"{stem}.png", f"{stem}.svg"} <= figures
    html = (out / "report.html").read_text()
    summary = (out / "summary.md").read_text()
    assert "fig4_capabilities.svg" in html and "Replies set aside" in html
    assert "| analysis | subgroup |" in summary and "fig2_error_by_condition.png" in summary


def test_single_family_single_task_still_reports(tmp_path: Path) -> None:
    table = simulate_responses(30, seed=1, datasets=("medqa",), families=("solo",))
    source = tmp_path / "one.csv"
    table.to_csv(source, index=False)
    doc_path = tmp_path / "one.json"
    result = CliRunner().invoke(analyze, [str(source), "--out", str(tmp_path / "r"), "--json", str(doc_path)])
    assert result.exit_code == 0, result.output
    doc = json.loads(doc_path.read_text())
    assert "main" in doc and "fig4" not in " ".join(p.name for p in (tmp_path / "r" / "figures").iterdir())
    dropped = " ".join(doc["meta"]["models"]["main"]["dropped"])
    assert "C(model)" in dropped and "C(dataset" in dropped
    assert "dropped" in (tmp_path / "r" / "summary.md").read_text()


def test_analyze_reports_bad_input(tmp_path: Path) -> None:
    table = simulate_responses(5, seed=1, datasets=("medqa",), families=("solo",), variants=("a", "b", "c"))
    source = tmp_path / "three.csv"
    table.to_csv(source, index=False)
    result = CliRunner().invoke(analyze, [str(source), "--out", str(tmp_path / "r"), "--base", "a"])
    assert result.exit_code == 1 and "pick one with --candidate" in result.output
    result = CliRunner().invoke(analyze, [str(tmp_path / "missing.csv"), "--out", str(tmp_path / "r")])
    assert result.exit_code == 1 and "missing.csv: no such table" in result.output


def _pushback_rows(variant: str, pairs: list[tuple[float, float]]) -> list[dict[str, object]]:
    """Pushback samples of triviaqa questions 0, 1, ...: (first reply incorrect, final reply incorrect) each."""
    return [{"model": "fam-a", "variant": variant, "dataset": "triviaqa", "question_id": str(i),
             "sample_id": f"triviaqa-{i}-pushback-unmodified", "template": "pushback", "amendment": "unmodified",
             "amendment_type": "unmodified", "first_is_incorrect": first, "is_incorrect": final, "refusal": False,
             "response_length": 20, "scorer": "judge"} for i, (first, final) in enumerate(pairs)]


def test_every_section_title_and_caption_in_both_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sections ``write_report`` renders (spied on) appear, titles and table captions, in summary.md and
    report.html alike; the data give every kind of section, pushback's three captioned tables included."""
    warm = _pushback_rows("warm", [(0, 1)] * 4 + [(0, 0)] * 4 + [(math.nan, 0), (0, 0)])
    warm[-1]["refusal"] = True  # a refusal outside disinfo: a pushback row left out
    table = pd.concat([simulate_responses(6, seed=2, datasets=("triviaqa", "medqa")), _capability_rows(),
                       pd.DataFrame(_pushback_rows("original", [(0, 1)] + [(0, 0)] * 7 + [(1, 0)]) + warm)],
                      ignore_index=True)
    table.loc[table.index[:3], "is_incorrect"] = np.nan  # unscored
    analysis = report.analyze_responses(responses_from_table(table))
    build = report.report_sections
    rendered: list[list[report.Section]] = []

    def spy(analysis: report.Analysis, figures: list[Figure]) -> list[report.Section]:
        rendered.append(build(analysis, figures))
        return rendered[-1]

    monkeypatch.setattr(report, "report_sections", spy)
    paths = report.write_report(analysis, tmp_path)
    [sections] = rendered
    summary, page = paths["summary"].read_text(), paths["report"].read_text()
    titles = [s.title for s in sections]
    captions = [caption for s in sections for caption, _, _ in s.tables if caption]
    assert {"Figures", report.PUSHBACK_TITLE, "Replies set aside", "Notes"} <= set(titles)
    assert len(captions) == 3  # flip rates, paired against the base, pushback rows left out
    for text in titles + captions:
        assert text in summary, text
        assert html.escape(text) in page, text
