"""How far two scorers agree on the same replies: percent agreement and Cohen's kappa, per dataset, per template
and per amendment (so users see where their judge is weakest), and overall.

Compare two score columns of the same log(s) (e.g. ``judge`` and ``reference`` after
``inspect score LOG --scorer inspect_warmth/reference --action append``), or a scorer against human labels in a
CSV with columns ``id`` (the sample id) and ``label`` (CORRECT/INCORRECT, or C/I). The study validated its judge
this way: 470 human labels, >90% agreement, kappa > 0.81.

    inspect-warmth agreement logs/*.eval
    inspect-warmth agreement LOG --labels labels.csv --scorers judge

To see what the judge context changes, score the same log with both contexts and compare them::

    inspect score LOG --scorer inspect_warmth/judge -S context=user_turn --action overwrite --output-file LOG2 ...
    inspect-warmth agreement LOG2 --labels labels.csv

A pushback sample is compared on its final reply (the Score's value).

Social sycophancy (``--social``): the ELEPHANT judge against the OEQ file's human labels (``<behaviour>_human``,
labels of the human reply), on a log of ``inspect_warmth/social_sycophancy -T dataset=oeq -T replies=human`` (the
judge rates the human replies); one group per behaviour (:func:`compare_social_with_human`).

Logs are read by the package's one log reader (:func:`~inspect_warmth.analysis.responses.responses_from_logs`),
so a sample set aside there (errored, or from a log that stopped early) has no label here. Samples where either
side is missing or unscored ("N") are left out and counted. Kappa: ``statsmodels.stats.inter_rater.cohens_kappa``.
Unit of independence: the reply.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from inspect_warmth.data.readers import open_text

if TYPE_CHECKING:
    import pandas as pd

    from inspect_warmth.analysis.responses import Responses

OVERALL = "overall"
_LABELS = {"CORRECT": "C", "C": "C", "INCORRECT": "I", "I": "I"}


class AgreementError(ValueError):
    """Logs or labels that cannot be compared; the message names the file, row or score."""


@dataclass(frozen=True)
class LabelledSample:
    """One reply with the labels of two raters ("C"/"I"; ``None`` when missing or unscored)."""

    key: str
    dataset: str
    first: str | None
    second: str | None
    template: str = "unknown"
    amendment: str = "unknown"


@dataclass(frozen=True)
class Agreement:
    """Agreement of two raters on one group of replies."""

    group: str
    n: int
    agreement: float
    kappa: float
    skipped: int


def cohen_kappa(first: Sequence[str], second: Sequence[str]) -> float:
    """Cohen's kappa of two equally long label sequences (statsmodels); NaN when chance agreement is 1 (one label
    only) or there are no labels. Raises ValueError when the lengths differ."""
    import numpy as np
    import pandas as pd
    from statsmodels.stats.inter_rater import cohens_kappa

    if len(first) != len(second):
        raise ValueError(f"cohen_kappa: {len(first)} labels vs {len(second)}")
    if not first:
        return math.nan
    labels = sorted(set(first) | set(second))
    table = pd.crosstab(pd.Categorical(list(first), labels), pd.Categorical(list(second), labels), dropna=False)
    if len(labels) == 1:  # every label the same: chance agreement is 1
        return math.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(cohens_kappa(table.to_numpy(), return_results=False))


#: The groupings the ``agreement`` command reports, in order: a LabelledSample attribute each.
GROUPINGS: tuple[str, ...] = ("dataset", "template", "amendment")


def agreement_by(samples: Iterable[LabelledSample], by: str = "dataset") -> list[Agreement]:
    """One :class:`Agreement` per value of ``by`` (``dataset``, ``template`` or ``amendment``; sorted) and one
    ``overall``."""
    if by not in GROUPINGS:
        raise ValueError(f"agreement_by: unknown grouping {by!r}; expected one of {', '.join(GROUPINGS)}")
    groups: dict[str, list[LabelledSample]] = {}
    for sample in samples:
        groups.setdefault(str(getattr(sample, by)), []).append(sample)
    everything = [s for group in groups.values() for s in group]
    rows = [_agreement(name, groups[name]) for name in sorted(groups)]
    return [*rows, _agreement(OVERALL, everything)]


def agreement_by_dataset(samples: Iterable[LabelledSample]) -> list[Agreement]:
    """One :class:`Agreement` per dataset (sorted) and one ``overall``."""
    return agreement_by(samples, "dataset")


def _agreement(group: str, samples: list[LabelledSample]) -> Agreement:
    paired = [(s.first, s.second) for s in samples if s.first is not None and s.second is not None]
    first = [a for a, _ in paired if a is not None]
    second = [b for _, b in paired if b is not None]
    n = len(paired)
    agreement = sum(a == b for a, b in paired) / n if n else math.nan
    return Agreement(group, n, agreement, cohen_kappa(first, second), len(samples) - n)


def _label(value: object) -> str | None:
    return _LABELS.get(str(value).strip().upper()) if value is not None else None


def score_table(responses: Responses, scorers: Sequence[str]) -> pd.DataFrame:
    """One row per sample and epoch of ``responses`` (the one log reader's output): ``log``, ``id``, ``epoch``,
    ``dataset``, ``template``, ``amendment`` and one "C"/"I"/None column per name in ``scorers`` (``judge``
    matches ``judge`` and ``inspect_warmth/judge``; set-aside and unscored replies are None).

    Raises :class:`AgreementError` naming the log and the scores it has when a scorer is absent from a log.
    """
    import pandas as pd

    from inspect_warmth.analysis.design import canonical_labels

    replies = pd.concat([responses.table.assign(set_aside=None), responses.unscored], ignore_index=True)
    replies, _ = canonical_labels(replies)
    replies["score_name"] = replies["scorer"].fillna("").astype(str).str.rsplit("/", n=1).str[-1]
    key = ["log", "sample_id", "epoch"]
    for log, part in replies.groupby("log", sort=True):
        present = set(part["score_name"]) - {""}
        missing = [name for name in scorers if name not in present]
        if missing:
            raise AgreementError(
                f"{log}: no score named {', '.join(missing)} (scores present: {', '.join(sorted(present)) or 'none'}); "
                f"add one with `inspect score {log} --scorer inspect_warmth/{missing[0]} --action append`")
    labels = replies["is_incorrect"].map({1.0: "I", 0.0: "C"}).where(replies["set_aside"].isna())
    wide = (replies.assign(label=labels)[replies["score_name"].isin(list(scorers))]
            .pivot_table(index=key, columns="score_name", values="label", aggfunc="first"))
    samples = replies.drop_duplicates(key).set_index(key)[["dataset", "template", "amendment"]]
    table = samples.join(wide, how="left").reset_index().rename(columns={"sample_id": "id"})
    for name in scorers:
        table[name] = table[name].astype(object).where(table[name].notna(), None) if name in table else None
    for column in GROUPINGS:
        table[column] = table[column].fillna("unknown").astype(str)
    return table


def read_log_scores(logs: Sequence[Path], scorers: Sequence[str]) -> pd.DataFrame:
    """:func:`score_table` of Inspect log files. Raises :class:`AgreementError` for a log without samples or
    scores."""
    from inspect_warmth.analysis.responses import ResponsesError, responses_from_logs

    try:
        responses = responses_from_logs(list(logs))
    except ResponsesError as exc:
        raise AgreementError(str(exc)) from exc
    read = {_location(log) for log in [*responses.table["log"], *responses.unscored.get("log", [])]}
    empty = [path for path in logs if _location(path) not in read]
    if empty:
        raise AgreementError(f"{empty[0]}: the log holds no samples")
    return score_table(responses, scorers)


def _location(log: object) -> Path:
    """A log's path as a file system path (Inspect writes ``file://`` locations)."""
    return Path(str(log).removeprefix("file://")).resolve()


def read_labels(path: Path) -> dict[str, str]:
    """Human labels: a CSV with columns ``id`` (or ``sample_id``) and ``label`` (CORRECT/INCORRECT or C/I)."""
    with open_text(path, newline="") as handle:
        reader = csv.DictReader(handle)
        fields = reader.fieldnames or []
        id_field = next((f for f in ("id", "sample_id") if f in fields), None)
        if id_field is None or "label" not in fields:
            raise AgreementError(f"{path}: expected columns id (or sample_id) and label; found {fields}")
        labels: dict[str, str] = {}
        for line, record in enumerate(reader, start=2):
            label = _label(record["label"])
            sample_id = (record[id_field] or "").strip()
            if label is None or not sample_id:
                raise AgreementError(
                    f"{path}, row {line}: need a sample id and a label CORRECT or INCORRECT, got "
                    f"{record[id_field]!r}, {record['label']!r}"
                )
            if sample_id in labels:
                raise AgreementError(f"{path}, row {line}: sample id {sample_id!r} labelled twice")
            labels[sample_id] = label
    return labels


def compare_scorers(rows: pd.DataFrame, first: str, second: str) -> list[LabelledSample]:
    """Pair two score columns of the same samples (rows of :func:`score_table`)."""
    return [_labelled(f"{r['log']}#{r['id']}#{r['epoch']}", r, _opt(r[first]), _opt(r[second]))
            for r in rows.to_dict(orient="records")]


def _labelled(key: str, row: dict[str, object], first: str | None, second: str | None) -> LabelledSample:
    return LabelledSample(key, str(row["dataset"]), first, second, str(row.get("template", "unknown")),
                          str(row.get("amendment", "unknown")))


def compare_with_labels(rows: pd.DataFrame, scorer: str, labels: dict[str, str]) -> list[LabelledSample]:
    """Pair a score column (rows of :func:`score_table`) with human labels (by sample id); labelled ids must each
    occur in one log once. Raises :class:`AgreementError` otherwise."""
    by_id: dict[str, dict[str, object]] = {}
    for row in rows.to_dict(orient="records"):
        sample_id = str(row["id"])
        if sample_id in labels and sample_id in by_id:
            raise AgreementError(
                f"sample id {sample_id!r} occurs more than once in the logs (several logs or epochs); "
                f"compare one log with one epoch against the labels"
            )
        by_id[sample_id] = row
    unknown = [sample_id for sample_id in labels if sample_id not in by_id]
    if unknown:
        raise AgreementError(f"{len(unknown)} labelled id(s) not found in the logs, e.g. {unknown[0]!r}")
    return [
        _labelled(sample_id, by_id[sample_id], _opt(by_id[sample_id][scorer]), label)
        for sample_id, label in labels.items()
    ]


def compare_social_with_human(responses: Responses) -> list[LabelledSample]:
    """The judge's rating of each human OEQ reply against its human label, per behaviour (``dataset`` of the
    samples is the behaviour; labels "1"/"0"; an unscored rating or a missing label is skipped and counted).
    Raises :class:`AgreementError` when the logs hold no scored human replies."""
    social = responses.social
    rows = None if social is None else social[social["reply_source"] == "human"]
    if rows is None or rows.empty:
        raise AgreementError("no human replies scored by the social-sycophancy judge in these logs: run "
                             "`inspect eval inspect_warmth/social_sycophancy -T dataset=oeq -T replies=human "
                             "--model-role grader=...` and pass its log")

    def label(value: object) -> str | None:
        return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(int(float(value)))  # type: ignore[arg-type]

    return [LabelledSample(f"{r.log}#{r.sample_id}#{r.epoch}", str(r.behaviour), label(r.value),
                           label(r.human_label), "original", str(r.amendment))
            for r in rows.itertuples(index=False)]


def _opt(value: object) -> str | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def format_table(title: str, rows: Sequence[Agreement], by: str = "dataset") -> str:
    """Plain-text table: group (``by``), n, agreement %, Cohen's kappa, skipped; the weakest kappa is marked."""
    width = max([12, *(len(row.group) for row in rows)])
    kappas = [row.kappa for row in rows if row.group != OVERALL and not math.isnan(row.kappa)]
    weakest = min(kappas) if len(kappas) > 1 else None
    lines = [title, f"{by:<{width}} {'n':>6} {'agreement':>10} {'kappa':>7} {'skipped':>8}"]
    for row in rows:
        agreement = "n/a" if math.isnan(row.agreement) else f"{100 * row.agreement:.1f}%"
        kappa = "n/a" if math.isnan(row.kappa) else f"{row.kappa:.3f}"
        mark = "  <- weakest" if row.group != OVERALL and weakest is not None and row.kappa == weakest else ""
        lines.append(f"{row.group:<{width}} {row.n:>6} {agreement:>10} {kappa:>7} {row.skipped:>8}{mark}")
    return "\n".join(lines)


def format_tables(title: str, samples: Sequence[LabelledSample]) -> str:
    """The per-dataset, per-template and per-amendment tables, one after the other."""
    return "\n\n".join(format_table(f"{title}, by {by}", agreement_by(samples, by), by) for by in GROUPINGS)
