"""ELEPHANT's social-sycophancy prompts (Cheng et al. 2025, "Social Sycophancy"), in the authors' layout.

Files, under the data directory (see :mod:`inspect_warmth.data.sources`; else the authors' repository):

=========  =====================================  ==========================================================
dataset    file                                   columns read (the authors' names)
=========  =====================================  ==========================================================
``oeq``    ``elephant/OEQ.csv`` (or ``OEQ_sample``)  ``prompt``; optional ``human``, ``source`` and the human
                                                  reply's labels ``<behaviour>_human`` (0/1)
``aita``   ``elephant/AITA.csv`` (or ``AITA_sample``)  ``prompt``, ``is_asshole`` (1: the community judged the poster
                                                  at fault); optional ``top_comment``, ``ytanta``
=========  =====================================  ==========================================================

AITA keeps the posts judged at fault (``is_asshole`` 1): the study's AITA-YTA set, where endorsing the poster is
sycophantic. The others are left out and counted (:attr:`ElephantPrompts.left_out`), never dropped silently.
Prompt ids are the first 10 hex digits of the sha1 of the whitespace-normalized prompt (the same id whichever
file it came from); two rows with the same prompt are an error naming both rows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspect_warmth.data.errors import DataFormatError
from inspect_warmth.data.ids import question_id
from inspect_warmth.data.readers import field as required_field
from inspect_warmth.data.readers import read_rows
from inspect_warmth.data.sources import resolve_files
from inspect_warmth.vocabulary import OEQ_BEHAVIOURS, SOCIAL_DATASETS

#: AITA posts the community judged not at fault: not part of AITA-YTA.
NOT_AT_FAULT_REASON = "AITA post the community judged not at fault (is_asshole 0): not in AITA-YTA"


@dataclass(frozen=True)
class ElephantPrompt:
    """One ELEPHANT prompt: ``prompt`` is the post the model answers; ``extra`` the row's other fields
    (``human_labels`` {behaviour: 0/1} on OEQ when the file has them; ``is_asshole``, ``ytanta``, ``top_comment``
    on AITA)."""

    dataset: str
    prompt_id: str
    prompt: str
    row: int
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ElephantPrompts:
    """The prompts of one dataset, the file they came from and the rows left out by reason."""

    prompts: list[ElephantPrompt]
    file: Path
    left_out: Counter[str] = field(default_factory=Counter)


def _binary(row: dict[str, Any], name: str, file: Path, row_no: int) -> int:
    value = row.get(name)
    try:
        number = float(str(value).strip())
    except ValueError:
        number = float("nan")
    if number not in (0.0, 1.0):
        raise DataFormatError(file, f"expected 0 or 1, found {value!r}", row=row_no, field=name)
    return int(number)


def read_elephant(dataset: str, files: list[Path]) -> ElephantPrompts:
    """Read ``files[0]`` of ``dataset`` (``oeq`` or ``aita``); never empty (raises DataFormatError naming the
    file, row and field of a bad value, or a file whose every row is left out)."""
    if dataset not in SOCIAL_DATASETS:
        raise ValueError(f"unknown ELEPHANT dataset {dataset!r}; expected one of {', '.join(SOCIAL_DATASETS)}")
    file = files[0]
    rows = read_rows(file)
    out = ElephantPrompts(prompts=[], file=file)
    seen: dict[str, int] = {}
    for row_no, row in enumerate(rows, start=1):
        prompt = required_field(row, "prompt", file, row_no)
        extra: dict[str, Any] = {}
        if dataset == "aita":
            extra["is_asshole"] = _binary(row, "is_asshole", file, row_no)
            extra.update({k: str(row[k]) for k in ("ytanta", "top_comment") if row.get(k) not in (None, "")})
            if extra["is_asshole"] == 0:
                out.left_out[NOT_AT_FAULT_REASON] += 1
                continue
        else:
            labels = {b: _binary(row, f"{b}_human", file, row_no) for b in OEQ_BEHAVIOURS
                      if row.get(f"{b}_human") not in (None, "")}
            if labels:
                extra["human_labels"] = labels
            extra.update({k: str(row[k]) for k in ("source", "human") if row.get(k) not in (None, "")})
        pid = question_id(prompt)
        if pid in seen:
            raise DataFormatError(file, f"the same prompt as row {seen[pid]}", row=row_no, field="prompt")
        seen[pid] = row_no
        out.prompts.append(ElephantPrompt(dataset=dataset, prompt_id=pid, prompt=prompt, row=row_no, extra=extra))
    if not out.prompts:
        raise DataFormatError(file, f"no usable rows ({'; '.join(f'{r}: {n}' for r, n in out.left_out.items())})")
    return out


def load_elephant(dataset: str, data_dir: str | Path | None = None) -> ElephantPrompts:
    """The prompts of ELEPHANT ``dataset`` from ``data_dir``, ``$INSPECT_WARMTH_DATA`` or the authors' repository."""
    if dataset not in SOCIAL_DATASETS:
        raise ValueError(f"unknown ELEPHANT dataset {dataset!r}; expected one of {', '.join(SOCIAL_DATASETS)}")
    return read_elephant(dataset, resolve_files(f"elephant_{dataset}", data_dir))
