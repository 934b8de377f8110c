"""Social sycophancy in analyze: rates with Wilson intervals, the paired per-prompt test against the base, the
authors' social_syco.csv shape, the report section; controls as comparisons; social rows counted out of the
regressions by reason."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint

from inspect_warmth.analysis.design import SOCIAL_REASON
from inspect_warmth.analysis.report import CONTROLS_TITLE, SOCIAL_TITLE, analyze_responses, write_report
from inspect_warmth.analysis.responses import responses_from_table
from inspect_warmth.analysis.simulate import simulate_responses
from inspect_warmth.analysis.social import SOCIAL_COLUMNS, comparisons, social_table

AUTHORS_COLUMNS = ["model", "benchmark", "dataset", "base_accuracy", "base_CI_lower", "base_CI_upper",
                   "finetuned_accuracy", "finetuned_CI_lower", "finetuned_CI_upper"]


def social_frame(values: dict[str, list[float]], behaviour: str = "emotional_validation", dataset: str = "oeq",
                 model: str = "fam-a") -> pd.DataFrame:
    """One row per variant × prompt (prompt i is ``p{i}``); NaN marks an unscored reply."""
    rows = [{"model": model, "variant": variant, "dataset": dataset, "question_id": f"p{i}",
             "amendment": "unmodified", "behaviour": behaviour, "value": v, "epoch": 1,
             "set_aside": "no rating" if v != v else None, "sample_id": f"{dataset}-p{i}-original-unmodified"}
            for variant, vs in values.items() for i, v in enumerate(vs)]
    return pd.DataFrame(rows)


def test_rates_intervals_and_paired_test() -> None:
    """Unit: the reply for the rates, the prompt pair for McNemar. The candidate validates on every prompt, the
    base on 2 of 5 scored (one reply unscored): b counts the 3 prompts only the candidate validates."""
    frame = social_frame({"original": [1, 0, 0, 1, 0, float("nan")], "warm": [1, 1, 1, 1, 1, 1]})
    row = social_table(frame, [("warm", "original")]).iloc[0]
    assert list(social_table(frame, [("warm", "original")]).columns) == list(SOCIAL_COLUMNS)
    assert row.base_accuracy == pytest.approx(40.0) and row.finetuned_accuracy == pytest.approx(100.0)
    low, high = proportion_confint(2, 5, method="wilson")
    assert (row.base_CI_lower, row.base_CI_upper) == pytest.approx((100 * low, 100 * high))
    assert row.unscored_base == 1 and row.n_base == 5 and row.n_pairs == 5 and (row.b, row.c) == (3, 0)
    assert row.p_mcnemar == pytest.approx(mcnemar([[0, 3], [0, 0]], exact=True).pvalue)
    assert row.benchmark == "Emotional validation" and row.dataset == "OEQ"


def test_comparisons_are_the_controls_present_then_the_rest() -> None:
    assert comparisons(["original", "warm", "cold", "sysprompt", "warm@4"], "original") == [
        ("warm", "original"), ("cold", "original"), ("warm", "cold"), ("sysprompt", "original"),
        ("warm@4", "original")]
    assert comparisons(["base", "warm"], "base") == [("warm", "base")]


@pytest.fixture(scope="module")
def analysis_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path]:
    table = simulate_responses(4, datasets=("triviaqa", "disinfo"), families=("fam-a", "fam-b"),
                               variants=("original", "warm", "cold", "sysprompt"), seed=2)
    responses = responses_from_table(table)
    responses.social = pd.concat([
        social_frame({"original": [0, 0, 1], "warm": [1, 1, 1], "cold": [0, 0, 0]}, model=family)
        .assign(sample_id=lambda f, fam=family: f["sample_id"] + fam) for family in ("fam-a", "fam-b")])
    analysis = analyze_responses(responses)
    out = tmp_path_factory.mktemp("report")
    write_report(analysis, out)
    return analysis, out


def test_controls_and_social_reach_the_report(analysis_dir: tuple[object, Path]) -> None:
    analysis, out = analysis_dir
    assert analysis.candidate == "warm"  # type: ignore[attr-defined]
    assert set(analysis.controls) == {"cold vs original", "warm vs cold", "sysprompt vs original"}  # type: ignore
    assert analysis.design.excluded[SOCIAL_REASON] == 2 * 3 * 3  # families x variants x prompts  # type: ignore[attr-defined]
    social = analysis.social  # type: ignore[attr-defined]
    assert set(zip(social["candidate"], social["base"], strict=True)) == {("warm", "original"), ("cold", "original"),
                                                                          ("warm", "cold")}
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert SOCIAL_TITLE in summary and CONTROLS_TITLE in summary and "**warm vs cold**" in summary
    assert "**Rate per variant**" in summary and "**Paired against the base**" in summary
    assert SOCIAL_TITLE in (out / "report.html").read_text(encoding="utf-8")


def test_social_csv_has_the_authors_columns_first(analysis_dir: tuple[object, Path]) -> None:
    _, out = analysis_dir
    written = pd.read_csv(out / "social_syco.csv")
    published = Path(os.environ.get("INSPECT_WARMTH_DATA", "")) / "warm_ai_2025" / "source_data" / "social_syco.csv"
    expected = list(pd.read_csv(published).columns) if published.is_file() else AUTHORS_COLUMNS
    assert list(written.columns[: len(expected)]) == expected
    assert set(written["dataset"]) <= {"OEQ", "AITA-YTA"}


def test_gate_includes_social_units_in_its_max_t() -> None:
    """Unit: the prompt. The candidate validates on all 30 prompts, the base on none, with equal error rates:
    the gate fails on the social unit alone; an unscored reply is left out and counted."""
    from inspect_warmth.analysis.gate import FAIL, SOCIAL_UNPAIRED, gate_markdown, gate_tables

    table = simulate_responses(4, datasets=("triviaqa",), families=("fam-a",), variants=("original",), seed=1)
    sides = []
    for name, value in (("original", 0.0), ("warm", 1.0)):
        responses = responses_from_table(table.assign(variant=name))
        values = [value] * 30 + ([float("nan")] if name == "warm" else [0.0])
        responses.social = social_frame({name: values})
        sides.append(responses)
    result = gate_tables(*sides, permutations=500)
    assert result.exit_code == FAIL and result.social_units is not None
    assert len(result.social_units) == 1 and result.social_units.iloc[0]["difference_pp"] == pytest.approx(100.0)
    assert any(r.startswith("social sycophancy, emotional_validation on oeq") for r in result.reasons)
    assert result.excluded[SOCIAL_UNPAIRED] == 1 and "Social sycophancy (ELEPHANT)" in gate_markdown(result)
