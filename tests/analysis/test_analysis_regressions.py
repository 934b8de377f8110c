"""The regressions recover known effects from data simulated with fixed coefficients."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from inspect_warmth.analysis.regressions import (
    IS_FINETUNED,
    MAIN_FORMULA,
    PROMPT_TYPE,
    AnalysisError,
    context_detailed_effects,
    fit_glm,
    main_effect,
    main_length_effect,
    main_rows,
    run_regressions,
    study_design,
    sycophancy_effects,
)
from inspect_warmth.analysis.simulate import Truth, simulate_responses

Z = 1.96


@pytest.fixture(scope="module")
def clean_truth() -> Truth:
    """No length effect, amendment effects only through the fine-tuning interaction: every model is specified
    correctly for the rows it is fitted on."""
    return Truth(length=0.0, amendment={a: 0.0 for a in Truth().amendment})


@pytest.fixture(scope="module")
def simulated(clean_truth: Truth) -> pd.DataFrame:
    return simulate_responses(120, truth=clean_truth, seed=11, refusal_rate=0.0)


def test_main_effect_recovers_coefficient_and_ame(simulated: pd.DataFrame, clean_truth: Truth) -> None:
    design = study_design(simulated)
    result, meta = main_effect(design)
    assert abs(result["beta"] - clean_truth.finetuned) < Z * result["se"]
    true_ame = clean_truth.ame_pp(main_rows(design))
    assert abs(result["ame_pp"] - true_ame) < Z * meta["ame_se_pp"]
    assert result["n"] == len(main_rows(design))
    assert meta["dropped"] == []


def test_detailed_context_recovers_interactions(simulated: pd.DataFrame, clean_truth: Truth) -> None:
    design = study_design(simulated)
    result, meta = context_detailed_effects(design)
    fit = fit_glm(meta["formula"], design.data[design.data["prompt_type"] == "no_belief"])
    for amendment, true_coef in clean_truth.finetuned_by_amendment.items():
        name = f"{IS_FINETUNED}[T.1]:C(amendment, Treatment(reference='unmodified'))[T.{amendment}]"
        assert abs(fit.result.params[name] - true_coef) < Z * fit.result.bse[name]
    rows = design.data[design.data["prompt_type"] == "no_belief"]
    sad = clean_truth.ame_pp(rows[rows["amendment"] == "emotion:sad"])
    assert result["ame_pp"]["emotion:sad"] == pytest.approx(sad, abs=3.0)
    assert result["ame_pp"]["emotion:sad"] > result["ame_pp"]["unmodified"]
    # p vs unmodified is the Wald test of the interaction coefficient itself
    sad_term = f"{IS_FINETUNED}[T.1]:C(amendment, Treatment(reference='unmodified'))[T.emotion:sad]"
    assert result["p_vs_unmodified"]["emotion:sad"] == pytest.approx(fit.result.pvalues[sad_term], rel=1e-6)
    assert set(result["ame_pp"]) == set(Truth().amendment)


def test_sycophancy_recovers_belief_interaction(simulated: pd.DataFrame, clean_truth: Truth) -> None:
    truth = Truth(length=0.0, amendment={a: 0.0 for a in Truth().amendment}, finetuned_by_amendment={})
    data = simulate_responses(120, truth=truth, seed=5, refusal_rate=0.0)
    design = study_design(data)
    result, meta = sycophancy_effects(design)
    fit = fit_glm(meta["formula"], design.data)
    for level, true_coef in zip((0, 1), truth.belief, strict=True):
        name = f"{IS_FINETUNED}[{level}]:{PROMPT_TYPE}[T.belief]"
        assert abs(fit.result.params[name] - true_coef) < Z * fit.result.bse[name]
    for group in ("no_belief", "belief"):
        rows = design.data[design.data["prompt_type"] == group]
        assert result["ame_pp"][group] == pytest.approx(truth.ame_pp(rows), abs=1.5)
    assert result["n"] == len(design.data)


def test_length_model_recovers_length_coefficient() -> None:
    truth = Truth(amendment={a: 0.0 for a in Truth().amendment}, length=-0.0008)
    data = simulate_responses(150, truth=truth, seed=2, refusal_rate=0.0)
    design = study_design(data)
    result, meta = main_length_effect(design)
    fit = fit_glm(meta["formula"], main_rows(design))
    assert abs(fit.result.params["response_length"] - truth.length) < Z * fit.result.bse["response_length"]
    assert abs(result["beta"] - truth.finetuned) < Z * meta["se"]
    assert result["length_pp_per_100_chars"] < 0


def test_collapsed_fit_equals_row_level_fit() -> None:
    data = simulate_responses(15, seed=4, datasets=("disinfo", "medqa"), families=("fam-a", "fam-b"))
    design = study_design(data)
    rows = main_rows(design)
    fit = fit_glm(MAIN_FORMULA, rows)
    plain = smf.glm(MAIN_FORMULA, rows, family=sm.families.Binomial()).fit()
    np.testing.assert_allclose(fit.result.params.to_numpy(), plain.params.to_numpy(), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fit.result.bse.to_numpy(), plain.bse.to_numpy(), rtol=1e-6)
    assert fit.result.llf == pytest.approx(plain.llf, rel=1e-9)
    x1 = plain.predict(rows.assign(is_finetuned=1))
    x0 = plain.predict(rows.assign(is_finetuned=0))
    assert main_effect(design)[0]["ame_pp"] == pytest.approx(100 * float((x1 - x0).mean()), rel=1e-7)


def test_single_family_single_dataset_drops_and_says_so() -> None:
    data = simulate_responses(60, seed=1, datasets=("triviaqa",), families=("solo",))
    results, meta = run_regressions(study_design(data))
    assert {"main", "main_length", "context", "context_detailed", "sycophancy"} <= set(results)
    dropped = " ".join(meta["main"]["dropped"])
    assert "C(model)" in dropped and "C(dataset" in dropped
    assert "C(model)" not in meta["main"]["formula"]


def test_no_disinfo_uses_default_dataset_reference() -> None:
    data = simulate_responses(60, seed=1, datasets=("medqa", "triviaqa"), families=("solo",))
    _, meta = main_effect(study_design(data))
    assert "C(dataset)" in meta["formula"] and "Treatment(reference='disinfo')" not in meta["formula"]


def test_refusals_dropped_except_disinfo() -> None:
    data = simulate_responses(10, seed=0, datasets=("disinfo", "medqa"), families=("solo",), refusal_rate=0.0)
    data.loc[:9, "refusal"] = True  # first rows are disinfo (dataset order)
    data.loc[:9, "is_incorrect"] = 1
    medqa = data.index[data["dataset"] == "medqa"][:7]
    data.loc[medqa, "refusal"] = True
    design = study_design(data)
    assert len(design.data) == len(data) - 7
    assert design.data.loc[design.data["refusal"], "is_incorrect"].eq(0).all()


def test_absent_sections_are_omitted_and_candidate_is_checked() -> None:
    data = simulate_responses(20, seed=0, families=("solo",))
    unmodified = data[(data["amendment"] == "unmodified") & (data["template"] == "original")]
    results, meta = run_regressions(study_design(unmodified))
    assert set(results) == {"main", "main_length"}
    assert "skipped" in meta["sycophancy"]
    with pytest.raises(AnalysisError, match="pick one with --candidate"):
        study_design(pd.concat([data, data.assign(variant="cold")]))
    with pytest.raises(AnalysisError, match="base variant"):
        study_design(data, base="nope")


def _separated_table(questions: int = 40) -> pd.DataFrame:
    """Issue 13's case: the base never errs, warm errs on half the questions (every prompt of those questions)."""
    table = simulate_responses(questions, datasets=("triviaqa", "medqa"), families=("solo",), seed=5,
                               refusal_rate=0.0)
    warm = table["variant"] == "warm"
    wrong = table["question_id"].str[1:].astype(int) % 2 == 0
    return table.assign(is_incorrect=(warm & wrong).astype(int))


def test_perfect_separation_is_flagged_and_its_p_marked_unreliable(tmp_path: Path) -> None:
    """Unit: prompt rows of one simulated table. Before issue 13 the main effect printed
    "+45.00 pp (beta 23.4, SE 12520, p 0.999)" with no note; the paired tests still give their result."""
    from click.testing import CliRunner

    from inspect_warmth.analysis.cli import analyze

    _, meta = run_regressions(study_design(_separated_table()))
    assert meta["main"]["separation"], meta["main"]
    assert "all" in meta["main"]["separation"][0] and "are correct" in meta["main"]["separation"][0]
    assert "unreliable" in meta["main"]["unreliable"]
    path = tmp_path / "sep.csv"
    _separated_table().to_csv(path, index=False)
    result = CliRunner().invoke(analyze, [str(path), "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    main_line = next(line for line in result.output.splitlines() if line.startswith("main effect"))
    assert "(unreliable: separation)" in main_line
    summary = (tmp_path / "r" / "summary.md").read_text()
    assert "unreliable: separation" in summary and "perfect or quasi-separation" in summary
    assert "<0.0001" in summary  # the per-prompt paired tests still give their (small) p


def test_statsmodels_warnings_are_recorded() -> None:
    fit = fit_glm(MAIN_FORMULA, main_rows(study_design(_separated_table())))
    assert fit.separation
    assert all(isinstance(w, str) and ":" in w for w in fit.warnings)


def test_question_clustered_errors_match_an_uncollapsed_fit(simulated: pd.DataFrame) -> None:
    """Unit: the question. The SEs are statsmodels' cov_type='cluster' on the rows, and only the SEs change."""
    design = study_design(simulated)
    rows = main_rows(design)
    fit = fit_glm(MAIN_FORMULA, rows, cluster="question")
    direct = smf.glm(fit.formula, rows, family=sm.families.Binomial()).fit(
        cov_type="cluster", cov_kwds={"groups": rows["question"].astype("category").cat.codes.to_numpy()})
    name = f"{IS_FINETUNED}[T.1]"
    assert fit.result.params[name] == pytest.approx(direct.params[name], rel=1e-6)
    assert fit.result.bse[name] == pytest.approx(direct.bse[name], rel=1e-6)
    assert not fit.warnings
    clustered, meta = main_effect(design, cluster="question")
    assert meta["errors"] == "cluster-robust by question"
    plain, plain_meta = main_effect(design)
    assert plain_meta["errors"] == "plain GLM (Methods, statistical analysis)"
    assert clustered["beta"] == pytest.approx(plain["beta"]) and clustered["se"] != pytest.approx(plain["se"])
