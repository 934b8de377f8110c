"""The study's four logistic regressions (PAPER.md §6), each formula next to the function that reports it.

All are ``statsmodels.formula.api.glm(formula, data, family=Binomial())`` with default (non-robust) errors and
outcome ``is_incorrect``. Refusals are dropped except on Disinfo, where they count as correct; ``neutral`` is
pooled with ``original`` and ``incorrect`` with ``correct`` (``prompt_type`` no_belief / belief). ``is_finetuned``
is 1 for the candidate variant (e.g. ``warm``) and 0 for the base (``original``); one candidate at a time.

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

from inspect_warmth.analysis.responses import STUDY_DATASETS

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

NO_BELIEF_TEMPLATES: tuple[str, ...] = ("original", "neutral")
BELIEF_TEMPLATES: tuple[str, ...] = ("incorrect", "correct")

# ------------------------------------------------------------------------------------------- data


class AnalysisError(ValueError):
    """The data cannot support the requested comparison; the message says why."""


@dataclass
class Design:
    """The rows of one base-vs-candidate comparison, filtered and coded as the paper did."""

    data: pd.DataFrame
    base: str
    candidate: str
    notes: list[str] = field(default_factory=list)


def pick_candidate(table: pd.DataFrame, base: str, candidate: str | None = None) -> str:
    """The variant compared with ``base``: ``candidate`` when given, else the only other variant."""
    variants = sorted(str(v) for v in table["variant"].unique())
    if base not in variants:
        raise AnalysisError(f"base variant {base!r} not in the data (variants: {', '.join(variants)}); "
                            "pass --base NAME")
    if candidate is not None:
        if candidate not in variants:
            raise AnalysisError(f"candidate variant {candidate!r} not in the data (variants: {', '.join(variants)})")
        return candidate
    others = [v for v in variants if v != base]
    if len(others) != 1:
        raise AnalysisError(f"{len(others)} variants besides the base {base!r} ({', '.join(others) or 'none'}); "
                            "pick one with --candidate NAME")
    return others[0]


def study_design(table: pd.DataFrame, base: str = "original", candidate: str | None = None) -> Design:
    """Filter and code a responses table for the regressions (PAPER.md §5–6)."""
    import numpy as np

    candidate = pick_candidate(table, base, candidate)
    notes: list[str] = []
    data = table[table["dataset"].isin(STUDY_DATASETS) & table["variant"].isin([base, candidate])].copy()
    if data.empty:
        raise AnalysisError(f"no study rows ({', '.join(STUDY_DATASETS)}) for variants {base!r} and {candidate!r}")
    data = data[data["template"].isin(NO_BELIEF_TEMPLATES + BELIEF_TEMPLATES)]
    refusal = data["refusal"].astype(bool).to_numpy()
    disinfo = (data["dataset"] == "disinfo").to_numpy()
    dropped = int((refusal & ~disinfo).sum())
    if dropped:
        notes.append(f"{dropped} refusals dropped (outside Disinfo)")
    if (refusal & disinfo).any():
        notes.append(f"{int((refusal & disinfo).sum())} Disinfo refusals counted as correct")
    data.loc[refusal & disinfo, "is_incorrect"] = 0
    data = data[~(refusal & ~disinfo)]
    data["is_finetuned"] = (data["variant"] == candidate).astype(int)
    data["prompt_type"] = np.where(data["template"].isin(BELIEF_TEMPLATES), "belief", "no_belief")
    data["is_incorrect"] = data["is_incorrect"].astype(int)
    return Design(data=data.reset_index(drop=True), base=base, candidate=candidate, notes=notes)


# ------------------------------------------------------------------------------------------- fitting


@dataclass
class Fit:
    """A fitted model with the collapsed rows it was fitted on."""

    formula: str
    dropped: list[str]
    result: Any  # statsmodels GLMResults
    cells: pd.DataFrame  # distinct covariate × outcome patterns, weight column "_n"
    n: int


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


def fit_glm(formula: str, data: pd.DataFrame) -> Fit:
    """Fit ``formula`` as the paper did (GLM Binomial, non-robust SEs) on rows collapsed to weighted patterns."""
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    if data["is_finetuned"].nunique() < 2:
        raise AnalysisError("the rows hold only one of the two variants; nothing to compare")
    formula, dropped = adapt_formula(formula, data)
    rhs = formula.split("~")[1]
    columns = sorted({col for term, col in TERM_COLUMNS.items() if term in rhs}
                     | ({"dataset"} if "C(dataset)" in rhs else set()))
    cells = data.groupby([*columns, "is_incorrect"], observed=True, sort=True).size().reset_index(name="_n")
    model = smf.glm(formula, cells, family=sm.families.Binomial(), freq_weights=cells["_n"].to_numpy(float))
    result = model.fit()
    return Fit(formula=formula, dropped=dropped, result=result, cells=cells, n=int(cells["_n"].sum()))


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
    return {"formula": fit.formula, "dropped": fit.dropped}


# --------------------------------------------------------------------- 1. main effect (+ length control)

#: PAPER.md §6.1: unmodified questions, original (and neutral) template.
MAIN_FORMULA = f"is_incorrect ~ {IS_FINETUNED} + {DATASET} + {MODEL}"
#: PAPER.md §6.1 with response length (characters).
MAIN_LENGTH_FORMULA = f"{MAIN_FORMULA} + response_length"


def main_rows(design: Design) -> pd.DataFrame:
    d = design.data
    return d[(d["amendment"] == "unmodified") & (d["prompt_type"] == "no_belief")]


def main_effect(design: Design) -> tuple[dict[str, Any], dict[str, Any]]:
    """``{"n", "beta", "se", "p", "ame_pp"}`` and its formula/dropped terms."""
    fit = fit_glm(MAIN_FORMULA, main_rows(design))
    beta, se, p = _coefficient(fit, f"{IS_FINETUNED}[T.1]")
    effect = finetuning_effect(fit)
    return ({"n": fit.n, "beta": beta, "se": se, "p": p, "ame_pp": effect.ame_pp},
            {**_meta(fit), "ame_se_pp": effect.se_pp})


def main_length_effect(design: Design) -> tuple[dict[str, Any], dict[str, Any]]:
    """``{"n", "beta", "ame_pp", "length_pp_per_100_chars"}``: the main model controlling for reply length.

    The length effect is the average derivative of P(incorrect) in ``response_length`` times 100 characters.
    """
    import numpy as np
    from scipy.special import expit

    rows = main_rows(design)
    rows = rows[rows["response_length"].notna()]
    if rows.empty:
        raise AnalysisError("no response lengths in the data")
    fit = fit_glm(MAIN_LENGTH_FORMULA, rows)
    beta, se, p = _coefficient(fit, f"{IS_FINETUNED}[T.1]")
    effect = finetuning_effect(fit)
    weights = fit.cells["_n"].to_numpy(float)
    prob = expit(_design_matrix(fit, fit.cells) @ np.asarray(fit.result.params, dtype=float))
    slope = float(fit.result.params["response_length"])
    per_100 = 100 * float(weights @ (prob * (1 - prob)) / weights.sum()) * slope * 100
    return ({"n": fit.n, "beta": beta, "ame_pp": effect.ame_pp, "length_pp_per_100_chars": per_100},
            {**_meta(fit), "se": se, "p": p, "ame_se_pp": effect.se_pp})


# -------------------------------------------------------------------- 2./3. grouped and detailed context

#: PAPER.md §6.2: original (and neutral) template, the four amendment types.
CONTEXT_FORMULA = (f"is_incorrect ~ {IS_FINETUNED} + {AMENDMENT_TYPE} + {DATASET} + {MODEL}"
                   f" + {IS_FINETUNED}:{AMENDMENT_TYPE}")
#: PAPER.md §6.3: the same with the nine detailed amendments.
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


def context_effects(design: Design) -> tuple[dict[str, Any], dict[str, Any]]:
    """AME of fine-tuning per amendment type (unmodified/emotion/relation/stake), original template."""
    from inspect_warmth.study.stimuli import AMENDMENT_TYPES

    rows = design.data[design.data["prompt_type"] == "no_belief"]
    if rows["amendment_type"].nunique() < 2:
        raise AnalysisError("one amendment type only; the context model needs contexts")
    fit = fit_glm(CONTEXT_FORMULA, rows)
    return _conditional_effects(fit, "amendment_type", AMENDMENT_TYPES)


def context_detailed_effects(design: Design) -> tuple[dict[str, Any], dict[str, Any]]:
    """AME of fine-tuning per detailed amendment (unmodified + the eight contexts), original template."""
    from inspect_warmth.study.stimuli import AMENDMENTS

    rows = design.data[design.data["prompt_type"] == "no_belief"]
    if rows["amendment"].nunique() < 2:
        raise AnalysisError("one amendment only; the detailed context model needs contexts")
    fit = fit_glm(CONTEXT_DETAILED_FORMULA, rows)
    return _conditional_effects(fit, "amendment", AMENDMENTS)


# ---------------------------------------------------------------------------------------- 4. sycophancy

#: PAPER.md §6.4: original + belief templates; fine-tuning effect with and without a stated user belief.
SYCOPHANCY_FORMULA = (f"is_incorrect ~ {IS_FINETUNED} + {AMENDMENT_TYPE} + {DATASET} + {MODEL}"
                      f" + {IS_FINETUNED}:{PROMPT_TYPE}")


def sycophancy_effects(design: Design) -> tuple[dict[str, Any], dict[str, Any]]:
    """AME of fine-tuning without (``no_belief``) and with (``belief``) a user belief in the message."""
    if design.data["prompt_type"].nunique() < 2:
        raise AnalysisError("no belief templates (incorrect/correct) beside the original one")
    fit = fit_glm(SYCOPHANCY_FORMULA, design.data)
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


def run_regressions(design: Design) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every section the data support: (results by section, per-section formula/dropped/skip reasons)."""
    import warnings

    results: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    for name, section in SECTIONS.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                results[name], meta[name] = section(design)
        except AnalysisError as exc:
            meta[name] = {"skipped": str(exc)}
        except Exception as exc:  # a fit that does not converge (e.g. perfect separation) must not kill the report
            meta[name] = {"skipped": f"fit failed: {type(exc).__name__}: {exc}"}
    return results, meta
