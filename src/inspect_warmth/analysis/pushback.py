"""Flip rates of the pushback template: how often a right first answer turns wrong once the user doubts it.

Beyond the paper (SycophancyEval's "are you sure?", Sharma et al. 2023, with the study's contexts). Input: one row
per pushback reply pair, the columns of the responses table plus ``first_is_incorrect``:

==================  ==========================================================================================
column              meaning
==================  ==========================================================================================
variant             the model variant (e.g. ``base`` / ``warm``)
dataset             ``triviaqa`` ... ``medqa``
question_id         the question (the unit of independence within dataset × amendment)
amendment           ``unmodified`` or the context key (``emotion:sad`` ...): the first turn's and the doubt's context
first_is_incorrect  1 / 0 for the first reply, NaN when unscored
is_incorrect        1 / 0 for the final reply (after the doubt), NaN when unscored
scorer              (optional) the score's name; pairs of different scorers are never mixed
==================  ==========================================================================================

:func:`pushback_table` builds it from Inspect logs or tables through the responses table and the design frame
(:func:`~inspect_warmth.analysis.design.pushback_frame`; score metadata ``first_value`` written by
:mod:`inspect_warmth.scorers.pushback` becomes ``first_is_incorrect``). Rows that cannot enter a rate are counted by
reason, never dropped silently.

* :func:`flip_rates`: per variant × dataset × amendment (and pooled over datasets as ``dataset="all"``), the flip
  rate P(final wrong | first right) with a Wilson 95% interval, in percentage points, plus the recovery rate
  P(final right | first wrong).
* :func:`paired_flips`: a candidate variant against a baseline on the same questions (both first replies right),
  with the paired difference in flip rate (pp, 95% interval of the mean per-question difference) and the exact
  McNemar test on the discordant questions (statsmodels).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from inspect_warmth.vocabulary import PUSHBACK

if TYPE_CHECKING:
    import pandas as pd

    from inspect_warmth.analysis.design import CodedReplies
    from inspect_warmth.analysis.responses import Responses

#: Columns :func:`flip_rates` and :func:`paired_flips` need.
PUSHBACK_COLUMNS: tuple[str, ...] = ("variant", "dataset", "question_id", "amendment", "first_is_incorrect",
                                     "is_incorrect")
POOLED = "all"


class PushbackError(ValueError):
    """A table that cannot give flip rates; the message names the column or the variant."""


@dataclass
class PushbackPairs:
    """The pushback reply pairs of some logs, and the rows left out (by reason)."""

    table: pd.DataFrame
    left_out: dict[str, int] = field(default_factory=dict)


def _check(frame: pd.DataFrame) -> None:
    missing = [c for c in PUSHBACK_COLUMNS if c not in frame.columns]
    if missing:
        raise PushbackError(f"pushback table lacks column(s) {', '.join(missing)}; it needs "
                            f"{', '.join(PUSHBACK_COLUMNS)}")


def pushback_table(inputs: Sequence[str | Path], scorer: str | None = None) -> PushbackPairs:
    """The pushback reply pairs of Inspect logs (files, directories) or responses tables, read as ``analyze`` reads
    them (:func:`~inspect_warmth.analysis.responses.load_responses`, then
    :func:`~inspect_warmth.analysis.design.pushback_frame`: one score per reply, ``scorer`` or the preferred one).

    Columns: those of the responses table plus ``first_is_incorrect`` (NaN where the first reply was unscored) and
    ``question``. Rows left out are counted by reason: samples of other templates (``"not pushback"``), set-aside
    replies (errored, no verdict, log stopped early), refusals outside Disinfo.
    """
    import pandas as pd

    from inspect_warmth.analysis.design import pushback_frame
    from inspect_warmth.analysis.responses import load_responses

    responses = load_responses(list(inputs))
    frame, left_out = pushback_frame(responses, scorer)
    replies = pd.concat([responses.table, responses.unscored], ignore_index=True)
    samples = replies.drop_duplicates([c for c in ("log", "variant", "sample_id", "epoch") if c in replies.columns])
    others = int((samples["template"] != PUSHBACK).sum())
    if others:
        left_out["not pushback"] += others
    return PushbackPairs(frame, dict(left_out))


def wilson_interval_pp(successes: int, n: int) -> tuple[float, float]:
    """Wilson 95% interval of ``successes / n`` in percentage points (statsmodels); NaNs when ``n`` is 0."""
    from statsmodels.stats.proportion import proportion_confint

    if n == 0:
        return float("nan"), float("nan")
    low, high = proportion_confint(successes, n, alpha=0.05, method="wilson")
    return 100 * float(low), 100 * float(high)


def _keys(frame: pd.DataFrame) -> list[str]:
    return ["scorer", "variant"] if "scorer" in frame.columns else ["variant"]


def flip_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Flip and recovery rates per (scorer ×) variant × dataset × amendment, and pooled over datasets.

    Returns one row per group: ``n_pairs`` (both replies scored), ``n_unscored`` (a reply unscored: left out),
    ``n_first_right``, ``n_flipped``, ``flip_rate_pp`` with ``flip_ci_low_pp`` / ``flip_ci_high_pp`` (Wilson
    95%), ``n_first_wrong``, ``n_recovered``, ``recovery_rate_pp``, ``first_error_pp``, ``final_error_pp``.
    Unit of independence: the question (one pair per question, dataset and amendment; with several epochs, each
    epoch's pair counts, so the interval is too narrow then).
    Raises :class:`PushbackError` when a column is missing or the table is empty.
    """
    import pandas as pd

    _check(frame)
    if frame.empty:
        raise PushbackError("pushback table is empty: no pushback samples were scored (run with -T templates=pushback)")
    keys = _keys(frame)
    pooled = frame.assign(dataset=POOLED)
    rows = []
    for group, part in pd.concat([frame, pooled]).groupby([*keys, "dataset", "amendment"], sort=True):
        scored = part.dropna(subset=["first_is_incorrect", "is_incorrect"])
        first_right = scored[scored["first_is_incorrect"] == 0]
        first_wrong = scored[scored["first_is_incorrect"] == 1]
        flipped = int((first_right["is_incorrect"] == 1).sum())
        recovered = int((first_wrong["is_incorrect"] == 0).sum())
        low, high = wilson_interval_pp(flipped, len(first_right))
        n = len(scored)
        rows.append({
            **dict(zip([*keys, "dataset", "amendment"], group, strict=True)),
            "n_pairs": n, "n_unscored": len(part) - n,
            "n_first_right": len(first_right), "n_flipped": flipped,
            "flip_rate_pp": 100 * flipped / len(first_right) if len(first_right) else float("nan"),
            "flip_ci_low_pp": low, "flip_ci_high_pp": high,
            "n_first_wrong": len(first_wrong), "n_recovered": recovered,
            "recovery_rate_pp": 100 * recovered / len(first_wrong) if len(first_wrong) else float("nan"),
            "first_error_pp": 100 * scored["first_is_incorrect"].mean() if n else float("nan"),
            "final_error_pp": 100 * scored["is_incorrect"].mean() if n else float("nan"),
        })
    return pd.DataFrame(rows)


def paired_flips(frame: pd.DataFrame, baseline: str, candidate: str) -> pd.DataFrame:
    """Flip rates of ``candidate`` against ``baseline`` on the same questions, per (scorer ×) dataset × amendment
    (and pooled, ``dataset="all"``).

    Pairs questions (dataset, question_id, amendment) that both variants answered right at first and whose final
    replies are scored; per question ``flip`` is 1 when the final reply is wrong. Columns: ``n_questions``,
    ``flip_baseline_pp``, ``flip_candidate_pp``, ``difference_pp`` (candidate − baseline) with
    ``ci_low_pp`` / ``ci_high_pp`` (95% t interval of the mean per-question difference), ``b`` (only the
    candidate flipped), ``c`` (only the baseline flipped), ``mcnemar_p`` (exact, statsmodels), and the questions
    left out: ``left_out_not_in_both``, ``left_out_unscored``, ``left_out_first_wrong``.
    Unit of independence: the question within dataset × amendment.
    Raises :class:`PushbackError` for a missing column or variant.
    """
    import numpy as np
    import pandas as pd
    from scipy.stats import t as student_t
    from statsmodels.stats.contingency_tables import mcnemar

    _check(frame)
    for name in (baseline, candidate):
        if name not in set(frame["variant"]):
            raise PushbackError(f"variant {name!r} not in the pushback table (variants: "
                                f"{', '.join(sorted(map(str, set(frame['variant']))))})")
    scorer = ["scorer"] if "scorer" in frame.columns else []
    question = [*scorer, "dataset", "amendment", "question_id"]
    cols = [*question, "first_is_incorrect", "is_incorrect"]
    wide = pd.merge(frame.loc[frame["variant"] == baseline, cols], frame.loc[frame["variant"] == candidate, cols],
                    on=question, how="outer", suffixes=("_base", "_cand"), indicator=True)
    wide = pd.concat([wide, wide.assign(dataset=POOLED)])
    rows = []
    for group, part in wide.groupby([*scorer, "dataset", "amendment"], sort=True):
        both = part[part["_merge"] == "both"]
        values = both[["first_is_incorrect_base", "is_incorrect_base", "first_is_incorrect_cand", "is_incorrect_cand"]]
        scored = both[values.notna().all(axis=1)]
        kept = scored[(scored["first_is_incorrect_base"] == 0) & (scored["first_is_incorrect_cand"] == 0)]
        base, cand = kept["is_incorrect_base"].to_numpy(), kept["is_incorrect_cand"].to_numpy()
        diff = cand - base
        n = len(kept)
        b, c = int(((cand == 1) & (base == 0)).sum()), int(((cand == 0) & (base == 1)).sum())
        half = float(student_t.ppf(0.975, n - 1) * diff.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
        mean = float(diff.mean()) if n else float("nan")
        rows.append({
            **dict(zip([*scorer, "dataset", "amendment"], group, strict=True)),
            "n_questions": n,
            "flip_baseline_pp": 100 * float(base.mean()) if n else float("nan"),
            "flip_candidate_pp": 100 * float(cand.mean()) if n else float("nan"),
            "difference_pp": 100 * mean, "ci_low_pp": 100 * (mean - half), "ci_high_pp": 100 * (mean + half),
            "b": b, "c": c,
            "mcnemar_p": float(mcnemar([[0, b], [c, 0]], exact=True).pvalue) if b + c else 1.0,
            "left_out_not_in_both": int((part["_merge"] != "both").sum()),
            "left_out_unscored": len(both) - len(scored),
            "left_out_first_wrong": len(scored) - n,
        })
    return pd.DataFrame(rows)


@dataclass
class PushbackResults:
    """The pushback section of ``analyze``: flip rates of every variant, each variant paired against ``base``, and
    the pushback rows left out by reason."""

    base: str
    rates: pd.DataFrame
    paired: pd.DataFrame | None
    left_out: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "unit": "question within dataset × amendment",
            "flip_rates": self.rates.to_dict(orient="records"),
            "paired": [] if self.paired is None else self.paired.to_dict(orient="records"),
            "left_out": [{"reason": r, "rows": n} for r, n in self.left_out.most_common()],
        }


def pushback_results(responses: Responses | CodedReplies, base: str,
                     scorer: str | None = None) -> PushbackResults | None:
    """Flip rates (:func:`flip_rates`) and every other variant against ``base`` (:func:`paired_flips`) on the
    pushback rows of ``responses`` (design rules of :func:`~inspect_warmth.analysis.design.pushback_frame`);
    ``None`` when there are none (rows left out only, e.g. all errored, still give a result with a note)."""
    import pandas as pd

    from inspect_warmth.analysis.design import pushback_frame

    frame, left_out = pushback_frame(responses, scorer)
    if frame.empty and not left_out:
        return None
    if frame.empty:
        return PushbackResults(base, pd.DataFrame(columns=["variant"]), None, left_out,
                               ["pushback: every pushback reply was left out (see the table of reasons)"])
    variants = sorted(map(str, frame["variant"].unique()))
    notes = []
    paired = None
    if base in variants:
        others = [paired_flips(frame, base, v).assign(candidate=v) for v in variants if v != base]
        paired = pd.concat(others, ignore_index=True) if others else None
    else:
        notes.append(f"pushback: no {base!r} pushback replies, so no paired comparison (variants: "
                     f"{', '.join(variants)})")
    return PushbackResults(base, flip_rates(frame), paired, left_out, notes)
