"""Social sycophancy per behaviour × dataset × variant, paired per prompt against a base (ELEPHANT; the study's
social-sycophancy measure, Cheng et al. 2025).

Input: ``Responses.social`` (one row per reply × behaviour; :mod:`~inspect_warmth.analysis.responses`). Rates
pool a variant's scored replies over the contexts asked; unscored replies (no rating, no AITA verdict, errored
samples, logs stopped early) are counted per cell, never counted as "not sycophantic".

:func:`social_table` has the shape of the authors' ``social_syco.csv`` (``model, benchmark, dataset,
base_accuracy, base_CI_lower, base_CI_upper, finetuned_accuracy, finetuned_CI_lower, finetuned_CI_upper``: rates
in %, Wilson 95% intervals from statsmodels), one row per model × behaviour × dataset × comparison, plus the
paired test: replies of the two variants matched on prompt × context; ``b`` counts pairs where only the
candidate shows the behaviour, ``c`` only the base; exact McNemar p (statsmodels). Unit of independence of the
paired test: the prompt × context pair (with contexts, a prompt's replies are not independent: optimistic p);
of the intervals: the reply.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from inspect_warmth.vocabulary import (
    CONTROL_COMPARISONS,
    SOCIAL_BEHAVIOUR_LABELS,
    SOCIAL_BEHAVIOURS,
    SOCIAL_DATASET_LABELS,
)

if TYPE_CHECKING:
    import pandas as pd

#: Columns of :func:`social_table`, the authors' first, then ours.
SOCIAL_COLUMNS: tuple[str, ...] = (
    "model", "benchmark", "dataset", "base_accuracy", "base_CI_lower", "base_CI_upper", "finetuned_accuracy",
    "finetuned_CI_lower", "finetuned_CI_upper", "behaviour", "base", "candidate", "n_base", "n_candidate",
    "unscored_base", "unscored_candidate", "n_pairs", "b", "c", "difference_pp", "p_mcnemar",
)


def comparisons(variants: Sequence[str], base: str) -> list[tuple[str, str]]:
    """(candidate, base) pairs to report: the study's controls present in ``variants`` (warm vs original, cold vs
    original, warm vs cold, system prompt vs original, with ``base`` standing for ``original``), then every other
    variant against ``base``."""
    present = set(variants)
    named = [(c, base if b == "original" else b) for c, b in CONTROL_COMPARISONS]
    out = [(c, b) for c, b in named if c in present and b in present and c != b]
    out += [(v, base) for v in variants if v != base and (v, base) not in out]
    return list(dict.fromkeys(out))


def _rate(values: pd.Series) -> tuple[float, float, float, int, int]:
    """(rate %, CI low %, CI high %, scored n, unscored n) of a 0/1/NaN series."""
    from inspect_warmth.analysis.pushback import wilson_interval_pp

    scored = values.dropna()
    n, k = len(scored), int(scored.sum())
    low, high = wilson_interval_pp(k, n)
    return (100 * k / n if n else float("nan")), low, high, n, int(values.isna().sum())


def social_table(social: pd.DataFrame, pairs: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """One row per model × behaviour × dataset × (candidate, base) in ``pairs`` where both variants have replies
    (columns :data:`SOCIAL_COLUMNS`; ``finetuned_*`` are the candidate's)."""
    import pandas as pd

    from inspect_warmth.analysis.paired import mcnemar_exact

    rows: list[dict[str, object]] = []
    key = ["question_id", "amendment", "epoch"]
    for (model, behaviour, dataset), cell in social.groupby(["model", "behaviour", "dataset"], sort=True):
        by_variant = {str(v): part for v, part in cell.groupby("variant")}
        for candidate, base in pairs:
            if candidate not in by_variant or base not in by_variant:
                continue
            b_rate, b_low, b_high, b_n, b_un = _rate(by_variant[base]["value"])
            c_rate, c_low, c_high, c_n, c_un = _rate(by_variant[candidate]["value"])
            joined = (by_variant[base].set_index(key)["value"].rename("base").to_frame()
                      .join(by_variant[candidate].set_index(key)["value"].rename("candidate"), how="inner")
                      .dropna())
            nb = int(((joined["candidate"] == 1) & (joined["base"] == 0)).sum())
            nc = int(((joined["candidate"] == 0) & (joined["base"] == 1)).sum())
            rows.append({
                "model": model, "benchmark": SOCIAL_BEHAVIOUR_LABELS.get(str(behaviour), str(behaviour)),
                "dataset": SOCIAL_DATASET_LABELS.get(str(dataset), str(dataset)),
                "base_accuracy": b_rate, "base_CI_lower": b_low, "base_CI_upper": b_high,
                "finetuned_accuracy": c_rate, "finetuned_CI_lower": c_low, "finetuned_CI_upper": c_high,
                "behaviour": behaviour, "base": base, "candidate": candidate, "n_base": b_n, "n_candidate": c_n,
                "unscored_base": b_un, "unscored_candidate": c_un, "n_pairs": len(joined), "b": nb, "c": nc,
                "difference_pp": c_rate - b_rate, "p_mcnemar": float(mcnemar_exact([nb], [nc])[0]),
            })
    table = pd.DataFrame(rows, columns=list(SOCIAL_COLUMNS))
    order = {b: i for i, b in enumerate(SOCIAL_BEHAVIOURS)}
    return table.sort_values(["model", "behaviour"], key=lambda s: s.map(order) if s.name == "behaviour" else s,
                             kind="stable").reset_index(drop=True)


def variant_rates(social: pd.DataFrame) -> pd.DataFrame:
    """Rate % with its Wilson 95% interval and counts per model × variant × dataset × behaviour (every variant,
    compared or not): columns model, variant, dataset, behaviour, rate_pct, ci_low_pct, ci_high_pct, n, unscored."""
    import pandas as pd

    rows = []
    for (model, variant, dataset, behaviour), part in social.groupby(["model", "variant", "dataset", "behaviour"],
                                                                     sort=True):
        rate, low, high, n, unscored = _rate(part["value"])
        rows.append({"model": model, "variant": variant, "dataset": dataset, "behaviour": behaviour,
                     "rate_pct": rate, "ci_low_pct": low, "ci_high_pct": high, "n": n, "unscored": unscored})
    return pd.DataFrame(rows)
