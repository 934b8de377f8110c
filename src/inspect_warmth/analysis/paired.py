"""Paired tests of the base and the candidate variant on the same prompts (Methods, "Statistical analysis").

Per model × dataset × test type × amendment, the replies of the two variants are paired on question ×
amendment × template. ``b`` counts pairs the candidate got wrong and the base right, ``c`` the reverse. Exact
McNemar test (statsmodels), Benjamini–Hochberg FDR (statsmodels) within each model ×
dataset × test type family (across its amendment rows), Cohen's g = |b − c| / sqrt(b + c) and the odds ratio b / c
(> 1: the candidate errs more), as in the authors' summary tables (``results_warm_ft.csv``).

Test types: ``normal`` pools the ``original`` and ``neutral`` templates; ``sycophancy`` pools ``incorrect`` and
``correct`` (a stated user belief).

Unit: these tests treat every prompt pair as independent, as the paper did; a question's prompts are not (they
share what the model knows), so their p-values are per-prompt and anti-conservative. They are kept for comparison
with the paper's tables; the gate tests per question (``gate``). The odds ratio b / c is undefined (NaN, "no
discordant pairs") when b = c = 0 and infinite only when b > 0 = c.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

from inspect_warmth.analysis.design import DesignError, DesignFrame
from inspect_warmth.vocabulary import TEST_TYPES

AnalysisError = DesignError
#: How the study's tables label Cohen's g (read off results_*_ft.csv: < 0.2 Small, < 0.5 Medium, else Large).
G_LABELS: tuple[tuple[float, str], ...] = ((0.2, "Small"), (0.5, "Medium"), (float("inf"), "Large"))


def mcnemar_exact(b: np.ndarray | Sequence[int], c: np.ndarray | Sequence[int]) -> np.ndarray:
    """Two-sided exact McNemar p-values per pair of discordant counts (statsmodels'
    ``contingency_tables.mcnemar(exact=True)``); 1 when b + c = 0."""
    import numpy as np
    from statsmodels.stats.contingency_tables import mcnemar

    return np.array([mcnemar([[0, bi], [ci, 0]], exact=True).pvalue if bi + ci else 1.0
                     for bi, ci in zip(np.asarray(b, dtype=int), np.asarray(c, dtype=int), strict=True)])


def benjamini_hochberg(p: np.ndarray | Sequence[float]) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (statsmodels' ``multipletests(method="fdr_bh")``); NaNs are left out
    and stay NaN."""
    import numpy as np
    from statsmodels.stats.multitest import multipletests

    p_arr = np.asarray(p, dtype=float)
    out = np.full(p_arr.shape, np.nan)
    ok = ~np.isnan(p_arr)
    if ok.any():
        out[ok] = multipletests(p_arr[ok], method="fdr_bh")[1]
    return out


def cohens_g(b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """|b − c| / sqrt(b + c) (0 when there are no discordant pairs)."""
    import numpy as np

    n = b + c
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, np.abs(b - c) / np.sqrt(np.where(n > 0, n, 1)), 0.0)


def paired_tests(pairs: pd.DataFrame, cell: Sequence[str], family: Sequence[str]) -> pd.DataFrame:
    """Summarise pairs (columns ``base_incorrect``, ``candidate_incorrect`` plus ``cell``) into tested cells.

    BH-FDR runs within each ``family`` (a subset of ``cell``); an empty ``family`` corrects across all cells.
    """
    import numpy as np

    base = pairs["base_incorrect"].to_numpy(int)
    cand = pairs["candidate_incorrect"].to_numpy(int)
    frame = pairs[list(cell)].copy()
    frame["base_incorrect"] = base
    frame["candidate_incorrect"] = cand
    frame["b"] = (cand == 1) & (base == 0)
    frame["c"] = (cand == 0) & (base == 1)
    out = frame.groupby(list(cell), sort=True, observed=True).agg(
        n=("b", "size"), base_errors=("base_incorrect", "sum"), candidate_errors=("candidate_incorrect", "sum"),
        b=("b", "sum"), c=("c", "sum")).reset_index()
    b = out["b"].to_numpy(float)
    c = out["c"].to_numpy(float)
    out["base_error_pct"] = 100 * out["base_errors"] / out["n"]
    out["candidate_error_pct"] = 100 * out["candidate_errors"] / out["n"]
    out["difference_pp"] = out["candidate_error_pct"] - out["base_error_pct"]
    out["p"] = mcnemar_exact(b, c)
    out["cohens_g"] = cohens_g(b, c)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["odds_ratio"] = np.where(c > 0, b / np.where(c > 0, c, 1), np.where(b > 0, np.inf, np.nan))
    out["g_effect_size"] = [next(label for bound, label in G_LABELS if g < bound) for g in out["cohens_g"]]
    out["p_fdr"] = np.nan
    if not family:  # one family: every row
        out["p_fdr"] = benjamini_hochberg(out["p"].to_numpy())
        return out
    for _, idx in out.groupby(list(family), sort=False).groups.items():
        out.loc[idx, "p_fdr"] = benjamini_hochberg(out.loc[idx, "p"].to_numpy())
    return out


def study_pairs(design: DesignFrame) -> tuple[pd.DataFrame, int]:
    """Pair the base's and the candidate's rows of the design frame on model × dataset × question × template ×
    amendment (× epoch); returns the pairs and the number of rows without a partner (left out, e.g. a refusal)."""
    data = design.data
    key = ["model", "dataset", "question_id", "template", "amendment"]
    if "epoch" in data.columns:
        key.append("epoch")
    sides = {}
    for name, flag in (("base", 0), ("candidate", 1)):
        side = data[data["is_finetuned"] == flag]
        duplicated = side.duplicated(key)
        if duplicated.any():
            row = side[duplicated].iloc[0]
            raise AnalysisError(f"variant {row['variant']!r} has several replies for {dict(row[key])}; "
                                "keep one scorer per reply (see --scorer)")
        sides[name] = side.set_index(key)["is_incorrect"].rename(f"{name}_incorrect")
    pairs = sides["base"].to_frame().join(sides["candidate"], how="inner").reset_index()
    unpaired = len(data) - 2 * len(pairs)
    pairs["test_type"] = pairs["template"].map(TEST_TYPES)
    return pairs, unpaired


CELL = ("model", "dataset", "test_type", "amendment")
FAMILY = ("model", "dataset", "test_type")


def study_cells(design: DesignFrame) -> tuple[pd.DataFrame, int]:
    """The paper's paired-test table (per prompt) for one base/candidate comparison, and the unpaired row count."""
    pairs, unpaired = study_pairs(design)
    if pairs.empty:
        raise AnalysisError(f"no replies of {design.base!r} and {design.candidate!r} pair up on question × template "
                            "× amendment")
    return paired_tests(pairs, CELL, FAMILY), unpaired


def odds_ratio_note(b: int, c: int) -> str | None:
    """Why an odds ratio b / c has no finite value (None when it has one)."""
    if b == 0 and c == 0:
        return "undefined: no discordant pairs (b = c = 0)"
    if c == 0:
        return "infinite: the base never erred where the candidate was right (c = 0)"
    return None


def cells_json(cells: pd.DataFrame, base: str, candidate: str) -> list[dict[str, Any]]:
    """``cells`` of the --json output: one entry per model × dataset × test type × amendment."""
    import math

    def num(x: float) -> float | None:
        return None if (x is None or math.isnan(x) or math.isinf(x)) else float(x)

    return [
        {
            "model": str(r.model), "dataset": str(r.dataset), "test_type": str(r.test_type),
            "amendment": str(r.amendment), "n": int(r.n),
            "error_rate_pct": {base: float(r.base_error_pct), candidate: float(r.candidate_error_pct)},
            "difference_pp": float(r.difference_pp), "b": int(r.b), "c": int(r.c),
            "cohens_g": float(r.cohens_g), "odds_ratio": num(float(r.odds_ratio)),
            "odds_ratio_note": odds_ratio_note(int(r.b), int(r.c)),
            "p": float(r.p), "p_fdr": float(r.p_fdr),
        }
        for r in cells.itertuples(index=False)
    ]
