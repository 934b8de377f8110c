"""``inspect-warmth warmth FILE --column text --out FILE``: SocioT of every row of a CSV or JSONL file.

The output holds the input rows unchanged plus ``socio_t`` and ``socio_t_se``, in the format of ``--out``'s
extension (``.csv`` or ``.jsonl``); an undefined SE (one sample) is written ``nan`` in CSV and ``null`` in JSONL.
Heavy imports happen only when the command runs.

    inspect-warmth warmth replies.csv --column reply --lm gpt2 --samples 100 --out replies_warmth.csv
    inspect-warmth warmth replies.jsonl --lm smollm2-135m --mode corrected --no-dropout --out scored.jsonl
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import click

from inspect_warmth.data.atomic_files import atomic_open

FORMATS = (".csv", ".jsonl")


def _format_of(path: Path, what: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise click.BadParameter(f"{path}: expected a .csv or .jsonl file, not {suffix or 'no extension'!r}",
                                 param_hint=what)
    return suffix


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of a CSV (with a header) or JSONL file, read by the package's data reader; its errors name the row."""
    from inspect_warmth.data.errors import DataFormatError
    from inspect_warmth.data.readers import read_rows as read_data_rows

    _format_of(path, "FILE")
    try:
        return read_data_rows(path)
    except DataFormatError as err:
        raise click.ClickException(str(err)) from err


def texts_of(rows: list[dict[str, Any]], column: str, path: Path, *, allow_empty: bool) -> list[str]:
    """The column's values, or a ClickException naming the file, row and column of the first bad one.

    Rows are numbered from 1 as a reader counts data rows (CSV: not counting the header line)."""
    if not rows:
        raise click.ClickException(f"{path} has no rows")
    if path.suffix.lower() == ".csv" and column not in rows[0]:
        raise click.ClickException(
            f"{path} has no column {column!r}; its columns are: {', '.join(map(repr, rows[0]))}. Pick one with --column"
        )
    texts: list[str] = []
    for number, row in enumerate(rows, start=1):
        if column not in row:
            raise click.ClickException(
                f"{path} row {number} has no {column!r} field; its fields are: {', '.join(map(repr, row))}"
            )
        value = row[column]
        if not isinstance(value, str):
            raise click.ClickException(
                f"{path} row {number}, column {column!r}: expected text, got {type(value).__name__} {value!r}"
            )
        if not value and not allow_empty:
            raise click.ClickException(
                f"{path} row {number}, column {column!r} is empty; remove the row, or pass --allow-empty to score "
                "it as the released code does (the score then measures only the prefixes)"
            )
        texts.append(value)
    return texts


def write_rows(rows: list[dict[str, Any]], path: Path) -> None:
    if _format_of(path, "--out") == ".csv":
        fields = list(dict.fromkeys(key for row in rows for key in row))
        with atomic_open(path, newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
        return
    with atomic_open(path) as handle:
        for row in rows:
            clean = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            handle.write(json.dumps(clean, ensure_ascii=False) + "\n")


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--column", default="text", show_default=True, help="Column (CSV) or field (JSONL) to score.")
@click.option("--lm", default="gpt2", show_default=True,
              help="Causal LM that judges likelihood: transformers id, local directory, or smollm2-135m.")
@click.option("--mode", type=click.Choice(["faithful", "corrected"]), default="faithful", show_default=True,
              help="faithful: the released computation (pads counted); corrected: pads masked.")
@click.option("--samples", type=click.IntRange(min=1), default=100, show_default=True,
              help="Repeats per prefix set (dropout differs between repeats).")
@click.option("--no-dropout", is_flag=True,
              help="Model in eval mode: deterministic, one pass, SE 0 (NaN with --samples 1).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the dropout masks.")
@click.option("--rng", type=click.Choice(["global", "private"]), default="global", show_default=True,
              help="Source of the dropout masks. global: torch's fused dropout kernels, the global RNG seeded with "
                   "--seed and restored afterwards (fast on a GPU; this command runs nothing else meanwhile). "
                   "private: SocioT's own generator, as the Inspect scorer uses (thread-safe, slower on a GPU).")
@click.option("--device", default=None, help="cuda, cpu, ... (default: cuda when available).")
@click.option("--dtype", type=click.Choice(["float32", "bfloat16", "float16"]), default="float32", show_default=True,
              help="Weights' dtype: float32 reproduces the released numbers; bfloat16 is faster on a GPU.")
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help="Sequences per forward pass (default: sized to memory).")
@click.option("--allow-empty", is_flag=True, help="Score empty texts as the released code does instead of failing.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Output file, .csv or .jsonl: the input rows plus socio_t and socio_t_se.")
def warmth(
    file: Path,
    column: str,
    lm: str,
    mode: str,
    samples: int,
    no_dropout: bool,
    seed: int,
    rng: str,
    device: str | None,
    dtype: str,
    batch_size: int | None,
    allow_empty: bool,
    out: Path,
) -> None:
    """SocioT warmth (Cheng, Yu & Jurafsky 2025) of every text in FILE (CSV or JSONL); higher is warmer."""
    _format_of(out, "--out")
    rows = read_rows(file)
    texts = texts_of(rows, column, file, allow_empty=allow_empty)
    from inspect_warmth.warmth.socio_t import score_texts

    try:
        scores = score_texts(texts, lm=lm, mode=mode, samples=samples, dropout=not no_dropout,  # type: ignore[arg-type]
                             seed=seed, device=device, batch_size=batch_size, progress=True,
                             allow_empty=allow_empty, rng=rng, dtype=dtype)  # type: ignore[arg-type]
    except ValueError as err:
        raise click.ClickException(str(err)) from err
    for row, score in zip(rows, scores, strict=True):
        row["socio_t"] = score.score
        row["socio_t_se"] = score.se
    out.parent.mkdir(parents=True, exist_ok=True)
    write_rows(rows, out)
    mean = sum(s.score for s in scores) / len(scores)
    click.echo(f"scored {len(scores)} texts with {lm} ({mode}, {samples} samples, dropout "
               f"{'off' if no_dropout else 'on'}); mean socio_t {mean:.5f} -> {out}")
