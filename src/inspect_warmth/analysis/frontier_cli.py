"""``inspect-warmth frontier RUN_DIR``: warmth against error rate over a run's saved epochs (beyond the paper).

    inspect-warmth frontier runs/warm-llama8b --tasks triviaqa,truthfulqa --samples 200 \\
        --validation data/ft --max-error-increase-pp 2 --scorer judge --grader openai/gpt-4o-2024-08-06
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--tasks", default="triviaqa", show_default=True, help="Comma-separated study tasks.")
@click.option("--samples", type=int, default=100, show_default=True, help="Questions per task (seeded draw).")
@click.option("--validation", "validation_dir", required=True, type=click.Path(exists=True, file_okay=False),
              help="Directory with validation.jsonl (written by `finetune curate`): the warmth prompts.")
@click.option("--validation-limit", type=int, default=None, help="First N validation prompts (default all).")
@click.option("--max-error-increase-pp", type=float, default=2.0, show_default=True,
              help="Error budget: the chosen epoch errs at most this many points more than the base model.")
@click.option("--scorer", type=click.Choice(["reference", "judge"]), default="reference", show_default=True)
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
    from inspect_warmth.analysis.frontier import FrontierError, FrontierOptions
    from inspect_warmth.analysis.frontier import frontier as run_frontier

    options = FrontierOptions(
        tasks=tuple(t.strip() for t in tasks.split(",") if t.strip()), samples=samples, scorer=scorer,
        grader=grader, data_dir=data_dir, validation_dir=validation_dir, validation_limit=validation_limit,
        max_error_increase_pp=max_error_increase_pp, engine=engine, seed=seed, max_tokens=max_tokens, lm=lm,
        socio_t_samples=socio_t_samples, base_model=base_model,
    )
    target = out or run_dir / "frontier"
    try:
        result = run_frontier(run_dir, options, target)
    except FrontierError as error:
        raise click.ClickException(str(error)) from error
    for note in result.notes:
        click.echo(f"note: {note}")
    columns = ["epoch", "socio_t", "warmth_ci_low", "warmth_ci_high", "error_pp", "error_ci_low_pp",
               "error_ci_high_pp", "error_increase_pp", "n_scored", "n_unscored", "n_refusals_dropped", "chosen"]
    click.echo(result.table[columns].to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    if result.chosen is not None:
        click.echo(f"warmest epoch within +{max_error_increase_pp:g} pp error: {result.chosen:g}")
    click.echo(f"wrote {target}/frontier.csv, frontier_by_dataset.csv, frontier.png and logs/")
