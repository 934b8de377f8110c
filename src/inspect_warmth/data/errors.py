"""The two ways loading a benchmark fails: its files are nowhere to be found, or a file is not what it should be."""

from __future__ import annotations

from pathlib import Path


class DataNotFoundError(FileNotFoundError):
    """No local copy of a benchmark and no way to download it (offline, or the download failed)."""


class DataFormatError(ValueError):
    """A benchmark file is missing a field, has a malformed row, or holds no rows at all."""

    def __init__(self, file: Path | str, message: str, row: int | None = None, field: str | None = None):
        where = f"{file}" + (f", row {row}" if row is not None else "")
        detail = f"{message}" + (f" (expected field {field!r})" if field else "")
        super().__init__(f"{where}: {detail}")
        self.file = Path(file)
        self.row = row
        self.field = field
