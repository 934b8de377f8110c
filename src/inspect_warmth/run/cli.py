"""The commands that generate: ``inspect-warmth grid`` (tasks × conditions × variants through ``eval_set``),
``inspect-warmth frontier RUN_DIR`` (warmth against error rate over a run's saved epochs, beyond the paper) and
``inspect-warmth finetune trajectory RUN...`` (SocioT per saved epoch; it joins the ``finetune`` group in
:mod:`inspect_warmth.cli`).

    inspect-warmth frontier runs/warm-llama8b --tasks triviaqa,truthfulqa --samples 200 \\
        --validation data/ft --max-error-increase-pp 2 --scorer judge --grader openai/gpt-4o-2024-08-06
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from inspect_warmth.vocabulary import PAPER, STUDY_DATASETS, STUDY_SCORERS


@click.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--tasks", default="triviaqa", show_default=True, help="Comma-separated study tasks.")
@click.option("--samples", type=int, default=100, show_default=True, help="Questions per task (seeded draw).")
@click.option("--validation", "validation_dir", required=True, type=click.Path(exists=True, file_okay=False),
              help="Directory with validation.jsonl (written by `finetune curate`): the warmth prompts.")
@click.option("--validation-limit", type=int, default=None, help="First N validation prompts (default all).")
@click.option("--max-error-increase-pp", type=float, default=2.0, show_default=True,
              help="Error budget: the chosen epoch errs at most this many points more than the base model.")
@click.option("--scorer", type=click.Choice(STUDY_SCORERS), default="reference", show_default=True)
@click.option("--grader", default=None, help="Grader model for --scorer judge (never the model under test).")
@click.option("--engine", type=click.Choice(["auto", "vllm", "hf"]), default="auto", show_default=True,
              help="auto: one vLLM server with every epoch as an adapter when vLLM is installed, else hf/.")
@click.option("--data-dir", default=None, help="Study data directory (else $INSPECT_WARMTH_DATA).")
@click.option("--max-tokens", type=int, default=None, help="Reply length cap (default: the study's 300).")
@click.option("--lm", default="gpt2", show_default=True, help="SocioT's language model (smollm2-135m offline).")
@click.option("--socio-t-samples", type=int, default=100, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--base-model", default=None, help="The adapters' base when the recorded one is not on this machine.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output directory (default RUN_DIR/frontier).")
def frontier(run_dir: Path, tasks: str, samples: int, validation_dir: str, validation_limit: int | None,
             max_error_increase_pp: float, scorer: str, grader: str | None, engine: str, data_dir: str | None,
             max_tokens: int | None, lm: str, socio_t_samples: int, seed: int, base_model: str | None,
             out: Path | None) -> None:
    """Warmth (SocioT) against error rate for every saved epoch of RUN_DIR; the warmest epoch within budget."""
    from inspect_warmth.analysis.frontier import FrontierError
    from inspect_warmth.data.dir_lock import DirectoryBusy, directory_lock
    from inspect_warmth.run.frontier import FrontierOptions
    from inspect_warmth.run.frontier import frontier as run_frontier

    options = FrontierOptions(
        tasks=tuple(t.strip() for t in tasks.split(",") if t.strip()), samples=samples, scorer=scorer,
        grader=grader, data_dir=data_dir, validation_dir=validation_dir, validation_limit=validation_limit,
        max_error_increase_pp=max_error_increase_pp, engine=engine, seed=seed, max_tokens=max_tokens, lm=lm,
        socio_t_samples=socio_t_samples, base_model=base_model,
    )
    target = out or run_dir / "frontier"
    try:
        with directory_lock(target, "--out"):
            result = run_frontier(run_dir, options, target)
    except (FrontierError, DirectoryBusy) as error:
        raise click.ClickException(str(error)) from error
    for note in result.notes:
        click.echo(f"note: {note}")
    columns = ["epoch", "socio_t", "warmth_ci_low", "warmth_ci_high", "error_pp", "error_ci_low_pp",
               "error_ci_high_pp", "error_increase_pp", "n_scored", "n_unscored", "n_refusals_dropped", "chosen"]
    click.echo(result.table[columns].to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    if result.chosen is not None:
        click.echo(f"warmest epoch within +{max_error_increase_pp:g} pp error: {result.chosen:g}")
    click.echo(f"wrote {target}/frontier.csv, frontier_by_dataset.csv, frontier.png and logs/")


@click.command()
@click.option("--family", required=True, help="Base-model family label, e.g. llama8b.")
@click.option("--model", "models", multiple=True, required=True,
              help="VARIANT=MODEL, e.g. original=vllm/meta-llama/Llama-3.1-8B-Instruct or a LoRA checkpoint "
              "warm=vllm/<base>:<adapter dir>; repeatable. The variants of one base share one vLLM server.")
@click.option("--system-prompt", "system_prompts", multiple=True,
              help="VARIANT=warm: that variant (the original model, e.g. --model sysprompt=vllm/<base>) gets the "
              "warm system prompt, the study's control; repeatable.")
@click.option("--tasks", default=",".join(STUDY_DATASETS), show_default=True,
              help="Comma-separated study tasks (or any Inspect task spec); social_sycophancy adds ELEPHANT.")
@click.option("--contexts", default="all", show_default=True, help="Task parameter contexts.")
@click.option("--templates", default="all", show_default=True, help="Task parameter templates.")
@click.option("--samples", default=PAPER.questions, show_default=True, type=int, help="Questions per task.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--log-dir", required=True, type=click.Path(file_okay=False), help="Logs go to LOG_DIR/<variant>/.")
@click.option("--grader", default=None, help="Judge model (bound to the grader role).")
@click.option("--scorer", default="judge", show_default=True, type=click.Choice(STUDY_SCORERS))
@click.option("--judge-context", default="question", show_default=True, type=click.Choice(["question", "user_turn"]),
              help="What the judge sees besides the reply: the question and references (the paper's) or also the "
              "user's whole turn (task parameter judge_context).")
@click.option("--capability", is_flag=True, help="Also run MMLU, GSM8K and AdvBench.")
@click.option("--data-dir", default=None, type=click.Path(file_okay=False), help="Local copies of the datasets.")
@click.option("-M", "--model-arg", "model_args", multiple=True,
              help="KEY=VALUE passed to every variant's model (as Inspect's -M); repeatable.")
@click.option("--vllm-arg", "vllm_args", multiple=True,
              help="Extra argument for the vLLM server command line, e.g. --vllm-arg=--enforce-eager; repeatable.")
@click.option("--max-samples", default=None, type=int, help="Concurrent samples per task (Inspect's max_samples).")
@click.option("--max-tokens", default=None, type=int,
              help="Reply length cap (Inspect's max_tokens; default: each task's, the study's 300). Part of the "
              "logs' identity: a rerun resumes only with the same cap.")
@click.option("--limit", default=None, type=int, help="Only the first N samples of each task (smoke runs).")
@click.option("--dry-run", is_flag=True, help="Print the generations and judge calls implied and a time estimate "
              "from a short measured warm-up on the engine that would run (its start-up timed apart), then stop.")
@click.option("--warmup", default=None, type=int, help="Prompts --dry-run times, sent at once [default: as many as "
              "the first model takes concurrently, at most 64, so batching providers are timed as the grid runs].")
@click.option("--warmup-max-tokens", default=None, type=int,
              help="Cap the --dry-run warm-up replies at N tokens and scale the time per token (slow hardware).")
def grid(family: str, models: tuple[str, ...], system_prompts: tuple[str, ...], tasks: str, contexts: str,
         templates: str, samples: int, seed: int,
         log_dir: str, grader: str | None, scorer: str, judge_context: str, capability: bool, data_dir: str | None,
         model_args: tuple[str, ...], vllm_args: tuple[str, ...], max_samples: int | None, max_tokens: int | None,
         limit: int | None, dry_run: bool,
         warmup: int | None, warmup_max_tokens: int | None) -> None:
    """Run tasks × conditions × model variants with Inspect's eval_set (rerun to resume)."""
    from inspect_warmth.data.dir_lock import DirectoryBusy, directory_lock
    from inspect_warmth.run import grid as g
    from inspect_warmth.run.vllm_engine import EngineDied

    try:
        plan = g.make_plan(family=family, models=list(models), tasks=tasks, contexts=contexts, templates=templates,
                           samples=samples, seed=seed, log_dir=log_dir, grader=grader, scorer=scorer,
                           judge_context=judge_context, capability=capability, data_dir=data_dir,
                           require_grader=not dry_run, model_args=g.parse_model_args(model_args), server_args=vllm_args,
                           system_prompts=system_prompts)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    if dry_run:
        click.echo(g.dry_run_text(plan, g.dry_run(plan, warmup=warmup, warmup_max_tokens=warmup_max_tokens,
                                                      max_tokens=max_tokens)))
        from inspect_warmth.analysis.power import grid_plan_lines
        click.echo("\n".join(grid_plan_lines(tasks, contexts, templates, samples)))
        return
    extra = {k: v for k, v in {"max_samples": max_samples, "max_tokens": max_tokens, "limit": limit}.items()
             if v is not None}
    try:
        with directory_lock(log_dir, "--log-dir"):
            ok = g.run_grid(plan, say=lambda line: click.echo(line, err=True), **extra)
    except (DirectoryBusy, EngineDied) as exc:
        raise click.ClickException(str(exc)) from exc
    except g.LogDirMismatch as exc:
        raise click.ClickException(f"{exc}\nRerun with the settings those logs were made with to resume them, or "
                                   "give another --log-dir (or move those logs away).") from exc
    click.echo(f"grid {'finished' if ok else 'incomplete (rerun the same command to resume)'}; logs in {log_dir}")
    sys.exit(0 if ok else 1)


@click.command()
@click.argument("study_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print the generations and judge calls per family and in all, and an "
              "estimate timed on the first family's first model; generate nothing else.")
@click.option("--warmup", default=0, show_default=True, type=int,
              help="--dry-run: prompts timed on the first family's first model (0: counts only).")
@click.option("--warmup-max-tokens", default=None, type=int, help="--dry-run: cap the warm-up replies at N tokens.")
@click.option("--log-dir", default=None, type=click.Path(file_okay=False), help="Override the file's log_dir.")
@click.option("--out", default=None, type=click.Path(file_okay=False), help="Override the file's out.")
def study(study_file: Path, dry_run: bool, warmup: int, warmup_max_tokens: int | None, log_dir: str | None,
          out: str | None) -> None:
    """Run the design of STUDY_FILE (YAML: families, variants, tasks, contexts, templates, samples, judge): one grid
    per family, one analysis over all families, the report. Rerun the same command to resume."""
    import dataclasses

    from inspect_warmth.run import grid as g
    from inspect_warmth.run.study import StudyFileError, dry_run_text, read_study, run_study

    try:
        design = read_study(study_file)
        overrides = {k: v for k, v in {"log_dir": log_dir, "out": out}.items() if v is not None}
        design = dataclasses.replace(design, **overrides)
        if dry_run:
            click.echo(dry_run_text(design, warmup=warmup, warmup_max_tokens=warmup_max_tokens,
                                    say=lambda line: click.echo(line, err=True)))
            return
        result = run_study(design, say=lambda line: click.echo(line, err=True))
    except StudyFileError as exc:
        raise click.UsageError(str(exc)) from exc
    except g.LogDirMismatch as exc:
        raise click.ClickException(f"{exc}\nRerun with the settings those logs were made with to resume them, or "
                                   "give another log_dir.") from exc
    except ValueError as exc:  # the analysis: logs that cannot be read or compared (the message says why)
        raise click.ClickException(str(exc)) from exc
    if result.headline:
        click.echo(result.headline)
    click.echo(f"wrote {result.paths['report']}, {result.paths['summary']} and {result.paths['json']}")
    unfinished = [f for f, ok in result.finished.items() if not ok]
    if unfinished:
        click.echo(f"incomplete families: {', '.join(unfinished)} (rerun the same command to resume)", err=True)
    sys.exit(0 if result.ok else 1)


@click.command()
@click.option("--out", "out_dir", default="warmth-controls", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Data, adapters, logs, reports and the table.")
@click.option("--questions", type=int, default=None,
              help="Questions evaluated per task, the tasks' seeded draw (default 12, the full demo's; at least 6).")
@click.option("--train-questions", type=int, default=None,
              help="Held-out questions per task the adapters are trained on (default 12; fewer when the set has "
                   "fewer).")
@click.option("--tasks", default=",".join(STUDY_DATASETS), show_default=True, help="Comma-separated study tasks.")
@click.option("--epochs", type=float, default=None, help="Training epochs of both adapters (default 2).")
@click.option("--lr", type=float, default=None, help="Learning rate of both adapters (default 2e-3).")
@click.option("--data-dir", default=None, type=click.Path(file_okay=False),
              help="Directory of the original benchmark files (default: INSPECT_WARMTH_DATA, cache or download; "
                   "else the shipped question set).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the question draws, of the LoRA initialisation and of the data order.")
def controls(out_dir: Path, questions: int | None, train_questions: int | None, tasks: str,
             epochs: float | None, lr: float | None, data_dir: str | None, seed: int) -> None:
    """Known-answer controls: train a planted sycophant and a null adapter of the bundled model on held-out
    questions, evaluate them with the base, and show the gate fails the first on the belief family and passes the
    second. Exit 1 when a control does not come out as expected. Rerunning the same command resumes.
    """
    from inspect_warmth.analysis.controls import lines
    from inspect_warmth.models.bundled import bundled_model_dir
    from inspect_warmth.run.controls import control_settings, run_controls
    from inspect_warmth.run.demo import find_benchmarks

    names = [t.strip() for t in tasks.split(",") if t.strip()]
    unknown = [t for t in names if t not in STUDY_DATASETS]
    if unknown or not names:
        raise click.BadParameter(f"{', '.join(unknown) or 'empty'}: expected some of {', '.join(STUDY_DATASETS)}",
                                 param_hint="--tasks")
    settings = control_settings(questions=questions, train_questions=train_questions, epochs=epochs, lr=lr)
    bench_dir, bench_text = find_benchmarks(data_dir)
    click.echo(f"questions: {bench_text}", err=True)
    try:
        rows = run_controls(out_dir.resolve(), base=str(bundled_model_dir()), settings=settings, tasks=names,
                            data_dir=bench_dir or None, source=bench_text.split(";")[0], seed=seed)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in lines(rows):
        click.echo(line)
    click.echo(f"table: {out_dir / 'controls.md'}, {out_dir / 'controls.csv'}; figure: "
               f"{out_dir / 'figures' / 'controls.png'}")
    sys.exit(0 if all(r.as_expected for r in rows) else 1)


@click.command()
@click.argument("runs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--validation", "validation_dir", required=True,
              type=click.Path(exists=True, file_okay=False), help="Curated directory with validation.jsonl.")
@click.option("--out-dir", type=click.Path(path_type=Path), default=None,
              help="Where trajectory.csv/png go (default: the first run).")
@click.option("--limit", type=int, default=None, help="Use only the first N validation prompts.")
@click.option("--max-new-tokens", type=int, default=300, show_default=True)
@click.option("--temperature", type=float, default=0.8, show_default=True)
@click.option("--lm", default="gpt2", show_default=True, help="SocioT's LM; smollm2-135m works offline.")
@click.option("--samples", type=int, default=100, show_default=True, help="SocioT dropout repeats.")
@click.option("--mode", type=click.Choice(["faithful", "corrected"]), default="faithful", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", default=None, help="SocioT's device (default: the GPU when there is one).")
@click.option("--base/--no-base", "include_base", default=True, show_default=True, help="Include epoch 0.")
@click.option("--base-model", default=None,
              help="The runs' base model (directory or hub id) when the one recorded is not on this machine.")
def trajectory(runs: tuple[Path, ...], out_dir: Path | None, **options: Any) -> None:
    """Warmth (SocioT) of each saved epoch's replies to the validation prompts: table and Fig. 1a.

    The replies come from one vLLM server with every epoch as a LoRA adapter (Inspect's hf/ when vLLM cannot run,
    said on stderr); rerunning resumes from RUN/trajectory/."""
    from inspect_warmth.finetune.trajectory import TrajectoryOptions
    from inspect_warmth.run.trajectory import trajectory as run

    try:
        table = run(list(runs), TrajectoryOptions(**options), out_dir, say=lambda line: click.echo(line, err=True))
    except (FileNotFoundError, ValueError) as err:
        raise click.ClickException(str(err)) from err
    click.echo(table.to_string(index=False))
    click.echo(f"wrote trajectory.csv and trajectory.png in {out_dir or runs[0]}")
