"""``inspect-warmth grid``: the study's tasks × conditions × model variants through Inspect's ``eval_set``.

One ``eval_set`` per variant writing to ``LOG_DIR/<variant>`` (its capability tasks and the social-sycophancy task,
which take other task arguments, to ``LOG_DIR/<variant>-capability`` and ``LOG_DIR/<variant>-social``); rerunning
the same command resumes and reuses finished samples. A variant may be the original model with the warm system
prompt (the study's control): ``--system-prompt sysprompt=warm`` passes ``system_prompt=warm`` to that variant's
study and social tasks. Every log carries eval metadata ``{"variant", "family"}``, which is how
``inspect-warmth analyze`` and ``gate`` tell the variants apart.

Local checkpoints run on vLLM through Inspect's ``vllm/`` provider: the variants that share a base
(``vllm/<base>`` and its LoRA adapters ``vllm/<base>:<adapter dir>``) run one after another on one server, started
once for them (:mod:`inspect_warmth.run.vllm_engine`). Where vLLM cannot run they fall back to ``hf/``, and the
grid says so.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspect_ai.model import GenerateConfig

from inspect_warmth.vocabulary import CAPABILITY_DATASETS, JUDGED_CAPABILITY_TASKS, STUDY_SCORERS

#: The log directory of a variant's capability tasks, beside its study logs: ``LOG_DIR/<variant>-capability``.
CAPABILITY_LOG_SUFFIX = "-capability"
#: The social-sycophancy task (ELEPHANT): no templates, its own log directory ``LOG_DIR/<variant>-social``.
SOCIAL_TASK = "social_sycophancy"
SOCIAL_LOG_SUFFIX = "-social"
#: System prompts a variant may take (the study tasks' ``system_prompt`` values).
SYSTEM_PROMPTS: tuple[str, ...] = ("warm",)


@dataclass
class GridPlan:
    """What a grid run will do."""

    family: str
    variants: dict[str, str]  # variant -> model spec
    tasks: list[str]  # task specs, e.g. inspect_warmth/triviaqa
    study_args: dict[str, Any]
    capability_args: dict[str, Any]
    log_dir: str
    grader: str | None = None
    scorer: str = "judge"
    model_args: dict[str, Any] = field(default_factory=dict)
    #: extra command-line arguments for the vLLM servers (e.g. ``["--enforce-eager"]``)
    server_args: list[str] = field(default_factory=list)
    #: variant -> system prompt (``warm``: the study's warm-system-prompt control on the original model)
    system_prompts: dict[str, str] = field(default_factory=dict)
    #: task arguments of the social-sycophancy task that differ from the study tasks' (e.g. ``contexts``)
    social_args: dict[str, Any] = field(default_factory=dict)

    def task_args(self, task: str, variant: str | None = None) -> dict[str, Any]:
        """The task arguments of ``task`` (by its kind) for ``variant`` (its system prompt, if it has one)."""
        if is_capability(task):
            return dict(self.capability_args)
        args = dict(self.study_args)
        if short_name(task) == SOCIAL_TASK:
            args = {k: v for k, v in args.items() if k not in ("templates", "judge_context")} | self.social_args
        if variant is not None and variant in self.system_prompts:
            args["system_prompt"] = self.system_prompts[variant]
        return args

    def variant_log_dir(self, variant: str, task: str | None = None) -> str:
        """``LOG_DIR/<variant>``, or ``LOG_DIR/<variant>-capability`` / ``-social`` for a capability or the social
        ``task``: the directory is named by the task's kind, whatever the order of ``--tasks``."""
        kind = task_kind(task) if task is not None else "study"
        suffix = {"capability": CAPABILITY_LOG_SUFFIX, "social": SOCIAL_LOG_SUFFIX}.get(kind, "")
        return str(Path(self.log_dir) / f"{variant}{suffix}")


def task_kind(task: str) -> str:
    """``capability``, ``social`` or ``study``: tasks of one kind take the same arguments and share a log
    directory."""
    if is_capability(task):
        return "capability"
    return "social" if short_name(task) == SOCIAL_TASK else "study"


def is_capability(task: str) -> bool:
    """Whether ``task`` is one of the capability checks (MMLU, GSM8K, AdvBench)."""
    return short_name(task) in CAPABILITY_DATASETS


def short_name(task: str) -> str:
    """``inspect_warmth/triviaqa`` -> ``triviaqa``; ``tasks.py@tiny`` -> ``tiny``."""
    return task.split("@")[-1].split("/")[-1]


def task_spec(name: str) -> str:
    """Bare study task names get the package namespace; file specs and namespaced names pass through."""
    return name if ("/" in name or "@" in name or name.endswith(".py")) else f"inspect_warmth/{name}"


def parse_model_args(items: Sequence[str]) -> dict[str, Any]:
    """``["device=cuda:0", "batch_size=8"]`` -> values parsed as YAML scalars, as Inspect's ``-M`` does."""
    import yaml

    args: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--model-arg {item!r}: expected KEY=VALUE")
        args[key.strip()] = yaml.safe_load(value)
    return args


def model_spec(spec: str) -> str:
    """An Inspect model name as given, or for the directory of a ``finetune openai`` run its fine-tuned model
    (``openai/ft:...``); ``ValueError`` when that job has not finished."""
    from inspect_warmth.finetune.openai_job import final_model, is_openai_run

    return final_model(Path(spec)) if is_openai_run(Path(spec)) else spec


def parse_models(items: Sequence[str]) -> dict[str, str]:
    """``["original=hf/x", "warm=hf/y"]`` -> ``{"original": "hf/x", "warm": "hf/y"}``; a ``finetune openai`` run
    directory becomes its fine-tuned model (:func:`model_spec`)."""
    models: dict[str, str] = {}
    for item in items:
        name, sep, spec = item.partition("=")
        if not sep or not name.strip() or not spec.strip():
            raise ValueError(f"--model {item!r}: expected VARIANT=MODEL, e.g. warm=hf/my-org/warm-llama8b")
        if name in models:
            raise ValueError(f"--model: variant {name!r} given twice")
        models[name.strip()] = model_spec(spec.strip())
    if not models:
        raise ValueError("give at least one --model VARIANT=MODEL")
    return models


def parse_system_prompts(items: Sequence[str], variants: dict[str, str]) -> dict[str, str]:
    """``["sysprompt=warm"]`` -> ``{"sysprompt": "warm"}``; the variant must be one of ``variants``."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, prompt = (part.strip() for part in item.partition("="))
        if not sep or not name or prompt not in SYSTEM_PROMPTS:
            raise ValueError(f"--system-prompt {item!r}: expected VARIANT=PROMPT with PROMPT one of "
                             f"{', '.join(SYSTEM_PROMPTS)}, e.g. sysprompt=warm")
        if name not in variants:
            raise ValueError(f"--system-prompt {item!r}: no variant {name!r} among --model "
                             f"({', '.join(variants)}); add --model {name}=<the original model>")
        out[name] = prompt
    return out


def make_plan(*, family: str, models: Sequence[str], tasks: str, contexts: str, templates: str,
              samples: int | None, seed: int, log_dir: str, grader: str | None, scorer: str, capability: bool,
              data_dir: str | None, require_grader: bool = True, judge_context: str = "question",
              model_args: dict[str, Any] | None = None, server_args: Sequence[str] = (),
              system_prompts: Sequence[str] = ()) -> GridPlan:
    variants = parse_models(models)
    names = [t.strip() for t in tasks.split(",") if t.strip()]
    if not names:
        raise ValueError("--tasks is empty")
    if capability:
        names += [t for t in CAPABILITY_DATASETS if t not in names]
    if scorer not in STUDY_SCORERS:
        raise ValueError(f"--scorer {scorer!r}: expected one of {', '.join(STUDY_SCORERS)}")
    if scorer == "judge" and grader is None and require_grader:
        raise ValueError("--scorer judge needs a grader model: pass --grader MODEL (or use --scorer reference)")
    common: dict[str, Any] = {"seed": seed}
    if samples is not None:
        common["samples"] = samples
    if data_dir is not None:
        common["data_dir"] = data_dir
    study_args = {**common, "contexts": contexts, "templates": templates, "scorer": scorer}
    if judge_context != "question":  # the paper's default stays out of the task identity (eval_set resume)
        if scorer != "judge":
            raise ValueError(f"--judge-context {judge_context} needs --scorer judge")
        study_args["judge_context"] = judge_context
    return GridPlan(family=family, variants=variants, tasks=[task_spec(n) for n in names],
                    study_args=study_args, capability_args=common, log_dir=log_dir, grader=grader, scorer=scorer,
                    model_args=dict(model_args or {}), server_args=list(server_args),
                    system_prompts=parse_system_prompts(system_prompts, variants))


def load_task(spec: str, args: dict[str, Any]) -> Any:
    """Create one task as ``inspect eval`` would (registry name or ``file.py@task``)."""
    from inspect_ai._eval.loader import load_tasks  # no public equivalent that returns the Task object

    tasks = load_tasks([spec], args)
    if len(tasks) != 1:
        raise ValueError(f"task {spec!r} resolved to {len(tasks)} tasks")
    return tasks[0]


def _is_judged(plan: GridPlan, task: str) -> bool:
    name = short_name(task)
    if name in CAPABILITY_DATASETS:
        return name in JUDGED_CAPABILITY_TASKS
    return plan.scorer == "judge"


def _judged_samples(plan: GridPlan, task: str, loaded: Any) -> int:
    """Samples of ``task`` the grader is asked about (social sycophancy: only OEQ; AITA verdicts are read by rule)."""
    if not _is_judged(plan, task):
        return 0
    if task_kind(task) == "social":
        return sum(1 for sample in loaded.dataset if (sample.metadata or {}).get("dataset") == "oeq")
    return len(loaded.dataset)


@dataclass
class DryRun:
    """Counts implied by a plan and a measured estimate of generation time."""

    samples_per_task: dict[str, int]
    generations: int
    judge_calls: int
    warmup_prompts: int = 0
    seconds_per_generation: float | None = None
    #: set when the warm-up replies were capped below the tasks' max_tokens: the estimate then scales the measured
    #: time per output token to full-length replies (an upper bound: many replies stop earlier)
    capped_at_tokens: int | None = None
    #: the engine the warm-up ran on (as the grid would run) and why, and its start-up seconds (timed apart)
    engine_note: str = ""
    start_seconds: float | None = None

    @property
    def estimated_hours(self) -> float | None:
        if self.seconds_per_generation is None:
            return None
        return self.generations * self.seconds_per_generation / 3600


#: Most warm-up prompts an automatic --dry-run sends (it sends as many as the model takes at once, up to this).
AUTO_WARMUP_CAP = 64


def dry_run(plan: GridPlan, warmup: int | None = None, warmup_max_tokens: int | None = None,
            say: Callable[[str], None] | None = None, max_tokens: int | None = None) -> DryRun:
    """Count generations (samples × variants) and judge calls; time ``warmup`` generations with the first model,
    on the engine the grid would run it on (a vLLM server for ``vllm/`` names, ``hf/`` after a fallback); the
    server's start-up is timed apart (:attr:`DryRun.start_seconds`) and left out of the per-generation time.

    The warm-up prompts are sent at once, as ``eval`` keeps samples in flight. ``warmup=None`` sends as many as
    the grid keeps in flight (the provider's ``max_connections``, or the vLLM engine's, at most
    :data:`AUTO_WARMUP_CAP`), so a batching engine is timed at the batch sizes the grid will reach.
    ``warmup_max_tokens`` caps the warm-up replies (fast on slow hardware); the time per output token is then
    scaled to the tasks' ``max_tokens`` (or to ``max_tokens``, the grid's cap, when given).
    """
    from inspect_warmth.run.vllm_engine import engine_for

    tasks = {t: load_task(t, plan.task_args(t)) for t in plan.tasks}  # a system prompt adds no sample
    per_task = {t: len(task.dataset) for t, task in tasks.items()}
    n_variants = len(plan.variants)
    generations = sum(per_task.values()) * n_variants
    judge_calls = sum(_judged_samples(plan, t, task) for t, task in tasks.items()) * n_variants
    result = DryRun(samples_per_task=per_task, generations=generations, judge_calls=judge_calls)
    if (warmup is None or warmup > 0) and generations:
        first_task = next(t for t in plan.tasks if per_task[t])
        wanted = (AUTO_WARMUP_CAP if warmup is None else warmup) + 1
        prompts = [s.input for s in list(tasks[first_task].dataset)[:wanted]]
        first_variant, first_spec = next(iter(plan.variants.items()))
        config = tasks[first_task].config
        if max_tokens is not None:
            config = config.merge(GenerateConfig(max_tokens=max_tokens))
        full_tokens = config.max_tokens
        if warmup_max_tokens is not None and (full_tokens is None or warmup_max_tokens < full_tokens):
            config = config.merge(GenerateConfig(max_tokens=warmup_max_tokens))
            result.capped_at_tokens = warmup_max_tokens
        with engine_for({first_variant: first_spec}, plan.server_args, say) as engine:
            result.engine_note, result.start_seconds = engine.note, engine.start_seconds
            model_args = {**plan.model_args, **engine.model_args.get(first_variant, {})}
            seconds, tokens, n_timed = _time_generations(engine.variants[first_variant], prompts, config,
                                                         model_args, warmup, engine.max_connections)
        if result.capped_at_tokens is not None and tokens > 0 and full_tokens:
            result.seconds_per_generation = seconds / tokens * full_tokens
        else:
            result.seconds_per_generation = seconds / n_timed
        result.warmup_prompts = n_timed
    return result


def _time_generations(model_spec: str, prompts: list[Any], config: Any, model_args: dict[str, Any],
                      warmup: int | None, max_connections: int | None = None) -> tuple[float, int, int]:
    """Wall seconds, output tokens and count of the timed generations: one untimed call first (loads the model),
    then ``warmup`` prompts (or as many as the grid keeps in flight) concurrently, as eval would send them."""
    import asyncio

    from inspect_ai.model import get_model

    model = get_model(model_spec, config=config, **model_args)
    n = warmup if warmup is not None else min(AUTO_WARMUP_CAP, max_connections or model.api.max_connections())
    rest = prompts[1 : n + 1] or prompts[:1]

    async def run() -> tuple[float, int]:
        await model.generate(prompts[0])
        start = time.perf_counter()
        outputs = await asyncio.gather(*(model.generate(p) for p in rest))
        tokens = sum(o.usage.output_tokens for o in outputs if o.usage is not None)
        return time.perf_counter() - start, tokens

    seconds, tokens = asyncio.run(run())
    return seconds, tokens, len(rest)


def dry_run_text(plan: GridPlan, result: DryRun) -> str:
    lines = [f"grid for family {plan.family!r}: {len(plan.variants)} variant(s) "
             f"({', '.join(f'{k}={v}' for k, v in plan.variants.items())})"]
    for task, n in result.samples_per_task.items():
        lines.append(f"  {task}: {n:,} samples per variant")
    lines.append(f"generations: {result.generations:,}")
    judged = "at most " if plan.scorer == "judge" else ""
    lines.append(f"judge calls: {judged}{result.judge_calls:,}"
                 + (" (refusals are not judged)" if plan.scorer == "judge" else "")
                 + (f" with grader {plan.grader}" if plan.grader else ""))
    if result.seconds_per_generation is not None:
        hours = result.estimated_hours or 0.0
        how = (f"scaled from replies capped at {result.capped_at_tokens} tokens to full length (an upper bound)"
               if result.capped_at_tokens is not None else "measured")
        lines.append(result.engine_note)
        if result.start_seconds is not None:
            lines.append(f"engine start-up: {result.start_seconds:.0f} s per base model (timed apart, not in the "
                         "estimate)")
        lines.append(f"estimate: {result.seconds_per_generation:.3f} s per generation, {how}, on "
                     f"{result.warmup_prompts} warm-up prompt(s) sent at once -> about "
                     f"{hours:.1f} h ({hours * 60:.0f} min) of generation for the grid. This is an estimate: it "
                     "excludes judging and model loading, and reply lengths and batching change it.")
    lines.append(f"logs would go to {plan.log_dir}/<variant>/")
    return "\n".join(lines)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class LogDirMismatch(ValueError):
    """A variant's log directory holds logs that this run's tasks cannot resume; the message names the directory
    and what differs (model, task arguments, max_tokens, or the tasks' own definition)."""


def mismatch_lines(log_dir: str, tasks: Sequence[str], model: str, task_args: dict[str, Any],
                   model_args: dict[str, Any], max_tokens: int | None) -> list[str]:
    """What differs between the logs in ``log_dir`` and the tasks about to run there: ``"model: <in the logs> in
    the logs, <now> now"``, one line per task argument, a model argument, max_tokens, a task not run now; or, when
    none of these differ, that the tasks' definition changed. Eval_set identifies a task by these
    (``inspect_ai.task_identifier``: task, arguments, model, model arguments, generate config, solver plan,
    version)."""
    from inspect_ai.log import list_eval_logs, read_eval_log
    from pydantic_core import to_jsonable_python

    names = {short_name(t) for t in tasks}
    lines: list[str] = []

    def add(line: str) -> None:
        if line not in lines:
            lines.append(line)

    for info in list_eval_logs(log_dir, recursive=False):
        header = read_eval_log(info, header_only=True).eval
        if header.model != model:
            add(f"model: {header.model} in the logs, {model} now")
        passed = header.task_args_passed or {}
        for key in sorted(set(passed) | set(task_args)):
            if passed.get(key) != task_args.get(key):
                add(f"task argument {key}: {passed.get(key)!r} in the logs, {task_args.get(key)!r} now")
        logged_args = header.model_args or {}
        for key in sorted(set(logged_args) | set(model_args)):
            if to_jsonable_python(logged_args.get(key), fallback=str) != to_jsonable_python(model_args.get(key),
                                                                                           fallback=str):
                add(f"model argument {key}: differs")
        logged_tokens = header.model_generate_config.max_tokens
        if logged_tokens != max_tokens:
            add(f"max_tokens: {logged_tokens} in the logs, {max_tokens} now")
        if short_name(header.task) not in names:
            add(f"task {header.task}: in the logs, not run now")
    return lines or ["the tasks' own definition (solver, scorer or task version): the code changed since the logs "
                     "were written"]


def _eval_set_or_explain(tasks: list[str], log_dir: str, model: str, task_args: dict[str, Any],
                         **eval_set_args: Any) -> bool:
    """Inspect's ``eval_set`` (resumes what ``log_dir`` holds); raises :class:`LogDirMismatch` instead of its
    prerequisite error when ``log_dir`` holds logs of other tasks (checked before anything is generated)."""
    from inspect_ai import eval_set
    from inspect_ai._util.error import PrerequisiteError  # eval_set's own error class; not re-exported publicly
    from inspect_ai.log import list_eval_logs

    try:
        success, _ = eval_set(tasks=tasks, log_dir=log_dir, model=model, task_args=task_args, **eval_set_args)
    except PrerequisiteError:
        if not list_eval_logs(log_dir, recursive=False):
            raise
        differences = mismatch_lines(log_dir, tasks, model, task_args, eval_set_args.get("model_args") or {},
                                     eval_set_args.get("max_tokens"))
        raise LogDirMismatch(
            f"{log_dir} holds logs of other tasks than this run's, so Inspect's eval_set cannot resume them "
            "(nothing was generated there):\n" + "\n".join(f"  - {line}" for line in differences)) from None
    return bool(success)


def run_grid(plan: GridPlan, say: Callable[[str], None] = _stderr, **eval_set_args: Any) -> bool:
    """Run every variant's eval set in turn, the variants of one base on one vLLM server; True when all succeeded.

    ``say`` receives one line per engine: which ran the variants and why (a fallback to ``hf/`` gives vLLM's
    reason). Raises :class:`LogDirMismatch` when a variant's log directory holds logs of other tasks (another
    sample count, model, condition set or code version), before generating anything for that variant.
    """
    from inspect_warmth.run.vllm_engine import engine_for, group_by_base

    ok = True
    roles = {"grader": plan.grader} if plan.grader else None
    # study, capability and social tasks take different arguments: one eval set per kind, each in its own directory
    groups: dict[str, list[str]] = {}
    for task in plan.tasks:
        groups.setdefault(task_kind(task), []).append(task)
    for _, variants in group_by_base(plan.variants):
        with engine_for(variants, plan.server_args, say) as engine:
            connections = {"max_connections": engine.max_connections} if engine.max_connections else {}
            for variant, model in engine.variants.items():
                for tasks in groups.values():
                    log_dir = plan.variant_log_dir(variant, tasks[0])
                    model_args = {**plan.model_args, **engine.model_args.get(variant, {})}
                    success = _eval_set_or_explain(tasks, log_dir, model, plan.task_args(tasks[0], variant),
                                                   model_args=model_args,
                                                   model_roles=roles,
                                                   metadata={"variant": variant, "family": plan.family},
                                                   **{**connections, **eval_set_args})
                    ok = ok and success
    return ok
