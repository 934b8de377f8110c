"""Read a benchmark file of any accepted format into plain rows (``dict``), with errors that name file and row.

Formats: ``.jsonl`` (one object per line), ``.json`` (a list of objects, or JSON Lines as ``datasets``'
``to_json`` writes them), ``.csv`` (with a header, or without one
when ``columns`` is given), ``.parquet`` and ``.arrow`` (Hugging Face exports). Row numbers in errors are 1-based:
the line of a jsonl file, the data row of a csv (header not counted), the index + 1 of a json list or parquet.

Text is read as UTF-8 with an optional byte-order mark (``utf-8-sig``) and any line ending (LF, CRLF, CR), as files
saved by spreadsheets are: :func:`open_text` and :func:`read_text` are the one way the package opens a text file it
did not write itself (``.gz`` files are decompressed). Line breaks inside quoted CSV values read as ``\n``.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from inspect_warmth.data.errors import DataFormatError

Row = dict[str, Any]

#: UTF-8 that drops a leading byte-order mark (spreadsheets write one); plain UTF-8 reads the same.
TEXT_ENCODING = "utf-8-sig"
_LINE_END = re.compile(r"\r\n?")


def open_text(path: Path, newline: str | None = None) -> IO[str]:
    """``path`` opened for reading text (gzip-decompressed when it ends ``.gz``), BOM-tolerant.

    ``newline=None`` (default) turns CRLF and CR line ends into ``\n``; the CSV reader passes ``""`` as the
    :mod:`csv` module requires.
    """
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding=TEXT_ENCODING, newline=newline)
    return path.open(encoding=TEXT_ENCODING, newline=newline)


def read_text(path: Path) -> str:
    """The whole text of ``path`` (see :func:`open_text`): no byte-order mark, line ends ``\n``."""
    with open_text(path) as handle:
        return handle.read()


def read_rows(path: Path, columns: Sequence[str] | None = None) -> list[Row]:
    """All rows of ``path``; never an empty list (an empty file is an error)."""
    if not path.is_file():
        raise DataFormatError(path, "file not found")
    suffix = path.suffix.lower()
    try:
        if suffix == ".jsonl":
            rows = _read_jsonl(path)
        elif suffix == ".json":
            rows = _read_json(path)
        elif suffix == ".csv":
            rows = _read_csv(path, columns)
        elif suffix in (".parquet", ".arrow"):
            rows = _read_table(path)
        else:
            raise DataFormatError(
                path, f"unsupported file type {suffix!r}; expected .jsonl, .json, .csv, .parquet or .arrow"
            )
    except UnicodeDecodeError as err:
        raise DataFormatError(path, f"not UTF-8 text (byte {err.start}: {err.reason}); save it as UTF-8") from err
    if not rows:
        raise DataFormatError(path, "the file holds no rows")
    return rows


def _read_jsonl(path: Path) -> list[Row]:
    rows: list[Row] = []
    with open_text(path) as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise DataFormatError(path, f"invalid JSON ({err.msg})", row=line_no) from err
            if not isinstance(row, dict):
                raise DataFormatError(path, "expected a JSON object", row=line_no)
            rows.append(row)
    return rows


def _read_json(path: Path) -> list[Row]:
    """A JSON list of objects; a ``.json`` file holding JSON Lines (what ``datasets``' ``to_json`` writes by
    default) is read as JSON Lines."""
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as err:
        if err.msg == "Extra data" and err.lineno > 1:  # one value per line: JSON Lines under a .json name
            return _read_jsonl(path)
        raise DataFormatError(path, f"invalid JSON ({err.msg} at line {err.lineno})") from err
    if isinstance(data, dict) and isinstance(data.get("Data"), list):  # the original TriviaQA json layout
        data = data["Data"]
    if not isinstance(data, list):
        raise DataFormatError(path, "expected a JSON list of objects (or JSON Lines: one object per line, as "
                                    "datasets' to_json writes; a single object is neither)")
    for index, row in enumerate(data, start=1):
        if not isinstance(row, dict):
            raise DataFormatError(path, "expected a JSON object", row=index)
    return list(data)


def _read_csv(path: Path, columns: Sequence[str] | None) -> list[Row]:
    with open_text(path, newline="") as handle:
        reader = csv.reader(handle)
        header = list(columns) if columns is not None else next(reader, None)
        if header is None:
            return []
        rows: list[Row] = []
        for row_no, values in enumerate(reader, start=1):
            if not values:
                continue
            if len(values) != len(header):
                raise DataFormatError(
                    path, f"expected {len(header)} columns ({', '.join(header)}), found {len(values)}", row=row_no
                )
            rows.append(dict(zip(header, (_LINE_END.sub("\n", v) for v in values), strict=True)))
    return rows


def _read_table(path: Path) -> list[Row]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        if path.suffix.lower() == ".parquet":
            table = pq.read_table(path)
        else:
            with pa.memory_map(str(path)) as source:
                try:
                    table = pa.ipc.open_stream(source).read_all()
                except pa.ArrowInvalid:
                    table = pa.ipc.open_file(source).read_all()
    except (pa.ArrowInvalid, OSError) as err:
        raise DataFormatError(path, f"cannot read as {path.suffix[1:]} ({err})") from err
    return table.to_pylist()


def field(row: Row, name: str, file: Path, row_no: int, *, kind: type | tuple[type, ...] = str) -> Any:
    """``row[name]``, checked to be present, of type ``kind`` and (for strings) not blank."""
    if name not in row or row[name] is None:
        raise DataFormatError(file, "missing value", row=row_no, field=name)
    value = row[name]
    if not isinstance(value, kind):
        expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise DataFormatError(file, f"expected {expected}, found {type(value).__name__}", row=row_no, field=name)
    if isinstance(value, str) and not value.strip():
        raise DataFormatError(file, "empty value", row=row_no, field=name)
    return value
