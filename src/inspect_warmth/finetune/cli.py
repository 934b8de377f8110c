"""``inspect-warmth finetune``: curate -> rewrite -> train -> trajectory, one resumable command per step.

``trajectory`` generates on the engine, so it lives with the commands that generate
(:func:`inspect_warmth.run.cli.trajectory`) and joins this group in :mod:`inspect_warmth.cli`.

Thin: each command parses its options and calls the library function of its step. Heavy imports stay inside.
``train`` hands its arguments to transformers' ``HfArgumentParser`` over
:class:`~inspect_warmth.finetune.config.TrainConfig` (:func:`~inspect_warmth.finetune.config.parse_train_args`):
the options, their help and the paper's defaults are the dataclass's fields, and ``--config FILE.yaml`` reads them
from a file.
Evaluate a model fine-tuned through the OpenAI API (out of scope here) directly:
``inspect eval inspect_warmth/triviaqa --model openai/ft:gpt-4o-2024-08-06:ORG::ID``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click


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
@click.option("--max-tokens", type=int, default=4096, show_default=True)
@click.option("--temperature", type=float, default=None)
@click.option("-M", "model_args", multiple=True, help="Model argument KEY=VALUE (YAML value); repeatable.")
def rewrite(data_dir: Path, style: str, rewriter: str, max_connections: int, retries: int, max_tokens: int,
            temperature: float | None, model_args: tuple[str, ...]) -> None:
    """Rewrite every assistant turn of DATA_DIR/train.jsonl in STYLE (resumable; cached as it goes)."""
    from inspect_warmth.finetune.rewrite import RewriteOptions
    from inspect_warmth.finetune.rewrite import rewrite as run

    options = RewriteOptions(style=style, rewriter=rewriter, max_connections=max_connections, retries=retries,
                             max_tokens=max_tokens, temperature=temperature, model_args=_key_values(model_args))
    try:
        summary = run(data_dir, options)
    except (FileNotFoundError, ValueError) as err:
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
        out = run(config)
    except (ValueError, TypeError, FileNotFoundError) as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"selected epoch {config.select_epoch:g} at {out}; every epoch under {out}/checkpoints")
    click.echo(f"evaluate: inspect eval inspect_warmth/triviaqa --model hf/{out}")


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
