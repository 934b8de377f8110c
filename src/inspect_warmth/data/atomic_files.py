"""Files written whole or not at all: a crash or a kill mid-write leaves the old file (or none), never half a file.

Every JSON, JSONL, CSV, Markdown and HTML file the package writes goes through :func:`atomic_open` (or the helpers
on it): the content goes to a temporary file in the same directory (same file system), is flushed to disk
(``os.fsync``) and then renamed over the target with ``os.replace``, which POSIX makes atomic. A temporary file a
killed writer left behind (``.<name>.<random>.tmp``) is never read and is overwritten by the next write.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", *, newline: str | None = None) -> Iterator[IO[Any]]:
    """A handle to write ``path`` through (``mode`` ``"w"`` text, UTF-8, or ``"wb"``); the file appears at ``path``
    only when the block ends without an exception. Raises ValueError for another mode."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open: mode {mode!r}; expected 'w' or 'wb'")
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with (os.fdopen(fd, mode, encoding="utf-8", newline=newline) if mode == "w"
              else os.fdopen(fd, mode)) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_open(path) as handle:
        handle.write(text)


def write_json(path: str | os.PathLike[str], data: Any, indent: int | None = 2) -> None:
    """Write ``data`` as JSON (UTF-8, non-ASCII kept) to ``path`` atomically, with a final newline."""
    write_text(path, json.dumps(data, indent=indent, ensure_ascii=False) + "\n")


def write_csv(path: str | os.PathLike[str], table: Any) -> None:
    """Write a pandas DataFrame to ``path`` as CSV (no index) atomically."""
    with atomic_open(path, newline="") as handle:
        table.to_csv(handle, index=False)


def save_figure(path: str | os.PathLike[str], figure: Any, **savefig_args: Any) -> None:
    """``figure.savefig`` to ``path`` atomically (the format from the suffix, as matplotlib reads it)."""
    fmt = Path(path).suffix.lstrip(".") or None
    with atomic_open(path, "wb") as handle:
        figure.savefig(handle, format=fmt, **savefig_args)
