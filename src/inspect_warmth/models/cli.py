"""``inspect-warmth model``: prepare the bundled model and print where it lives."""

from __future__ import annotations

import click

from inspect_warmth.models.bundled import BUNDLED_NAME, bundled_model_dir


@click.command()
@click.option("--refresh", is_flag=True, help="Convert the GGUF file again even if a checkpoint exists.")
def model(refresh: bool) -> None:
    """Convert the bundled SmolLM2-135M-Instruct to a transformers checkpoint and print its directory.

    Use it as ``--model vllm/$(inspect-warmth model)`` (``hf/…`` where vLLM cannot run) or
    ``finetune train --base smollm2-135m``.
    """
    path = bundled_model_dir(refresh=refresh)
    click.echo(str(path))
    click.echo(f"({BUNDLED_NAME}: use --model vllm/{path}, or hf/{path} where vLLM cannot run)", err=True)
