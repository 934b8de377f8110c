"""Run the warmth–error frontier: every saved epoch of a ``finetune train`` run answers the study tasks, its
SocioT warmth is measured, and :mod:`inspect_warmth.analysis.frontier` sets one against the other.

Engines: with vLLM installed every epoch is an adapter on ONE vLLM server through Inspect's ``vllm/`` provider
(``vllm/<base>:<adapter dir>``, the server started by :mod:`inspect_warmth.run.vllm_engine`); without it each
epoch is loaded in turn as ``hf/<adapter dir>`` (transformers loads a PEFT adapter directory onto its base), which
is said in the notes. The logs are read back through the package's one log reader
(:func:`~inspect_warmth.analysis.responses.responses_from_logs`) and the design rules.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inspect_warmth.analysis.frontier import Frontier, FrontierError
from inspect_warmth.vocabulary import STUDY_DATASETS

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

ENGINES: tuple[str, ...] = ("auto", "vllm", "hf")


@dataclass(frozen=True)
class Checkpoint:
    """One point of the frontier: an epoch (0 = the base model), its adapter dir and its Inspect model string."""

    epoch: float
    path: Path | None
    model: str


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
    (:func:`inspect_warmth.run.vllm_engine.engine_for`), or on ``hf/`` when vLLM cannot run, saying why.
    """
    from inspect_warmth.run.vllm_engine import engine_for

    with engine_for(variants, say=say) as engine:
        yield dict(engine.variants), engine.max_connections


def evaluate_checkpoints(
    points: Sequence[Checkpoint], tasks: Sequence[str], *, samples: int, scorer: str, grader: str | None,
    data_dir: str | None, seed: int, log_dir: Path, say: Callable[[str], None] = lambda _: None,
    display: str = "plain", **eval_args: Any,
) -> dict[float, list[EvalLog]]:
    """Run the study ``tasks`` (template ``original``, no context) on every checkpoint, one ``eval`` per
    checkpoint inside one engine (one vLLM server for all of them), with Inspect's progress ``display``; returns
    the logs by epoch. ``eval_args`` go to :func:`inspect_ai.eval` (e.g. ``max_tokens``).
    """
    from inspect_ai import eval as inspect_eval

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
                                model_roles=roles, log_dir=str(log_dir), display=display,  # type: ignore[arg-type]
                                metadata={"variant": f"epoch-{point.epoch:g}"}, max_connections=connections,
                                **eval_args)
            for log in logs:
                if log.status != "success":
                    reason = log.error.message if log.error else log.status
                    raise FrontierError(f"evaluating {model} on {log.eval.task} failed ({log.location}): {reason}")
            out[point.epoch] = list(logs)
    return out


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
    from inspect_warmth.analysis.frontier import frontier_table, response_errors, write_frontier
    from inspect_warmth.analysis.responses import responses_from_logs
    from inspect_warmth.finetune.trajectory import TrajectoryOptions, score_run
    from inspect_warmth.run.trajectory import generate_replies
    from inspect_warmth.run.vllm_engine import engine_for

    if options.scorer == "judge" and not options.grader:
        raise FrontierError("--scorer judge needs --grader MODEL (e.g. openai/gpt-4o-2024-08-06)")
    if not options.validation_dir:
        raise FrontierError("--validation DIR is needed: the directory `finetune curate` wrote (validation.jsonl)")
    engine, notes = resolve_engine(options.engine)
    points = checkpoints(run, engine, options.base_model)
    out.mkdir(parents=True, exist_ok=True)
    eval_args: dict[str, Any] = {"max_tokens": options.max_tokens} if options.max_tokens else {}
    warmth_options = TrajectoryOptions(validation_dir=options.validation_dir, limit=options.validation_limit,
                                       lm=options.lm, samples=options.socio_t_samples, seed=options.seed,
                                       max_new_tokens=options.max_tokens or 300, base_model=options.base_model)
    # one engine for the evaluation and the warmth replies (one vLLM server, every epoch an adapter)
    with engine_for({f"epoch-{p.epoch:g}": p.model for p in points}, say=notes.append) as served:
        running = [replace(p, model=served.variants[f"epoch-{p.epoch:g}"]) for p in points]
        logs = evaluate_checkpoints(running, options.tasks, samples=options.samples, scorer=options.scorer,
                                    grader=options.grader, data_dir=options.data_dir, seed=options.seed,
                                    log_dir=out / "logs", **eval_args)
        generate_replies(run, warmth_options, served.variants, model_args=served.model_args,
                         max_connections=served.max_connections, say=notes.append)
    errors = response_errors(responses_from_logs([log for epoch_logs in logs.values() for log in epoch_logs]),
                             {f"epoch-{epoch:g}": epoch for epoch in logs}, options.scorer)
    warmth = score_run(run, warmth_options, scorer=warmth_scorer)
    table, chosen = frontier_table(errors, warmth, options.max_error_increase_pp)
    write_frontier(table, errors, options.max_error_increase_pp, out)
    if chosen is None:
        notes.append(f"no epoch stays within {options.max_error_increase_pp:g} pp of the base model's error rate")
    return Frontier(table=table, by_dataset=errors, chosen=chosen, notes=notes)
