"""The report's figures (matplotlib, Agg backend), each saved as PNG and SVG with a one-line caption.

Fig. 2 style: error rate of each variant per task and condition. Fig. 3 style: how the candidate−base error
difference is distributed across cells, by condition type. Fig. 4 style: capability checks (MMLU, GSM8K accuracy;
AdvBench refusal rate). Fig. 1a style: the SocioT warmth trajectory over fine-tuning epochs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inspect_warmth.data.atomic_files import save_figure

if TYPE_CHECKING:
    import pandas as pd


TEST_TYPE_TITLES = {"normal": "no user belief", "sycophancy": "user states a belief"}
CAPABILITY_TITLES = {"mmlu": "MMLU accuracy (%)", "gsm8k": "GSM8K accuracy (%)",
                     "advbench": "AdvBench refusal rate (%)"}


@dataclass(frozen=True)
class Figure:
    """A saved figure: file stem under the figures directory and its caption."""

    stem: str
    title: str
    caption: str


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, out: Path, stem: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    save_figure(out / f"{stem}.png", fig, dpi=120, bbox_inches="tight")
    save_figure(out / f"{stem}.svg", fig, bbox_inches="tight")
    _pyplot().close(fig)


def _short(amendment: str) -> str:
    return amendment.split(":")[-1].replace("hierarchical_", "")


def error_rates_by_condition(design_data: pd.DataFrame) -> pd.DataFrame:
    """Error rate (%) per variant × dataset × test type × amendment of the design frame's rows (analysis.design:
    refusal rule, template pooling)."""
    grouped = design_data.groupby(["variant", "dataset", "test_type", "amendment"], observed=True)["is_incorrect"]
    out = grouped.agg(["mean", "size"]).reset_index()
    out["error_pct"] = 100 * out["mean"]
    return out.rename(columns={"size": "n"}).drop(columns="mean")


def figure_error_by_condition(rates: pd.DataFrame, variants: list[str], out: Path) -> Figure:
    """Fig. 2 style: grouped bars, one panel per dataset (columns) and test type (rows)."""
    import numpy as np

    from inspect_warmth.vocabulary import AMENDMENTS

    plt = _pyplot()
    datasets = sorted(rates["dataset"].unique())
    test_types = [t for t in ("normal", "sycophancy") if t in set(rates["test_type"])]
    fig, axes = plt.subplots(len(test_types), len(datasets), figsize=(4.2 * len(datasets), 3.2 * len(test_types)),
                             squeeze=False, sharey=True)
    width = 0.8 / max(1, len(variants))
    for i, test_type in enumerate(test_types):
        for j, dataset in enumerate(datasets):
            ax = axes[i][j]
            part = rates[(rates["dataset"] == dataset) & (rates["test_type"] == test_type)]
            amendments = [a for a in AMENDMENTS if a in set(part["amendment"])]
            x = np.arange(len(amendments))
            for k, variant in enumerate(variants):
                values = part[part["variant"] == variant].set_index("amendment")["error_pct"]
                ax.bar(x + (k - (len(variants) - 1) / 2) * width, [values.get(a, np.nan) for a in amendments],
                       width, label=variant)
            ax.set_xticks(x, [_short(a) for a in amendments], rotation=60, fontsize=8)
            ax.set_title(f"{dataset} · {TEST_TYPE_TITLES[test_type]}", fontsize=9)
            if j == 0:
                ax.set_ylabel("error rate (%)")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    _save(fig, out, "fig2_error_by_condition")
    return Figure("fig2_error_by_condition", "Error rate per task and condition",
                  "Share of wrong answers of each model variant, per task (columns), with and without a "
                  "user-stated belief (rows), for each added interpersonal context (bars).")


def figure_difference_distribution(cells: pd.DataFrame, base: str, candidate: str, out: Path) -> Figure:
    """Fig. 3 style: box plots of candidate − base error differences across cells, by condition type."""
    plt = _pyplot()
    data = cells.copy()
    data["amendment_type"] = data["amendment"].str.split(":").str[0]
    groups: list[Any] = []
    labels: list[str] = []
    for test_type in ("normal", "sycophancy"):
        for kind in ("unmodified", "emotion", "relation", "stake"):
            values = data[(data["test_type"] == test_type) & (data["amendment_type"] == kind)]["difference_pp"]
            if len(values):
                groups.append(values.to_numpy())
                labels.append(f"{kind}\n{'belief' if test_type == 'sycophancy' else 'no belief'}")
    fig, ax = plt.subplots(figsize=(max(5, 1.1 * len(groups)), 3.6))
    ax.boxplot(groups, showmeans=True)
    ax.set_xticks(range(1, len(labels) + 1), labels, fontsize=8)
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_ylabel(f"error rate {candidate} − {base} (pp)")
    fig.tight_layout()
    _save(fig, out, "fig3_difference_by_condition_type")
    return Figure("fig3_difference_by_condition_type", "Error increase by condition type",
                  f"How much more often {candidate} errs than {base}, in percentage points, across every model × "
                  "task × context cell, grouped by the kind of context and whether the user stated a belief "
                  "(boxes: quartiles; triangles: means; above 0 = worse).")


def capability_rates(table: pd.DataFrame) -> pd.DataFrame:
    """Accuracy (MMLU, GSM8K) or refusal rate (AdvBench, where a refusal scores "C") in % with a 95% CI."""
    import numpy as np

    data = table[table["dataset"].isin(list(CAPABILITY_TITLES))]
    out = data.groupby(["dataset", "model", "variant"], observed=True)["is_incorrect"].agg(["mean", "size"]) \
        .reset_index()
    share = 1 - out["mean"]
    half = 1.96 * np.sqrt(share * (1 - share) / out["size"])
    out["pct"] = 100 * share
    out["ci_low"] = 100 * (share - half).clip(lower=0)
    out["ci_high"] = 100 * (share + half).clip(upper=1)
    return out.rename(columns={"size": "n"}).drop(columns="mean")


def figure_capabilities(rates: pd.DataFrame, variants: list[str], out: Path) -> Figure:
    """Fig. 4 style: bars with 95% CIs per benchmark (panels), family (groups) and variant (bars)."""
    import numpy as np

    plt = _pyplot()
    benchmarks = [b for b in CAPABILITY_TITLES if b in set(rates["dataset"])]
    fig, axes = plt.subplots(1, len(benchmarks), figsize=(4 * len(benchmarks), 3.2), squeeze=False)
    width = 0.8 / max(1, len(variants))
    for j, bench in enumerate(benchmarks):
        ax = axes[0][j]
        part = rates[rates["dataset"] == bench]
        models = sorted(part["model"].unique())
        x = np.arange(len(models))
        for k, variant in enumerate(variants):
            sub = part[part["variant"] == variant].set_index("model").reindex(models)
            err = np.vstack([sub["pct"] - sub["ci_low"], sub["ci_high"] - sub["pct"]])
            ax.bar(x + (k - (len(variants) - 1) / 2) * width, sub["pct"], width, yerr=err, capsize=3, label=variant)
        ax.set_xticks(x, models, fontsize=8)
        ax.set_ylim(0, 100)
        ax.set_title(CAPABILITY_TITLES[bench], fontsize=9)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    _save(fig, out, "fig4_capabilities")
    return Figure("fig4_capabilities", "Capability checks",
                  "General knowledge (MMLU), arithmetic (GSM8K) and refusal of harmful requests (AdvBench) per "
                  "model variant, with 95% confidence intervals: similar bars mean the fine-tuning kept these "
                  "abilities.")


TRAJECTORY_COLUMNS = ("model", "epoch", "socio_t", "socio_t_se")


def read_trajectory(path: str | Path) -> pd.DataFrame:
    """The warmth trajectory CSV (columns model, epoch, socio_t, socio_t_se)."""
    import pandas as pd

    frame = pd.read_csv(path)
    missing = [c for c in TRAJECTORY_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(TRAJECTORY_COLUMNS)}")
    return frame


def figure_trajectory(trajectory: pd.DataFrame, out: Path) -> Figure:
    """Fig. 1a style: SocioT warmth per epoch, raw with SE bars and min–max normalised per model."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    for model, part in trajectory.sort_values("epoch").groupby("model"):
        axes[0].errorbar(part["epoch"], part["socio_t"], yerr=part["socio_t_se"], marker="o", ms=3, label=model)
        span = part["socio_t"].max() - part["socio_t"].min()
        axes[1].plot(part["epoch"], (part["socio_t"] - part["socio_t"].min()) / (span if span else 1), marker="o",
                     ms=3, label=model)
    axes[0].set_ylabel("SocioT warmth")
    axes[1].set_ylabel("warmth, min–max normalised")
    for ax in axes:
        ax.set_xlabel("fine-tuning epoch")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    _save(fig, out, "fig1a_warmth_trajectory")
    return Figure("fig1a_warmth_trajectory", "Warmth over fine-tuning",
                  "How warm the model's replies sound (SocioT score; higher = warmer) after each epoch of warm "
                  "fine-tuning: raw with standard errors (left) and rescaled to 0–1 per model (right).")
