"""How far two scorers agree on the same replies: percent agreement and Cohen's kappa, per dataset and overall.

Compare two score columns of the same log(s) (e.g. ``judge`` and ``reference`` after
``inspect score LOG --scorer inspect_warmth/reference --action append``), or a scorer against human labels in a
CSV with columns ``id`` (the sample id) and ``label`` (CORRECT/INCORRECT, or C/I). The study validated its judge
this way: 470 human labels, >90% agreement, kappa > 0.81.

    inspect-warmth agreement logs/*.eval
    inspect-warmth agreement LOG --labels labels.csv --scorers judge

Samples where either side is missing or unscored ("N") are left out and counted.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import click

from inspect_warmth.data.readers import open_text

OVERALL = "overall"
_LABELS = {"CORRECT": "C", "C": "C", "INCORRECT": "I", "I": "I"}


@dataclass(frozen=True)
class LabelledSample:
    """One reply with the labels of two raters ("C"/"I"; ``None`` when missing or unscored)."""

    key: str
    dataset: str
    first: str | None
    second: str | None


@dataclass(frozen=True)
class Agreement:
    """Agreement of two raters on one group of replies."""

    group: str
    n: int
    agreement: float
    kappa: float
    skipped: int


def cohen_kappa(first: Sequence[str], second: Sequence[str]) -> float:
    """Cohen's kappa of two equally long label sequences; NaN when chance agreement is 1 (one label only)."""
    if len(first) != len(second):
        raise ValueError(f"cohen_kappa: {len(first)} labels vs {len(second)}")
    n = len(first)
    if n == 0:
        return math.nan
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    count_first, count_second = Counter(first), Counter(second)
    expected = sum(count_first[k] * count_second[k] for k in set(first) | set(second)) / (n * n)
    if expected == 1.0:
        return math.nan
    return (observed - expected) / (1.0 - expected)


def agreement_by_dataset(samples: Iterable[LabelledSample]) -> list[Agreement]:
    """One :class:`Agreement` per dataset (sorted) and one ``overall``."""
    groups: dict[str, list[LabelledSample]] = {}
    for sample in samples:
        groups.setdefault(sample.dataset, []).append(sample)
    everything = [s for group in groups.values() for s in group]
    rows = [_agreement(name, groups[name]) for name in sorted(groups)]
    return [*rows, _agreement(OVERALL, everything)]


def _agreement(group: str, samples: list[LabelledSample]) -> Agreement:
    paired = [(s.first, s.second) for s in samples if s.first is not None and s.second is not None]
    first = [a for a, _ in paired if a is not None]
    second = [b for _, b in paired if b is not None]
    n = len(paired)
    agreement = sum(a == b for a, b in paired) / n if n else math.nan
    return Agreement(group, n, agreement, cohen_kappa(first, second), len(samples) - n)


def _label(value: object) -> str | None:
    return _LABELS.get(str(value).strip().upper()) if value is not None else None


def _score_name(names: Iterable[str], wanted: str) -> str | None:
    """The log's score name for ``wanted`` (``judge`` matches ``judge`` and ``inspect_warmth/judge``)."""
    for name in names:
        if name == wanted or name.rsplit("/", 1)[-1] == wanted:
            return name
    return None


def read_log_scores(logs: Sequence[Path], scorers: Sequence[str]) -> list[dict[str, object]]:
    """One row per sample and epoch: ``log``, ``id``, ``epoch``, ``dataset`` and one "C"/"I"/None per scorer."""
    from inspect_ai.log import read_eval_log

    rows: list[dict[str, object]] = []
    for path in logs:
        log = read_eval_log(str(path))
        if not log.samples:
            raise click.ClickException(f"{path}: the log holds no samples")
        seen: set[str] = set()
        for sample in log.samples:
            scores = sample.scores or {}
            seen.update(scores)
            row: dict[str, object] = {"log": str(path), "id": str(sample.id), "epoch": sample.epoch,
                                      "dataset": str((sample.metadata or {}).get("dataset", "unknown"))}
            for wanted in scorers:
                name = _score_name(scores, wanted)
                row[wanted] = _label(scores[name].value) if name is not None else None
            rows.append(row)
        missing = [w for w in scorers if _score_name(seen, w) is None]
        if missing:
            raise click.ClickException(
                f"{path}: no score named {', '.join(missing)} (scores present: {', '.join(sorted(seen)) or 'none'}); "
                f"add one with `inspect score {path} --scorer inspect_warmth/{missing[0]} --action append`"
            )
    return rows


def read_labels(path: Path) -> dict[str, str]:
    """Human labels: a CSV with columns ``id`` (or ``sample_id``) and ``label`` (CORRECT/INCORRECT or C/I)."""
    with open_text(path, newline="") as handle:
        reader = csv.DictReader(handle)
        fields = reader.fieldnames or []
        id_field = next((f for f in ("id", "sample_id") if f in fields), None)
        if id_field is None or "label" not in fields:
            raise click.ClickException(f"{path}: expected columns id (or sample_id) and label; found {fields}")
        labels: dict[str, str] = {}
        for line, record in enumerate(reader, start=2):
            label = _label(record["label"])
            sample_id = (record[id_field] or "").strip()
            if label is None or not sample_id:
                raise click.ClickException(
                    f"{path}, row {line}: need a sample id and a label CORRECT or INCORRECT, got "
                    f"{record[id_field]!r}, {record['label']!r}"
                )
            if sample_id in labels:
                raise click.ClickException(f"{path}, row {line}: sample id {sample_id!r} labelled twice")
            labels[sample_id] = label
    return labels


def compare_scorers(rows: list[dict[str, object]], first: str, second: str) -> list[LabelledSample]:
    """Pair two score columns of the same samples."""
    return [
        LabelledSample(f"{r['log']}#{r['id']}#{r['epoch']}", str(r["dataset"]), _opt(r[first]), _opt(r[second]))
        for r in rows
    ]


def compare_with_labels(rows: list[dict[str, object]], scorer: str, labels: dict[str, str]) -> list[LabelledSample]:
    """Pair a score column with human labels (by sample id); labelled ids must each occur in one log once."""
    by_id: dict[str, dict[str, object]] = {}
    for row in rows:
        sample_id = str(row["id"])
        if sample_id in labels and sample_id in by_id:
            raise click.ClickException(
                f"sample id {sample_id!r} occurs more than once in the logs (several logs or epochs); "
                f"compare one log with one epoch against the labels"
            )
        by_id[sample_id] = row
    unknown = [sample_id for sample_id in labels if sample_id not in by_id]
    if unknown:
        raise click.ClickException(f"{len(unknown)} labelled id(s) not found in the logs, e.g. {unknown[0]!r}")
    return [
        LabelledSample(sample_id, str(by_id[sample_id]["dataset"]), _opt(by_id[sample_id][scorer]), label)
        for sample_id, label in labels.items()
    ]


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


def format_table(title: str, rows: Sequence[Agreement]) -> str:
    """Plain-text table: dataset, n, agreement %, Cohen's kappa, skipped."""
    lines = [title, f"{'dataset':<12} {'n':>6} {'agreement':>10} {'kappa':>7} {'skipped':>8}"]
    for row in rows:
        agreement = "n/a" if math.isnan(row.agreement) else f"{100 * row.agreement:.1f}%"
        kappa = "n/a" if math.isnan(row.kappa) else f"{row.kappa:.3f}"
        lines.append(f"{row.group:<12} {row.n:>6} {agreement:>10} {kappa:>7} {row.skipped:>8}")
    return "\n".join(lines)


@click.command()
@click.argument("logs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--labels", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV of human labels: columns id, label (CORRECT/INCORRECT).")
@click.option("--scorers", default=None,
              help="Comma-separated score names: two to compare with each other (default judge,reference), "
                   "or, with --labels, the ones to compare with the labels (default judge).")
def agreement(logs: tuple[Path, ...], labels: Path | None, scorers: str | None) -> None:
    """Agreement and Cohen's kappa between two scorers, or a scorer and human labels, per dataset."""
    names = [s.strip() for s in (scorers or ("judge" if labels else "judge,reference")).split(",") if s.strip()]
    if labels is None and len(names) != 2:
        raise click.UsageError(f"--scorers needs two names to compare without --labels, got {names}")
    rows = read_log_scores(list(logs), names)
    if labels is None:
        table = agreement_by_dataset(compare_scorers(rows, names[0], names[1]))
        click.echo(format_table(f"{names[0]} vs {names[1]}", table))
        return
    human = read_labels(labels)
    for name in names:
        table = agreement_by_dataset(compare_with_labels(rows, name, human))
        click.echo(format_table(f"{name} vs human labels ({labels.name})", table))
