"""The warmth–error frontier over the saved epochs of one fine-tuning run (beyond the paper).

The paper picks epoch 2 by eye (PAPER.md §3). Here every saved epoch of a ``finetune train`` run (LoRA adapters
under ``RUN/checkpoints/epoch-X``, the base model as epoch 0) answers the study tasks; its error rate (share of
scored replies the scorer marks "I", refusals dropped outside Disinfo as the analysis does, with a Wilson 95%
interval) is set against its SocioT warmth on the held-out validation replies (mean ± 1.96 SE, computed by
:func:`inspect_warmth.finetune.trajectory.run_trajectory`, whose cache it shares). The warmest epoch whose error
rate exceeds the base model's by at most ``max_error_increase_pp`` percentage points (point estimates) is chosen.

Engines: with vLLM installed every epoch is an adapter on ONE vLLM server through Inspect's ``vllm/`` provider
(``vllm/<base>:<adapter dir>``, the server started by the project's vLLM engine module when present); without it
each epoch is loaded in turn as ``hf/<adapter dir>`` (transformers loads a PEFT adapter directory onto its base),
which is said in the notes.

Unit of independence: the reply (question × task) for error rates; the validation prompt for warmth.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from inspect_ai.log import EvalLog

    from inspect_warmth.analysis.responses import Responses

ENGINES: tuple[str, ...] = ("auto", "vllm", "hf")
TABLE_FILE = "frontier.csv"
BY_DATASET_FILE = "frontier_by_dataset.csv"
FIGURE_FILE = "frontier.png"
POOLED = "all"
#: Refusals count as correct on Disinfo (scored "C" by rule) and are dropped elsewhere, as in the analysis.
KEEPS_REFUSALS = "disinfo"


class FrontierError(ValueError):
    """A run directory or option the frontier cannot use; the message names it."""


@dataclass(frozen=True)
class Checkpoint:
    """One point of the frontier: an epoch (0 = the base model), its adapter dir and its Inspect model string."""

    epoch: float
    path: Path | None
    model: str


@dataclass
class Frontier:
    """Result: the per-epoch table, the per-dataset errors, the chosen epoch and what was noted on the way."""

    table: pd.DataFrame
    by_dataset: pd.DataFrame
    chosen: float | None
    notes: list[str] = field(default_factory=list)


def resolve_engine(engine: str) -> tuple[str, list[str]]:
    """``auto`` -> ``vllm`` when vLLM is importable, else ``hf`` (with a note). Raises for ``vllm`` without it."""
    if engine not in ENGINES:
        raise FrontierError(f"--engine {engine!r}: expected one of {', '.join(ENGINES)}")
    has_vllm = importlib.util.find_spec("vllm") is not None
    if engine == "vllm" and not has_vllm:
        raise FrontierError("--engine vllm: vLLM is not installed (see scripts/install); use --engine hf")
    if engine == "auto":
        if has_vllm:
            return "vllm", []
        return "hf", ["vLLM is not installed: each epoch is evaluated as hf/<adapter dir>, one model load at a time"]
    return engine, []


def checkpoints(run: Path, engine: str, base_model: str | None = None) -> list[Checkpoint]:
    """The base model (epoch 0) and every saved epoch of ``run`` as Inspect model strings for ``engine``
    (``vllm`` or ``hf``); ``base_model`` replaces the adapters' recorded base (``--base-model``).
    Raises :class:`FrontierError` when the run has no saved epochs."""
    from inspect_warmth.finetune.adapters import run_base
    from inspect_warmth.finetune.train import saved_epochs

    epochs = saved_epochs(run)
    if not epochs:
        raise FrontierError(f"{run}: no saved epochs under {run / 'checkpoints'} (a `finetune train` output?)")
    base = run_base(run, epochs, base_model)
    points = [Checkpoint(0.0, None, f"{engine}/{base}")]
    for epoch, path in epochs.items():
        adapter = path.resolve()
        points.append(Checkpoint(epoch, adapter, f"vllm/{base}:{adapter}" if engine == "vllm" else f"hf/{adapter}"))
    return points


@contextmanager
def _serving(variants: dict[str, str], say: Callable[[str], None]) -> Iterator[tuple[dict[str, str], int | None]]:
    """The variants as they will run and the connections to keep in flight.

    Every ``vllm/`` variant of the base runs on the one server the project's engine starts
    (:func:`inspect_warmth.providers.vllm_engine.engine_for`), or on ``hf/`` when vLLM cannot run, saying why.
    """
    from inspect_warmth.providers.vllm_engine import engine_for

    with engine_for(variants, say=say) as engine:
        yield dict(engine.variants), engine.max_connections


def evaluate_checkpoints(
    points: Sequence[Checkpoint], tasks: Sequence[str], *, samples: int, scorer: str, grader: str | None,
    data_dir: str | None, seed: int, log_dir: Path, say: Callable[[str], None] = lambda _: None, **eval_args: Any,
) -> dict[float, list[EvalLog]]:
    """Run the study ``tasks`` (template ``original``, no context) on every checkpoint, one ``eval`` per
    checkpoint inside one engine (one vLLM server for all of them); returns the logs by epoch.
    ``eval_args`` go to :func:`inspect_ai.eval` (e.g. ``max_tokens``).
    """
    from inspect_ai import eval as inspect_eval

    from inspect_warmth.analysis.design import STUDY_DATASETS

    unknown = [t for t in tasks if t not in STUDY_DATASETS]
    if unknown:
        raise FrontierError(f"--tasks: unknown study task(s) {', '.join(unknown)}; expected some of "
                            f"{', '.join(STUDY_DATASETS)}")
    task_args = {"samples": samples, "scorer": scorer, "seed": seed, "data_dir": data_dir}
    roles = {"grader": grader} if grader else None
    variants = {f"epoch-{p.epoch:g}": p.model for p in points}
    out: dict[float, list[EvalLog]] = {}
    with _serving(variants, say) as (running, connections):
        for point in points:
            model = running[f"epoch-{point.epoch:g}"]
            logs = inspect_eval([f"inspect_warmth/{t}" for t in tasks], task_args=task_args, model=model,
                                model_roles=roles, log_dir=str(log_dir), display="none",
                                metadata={"variant": f"epoch-{point.epoch:g}"}, max_connections=connections,
                                **eval_args)
            for log in logs:
                if log.status != "success":
                    reason = log.error.message if log.error else log.status
                    raise FrontierError(f"evaluating {model} on {log.eval.task} failed ({log.location}): {reason}")
            out[point.epoch] = list(logs)
    return out


def error_rows(logs_by_epoch: dict[float, list[EvalLog]]) -> pd.DataFrame:
    """Per epoch × dataset (and pooled, ``dataset="all"``): ``n_scored``, ``n_incorrect``, ``error_pp`` with a
    Wilson 95% interval, and the replies left out: ``n_unscored`` ("N"), ``n_refusals_dropped``."""
    import pandas as pd

    records = []
    for epoch, logs in logs_by_epoch.items():
        for log in logs:
            for sample in log.samples or []:
                dataset = str((sample.metadata or {}).get("dataset", log.eval.task))
                for name, score in (sample.scores or {}).items():
                    if name.rsplit("/", 1)[-1] not in ("judge", "reference"):
                        continue
                    refusal = bool((score.metadata or {}).get("refusal", False))
                    records.append({"epoch": epoch, "dataset": dataset, "value": str(score.value),
                                    "dropped": refusal and dataset != KEEPS_REFUSALS})
    return error_table(pd.DataFrame(records, columns=["epoch", "dataset", "value", "dropped"]))


def response_errors(responses: Responses, epochs: dict[str, float]) -> pd.DataFrame:
    """:func:`error_rows` from an already loaded responses table (the demo's): the replies of the variants in
    ``epochs`` (variant -> epoch) to the unmodified ``original`` prompts, one score per reply as the analysis
    chooses it, the refusal rule of :func:`~inspect_warmth.analysis.design.refusal_rule`, and the set-aside replies
    (``Responses.unscored``) counted as ``n_unscored``."""
    import pandas as pd

    from inspect_warmth.analysis.design import canonical_labels, refusal_rule
    from inspect_warmth.analysis.responses import choose_scorer

    def condition(frame: pd.DataFrame) -> pd.DataFrame:
        if frame.empty:
            return frame
        frame, _ = canonical_labels(frame)
        keep = frame["variant"].isin(list(epochs)) & (frame["template"] == "original")
        return frame[keep & (frame["amendment"] == "unmodified")]

    scored, _ = choose_scorer(condition(responses.table), None)
    scored, refused = refusal_rule(scored)
    unscored = condition(responses.unscored)
    frame = pd.concat([
        pd.DataFrame({"epoch": scored["variant"].map(epochs), "dataset": scored["dataset"],
                      "value": scored["is_incorrect"].map({1: "I", 0: "C"}), "dropped": refused}),
        pd.DataFrame({"epoch": unscored["variant"].map(epochs), "dataset": unscored["dataset"], "value": "N",
                      "dropped": False}) if not unscored.empty else None,
    ])
    return error_table(frame)


def error_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`error_rows` from one row per reply: ``epoch``, ``dataset``, ``value`` ("C", "I" or "N")
    and ``dropped`` (a refusal left out). Raises :class:`FrontierError` when there is none."""
    import pandas as pd

    from inspect_warmth.analysis.pushback import wilson_interval_pp

    if frame.empty:
        raise FrontierError("the evaluations returned no study scores (judge or reference)")
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
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return path


@dataclass
class FrontierOptions:
    """Options of ``inspect-warmth frontier``."""

    tasks: tuple[str, ...] = ("triviaqa",)
    samples: int = 100
    scorer: str = "reference"
    grader: str | None = None
    data_dir: str | None = None
    validation_dir: str = ""
    validation_limit: int | None = None
    max_error_increase_pp: float = 2.0
    engine: str = "auto"
    seed: int = 0
    max_tokens: int | None = None
    lm: str = "gpt2"
    socio_t_samples: int = 100
    base_model: str | None = None


def frontier(run: Path, options: FrontierOptions, out: Path, *,
             warmth_scorer: Callable[[list[str]], list[float]] | None = None) -> Frontier:
    """Evaluate every epoch, measure warmth, write ``frontier.csv``, ``frontier_by_dataset.csv`` and
    ``frontier.png`` under ``out``; return the :class:`Frontier`. ``warmth_scorer`` replaces SocioT (tests)."""
    from inspect_warmth.finetune.trajectory import TrajectoryOptions, run_trajectory

    if options.scorer == "judge" and not options.grader:
        raise FrontierError("--scorer judge needs --grader MODEL (e.g. openai/gpt-4o-2024-08-06)")
    if not options.validation_dir:
        raise FrontierError("--validation DIR is needed: the directory `finetune curate` wrote (validation.jsonl)")
    engine, notes = resolve_engine(options.engine)
    points = checkpoints(run, engine, options.base_model)
    out.mkdir(parents=True, exist_ok=True)
    eval_args = {"max_tokens": options.max_tokens} if options.max_tokens else {}
    logs = evaluate_checkpoints(points, options.tasks, samples=options.samples, scorer=options.scorer,
                                grader=options.grader, data_dir=options.data_dir, seed=options.seed,
                                log_dir=out / "logs", say=notes.append, **eval_args)
    errors = error_rows(logs)
    warmth_options = TrajectoryOptions(validation_dir=options.validation_dir, limit=options.validation_limit,
                                       lm=options.lm, samples=options.socio_t_samples, seed=options.seed,
                                       max_new_tokens=options.max_tokens or 300, base_model=options.base_model)
    warmth = run_trajectory(run, warmth_options, scorer=warmth_scorer)
    table, chosen = frontier_table(errors, warmth, options.max_error_increase_pp)
    table.to_csv(out / TABLE_FILE, index=False)
    errors.to_csv(out / BY_DATASET_FILE, index=False)
    plot_frontier(table, options.max_error_increase_pp, out / FIGURE_FILE)
    if chosen is None:
        notes.append(f"no epoch stays within {options.max_error_increase_pp:g} pp of the base model's error rate")
    return Frontier(table=table, by_dataset=errors, chosen=chosen, notes=notes)
