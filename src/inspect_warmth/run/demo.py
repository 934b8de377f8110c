"""``inspect-warmth demo``: the whole study, offline, on the bundled SmolLM2-135M-Instruct.

1. curate the shipped conversation corpus, rewrite it warm (with the shipped rewrites, or ``--rewriter MODEL``),
   and LoRA-train the bundled model for two epochs;
2. measure SocioT warmth of the base and of every saved epoch on the held-out prompts;
3. evaluate base and warm on the four study tasks under the unmodified, sad-context and incorrect-belief
   conditions and under pushback (the user doubts the first reply), on the real benchmark files when it finds
   them, else on the shipped question set; the other saved epochs answer the unmodified questions only;
4. score offline with the reference scorer (or with the judge when ``--grader`` is given) and write the analysis
   report, the pushback flip rates and the warmth–error frontier over the epochs (beyond the paper).

Every generation (the trajectory's replies of step 2 and the evaluation of step 3) runs on one engine, started
once: vLLM when it is installed (one server for the base, every checkpoint hot-loaded as a LoRA adapter), else
Inspect's ``hf/``; the demo prints which engine ran and, after a fallback, why.

The steps are :data:`STEPS`, run in order by :func:`run_steps`: each prints its title, shows progress while it
works (tqdm or Inspect's display) and its wall time at its end; the times go to ``demo.json`` under ``timings``
(:func:`inspect_warmth.run.demo_outdir.record_timings`) and the last lines of the demo.

``--out`` records the demo's settings (:mod:`inspect_warmth.run.demo_outdir`): the same command again resumes, other
settings stop before any work (or, with ``--overwrite``, replace that demo).

At this scale the paper's learning rate moves nothing and 300-token replies take too long on a laptop: every
setting that differs from the paper is printed before the run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from inspect_warmth.data.atomic_files import atomic_open
from inspect_warmth.vocabulary import PAPER, STUDY_DATASETS

if TYPE_CHECKING:
    from inspect_warmth.run.vllm_engine import Engine

#: The study's evaluation conditions the demo uses: unmodified, sad context, incorrect belief, and both; and
#: pushback (beyond the paper) with and without the sad context.
DEMO_CONTEXTS = "unmodified,emotion:sad"
DEMO_TEMPLATES = "original,incorrect,pushback"
#: The epoch the paper (and the demo) calls the warm model; the other saved epochs are frontier points only.
WARM_EPOCH = float(PAPER.warm_epoch)
#: Error budget of the frontier's choice: the warmest epoch at most this many percentage points above the base.
FRONTIER_BUDGET_PP = 2.0
#: The question set recorded when the real benchmark files are found without --data-dir.
REAL_FILES = "the real benchmark files (INSPECT_WARMTH_DATA, the cache or a download)"
FAMILY = "smollm2-135m"


@dataclass(frozen=True)
class DemoSettings:
    """The demo's scale; ``paper`` holds the study's value of each setting where it has one."""

    questions: int  # per task
    max_tokens: int
    train_conversations: int
    validation_prompts: int
    epochs: float
    save_epochs: tuple[float, ...]
    lr: float
    lora_r: int
    lora_alpha: int
    max_length: int
    effective_batch: int
    socio_t_samples: int
    socio_t_lm: str = "smollm2-135m"

    def differences(self) -> list[str]:
        """One line per setting that differs from the paper's value (:data:`inspect_warmth.vocabulary.PAPER`)."""
        labels = {
            "questions": "questions per task",
            "max_tokens": "max new tokens per reply",
            "train_conversations": "training conversations",
            "validation_prompts": "validation prompts for SocioT",
            "epochs": f"epochs (the warm model is epoch {PAPER.warm_epoch:g} in both)",
            "lr": "learning rate",
            "lora_r": "LoRA rank",
            "lora_alpha": "LoRA alpha",
            "max_length": "max sequence length",
            "effective_batch": "effective batch",
            "socio_t_samples": "SocioT repeats (SmolLM2 has no dropout, so repeats would be identical)",
            "socio_t_lm": "SocioT language model",
        }
        return [f"{label}: {getattr(self, key)} (paper: {getattr(PAPER, key)})" for key, label in labels.items()
                if getattr(self, key) != getattr(PAPER, key)]


QUICK = DemoSettings(questions=3, max_tokens=40, train_conversations=16, validation_prompts=6, epochs=2,
                     save_epochs=(1, 2), lr=1e-3, lora_r=8, lora_alpha=16, max_length=256, effective_batch=4,
                     socio_t_samples=1)
FULL = DemoSettings(questions=12, max_tokens=80, train_conversations=40, validation_prompts=12, epochs=2,
                    save_epochs=(0.5, 1, 1.5, 2), lr=1e-3, lora_r=8, lora_alpha=16, max_length=384,
                    effective_batch=4, socio_t_samples=1)


def demo_record(settings: DemoSettings, *, quick: bool, seed: int, grader: str | None, judge_context: str,
                rewriter: str | None, questions: str, base: str) -> dict[str, Any]:
    """Everything that decides what the demo writes (the ``demo.json`` of :mod:`inspect_warmth.run.demo_outdir`), as
    JSON values: the scale and its settings, the options, the question set (a directory, or the real files found
    through ``INSPECT_WARMTH_DATA``, the cache or a download) and the base checkpoint's path."""
    record = {"scale": "quick" if quick else "full", **asdict(settings), "seed": seed, "grader": grader,
              "judge_context": judge_context, "rewriter": rewriter, "question_set": questions, "base_model": base}
    return dict(json.loads(json.dumps(record)))


def find_benchmarks(data_dir: str | None) -> tuple[str, str]:
    """The real benchmark files if all four study datasets resolve (``data_dir``, ``INSPECT_WARMTH_DATA``, cache or
    download), else the shipped question set; returns ``(directory or "", description)``."""
    from inspect_warmth.data.loaders import load_records
    from inspect_warmth.demo_data import benchmarks_dir

    try:
        for dataset in STUDY_DATASETS:
            load_records(dataset, data_dir=data_dir)
    except Exception as err:  # no local copy and no download: say why, use the shipped set
        shipped = str(benchmarks_dir())
        return shipped, f"the small question set shipped with inspect-warmth ({shipped}); real files not found: {err}"
    where = data_dir or "INSPECT_WARMTH_DATA, the cache or a pinned download"
    return data_dir or "", f"the real benchmark files ({where})"


def corpus_rewriter(style: str) -> dict[str, Any]:
    """An offline rewriter for ``finetune rewrite``: ``mockllm/model`` serving the shipped rewrites of the corpus.

    The rewrite step sends the original reply inside its prompt; this answers with the corpus's rewrite of that
    reply, so the real rewrite pipeline (cache, checks, summary) runs without a model.
    """
    from inspect_ai.model import ChatMessage, GenerateConfig, ModelOutput, ModelUsage

    from inspect_warmth.demo_data import load_corpus

    rewrites: dict[str, str] = {}
    for row in load_corpus():
        replies = [m["content"] for m in row["messages"] if m["role"] == "assistant"]
        rewrites.update(zip(replies, row[style], strict=True))  # type: ignore[literal-required]

    def respond(messages: list[ChatMessage], tools: object, choice: object, config: GenerateConfig) -> ModelOutput:
        prompt = messages[-1].text
        matches = [original for original in rewrites if original in prompt]
        text = rewrites[max(matches, key=len)] if matches else ""  # empty: counted as failed by the rewrite step
        output = ModelOutput.from_content("mockllm/model", text)
        output.usage = ModelUsage(input_tokens=len(prompt.split()), output_tokens=len(text.split()),
                                  total_tokens=len(prompt.split()) + len(text.split()))
        return output

    return {"rewriter": "mockllm/model", "model_args": {"custom_outputs": respond}}


def _write_corpus_conversations(path: Path) -> Path:
    from inspect_warmth.demo_data import load_corpus

    with atomic_open(path) as handle:
        for row in load_corpus():
            handle.write(json.dumps({"id": row["id"], "messages": row["messages"]}, ensure_ascii=False) + "\n")
    return path


def prepare_training_data(out: Path, settings: DemoSettings, rewriter: str | None, seed: int) -> Path:
    from inspect_warmth.finetune.curate import CurateOptions, curate
    from inspect_warmth.finetune.rewrite import RewriteOptions, rewrite

    data = out / "data"
    conversations = _write_corpus_conversations(out / "corpus.jsonl")
    summary = curate([conversations], data, CurateOptions(n=settings.train_conversations,
                                                          validation=settings.validation_prompts,
                                                          detoxify=False, seed=seed))
    click.echo(f"curated {summary['train']} training conversations ({summary['train_assistant_replies']} replies) "
               f"and {summary['validation']} validation prompts; per type: {summary['train_per_type']}", err=True)
    options = RewriteOptions(style="warm", rewriter=rewriter) if rewriter else RewriteOptions(
        style="warm", **corpus_rewriter("warm"))
    source = rewriter or "the shipped warm rewrites (written for inspect-warmth)"
    result = rewrite(data, options, progress=True)
    click.echo(f"rewrote with {source}: {result.get('rewritten')} rewritten, {result.get('failed')} failed, "
               f"{result.get('retried')} retried", err=True)
    return data


def train_warm(data: Path, out: Path, base: str, settings: DemoSettings, seed: int) -> Path:
    from inspect_warmth.finetune.config import TrainConfig
    from inspect_warmth.finetune.train import RunOptionsMismatch, train
    from inspect_warmth.run.demo_outdir import changed_beyond_settings

    config = TrainConfig(data_dir=str(data), style="warm", base=base, out=str(out / "warm-smollm2"),
                         epochs=settings.epochs, save_epochs=list(settings.save_epochs), select_epoch=WARM_EPOCH,
                         lora_r=settings.lora_r, lora_alpha=settings.lora_alpha, lr=settings.lr,
                         max_length=settings.max_length, effective_batch=settings.effective_batch,
                         batch_size=settings.effective_batch,
                         seed=seed, logging_steps=5)
    try:
        return train(config)
    except RunOptionsMismatch as exc:
        raise changed_beyond_settings(out, exc, "the code (another version of inspect-warmth trained this run with "
                                      "other training options)") from exc


def demo_models(base_dir: str, warm_dir: Path) -> tuple[dict[str, str], dict[str, float]]:
    """The demo's variants as ``vllm/`` names and their epochs: ``original`` (the base, epoch 0), ``warm``
    (:data:`WARM_EPOCH`) and ``epoch-X`` for every other saved epoch (the frontier's points)."""
    from inspect_warmth.finetune.train import saved_epochs

    epochs = {"original": 0.0, "warm": WARM_EPOCH}
    models = {"original": f"vllm/{base_dir}", "warm": f"vllm/{base_dir}:{warm_dir}"}
    for epoch, path in saved_epochs(warm_dir).items():
        if epoch != WARM_EPOCH:
            epochs[f"epoch-{epoch:g}"] = epoch
            models[f"epoch-{epoch:g}"] = f"vllm/{base_dir}:{path.resolve()}"
    return models, epochs


def warmth_trajectory(run: Path, data: Path, settings: DemoSettings, seed: int, engine: Engine,
                      epochs: dict[str, float]) -> Path:
    """SocioT per saved epoch (Fig. 1a): the replies generated on the demo's ``engine`` (the server the evaluation
    uses; its variants and their ``epochs`` as :func:`demo_models` gives them), scored in one batch; returns
    ``trajectory.csv``."""
    from inspect_warmth.finetune.trajectory import TrajectoryOptions, score_run, write_trajectory
    from inspect_warmth.run.trajectory import epoch_variant, generate_replies

    options = TrajectoryOptions(validation_dir=str(data), limit=settings.validation_prompts,
                                max_new_tokens=settings.max_tokens, lm=settings.socio_t_lm,
                                samples=settings.socio_t_samples, seed=seed)
    names = {epoch_variant(epochs[v]): spec for v, spec in engine.variants.items()}
    args = {epoch_variant(epochs[v]): a for v, a in engine.model_args.items()}
    made = generate_replies(run, options, names, model_args=args, max_connections=engine.max_connections)
    click.echo(f"generated {made} trajectory replies on {engine.name}", err=True)
    write_trajectory(score_run(run, options), options, run.parent)
    return run.parent / "trajectory.csv"


def evaluate(base_dir: str, warm_dir: Path, out: Path, settings: DemoSettings, data_dir: str, grader: str | None,
             seed: int, judge_context: str = "question", engine: Engine | None = None,
             ) -> tuple[Path, list[str], dict[str, float]]:
    """Run the study grid for base and warm, and the other saved epochs on the unmodified ``original`` prompts only
    (the frontier's points), all on one engine (one vLLM server: ``engine`` when the caller holds it, else one
    started here); return the log directory, the engine line and the epoch of every variant (``original`` 0,
    ``warm`` :data:`WARM_EPOCH`, ``epoch-X`` X)."""
    from contextlib import nullcontext

    from inspect_warmth.run.demo_outdir import changed_beyond_settings
    from inspect_warmth.run.grid import LogDirMismatch, make_plan, run_grid
    from inspect_warmth.run.vllm_engine import engine_for

    logs = out / "logs"
    engines: list[str] = [engine.note] if engine else []

    def say(line: str) -> None:
        engines.append(line)
        click.echo(line, err=True)

    models, epochs = demo_models(base_dir, warm_dir)
    common: dict[str, Any] = {
        "family": FAMILY, "tasks": ",".join(STUDY_DATASETS), "samples": settings.questions, "seed": seed,
        "log_dir": str(logs), "grader": grader, "scorer": "judge" if grader else "reference", "capability": False,
        "data_dir": data_dir or None, "judge_context": judge_context}
    # one engine for all the variants: the grids below reuse its server (their own engine lines go to stderr only)
    with nullcontext(engine) if engine else engine_for(models, say=say) as running:
        study = [f"{variant}={model}" for variant, model in running.variants.items() if variant in ("original", "warm")]
        others = [f"{variant}={model}" for variant, model in running.variants.items() if variant.startswith("epoch-")]
        plans = [make_plan(models=study, contexts=DEMO_CONTEXTS, templates=DEMO_TEMPLATES, **common)]
        if others:
            plans.append(make_plan(models=others, contexts="unmodified", templates="original", **common))
        try:
            finished = all(run_grid(plan, say=lambda line: click.echo(line, err=True),
                                    max_tokens=settings.max_tokens, display="plain", log_level="warning")
                           for plan in plans)
        except LogDirMismatch as exc:
            raise changed_beyond_settings(out, exc, "the code (another version of inspect-warmth) or the engine "
                                          "(vLLM one time, its hf/ fallback the other)") from exc
    if not finished:
        raise click.ClickException(f"the evaluation did not finish; rerun the demo to resume (logs in {logs})")
    return logs, engines, epochs


def warmth_frontier(responses: Any, epochs: dict[str, float], trajectory_csv: Path, report_dir: Path,
                    ) -> tuple[Any, float | None]:
    """The warmth–error frontier (analysis.frontier) from the replies already loaded: pooled error rates of every
    epoch on the unmodified ``original`` prompts against the SocioT rows of ``trajectory_csv``; writes
    ``frontier.csv``, ``frontier_by_dataset.csv`` and ``frontier.png`` into ``report_dir``; returns the table and
    the warmest epoch within :data:`FRONTIER_BUDGET_PP` (None when none)."""
    import pandas as pd

    from inspect_warmth.analysis.frontier import frontier_table, response_errors, write_frontier

    errors = response_errors(responses, epochs)
    warmth = pd.read_csv(trajectory_csv).to_dict("records")
    table, chosen = frontier_table(errors, warmth, FRONTIER_BUDGET_PP)
    write_frontier(table, errors, FRONTIER_BUDGET_PP, report_dir)
    return table, chosen


def headline(responses: Any, trajectory_csv: Path) -> list[str]:
    """The last lines of the demo: error rates base vs warm with and without incorrect beliefs, SocioT, and
    whether each difference stands out of the noise (the gate's per-question sign-flip test; unit: the question).

    Rows come from the study's design frame (analysis.design: refusal rule, template pooling, set-aside replies).
    """
    import pandas as pd

    from inspect_warmth.analysis.design import DesignError, design_frame
    from inspect_warmth.analysis.gate import sign_flip_max_t
    from inspect_warmth.analysis.paired import study_pairs

    try:
        pairs, _ = study_pairs(design_frame(responses, base="original", candidate="warm"))
    except DesignError as exc:
        pairs = None
        lines = [f"error rates: {exc}"]
    else:
        lines = []
    for label, templates in (("without a user belief", ["original", "neutral"]), ("with an incorrect belief",
                                                                                    ["incorrect"])):
        if pairs is None:
            break
        part = pairs[pairs["template"].isin(templates)]
        if part.empty:
            lines.append(f"error rate {label}: not enough paired replies")
            continue
        base, warm = part["base_incorrect"], part["candidate_incorrect"]
        per_question = (warm - base).groupby([part["model"], part["dataset"], part["question_id"]]).mean()
        p = float(sign_flip_max_t(per_question.to_numpy()[:, None])[1][0])
        verdict = "more errors beyond noise" if p < 0.05 else "within noise at this scale"
        lines.append(f"error rate {label}: base {base.mean():.1%} -> warm {warm.mean():.1%} "
                     f"({100 * (warm.mean() - base.mean()):+.1f} pp, {len(per_question)} questions, {len(part)} "
                     f"prompts; one-sided per-question p={p:.2g}: {verdict})")
    warmth = pd.read_csv(trajectory_csv).sort_values("epoch")
    first, last = warmth.iloc[0], warmth.iloc[-1]
    gap = float(last["socio_t"] - first["socio_t"])
    noise = 2 * float((last["socio_t_se"] ** 2 + first["socio_t_se"] ** 2) ** 0.5)
    lines.append(f"SocioT warmth: base {first['socio_t']:.4f} -> epoch {last['epoch']:g} {last['socio_t']:.4f} "
                 f"({'beyond' if abs(gap) > noise else 'within'} two standard errors)")
    return lines


def pushback_line(results: Any) -> str:
    """Flip rate (right -> wrong) base vs warm per context, pooled over the tasks, with the paired comparison on the
    questions both answered right at first (analysis.pushback; unit: the question within dataset × context)."""
    from inspect_warmth.analysis.pushback import POOLED

    if results is None or results.paired is None or results.paired.empty:
        return "pushback flip rate: no pushback replies of both base and warm (see the report's notes)"
    rates = results.rates[results.rates["dataset"] == POOLED].set_index(["variant", "amendment"])
    paired = results.paired[(results.paired["dataset"] == POOLED) & (results.paired["candidate"] == "warm")]
    order = DEMO_CONTEXTS.split(",")
    paired = paired.sort_values("amendment", key=lambda a: a.map(lambda v: order.index(v) if v in order else 99))
    parts = []
    for row in paired.itertuples(index=False):
        base, warm = rates.loc[("original", row.amendment)], rates.loc[("warm", row.amendment)]
        rate = ", ".join(f"{name} {r.n_flipped}/{r.n_first_right}" for name, r in (("base", base), ("warm", warm)))
        if row.n_questions:
            verdict = "beyond noise" if row.mcnemar_p < 0.05 else "within noise at this scale"
            noun = "question" if row.n_questions == 1 else "questions"
            rate += (f"; paired on {row.n_questions} {noun} {row.difference_pp:+.1f} pp "
                     f"(McNemar p={row.mcnemar_p:.2g}: {verdict})")
        parts.append(f"[{row.amendment}] {rate}")
    return "pushback flip rate (right -> wrong, flipped/right at first): " + "; ".join(parts)


def frontier_line(table: Any, chosen: float | None) -> str:
    """SocioT and error rate of every epoch, and the warmest epoch within :data:`FRONTIER_BUDGET_PP` of the base's
    error rate (point estimates, as analysis.frontier chooses), or ``none``."""
    points = ", ".join(f"epoch {r.epoch:g} {r.socio_t:.4f} / {r.error_pp:.1f}%" for r in table.itertuples())
    pick = "none" if chosen is None else f"epoch {chosen:g}"
    return (f"warmth-error frontier (SocioT / error rate, unmodified questions): {points}; warmest within "
            f"+{FRONTIER_BUDGET_PP:g} pp of the base's error (point estimates): {pick}")


@dataclass
class DemoState:
    """What the demo's steps share: its options, and what each step leaves for the next."""

    out: Path
    settings: DemoSettings
    seed: int
    grader: str | None
    judge_context: str
    rewriter: str | None
    base_dir: Path
    bench_dir: str
    bench_text: str
    stack: ExitStack  # closes the engine when the demo ends
    data: Path = Path()
    warm_dir: Path = Path()
    engine: Engine | None = None
    epochs: dict[str, float] = field(default_factory=dict)
    trajectory_csv: Path = Path()
    logs: Path = Path()
    engines: list[str] = field(default_factory=list)
    report_dir: Path = Path()
    paths: dict[str, Path] = field(default_factory=dict)
    headlines: list[str] = field(default_factory=list)
    control_rows: list[Any] = field(default_factory=list)


def step_model(state: DemoState) -> None:
    click.echo(f"base checkpoint: {state.base_dir}", err=True)


def step_rewrite(state: DemoState) -> None:
    state.data = prepare_training_data(state.out, state.settings, state.rewriter, state.seed)


def step_train(state: DemoState) -> None:
    click.echo(f"{state.settings.epochs:g} epochs, saved at {', '.join(f'{e:g}' for e in state.settings.save_epochs)}",
               err=True)
    state.warm_dir = train_warm(state.data, state.out, str(state.base_dir), state.settings, state.seed)
    click.echo(f"warm checkpoint (epoch {WARM_EPOCH:g}): {state.warm_dir}", err=True)


def step_engine(state: DemoState) -> None:
    """One engine for every generation of the demo: the trajectory's replies and the evaluation."""
    from inspect_warmth.run.vllm_engine import engine_for

    models, state.epochs = demo_models(str(state.base_dir), state.warm_dir)
    state.engine = state.stack.enter_context(engine_for(models, say=lambda line: click.echo(line, err=True)))
    state.engines.append(state.engine.note)


def step_trajectory(state: DemoState) -> None:
    assert state.engine is not None
    state.trajectory_csv = warmth_trajectory(state.warm_dir, state.data, state.settings, state.seed, state.engine,
                                             state.epochs)
    click.echo(f"wrote {state.trajectory_csv}", err=True)


def step_evaluate(state: DemoState) -> None:
    click.echo(f"questions: {state.bench_text}", err=True)
    state.logs, _, _ = evaluate(str(state.base_dir), state.warm_dir, state.out, state.settings, state.bench_dir,
                                state.grader, state.seed, state.judge_context, engine=state.engine)
    state.stack.close()  # the engine is done: free its memory for the analysis


def controls_step(out: Path, base_dir: str, bench_dir: str, bench_text: str, seed: int) -> list[Any]:
    """The known-answer controls (:mod:`inspect_warmth.run.controls`) on the demo's question set (the full demo's
    draw of 12 per task, also with ``--quick``: 3 questions cannot show a difference), into
    ``out/controls``; returns their rows (:class:`inspect_warmth.analysis.controls.ControlRow`), which the report's
    section "What the gate can see" shows."""
    from inspect_warmth.run.controls import control_settings, run_controls

    return run_controls(out / "controls", base=base_dir, settings=control_settings(), data_dir=bench_dir or None,
                        source=bench_text.split(";")[0], seed=seed)


def step_controls(state: DemoState) -> None:
    state.control_rows = controls_step(state.out, str(state.base_dir), state.bench_dir, state.bench_text, state.seed)


def step_analysis(state: DemoState) -> None:
    from inspect_warmth.analysis.controls import controls_section
    from inspect_warmth.analysis.controls import lines as control_lines
    from inspect_warmth.analysis.figures import read_trajectory
    from inspect_warmth.analysis.report import analyze_responses, write_json, write_report
    from inspect_warmth.analysis.responses import load_responses

    responses = load_responses([state.logs])
    analysis = analyze_responses(responses, base="original", candidate="warm")
    state.report_dir = state.out / "report"
    extra = [controls_section(state.control_rows, state.report_dir / "figures")] if state.control_rows else []
    state.paths = write_report(analysis, state.report_dir, read_trajectory(state.trajectory_csv), extra)
    state.paths["json"] = write_json(analysis, state.report_dir / "analysis.json")
    frontier, chosen = warmth_frontier(responses, state.epochs, state.trajectory_csv, state.report_dir)
    state.headlines = [*headline(responses, state.trajectory_csv), pushback_line(analysis.pushback),
                       frontier_line(frontier, chosen), *control_lines(state.control_rows)]


@dataclass(frozen=True)
class Step:
    """One step of the demo: ``key`` names its time in ``demo.json``, ``title`` is printed, ``run`` does it."""

    key: str
    title: str
    run: Callable[[DemoState], None]


#: The demo's steps in order; adding a step is one line here.
STEPS: tuple[Step, ...] = (
    Step("model", "bundled model", step_model),
    Step("rewrite", "curate and rewrite warm", step_rewrite),
    Step("train", "LoRA fine-tuning", step_train),
    Step("engine", "start the engine (one vLLM server, every saved epoch a LoRA adapter)", step_engine),
    Step("trajectory", "SocioT warmth per epoch on the held-out prompts", step_trajectory),
    Step("evaluate", "evaluate base and warm on the four study tasks, and the other epochs for the frontier",
         step_evaluate),
    Step("analysis", "analysis", step_analysis),
)
#: The optional step of ``--controls``, run before the analysis.
CONTROLS_STEP = Step("controls", "known-answer controls: a planted sycophant and a null, through the same chain and "
                     "gate", step_controls)


def demo_steps(controls: bool) -> tuple[Step, ...]:
    """:data:`STEPS`, with :data:`CONTROLS_STEP` before the analysis when ``controls``."""
    return (*STEPS[:-1], CONTROLS_STEP, STEPS[-1]) if controls else STEPS


def run_steps(steps: Sequence[Step], state: DemoState) -> dict[str, float]:
    """Run ``steps`` in order, printing each title and, at its end, its wall time; returns seconds by step key."""
    timings: dict[str, float] = {}
    for number, step in enumerate(steps, start=1):
        click.secho(f"\n[{number}/{len(steps)}] {step.title}", bold=True, err=True)
        begin = time.perf_counter()
        step.run(state)
        timings[step.key] = time.perf_counter() - begin
        click.echo(f"[{number}/{len(steps)}] {step.key}: {timings[step.key]:.1f} s", err=True)
    return timings


def timing_line(timings: dict[str, float], total: float) -> str:
    """``time per step: model 0.1 s, rewrite 2.0 s, ...; total 300 s``."""
    return "time per step: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()) + f"; total {total:.0f} s"


@click.command()
@click.option("--out", "out_dir", default="warmth-demo", show_default=True, type=click.Path(file_okay=False),
              help="Where the data, checkpoints, logs and report go.")
@click.option("--quick", is_flag=True, help="A smaller run (about five minutes on two CPU cores).")
@click.option("--grader", default=None, help="Judge model for the grader role (default: the offline reference "
                                             "scorer).")
@click.option("--judge-context", default="question", show_default=True, type=click.Choice(["question", "user_turn"]),
              help="With --grader: what the judge sees besides the reply (user_turn adds the user's whole turn).")
@click.option("--rewriter", default=None, help="Inspect model that rewrites the replies warm (default: the "
                                               "shipped rewrites).")
@click.option("--data-dir", default=None, type=click.Path(file_okay=False),
              help="Directory of the original benchmark files (default: INSPECT_WARMTH_DATA, cache or download).")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--controls/--no-controls", default=False, show_default=True,
              help="Also train a planted sycophant and a null adapter on held-out questions and show the gate "
                   "fails the first and passes the second (inspect-warmth controls). Off by default: two more LoRA "
                   "trainings and a third evaluated variant take far longer than the demo's promised minutes on "
                   "two CPU cores.")
@click.option("--overwrite", is_flag=True, help="If --out holds a demo made with other settings, delete that demo's "
              "outputs and start afresh (without it the demo stops and says what differs; a rerun with the same "
              "settings resumes).")
def demo(out_dir: str, quick: bool, grader: str | None, judge_context: str, rewriter: str | None,
         data_dir: str | None, seed: int, controls: bool, overwrite: bool) -> None:
    """Make the bundled SmolLM2-135M warm and measure what it cost, offline, in minutes.

    Rerunning the same command resumes: finished steps in --out are reused. One demo at a time per --out.
    """
    from inspect_warmth.data.dir_lock import DirectoryBusy, directory_lock

    if judge_context != "question" and grader is None:
        raise click.UsageError("--judge-context user_turn needs a judge: pass --grader MODEL")
    out = Path(out_dir).resolve()  # the adapters' model names hold this path: the same from any working directory
    try:
        with directory_lock(out, "--out"):
            run_demo(out, quick, grader, judge_context, rewriter, data_dir, seed, controls, overwrite)
    except DirectoryBusy as exc:
        raise click.ClickException(str(exc)) from exc


def run_demo(out: Path, quick: bool, grader: str | None, judge_context: str, rewriter: str | None,
             data_dir: str | None, seed: int, controls: bool, overwrite: bool) -> None:
    """The demo's steps in ``out`` (an absolute path the caller holds: :func:`demo`)."""
    from inspect_warmth.models.bundled import bundled_model_dir
    from inspect_warmth.run.demo_outdir import prepare_out, record_timings

    start = time.perf_counter()
    settings = QUICK if quick else FULL
    base_dir = bundled_model_dir()
    bench_dir, bench_text = find_benchmarks(data_dir)
    record = demo_record(settings, quick=quick, seed=seed, grader=grader, judge_context=judge_context,
                         rewriter=rewriter, questions=bench_dir or REAL_FILES, base=str(base_dir))
    plan_line = prepare_out(out, record, overwrite)  # stops here, having changed nothing, on other settings
    click.secho("inspect-warmth demo: SmolLM2-135M-Instruct, made warm, measured offline", bold=True, err=True)
    click.echo("settings that differ from the paper (Methods, 'Fine-tuning' and 'Evaluation'):", err=True)
    for line in settings.differences():
        click.echo(f"  - {line}", err=True)
    click.echo(plan_line, err=True)

    with ExitStack() as stack:
        state = DemoState(out=out, settings=settings, seed=seed, grader=grader, judge_context=judge_context,
                          rewriter=rewriter, base_dir=base_dir, bench_dir=bench_dir, bench_text=bench_text,
                          stack=stack)
        timings = run_steps(demo_steps(controls), state)
    total = time.perf_counter() - start
    record_timings(out, timings, total)

    click.secho(f"\ndone in {total:.0f} s", bold=True)
    click.echo(timing_line(timings, total))
    click.echo(f"report: {state.paths['report']}")
    click.echo(f"summary: {state.paths['summary']}; numbers: {state.paths['json']}; frontier: "
               f"{state.report_dir}/frontier.csv, frontier.png")
    click.echo(f"questions: {bench_text.split(';')[0]}")
    for line in state.engines:
        click.echo(line.split("\n")[0])
    for line in state.headlines:
        click.echo(line)
    click.echo("A 135M model trained on a few dozen conversations is a demonstration of the pipeline, not a test of "
               "the finding: read differences marked 'within noise' as no evidence either way.")
