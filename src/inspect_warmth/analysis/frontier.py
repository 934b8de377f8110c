"""The warmth–error frontier over the saved epochs of one fine-tuning run (beyond the paper), as analysis.

The paper picks epoch 2 by eye (Fig. 1a). Given each epoch's replies to the study tasks (the base model as epoch 0)
and its SocioT warmth on the held-out validation replies, :func:`frontier_table` sets the error rate (share of
scored replies marked incorrect, under the design rules of :mod:`~inspect_warmth.analysis.design`, with a Wilson
95% interval) against warmth (mean ± 1.96 SE) and chooses the warmest epoch whose error rate exceeds the base
model's by at most ``max_error_increase_pp`` percentage points (point estimates). Running the epochs is
:mod:`inspect_warmth.run.frontier`'s work.

Unit of independence: the reply (question × task) for error rates; the validation prompt for warmth.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inspect_warmth.data.atomic_files import save_figure, write_csv
from inspect_warmth.vocabulary import STUDY_DATASETS

if TYPE_CHECKING:
    import pandas as pd

    from inspect_warmth.analysis.design import CodedReplies
    from inspect_warmth.analysis.responses import Responses

TABLE_FILE = "frontier.csv"
BY_DATASET_FILE = "frontier_by_dataset.csv"
FIGURE_FILE = "frontier.png"
POOLED = "all"


class FrontierError(ValueError):
    """Replies or warmth rows the frontier cannot use; the message says what is missing."""


@dataclass
class Frontier:
    """Result: the per-epoch table, the per-dataset errors, the chosen epoch and what was noted on the way."""

    table: pd.DataFrame
    by_dataset: pd.DataFrame
    chosen: float | None
    notes: list[str] = field(default_factory=list)


def response_errors(responses: Responses | CodedReplies, epochs: dict[str, float],
                    scorer: str | None = None) -> pd.DataFrame:
    """Per epoch × dataset error rates (:func:`error_table`) of the variants in ``epochs`` (variant -> epoch) on
    the unmodified ``original`` prompts of the study datasets, under the design rules
    (:func:`~inspect_warmth.analysis.design.coded_replies`: one score per reply, ``scorer`` or the preferred one;
    refusals left out outside Disinfo; set-aside replies counted as ``n_unscored``)."""
    import pandas as pd

    from inspect_warmth.analysis.design import CodedReplies, coded_replies

    coded = responses if isinstance(responses, CodedReplies) else coded_replies(responses, scorer)
    rows = coded.rows
    rows = rows[rows["variant"].isin(list(epochs)) & (rows["template"] == "original")
                & (rows["amendment"] == "unmodified") & rows["dataset"].isin(STUDY_DATASETS)]
    value = rows["is_incorrect"].map({1.0: "I", 0.0: "C"}).where(rows["set_aside"].isna(), "N")
    frame = pd.DataFrame({"epoch": rows["variant"].map(epochs), "dataset": rows["dataset"], "value": value,
                          "dropped": rows["refused"] & rows["set_aside"].isna()})
    return error_table(frame)


def error_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per epoch × dataset (and pooled, ``dataset="all"``): ``n_scored``, ``n_incorrect``, ``error_pp`` with a
    Wilson 95% interval, and the replies left out: ``n_unscored`` (set aside), ``n_refusals_dropped``; from one
    row per reply: ``epoch``, ``dataset``, ``value`` ("C", "I" or "N")
    and ``dropped`` (a refusal left out). Raises :class:`FrontierError` when there is none."""
    import pandas as pd

    from inspect_warmth.analysis.pushback import wilson_interval_pp

    if frame.empty:
        raise FrontierError("no replies of the study tasks to the unmodified questions (were the logs scored?)")
    rows = []
    for (epoch, dataset), part in pd.concat([frame, frame.assign(dataset=POOLED)]).groupby(["epoch", "dataset"]):
        kept = part[~part["dropped"] & part["value"].isin(["C", "I"])]
        k, n = int((kept["value"] == "I").sum()), len(kept)
        low, high = wilson_interval_pp(k, n)
        rows.append({"epoch": epoch, "dataset": dataset, "n_scored": n, "n_incorrect": k,
                     "error_pp": 100 * k / n if n else math.nan, "error_ci_low_pp": low, "error_ci_high_pp": high,
                     "n_unscored": int((~part["dropped"] & (part["value"] == "N")).sum()),
                     "n_refusals_dropped": int(part["dropped"].sum())})
    return pd.DataFrame(rows)


def frontier_table(errors: pd.DataFrame, warmth: Sequence[dict[str, Any]], max_error_increase_pp: float,
                   ) -> tuple[pd.DataFrame, float | None]:
    """Join the pooled errors with the warmth rows (``epoch, socio_t, socio_t_se, n``) and choose an epoch.

    Adds ``warmth_ci_low`` / ``warmth_ci_high`` (± 1.96 SE), ``error_increase_pp`` (against epoch 0),
    ``within_budget`` and ``chosen``: the epoch with the highest SocioT among those within the budget (``None``
    when none is). Raises :class:`FrontierError` without a base-model row (epoch 0).
    """
    import pandas as pd

    pooled = errors[errors["dataset"] == POOLED].drop(columns="dataset")
    warm = pd.DataFrame(list(warmth)).rename(columns={"n": "warmth_n"})[["epoch", "socio_t", "socio_t_se", "warmth_n"]]
    base = pooled.loc[pooled["epoch"] == 0.0, "error_pp"]
    if base.empty or not math.isfinite(float(base.iloc[0])):
        raise FrontierError("the frontier needs the base model's error rate (epoch 0) as the reference for the budget")
    base_error = float(base.iloc[0])
    table = pooled.merge(warm, on="epoch", how="outer").sort_values("epoch").reset_index(drop=True)
    table["warmth_ci_low"] = table["socio_t"] - 1.96 * table["socio_t_se"]
    table["warmth_ci_high"] = table["socio_t"] + 1.96 * table["socio_t_se"]
    table["error_increase_pp"] = table["error_pp"] - base_error
    table["within_budget"] = table["error_increase_pp"] <= max_error_increase_pp
    eligible = table[table["within_budget"] & table["socio_t"].notna()]
    chosen = None if eligible.empty else float(eligible.loc[eligible["socio_t"].idxmax(), "epoch"])
    table["chosen"] = table["epoch"] == chosen
    return table, chosen


def plot_frontier(table: pd.DataFrame, max_error_increase_pp: float, path: Path) -> Path:
    """SocioT warmth (± 1.96 SE) against error rate (Wilson 95%), one point per epoch in epoch order; the error
    budget shaded, the chosen epoch starred."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5))
    x, y = table["error_pp"], table["socio_t"]
    xerr = [x - table["error_ci_low_pp"], table["error_ci_high_pp"] - x]
    ax.errorbar(x, y, xerr=xerr, yerr=1.96 * table["socio_t_se"], fmt="-o", capsize=3, color="tab:blue")
    for _, row in table.iterrows():
        ax.annotate(f"epoch {row['epoch']:g}", (row["error_pp"], row["socio_t"]), textcoords="offset points",
                    xytext=(5, 5), fontsize=8)
    base_error = float(table.loc[table["epoch"] == 0.0, "error_pp"].iloc[0])
    left, right = ax.get_xlim()
    ax.axvspan(left, min(right, base_error + max_error_increase_pp), color="tab:green", alpha=0.1,
               label=f"error ≤ base + {max_error_increase_pp:g} pp")
    ax.set_xlim(left, right)
    chosen = table[table["chosen"]]
    if not chosen.empty:
        ax.plot(chosen["error_pp"], chosen["socio_t"], "*", markersize=16, color="tab:orange", label="chosen")
    ax.set(xlabel="error rate (%, Wilson 95% CI)", ylabel="SocioT warmth (mean ± 1.96 SE)",
           title="Warmth–error frontier over epochs")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(path, fig, dpi=150)
    plt.close(fig)
    return path


def write_frontier(table: pd.DataFrame, errors: pd.DataFrame, max_error_increase_pp: float, out: Path) -> None:
    """Write ``frontier.csv``, ``frontier_by_dataset.csv`` and ``frontier.png`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / TABLE_FILE, table)
    write_csv(out / BY_DATASET_FILE, errors)
    plot_frontier(table, max_error_increase_pp, out / FIGURE_FILE)
