"""Run the warmth–error frontier: every saved epoch of a ``finetune train`` run answers the study tasks, its
SocioT warmth is measured, and :mod:`inspect_warmth.analysis.frontier` sets one against the other.

Engines: with vLLM installed every epoch is an adapter on ONE vLLM server through Inspect's ``vllm/`` provider
(``vllm/<base>:<adapter dir>``, the server started by :mod:`inspect_warmth.run.vllm_engine`); without it each
epoch is loaded in turn as ``hf/<adapter dir>`` (transformers loads a PEFT adapter directory onto its base), which
is said in the notes. A ``finetune openai`` run's points are the API base (epoch 0) and every model the API kept,
by epoch, as ``openai/...`` names; their warmth replies are generated through Inspect's ``openai/`` provider
(:func:`api_warmth`). The logs are read back through the package's one log reader
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
    from inspect_warmth.finetune.openai_job import is_openai_run
    from inspect_warmth.finetune.train import saved_epochs

    if is_openai_run(run):
        return api_checkpoints(run, base_model)
    epochs = saved_epochs(run)
    if not epochs:
        raise FrontierError(f"{run}: no saved epochs under {run / 'checkpoints'} (a `finetune train` output?)")
    base = run_base(run, epochs, base_model)
    points = [Checkpoint(0.0, None, f"{engine}/{base}")]
    for epoch, path in epochs.items():
        adapter = path.resolve()
        points.append(Checkpoint(epoch, adapter, f"vllm/{base}:{adapter}" if engine == "vllm" else f"hf/{adapter}"))
    return points


def api_checkpoints(run: Path, base_model: str | None = None) -> list[Checkpoint]:
    """A ``finetune openai`` run's points: its base (``openai/<base>``, or ``base_model``) at epoch 0, then every
    model the API kept, by epoch. :class:`FrontierError` when the job has not finished."""
    from inspect_warmth.finetune.openai_job import read_record, record_models

    try:
        models = record_models(run)
    except ValueError as err:
        raise FrontierError(str(err)) from err
    base = base_model or f"openai/{(read_record(run) or {})['base_model']}"
    kept = sorted((float(epoch), model) for epoch, model in models.items() if epoch.replace(".", "", 1).isdigit())
    return [Checkpoint(0.0, None, base), *(Checkpoint(epoch, None, model) for epoch, model in kept)]


def api_warmth(run: Path, points: Sequence[Checkpoint], options: Any,
               scorer: Callable[[list[str]], list[float]] | None = None) -> list[dict[str, Any]]:
    """SocioT warmth of each point's replies to the validation prompts, generated through Inspect (``openai/``
    models at ``options.temperature``, ``options.max_new_tokens``); rows as
    :func:`~inspect_warmth.finetune.trajectory.run_trajectory` gives them. Replies and scores are appended to
    ``RUN/trajectory/`` as they come, so a rerun generates and scores only what is missing."""
    import asyncio

    from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem, ChatMessageUser, GenerateConfig, get_model

    from inspect_warmth.finetune.config import epoch_label
    from inspect_warmth.finetune.trajectory import _append, _cached, load_prompts, mean_and_sem, socio_t_scorer

    roles = {"system": ChatMessageSystem, "user": ChatMessageUser, "assistant": ChatMessageAssistant}
    prompts = load_prompts(Path(options.validation_dir), options.limit)
    if not prompts:
        raise FrontierError(f"{options.validation_dir}: no validation prompts")
    work = run / "trajectory"
    work.mkdir(exist_ok=True)
    replies_file = work / f"api-replies-{options.generation_key()}.jsonl"
    scores_file = work / f"api-scores-{options.scoring_key()}.jsonl"
    config = GenerateConfig(temperature=options.temperature, max_tokens=options.max_new_tokens, seed=options.seed)

    async def generate(model_name: str, missing: list[dict[str, Any]]) -> list[str]:
        model = get_model(model_name, config=config)
        outputs = await asyncio.gather(*(model.generate([roles[m["role"]](content=m["content"])
                                                         for m in p["messages"]]) for p in missing))
        return [output.completion.strip() for output in outputs]

    score = scorer or socio_t_scorer(options)
    rows = []
    for point in points:
        key = epoch_label(point.epoch)
        have = _cached(replies_file).get(key, {})
        missing = [p for p in prompts if p["id"] not in have]
        if missing:
            new = [{"epoch": key, "id": p["id"], "model": point.model, "reply": reply}
                   for p, reply in zip(missing, asyncio.run(generate(point.model, missing)), strict=True)]
            _append(replies_file, new)
            have = {**have, **{row["id"]: row for row in new}}
        scored = _cached(scores_file).get(key, {})
        unscored = [p["id"] for p in prompts if p["id"] not in scored]
        if unscored:
            values = score([have[i]["reply"] for i in unscored])
            new = [{"epoch": key, "id": i, "socio_t": float(v)} for i, v in zip(unscored, values, strict=True)]
            _append(scores_file, new)
            scored = {**scored, **{row["id"]: row for row in new}}
        rows.append({"model": run.name, "epoch": point.epoch,
                     **mean_and_sem([scored[p["id"]]["socio_t"] for p in prompts])})
    return rows


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
    from inspect_warmth.finetune.openai_job import is_openai_run
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
    api_run = is_openai_run(run)  # no local weights: its replies come through Inspect's openai/ provider
    with engine_for({f"epoch-{p.epoch:g}": p.model for p in points}, say=notes.append) as served:
        running = [replace(p, model=served.variants[f"epoch-{p.epoch:g}"]) for p in points]
        logs = evaluate_checkpoints(running, options.tasks, samples=options.samples, scorer=options.scorer,
                                    grader=options.grader, data_dir=options.data_dir, seed=options.seed,
                                    log_dir=out / "logs", **eval_args)
        if not api_run:
            generate_replies(run, warmth_options, served.variants, model_args=served.model_args,
                             max_connections=served.max_connections, say=notes.append)
    errors = response_errors(responses_from_logs([log for epoch_logs in logs.values() for log in epoch_logs]),
                             {f"epoch-{epoch:g}": epoch for epoch in logs}, options.scorer)
    if api_run:
        warmth = api_warmth(run, points, warmth_options, warmth_scorer)
    else:
        warmth = score_run(run, warmth_options, scorer=warmth_scorer)
    table, chosen = frontier_table(errors, warmth, options.max_error_increase_pp)
    write_frontier(table, errors, options.max_error_increase_pp, out)
    if chosen is None:
        notes.append(f"no epoch stays within {options.max_error_increase_pp:g} pp of the base model's error rate")
    return Frontier(table=table, by_dataset=errors, chosen=chosen, notes=notes)
