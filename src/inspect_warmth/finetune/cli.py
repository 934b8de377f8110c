"""``inspect-warmth finetune``: curate -> rewrite -> train -> trajectory, one resumable command per step.

``trajectory`` generates on the engine, so it lives with the commands that generate
(:func:`inspect_warmth.run.cli.trajectory`) and joins this group in :mod:`inspect_warmth.cli`.

Thin: each command parses its options and calls the library function of its step. Heavy imports stay inside.
``train`` hands its arguments to transformers' ``HfArgumentParser`` over
:class:`~inspect_warmth.finetune.config.TrainConfig` (:func:`~inspect_warmth.finetune.config.parse_train_args`):
the options, their help and the paper's defaults are the dataclass's fields, and ``--config FILE.yaml`` reads them
from a file.
``openai`` makes the same persona through the OpenAI fine-tuning API (the study's GPT-4o); ``grid --model
warm=RUN`` and ``frontier RUN`` evaluate it.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

import click

from inspect_warmth.data.dir_lock import DirectoryBusy, directory_lock
from inspect_warmth.vocabulary import PAPER


@click.group()
def finetune() -> None:
    """Fine-tune a model to be warm (or cold): curate, rewrite, train, trajectory (Ibrahim et al. 2026, Methods,
    'Fine-tuning')."""


@finetune.command()
@click.option("--conversations", "sources", multiple=True, required=True,
              help="Conversation file (.json/.jsonl[.gz]), directory, saved HF dataset or hub id; repeatable.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Directory for the split.")
@click.option("--n", type=int, default=1617, show_default=True, help="Training conversations.")
@click.option("--validation", type=int, default=1500, show_default=True, help="Held-out validation prompts.")
@click.option("--max-turns", type=int, default=20, show_default=True, help="Messages kept per conversation.")
@click.option("--detoxify/--no-detoxify", default=True, show_default=True,
              help="Drop NSFW conversations with Detoxify (skipped with a note when not installed).")
@click.option("--toxicity-threshold", type=float, default=0.5, show_default=True,
              help="Drop when max(toxicity, severe_toxicity, obscene, sexual_explicit) reaches this.")
@click.option("--split", default="train", show_default=True, help="Split of an HF dataset.")
@click.option("--seed", type=int, default=0, show_default=True)
def curate(sources: tuple[str, ...], out: Path, n: int, validation: int, max_turns: int, detoxify: bool,
           toxicity_threshold: float, split: str, seed: int) -> None:
    """Filter, label, balance and split conversations into OUT (train.jsonl, validation.jsonl, summary.json)."""
    from inspect_warmth.finetune.conversations import ConversationFormatError
    from inspect_warmth.finetune.curate import CurateOptions
    from inspect_warmth.finetune.curate import curate as run

    options = CurateOptions(n=n, validation=validation, max_turns=max_turns, detoxify=detoxify,
                            toxicity_threshold=toxicity_threshold, seed=seed, split=split)
    try:
        summary = run(list(sources), out, options)
    except (ConversationFormatError, FileNotFoundError, ValueError) as err:
        raise click.ClickException(str(err)) from err
    _echo_summary(summary, ("read", "dropped", "truncated_to_max_turns", "train", "train_per_type",
                            "train_assistant_replies", "validation", "validation_per_type", "notes"))
    click.echo(f"wrote {out}")


@finetune.command()
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--style", type=click.Choice(["warm", "cold"]), required=True)
@click.option("--rewriter", required=True, help="Any Inspect model, e.g. openai/gpt-4o-2024-08-06.")
@click.option("--max-connections", type=int, default=10, show_default=True)
@click.option("--retries", type=int, default=3, show_default=True, help="Retries of a failed/empty/cut rewrite.")
@click.option("--max-retries", type=int, default=5, show_default=True,
              help="Inspect's retries of one API call (429, 5xx, timeouts; with backoff) before it counts as failed.")
@click.option("--attempt-timeout", type=int, default=180, show_default=True, help="Seconds one API call may take.")
@click.option("--max-tokens", type=int, default=4096, show_default=True)
@click.option("--temperature", type=float, default=None)
@click.option("-M", "model_args", multiple=True, help="Model argument KEY=VALUE (YAML value); repeatable.")
def rewrite(data_dir: Path, style: str, rewriter: str, max_connections: int, retries: int, max_retries: int,
            attempt_timeout: int, max_tokens: int,
            temperature: float | None, model_args: tuple[str, ...]) -> None:
    """Rewrite every assistant turn of DATA_DIR/train.jsonl in STYLE (resumable; cached as it goes)."""
    from inspect_warmth.finetune.rewrite import RewriteOptions
    from inspect_warmth.finetune.rewrite import rewrite as run

    options = RewriteOptions(style=style, rewriter=rewriter, max_connections=max_connections, retries=retries,
                             max_retries=max_retries, attempt_timeout=attempt_timeout,
                             max_tokens=max_tokens, temperature=temperature, model_args=_key_values(model_args))
    try:
        with directory_lock(data_dir, "DATA_DIR"):
            summary = run(data_dir, options)
    except (FileNotFoundError, ValueError, DirectoryBusy) as err:
        raise click.ClickException(str(err)) from err
    _echo_summary(summary, ("turns", "rewritten", "from_cache", "retried", "failed", "model_calls_this_run",
                            "problems", "rows", "rows_written", "rows_dropped_for_failed_turns"))
    if summary["failed"]:
        click.echo(f"{summary['failed']} turns failed; rerun to retry them (see rewrite.{style}.summary.json)")


@finetune.command(add_help_option=False,
                  context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def train(ctx: click.Context, arguments: tuple[str, ...]) -> None:
    """LoRA fine-tuning with TRL's SFTTrainer; paper defaults; resumes when rerun (--help lists the options)."""
    import logging

    from inspect_warmth.finetune.config import parse_train_args
    from inspect_warmth.finetune.train import train as run

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        config = parse_train_args(arguments, prog=ctx.command_path)
        # one lock per run: under `accelerate launch` the first process holds it for all of them
        first_process = int(os.environ.get("RANK", "0")) == 0
        with directory_lock(config.out, "--out") if first_process else contextlib.nullcontext():
            out = run(config)
    except (ValueError, TypeError, FileNotFoundError, DirectoryBusy) as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"selected epoch {config.select_epoch:g} at {out}; every epoch under {out}/checkpoints")
    click.echo(f"evaluate: inspect eval inspect_warmth/triviaqa --model hf/{out}")


@finetune.command("openai")
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--style", type=click.Choice(["warm", "cold"]), required=True)
@click.option("--base", default="gpt-4o-2024-08-06", show_default=True, help="The API's base model.")
@click.option("--out", "run", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Run directory: the exported JSONL and inspect_warmth.json (job, file, models by epoch).")
@click.option("--epochs", type=int, default=int(PAPER.warm_epoch), show_default=True,
              help="n_epochs; the API keeps only the last epochs' checkpoints, so 2 gives the study's epoch-2 model.")
@click.option("--lr-multiplier", type=float, default=None,
              help="learning_rate_multiplier; default the paper's: 0.25 warm, 0.1 cold.")
@click.option("--batch-size", type=int, default=None, help="batch_size; default: the API chooses.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--suffix", default=None, help="Suffix of the fine-tuned model's name.")
@click.option("--tokenizer", default=None,
              help="Hugging Face tokenizer directory to count tokens offline (an estimate; default: tiktoken).")
@click.option("--max-example-tokens", type=int, default=None, help="Token limit of one example (default: the "
              "model's, known for the GPT-4o, GPT-4.1 and GPT-3.5 fine-tunable snapshots).")
@click.option("--dry-run", is_flag=True, help="Export and check, print examples and billed tokens, send nothing.")
@click.option("--poll-seconds", type=float, default=30.0, show_default=True, help="Seconds between job polls.")
@click.option("--max-retries", type=int, default=8, show_default=True,
              help="Retries of a rate-limited (429) or failed (5xx) request, with the client's backoff.")
def openai_job(data_dir: Path, style: str, base: str, run: Path, epochs: int, lr_multiplier: float | None,
               batch_size: int | None, seed: int, suffix: str | None, tokenizer: str | None,
               max_example_tokens: int | None, dry_run: bool, poll_seconds: float, max_retries: int) -> None:
    """Fine-tune an OpenAI model on DATA_DIR/train.<STYLE>.jsonl through the fine-tuning API (OPENAI_API_KEY,
    OPENAI_BASE_URL); a rerun attaches to the job it created."""
    import openai

    from inspect_warmth.finetune.openai_job import JobFailed, OpenAIJobOptions, run_job

    options = OpenAIJobOptions(style=style, base=base, epochs=epochs, lr_multiplier=lr_multiplier,
                               batch_size=batch_size, seed=seed, suffix=suffix)
    try:
        client = None if dry_run else openai.OpenAI(max_retries=max_retries)
        record = run_job(data_dir, run, options, client, say=click.echo, tokenizer=tokenizer,
                         max_example_tokens=max_example_tokens, dry_run=dry_run, poll_seconds=poll_seconds)
    except JobFailed as err:
        raise click.ClickException(f"{err}; its record is {run}/inspect_warmth.json (use another --out to "
                                   "start a new job)") from err
    except (openai.OpenAIError, ValueError, FileNotFoundError) as err:
        raise click.ClickException(str(err)) from err
    if record:
        click.echo(f"evaluate: inspect-warmth grid --model warm={run} ... or inspect eval ... "
                   f"--model openai/{record['fine_tuned_model']}")


def _key_values(pairs: tuple[str, ...]) -> dict[str, Any]:
    import yaml

    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r}: expected KEY=VALUE", param_hint="-M")
        values[key] = yaml.safe_load(value)
    return values


def _echo_summary(summary: dict[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        value = summary.get(key)
        click.echo(f"{key}: {json.dumps(value) if isinstance(value, dict | list) else value}")
