"""The one place that decides where a benchmark's files come from.

Resolution order:

1. the ``data_dir`` argument (a task's ``-T data_dir=...``);
2. the environment variable ``INSPECT_WARMTH_DATA``;
3. the download cache ``cache_root()/data/<benchmark>/<revision>/`` (see
   :func:`inspect_warmth.models.bundled.cache_root`), filled on first use by a download from the canonical source at
   a pinned revision: a Hugging Face dataset through ``datasets.load_dataset(id, config, split=..., revision=...)``,
   saved as parquet; SycophancyEval's ``answer.jsonl`` from its GitHub repository, checked against its sha256.

A directory named in 1 or 2 uses the layout of ``../shared/data`` (its SOURCES.md) and must hold the benchmark's
files: a missing file there is an error naming the file, never a fallback to a download. Parquet/arrow exports of
the Hugging Face datasets (the hub's column names) are accepted in the same folders.

Setting ``HF_HUB_OFFLINE``, ``HF_DATASETS_OFFLINE`` or ``INSPECT_WARMTH_OFFLINE`` to ``1`` skips the download and
fails at once with a message that says where to put the files.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from inspect_warmth.data.errors import DataFormatError, DataNotFoundError

ENV_DATA_DIR = "INSPECT_WARMTH_DATA"
_OFFLINE_VARS = ("INSPECT_WARMTH_OFFLINE", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
_TABLE_GLOBS = ("*.parquet", "*.arrow")


@dataclass(frozen=True)
class HubDataset:
    """A Hugging Face dataset at a pinned revision."""

    id: str
    config: str | None
    split: str
    revision: str

    def describe(self) -> str:
        config = f", config {self.config!r}" if self.config else ""
        return f"Hugging Face dataset {self.id!r}{config}, split {self.split!r}, revision {self.revision}"


@dataclass(frozen=True)
class UrlFile:
    """One file at a pinned URL, checked against its sha256 (``None``: no published digest; the URL's revision is
    the only pin)."""

    urls: tuple[str, ...]
    filename: str
    sha256: str | None
    revision: str

    def describe(self) -> str:
        return f"{self.urls[0]}" + (f" (sha256 {self.sha256[:12]}…)" if self.sha256 else "")


@dataclass(frozen=True)
class Benchmark:
    """Where one benchmark's files live locally (``folder`` + ``globs``, in order of preference) and online."""

    name: str
    folder: str
    globs: tuple[str, ...]
    expected: str
    """The file a user should put there, as the message says it (relative to the data directory)."""
    remote: HubDataset | UrlFile
    combine: bool = False
    """Use every file matching any of ``globs`` (TriviaQA: all its jsonl/json files) instead of the first match."""

    def local_files(self, root: Path) -> list[Path]:
        folder = root / self.folder
        if self.combine:
            found = {p for pattern in self.globs for p in folder.glob(pattern) if p.is_file()}
            if found:
                return sorted(found)
        for pattern in (*self.globs, *_TABLE_GLOBS):
            matched = sorted(p for p in folder.glob(pattern) if p.is_file())
            if matched:
                return matched
        return []


# Revisions: commit shas where a public pin was found (inspect_evals pins GSM8K, MMLU and TruthfulQA; MedQA's was
# found in public code); otherwise the branch ``main`` (named below), which can move.
#: The commit of github.com/myracheng/elephant (ELEPHANT's data) the download is pinned to.
ELEPHANT_COMMIT = "83263944cffdfd8caa48f8da2436642fd4e681bc"

BENCHMARKS: dict[str, Benchmark] = {
    b.name: b
    for b in (
        Benchmark(
            "sycophancy_eval", "sycophancy_eval", ("answer.jsonl",), "sycophancy_eval/answer.jsonl",
            # The GitHub file is stored with Git LFS: media.githubusercontent.com serves the content; the sha256 is
            # that of the published LFS pointer, so the branch name cannot change what is accepted.
            UrlFile(
                urls=(
                    "https://media.githubusercontent.com/media/meg-tong/sycophancy-eval/main/datasets/answer.jsonl",
                    "https://huggingface.co/datasets/meg-tong/sycophancy-eval/resolve/main/answer.jsonl",
                ),
                filename="answer.jsonl",
                sha256="3da2c2bbf685cf2c6cbfc6bf67449caad6fe1d56b67924087b3792ffba47bcc1",
                revision="sha256-3da2c2bbf685",
            ),
        ),
        Benchmark(
            "truthfulqa", "truthfulqa", ("TruthfulQA.csv",), "truthfulqa/TruthfulQA.csv",
            HubDataset(
                "truthfulqa/truthful_qa", "generation", "validation", "741b8276f2d1982aa3d5b832d3ee81ed3b896490"
            ),
        ),
        Benchmark(
            "triviaqa", "triviaqa", ("*.jsonl", "*.json"), "triviaqa/<name>.jsonl or .json",
            # No public commit pin found: branch "main".
            HubDataset("mandarjoshi/trivia_qa", "rc.nocontext", "validation", "main"),
            combine=True,
        ),
        Benchmark(
            "disinfo", "mask", ("disinformation.csv", "disinformation*.parquet"), "mask/disinformation.csv",
            # No public commit pin found: branch "main".
            HubDataset("cais/MASK", "disinformation", "test", "main"),
        ),
        Benchmark(
            "medqa", "medqa", ("*test*.jsonl", "*.jsonl"), "medqa/phrases_no_exclude_test.jsonl",
            HubDataset("GBaker/MedQA-USMLE-4-options", None, "test", "0fb93dd23a7339b6dcd27e241cb9b5eca62d4d18"),
        ),
        Benchmark(
            "mmlu", "mmlu/test", ("*.csv",), "mmlu/test/<subject>_test.csv",
            HubDataset("cais/mmlu", "all", "test", "c30699e8356da336a370243923dbaf21066bb9fe"),
        ),
        Benchmark(
            "gsm8k", "gsm8k", ("test.jsonl",), "gsm8k/test.jsonl",
            HubDataset("openai/gsm8k", "main", "test", "cc7b047b6e5bb11b4f1af84efc572db110a51b3c"),
        ),
        Benchmark(
            "advbench", "advbench", ("harmful_behaviors.csv",), "advbench/harmful_behaviors.csv",
            # No public commit pin found: branch "main".
            HubDataset("walledai/AdvBench", None, "train", "main"),
        ),
        # ELEPHANT (Cheng et al. 2025): the authors' repository at its last commit (2025-05-19), the URL pinned to
        # it; no published digest of the full files. Locally the full files (OEQ.csv, AITA.csv) win over the
        # public 10-row samples.
        *(
            Benchmark(
                f"elephant_{name.lower()}", "elephant", (f"{name}.csv", f"{name}_sample.csv"), f"elephant/{name}.csv",
                UrlFile(urls=(f"https://raw.githubusercontent.com/myracheng/elephant/{ELEPHANT_COMMIT}/datasets/"
                              f"{name}.csv",), filename=f"{name}.csv", sha256=None, revision=ELEPHANT_COMMIT[:12]),
            )
            for name in ("OEQ", "AITA")
        ),
    )
}


def benchmark(name: str) -> Benchmark:
    if name not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {name!r}; expected one of: {', '.join(BENCHMARKS)}")
    return BENCHMARKS[name]


def data_cache_dir() -> Path:
    from inspect_warmth.models.bundled import cache_root

    return cache_root() / "data"


def resolve_files(name: str, data_dir: str | Path | None = None) -> list[Path]:
    """The files of benchmark ``name``: from ``data_dir``, ``$INSPECT_WARMTH_DATA``, the cache, or a download."""
    spec = benchmark(name)
    named, origin = _named_dir(data_dir)
    if named is not None:
        if not named.is_dir():
            raise DataNotFoundError(f"{origin} {named} is not a directory")
        files = spec.local_files(named)
        if not files:
            raise DataNotFoundError(
                f"no {name} data under {origin} {named}: expected {named / spec.expected} "
                f"(or a parquet/arrow export in {named / spec.folder}). Without a data directory it would be "
                f"downloaded from {spec.remote.describe()}."
            )
        return files
    cached = _cache_folder(spec)
    files = spec.local_files(cached.parent) if cached.is_dir() else []
    if files:
        return files
    return download(spec)


def _named_dir(data_dir: str | Path | None) -> tuple[Path | None, str]:
    if data_dir is not None and str(data_dir) != "":
        return Path(data_dir).expanduser(), "data_dir"
    if env := os.environ.get(ENV_DATA_DIR):
        return Path(env).expanduser(), f"${ENV_DATA_DIR}="
    return None, ""


def _cache_folder(spec: Benchmark) -> Path:
    """``cache/data/<revision>/<folder>``: the cache mirrors the local layout, one tree per revision."""
    return data_cache_dir() / _safe(spec.remote.revision) / spec.folder


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


def is_offline() -> bool:
    return any(os.environ.get(var, "").strip().lower() in ("1", "true", "yes", "on") for var in _OFFLINE_VARS)


def _not_found(spec: Benchmark, reason: str) -> DataNotFoundError:
    return DataNotFoundError(
        f"no local copy of {spec.name} and {reason}. Put the file at <data dir>/{spec.expected} (the layout of "
        f"../shared/data) and pass -T data_dir=<data dir> or set {ENV_DATA_DIR}=<data dir>; online, it is "
        f"downloaded from {spec.remote.describe()} into {_cache_folder(spec)}."
    )


def download(spec: Benchmark) -> list[Path]:
    """Fetch ``spec`` from its canonical source into the cache; errors say where to put the files instead."""
    if is_offline():
        raise _not_found(spec, "downloads are switched off (offline)")
    target = _cache_folder(spec)
    target.mkdir(parents=True, exist_ok=True)
    try:
        fetch = _fetch_url if isinstance(spec.remote, UrlFile) else _fetch_hub
        fetch(spec.remote, target)  # type: ignore[arg-type]
    except (DataFormatError, DataNotFoundError):
        raise
    except Exception as err:
        raise _not_found(spec, f"the download failed ({type(err).__name__}: {err})") from err
    files = spec.local_files(target.parent)
    if not files:
        raise _not_found(spec, f"the download left no file in {target}")
    return files


def _fetch_hub(remote: HubDataset, target: Path) -> None:
    """``datasets.load_dataset`` at the pinned revision, saved as one parquet file (hub column names)."""
    import datasets

    args = (remote.id, remote.config) if remote.config else (remote.id,)
    dataset = datasets.load_dataset(*args, split=remote.split, revision=remote.revision)
    if len(dataset) == 0:
        raise DataFormatError(remote.id, f"split {remote.split!r} at revision {remote.revision} has no rows")
    partial = target / f"{remote.split}.parquet.partial"
    dataset.to_parquet(str(partial))
    partial.replace(target / f"{remote.split}.parquet")


_Opener = Callable[[str], bytes]


def _urlopen(url: str) -> bytes:
    from urllib.request import urlopen

    with urlopen(url, timeout=60) as response:
        return response.read()


def _fetch_url(remote: UrlFile, target: Path, opener: _Opener | None = None) -> None:
    """Download the first URL that answers with the expected sha256 (an LFS pointer or other bytes fail)."""
    opener = opener or _urlopen
    problems: list[str] = []
    for url in remote.urls:
        try:
            content = opener(url)
        except Exception as err:
            problems.append(f"{url}: {type(err).__name__}: {err}")
            continue
        digest = hashlib.sha256(content).hexdigest()
        if remote.sha256 is not None and digest != remote.sha256:
            problems.append(f"{url}: sha256 {digest[:12]}… is not the pinned {remote.sha256[:12]}…")
            continue
        partial = target / f"{remote.filename}.partial"
        partial.write_bytes(content)
        partial.replace(target / remote.filename)
        return
    raise ConnectionError("; ".join(problems))
