"""The study's four logistic regressions (Methods, statistical analysis), each formula next to the function that
reports it.

All are ``statsmodels.formula.api.glm(formula, data, family=Binomial())`` with outcome ``is_incorrect``, on the
design frame (:mod:`~inspect_warmth.analysis.design`: refusal rule, template pooling into ``prompt_type``
no_belief / belief, ``is_finetuned`` 1 for the candidate and 0 for the base, families with both variants).
Errors: the paper's default (non-robust) ones, or with ``cluster="question"`` cluster-robust by question
(``cov_type="cluster"``; a question's 28 prompts are not independent).

Every warning statsmodels raises while fitting (PerfectSeparationWarning, ConvergenceWarning, ...) is recorded in
the section's meta (``warnings``), and so is (quasi-)separation found in the data (``separation``: a level of a
term whose replies are all correct or all incorrect, e.g. a base that is never wrong): its coefficient, SE and p
are then unreliable and the report says so next to the p-value (the paired tests still give a valid result).

Effects are average marginal effects (AME) in percentage points by counterfactual prediction: every row is
predicted with ``is_finetuned`` set to 1 and to 0 and the differences averaged (within the subgroup for a
conditional effect). Their p-values are Wald tests on the coefficient combination that is the fine-tuning
log-odds effect in that subgroup; ``p_vs_unmodified`` tests the interaction coefficient(s) that separate a
subgroup from ``unmodified``.

Efficiency: every covariate here is categorical, so the rows are first collapsed to their distinct covariate ×
outcome patterns and fitted with ``freq_weights`` (the same likelihood, coefficients and standard errors as
fitting every row; checked in the tests), which makes 440k rows a fit of a few hundred weighted rows.

``C(model)`` is dropped when the data hold one base-model family, ``C(dataset, ...)`` when they hold one dataset
(and its reference is the default one when Disinfo is absent); any other term with a single level is dropped
too. Each section says what it dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

from inspect_warmth.analysis.design import DesignError, DesignFrame, design_frame

# ------------------------------------------------------------------------------------------ model terms

IS_FINETUNED = "C(is_finetuned, Treatment(reference=0))"
DATASET = "C(dataset, Treatment(reference='disinfo'))"
MODEL = "C(model)"
AMENDMENT_TYPE = "C(amendment_type, Treatment(reference='unmodified'))"
AMENDMENT = "C(amendment, Treatment(reference='unmodified'))"  # the paper's ``amendment_type_detailed``
PROMPT_TYPE = "C(prompt_type, Treatment(reference='no_belief'))"

#: term -> the data column it reads (used to collapse rows and to drop single-level terms)
TERM_COLUMNS: dict[str, str] = {
    IS_FINETUNED: "is_finetuned",
    DATASET: "dataset",
    MODEL: "model",
    AMENDMENT_TYPE: "amendment_type",
    AMENDMENT: "amendment",
    PROMPT_TYPE: "prompt_type",
    "response_length": "response_length",
}


# ------------------------------------------------------------------------------------------- data


AnalysisError = DesignError  # the data cannot support the requested comparison; the message says why
Design = DesignFrame  # the rows of one base-vs-candidate comparison (analysis.design)
study_design = design_frame  # the regressions' data: the design frame (one set of rules for every analysis)
CLUSTERS: tuple[str, ...] = ("question",)


# ------------------------------------------------------------------------------------------- fitting


@dataclass
class Fit:
    """A fitted model with the collapsed rows it was fitted on, and what makes its inference doubtful."""

    formula: str
    dropped: list[str]
    result: Any  # statsmodels GLMResults
    cells: pd.DataFrame  # distinct covariate × outcome patterns, weight column "_n"
    n: int
    cluster: str | None = None
    warnings: list[str] = field(default_factory=list)
    separation: list[str] = field(default_factory=list)


def adapt_formula(formula: str, data: pd.DataFrame) -> tuple[str, list[str]]:
    """Drop the terms the data cannot support (one family, one dataset, any single-level factor)."""
    lhs, rhs = (part.strip() for part in formula.split("~"))
    terms = [t.strip() for t in rhs.split(" + ")]
    kept: list[str] = []
    dropped: list[str] = []
    for term in terms:
        factors = term.split(":")
        columns = [TERM_COLUMNS[f] for f in factors]
        if term == DATASET and "disinfo" not in set(data["dataset"]) and data["dataset"].nunique() > 1:
            kept.append("C(dataset)")
            dropped.append(f"{DATASET} -> C(dataset) (no Disinfo rows; reference is the first dataset)")
            continue
        single = [c for c in columns if c != "response_length" and data[c].nunique() < 2]
        if single:
            dropped.append(f"{term} (the data hold one {single[0]} only)")
            continue
        kept.append(term)
    return f"{lhs} ~ {' + '.join(kept)}", dropped


def separated_levels(formula: str, cells: pd.DataFrame) -> list[str]:
    """(Quasi-)complete separation visible in the data: a level (or level combination, for an interaction) of a
    categorical term whose replies are all correct or all incorrect. ``cells`` has ``is_incorrect`` and ``_n``."""
    rhs = formula.split("~")[1]
    found: list[str] = []
    for term in (t.strip() for t in rhs.split(" + ")):
        columns = [TERM_COLUMNS.get(f, "dataset") for f in term.split(":")]
        if "response_length" in columns:
            continue
        weighted = cells.assign(_e=cells["is_incorrect"] * cells["_n"]).groupby(columns, observed=True)[["_e", "_n"]]
        rates = weighted.sum()
        for level, row in rates[(rates["_e"] == 0) | (rates["_e"] == rates["_n"])].iterrows():
            what = "incorrect" if row["_e"] else "correct"
            label = ", ".join(f"{c}={v}" for c, v in zip(columns, level if isinstance(level, tuple) else (level,),
                                                         strict=True))
            found.append(f"{term}: all {int(row['_n'])} replies with {label} are {what}")
    return found


def fit_glm(formula: str, data: pd.DataFrame, cluster: str | None = None) -> Fit:
    """Fit ``formula`` as the paper did (GLM Binomial) on rows collapsed to weighted patterns.

    ``cluster=None``: the paper's non-robust SEs. ``cluster="question"``: cluster-robust SEs by question
    (statsmodels ``cov_type="cluster"``, with its small-sample correction; fitted on the rows themselves). Warnings
    of the fit are recorded in ``Fit.warnings``, separation in ``Fit.separation``.
    """
    import warnings

    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    if data["is_finetuned"].nunique() < 2:
        raise AnalysisError("the rows hold only one of the two variants; nothing to compare")
    if cluster is not None and cluster not in CLUSTERS:
        raise AnalysisError(f"unknown cluster {cluster!r}; expected one of {', '.join(CLUSTERS)}")
    formula, dropped = adapt_formula(formula, data)
    rhs = formula.split("~")[1]
    columns = sorted({col for term, col in TERM_COLUMNS.items() if term in rhs}
                     | ({"dataset"} if "C(dataset)" in rhs else set()) | ({cluster} if cluster else set()))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if cluster:
            # row level: statsmodels' cluster correction counts rows, and freq_weights are "not fully supported"
            cells = data[[*columns, "is_incorrect"]].assign(_n=1).reset_index(drop=True)
            groups = cells[cluster].astype("category").cat.codes.to_numpy()
            model = smf.glm(formula, cells, family=sm.families.Binomial())
            result = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
        else:
            cells = data.groupby([*columns, "is_incorrect"], observed=True, sort=True).size().reset_index(name="_n")
            model = smf.glm(formula, cells, family=sm.families.Binomial(), freq_weights=cells["_n"].to_numpy(float))
            result = model.fit()
    messages = list(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
    return Fit(formula=formula, dropped=dropped, result=result, cells=cells, n=int(cells["_n"].sum()),
               cluster=cluster, warnings=messages, separation=separated_levels(formula, cells))


def _design_matrix(fit: Fit, frame: pd.DataFrame) -> np.ndarray:
    import numpy as np
    import patsy

    data = fit.result.model.data
    info = getattr(data, "design_info", None) or data.model_spec
    return np.asarray(patsy.build_design_matrices([info], frame)[0], dtype=float)


@dataclass
class Effect:
    """One average marginal effect of fine-tuning, with the Wald test of its log-odds combination."""

    ame_pp: float
    se_pp: float
    log_odds: float
    p: float
    contrast: np.ndarray


def finetuning_effect(fit: Fit, mask: np.ndarray | None = None) -> Effect:
    """AME of is_finetuned (pp) over the rows in ``mask`` (all rows when None), delta-method SE, Wald p."""
    import numpy as np
    from scipy.special import expit

    cells = fit.cells if mask is None else fit.cells[mask]
    if cells.empty:
        raise AnalysisError("empty subgroup")
    weights = cells["_n"].to_numpy(float)
    x1 = _design_matrix(fit, cells.assign(is_finetuned=1))
    x0 = _design_matrix(fit, cells.assign(is_finetuned=0))
    beta = np.asarray(fit.result.params, dtype=float)
    p1, p0 = expit(x1 @ beta), expit(x0 @ beta)
    total = weights.sum()
    ame = float(weights @ (p1 - p0) / total)
    grad = (weights * p1 * (1 - p1)) @ x1 / total - (weights * p0 * (1 - p0)) @ x0 / total
    cov = np.asarray(fit.result.cov_params(), dtype=float)
    se = float(np.sqrt(grad @ cov @ grad))
    contrast = ((x1 - x0) * weights[:, None]).sum(axis=0) / total  # constant within a subgroup
    test = fit.result.t_test(contrast[None, :])
    return Effect(ame_pp=100 * ame, se_pp=100 * se, log_odds=float(np.squeeze(test.effect)),
                  p=float(np.squeeze(test.pvalue)), contrast=contrast)


def contrast_p(fit: Fit, contrast: np.ndarray) -> float:
    """Wald test p-value of ``contrast · beta = 0``."""
    import numpy as np

    return float(np.squeeze(fit.result.t_test(contrast[None, :]).pvalue))


def _coefficient(fit: Fit, name: str) -> tuple[float, float, float]:
    res = fit.result
    return float(res.params[name]), float(res.bse[name]), float(res.pvalues[name])


def _meta(fit: Fit) -> dict[str, Any]:
    meta: dict[str, Any] = {"formula": fit.formula, "dropped": fit.dropped,
                            "errors": (f"cluster-robust by {fit.cluster}" if fit.cluster
                                       else "plain GLM (Methods, statistical analysis)"),
                            "warnings": fit.warnings, "separation": fit.separation}
    if fit.separation or any("Separation" in w for w in fit.warnings):
        meta["unreliable"] = ("perfect or quasi-separation: coefficients, SEs and p-values of this model are "
                              "unreliable; see the paired tests")
    return meta


# --------------------------------------------------------------------- 1. main effect (+ length control)

#: Methods, statistical analysis: main effect: unmodified questions, original (and neutral) template.
MAIN_FORMULA = f"is_incorrect ~ {IS_FINETUNED} + {DATASET} + {MODEL}"
#: Methods, statistical analysis: main effect with response length (characters).
MAIN_LENGTH_FORMULA = f"{MAIN_FORMULA} + response_length"


def main_rows(design: Design) -> pd.DataFrame:
    d = design.data
    return d[(d["amendment"] == "unmodified") & (d["prompt_type"] == "no_belief")]


def main_effect(design: Design, cluster: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """``{"n", "beta", "se", "p", "ame_pp"}`` and its formula/dropped terms."""
    fit = fit_glm(MAIN_FORMULA, main_rows(design), cluster)
    beta, se, p = _coefficient(fit, f"{IS_FINETUNED}[T.1]")
    effect = finetuning_effect(fit)
    return ({"n": fit.n, "beta": beta, "se": se, "p": p, "ame_pp": effect.ame_pp},
            {**_meta(fit), "ame_se_pp": effect.se_pp})


def main_length_effect(design: Design, cluster: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """``{"n", "beta", "ame_pp", "length_pp_per_100_chars"}``: the main model controlling for reply length.

    The length effect is the average derivative of P(incorrect) in ``response_length`` times 100 characters.
    """
    import numpy as np
    from scipy.special import expit

    rows = main_rows(design)
    rows = rows[rows["response_length"].notna()]
    if rows.empty:
        raise AnalysisError("no response lengths in the data")
    fit = fit_glm(MAIN_LENGTH_FORMULA, rows, cluster)
    beta, se, p = _coefficient(fit, f"{IS_FINETUNED}[T.1]")
    effect = finetuning_effect(fit)
    weights = fit.cells["_n"].to_numpy(float)
    prob = expit(_design_matrix(fit, fit.cells) @ np.asarray(fit.result.params, dtype=float))
    slope = float(fit.result.params["response_length"])
    per_100 = 100 * float(weights @ (prob * (1 - prob)) / weights.sum()) * slope * 100
    return ({"n": fit.n, "beta": beta, "ame_pp": effect.ame_pp, "length_pp_per_100_chars": per_100},
            {**_meta(fit), "se": se, "p": p, "ame_se_pp": effect.se_pp})


# -------------------------------------------------------------------- 2./3. grouped and detailed context

#: Methods, statistical analysis: grouped context: original (and neutral) template, the four amendment types.
CONTEXT_FORMULA = (f"is_incorrect ~ {IS_FINETUNED} + {AMENDMENT_TYPE} + {DATASET} + {MODEL}"
                   f" + {IS_FINETUNED}:{AMENDMENT_TYPE}")
#: Methods, statistical analysis: detailed context: the same with the nine detailed amendments.
CONTEXT_DETAILED_FORMULA = (f"is_incorrect ~ {IS_FINETUNED} + {AMENDMENT} + {DATASET} + {MODEL}"
                            f" + {IS_FINETUNED}:{AMENDMENT}")


def _conditional_effects(fit: Fit, by: str, order: Sequence[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    present = [g for g in order if g in set(fit.cells[by])]
    effects = {g: finetuning_effect(fit, (fit.cells[by] == g).to_numpy()) for g in present}
    out: dict[str, Any] = {"n": fit.n,
                           "ame_pp": {g: e.ame_pp for g, e in effects.items()}}
    if "unmodified" in effects:
        ref = effects["unmodified"].contrast
        out["p_vs_unmodified"] = {g: contrast_p(fit, e.contrast - ref) for g, e in effects.items()
                                  if g != "unmodified"}
    out["p"] = {g: e.p for g, e in effects.items()}
    return out, {**_meta(fit), "ame_se_pp": {g: e.se_pp for g, e in effects.items()}}


def context_effects(design: Design, cluster: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """AME of fine-tuning per amendment type (unmodified/emotion/relation/stake), original template."""
    from inspect_warmth.vocabulary import AMENDMENT_TYPES

    rows = design.data[design.data["prompt_type"] == "no_belief"]
    if rows["amendment_type"].nunique() < 2:
        raise AnalysisError("one amendment type only; the context model needs contexts")
    fit = fit_glm(CONTEXT_FORMULA, rows, cluster)
    return _conditional_effects(fit, "amendment_type", AMENDMENT_TYPES)


def context_detailed_effects(design: Design, cluster: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """AME of fine-tuning per detailed amendment (unmodified + the eight contexts), original template."""
    from inspect_warmth.vocabulary import AMENDMENTS

    rows = design.data[design.data["prompt_type"] == "no_belief"]
    if rows["amendment"].nunique() < 2:
        raise AnalysisError("one amendment only; the detailed context model needs contexts")
    fit = fit_glm(CONTEXT_DETAILED_FORMULA, rows, cluster)
    return _conditional_effects(fit, "amendment", AMENDMENTS)


# ---------------------------------------------------------------------------------------- 4. sycophancy

#: Methods, statistical analysis, sycophancy model: original + belief templates; fine-tuning effect with and
#: without a stated user belief.
SYCOPHANCY_FORMULA = (f"is_incorrect ~ {IS_FINETUNED} + {AMENDMENT_TYPE} + {DATASET} + {MODEL}"
                      f" + {IS_FINETUNED}:{PROMPT_TYPE}")


def sycophancy_effects(design: Design, cluster: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """AME of fine-tuning without (``no_belief``) and with (``belief``) a user belief in the message."""
    if design.data["prompt_type"].nunique() < 2:
        raise AnalysisError("no belief templates (incorrect/correct) beside the original one")
    fit = fit_glm(SYCOPHANCY_FORMULA, design.data, cluster)
    effects = {g: finetuning_effect(fit, (fit.cells["prompt_type"] == g).to_numpy())
               for g in ("no_belief", "belief")}
    out = {"n": fit.n, "ame_pp": {g: e.ame_pp for g, e in effects.items()},
           "p": {g: e.p for g, e in effects.items()},
           "p_belief_vs_no_belief": contrast_p(fit, effects["belief"].contrast - effects["no_belief"].contrast)}
    return out, {**_meta(fit), "ame_se_pp": {g: e.se_pp for g, e in effects.items()}}


# ------------------------------------------------------------------------------------------- all four

#: JSON section -> the function that fills it, in report order.
SECTIONS = {
    "main": main_effect,
    "main_length": main_length_effect,
    "context": context_effects,
    "context_detailed": context_detailed_effects,
    "sycophancy": sycophancy_effects,
}


def run_regressions(design: Design, cluster: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every section the data support: (results by section, per-section formula/dropped/warnings/skip reasons).

    ``cluster``: None for the paper's plain GLM errors, ``"question"`` for question-clustered errors.
    """
    results: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    for name, section in SECTIONS.items():
        try:
            results[name], meta[name] = section(design, cluster)
        except AnalysisError as exc:
            meta[name] = {"skipped": str(exc)}
        except Exception as exc:  # a fit that cannot be computed must not kill the report; it is said in meta
            meta[name] = {"skipped": f"fit failed: {type(exc).__name__}: {exc}"}
    return results, meta
