"""The warmth trajectory's replies, generated on the engine the grid uses; then SocioT (Fig. 1a).

Every saved epoch of a ``finetune train`` run (and the base as epoch 0) answers the held-out validation prompts
through Inspect (``get_model(...).generate``): ``vllm/<base>`` and ``vllm/<base>:<adapter dir>`` on ONE vLLM server
with every epoch hot-loaded as a LoRA adapter (:func:`inspect_warmth.run.vllm_engine.engine_for`), or Inspect's
``hf/`` when vLLM cannot run, said aloud. All replies of all epochs are in flight together (vLLM batches them), each
appended to the cache as it arrives, under one progress bar. The sampling is the trajectory's: ``temperature``
(0 = greedy), ``max_new_tokens`` and ``seed`` of :class:`~inspect_warmth.finetune.trajectory.TrajectoryOptions`.
Scoring, caching and the table are :mod:`inspect_warmth.finetune.trajectory`'s.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from inspect_warmth.finetune.trajectory import (
    Scorer,
    TrajectoryOptions,
    missing_replies,
    replies_file,
    reply_row,
    score_run,
    trajectory_epochs,
    write_trajectory,
)

#: Inspect's message class of each role of a validation prompt's ``messages``.
ROLES = ("system", "user", "assistant")


def epoch_variant(epoch: float) -> str:
    """The variant name of an epoch on the engine: ``epoch-0`` (the base), ``epoch-0.5``..."""
    return f"epoch-{epoch:g}"


def epoch_models(run: Path, options: TrajectoryOptions) -> dict[str, str]:
    """Variant (:func:`epoch_variant`) -> ``vllm/`` model name of every epoch the trajectory measures: the base as
    ``vllm/<base>``, each saved epoch as ``vllm/<base>:<adapter dir>`` (the base resolved for this machine,
    ``options.base_model`` first)."""
    from inspect_warmth.finetune.adapters import run_base
    from inspect_warmth.finetune.train import saved_epochs

    base = run_base(run, saved_epochs(run), options.base_model)
    return {epoch_variant(epoch): f"vllm/{base}" + (f":{path.resolve()}" if epoch else "")
            for epoch, path in trajectory_epochs(run, options).items()}


def chat_messages(prompt: dict[str, Any], source: Path) -> list[Any]:
    """A validation prompt's ``messages`` as Inspect chat messages. Raises ValueError naming ``source``, the prompt
    id and the role when a message has a role other than system/user/assistant."""
    from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem, ChatMessageUser

    kinds = dict(zip(ROLES, (ChatMessageSystem, ChatMessageUser, ChatMessageAssistant), strict=True))
    messages = []
    for message in prompt["messages"]:
        kind = kinds.get(message.get("role"))
        if kind is None:
            raise ValueError(f"{source}, prompt {prompt['id']!r}: role {message.get('role')!r} is not one of "
                             f"{', '.join(ROLES)}")
        messages.append(kind(content=message["content"]))
    return messages


async def _generate(todo: dict[float, list[dict[str, Any]]], models: dict[float, Any], options: TrajectoryOptions,
                    cache: Path, source: Path, max_connections: int | None) -> None:
    from inspect_ai.model import GenerateConfig
    from tqdm.auto import tqdm

    config = GenerateConfig(temperature=options.temperature, max_tokens=options.max_new_tokens, seed=options.seed,
                            max_connections=max_connections)
    bar = tqdm(total=sum(len(p) for p in todo.values()), desc="trajectory replies", unit="reply")
    # (the cache is appended to in this one event loop, one whole line at a time)
    with cache.open("a", encoding="utf-8") as handle:

        async def one(epoch: float, prompt: dict[str, Any]) -> None:
            output = await models[epoch].generate(chat_messages(prompt, source), config=config)
            handle.write(json.dumps(reply_row(epoch, prompt["id"], output.completion.strip()),
                                    ensure_ascii=False) + "\n")
            handle.flush()
            bar.update(1)

        try:
            await asyncio.gather(*(one(epoch, p) for epoch, prompts in todo.items() for p in prompts))
        finally:
            bar.close()


def generate_replies(run: Path, options: TrajectoryOptions, running: dict[str, str] | None = None, *,
                     model_args: dict[str, dict[str, Any]] | None = None, max_connections: int | None = None,
                     say: Callable[[str], None] = print) -> int:
    """Generate the trajectory replies ``run`` is missing; returns how many were generated.

    ``running``: variant (:func:`epoch_variant`) -> model name on an engine the caller holds (the demo's, shared
    with its evaluation), with that engine's ``model_args`` and ``max_connections``; without it one engine is
    started for the run's epochs (:func:`epoch_models`) and stopped afterwards, its line given to ``say``.
    """
    from inspect_ai.model import get_model

    from inspect_warmth.run.vllm_engine import engine_for

    todo = missing_replies(run, options)
    if not todo:
        return 0
    source = Path(options.validation_dir)

    def generate(names: dict[str, str], args: dict[str, dict[str, Any]], connections: int | None) -> None:
        absent = [epoch_variant(e) for e in todo if epoch_variant(e) not in names]
        if absent:
            raise ValueError(f"the engine runs no model for {', '.join(absent)} of {run}")
        models = {e: get_model(names[epoch_variant(e)], memoize=False, **args.get(epoch_variant(e), {})) for e in todo}
        asyncio.run(_generate(todo, models, options, replies_file(run, options), source, connections))

    if running is not None:
        generate(running, model_args or {}, max_connections)
    else:
        with engine_for(epoch_models(run, options), say=say) as engine:
            generate(engine.variants, engine.model_args, engine.max_connections)
    return sum(len(p) for p in todo.values())


def run_trajectory(run: Path, options: TrajectoryOptions, *, label: str | None = None, scorer: Scorer | None = None,
                   say: Callable[[str], None] = print, **engine: Any) -> list[dict[str, Any]]:
    """Generate what is missing (:func:`generate_replies`; ``engine`` holds its ``running``, ``model_args`` and
    ``max_connections``) and score every epoch (:func:`inspect_warmth.finetune.trajectory.score_run`); returns the
    table rows, one per epoch."""
    generate_replies(run, options, say=say, **engine)
    return score_run(run, options, label=label, scorer=scorer)


def trajectory(runs: Sequence[Path], options: TrajectoryOptions, out_dir: Path | None = None, *,
               scorer: Scorer | None = None, say: Callable[[str], None] = print) -> Any:
    """Trajectories of one or more runs: writes ``trajectory.csv``, ``trajectory.png`` and
    ``trajectory.options.json`` into ``out_dir`` (default: the first run); returns the table."""
    rows = []
    for run in runs:
        rows.extend(run_trajectory(run, options, scorer=scorer, say=say))
    return write_trajectory(rows, options, out_dir or runs[0])

