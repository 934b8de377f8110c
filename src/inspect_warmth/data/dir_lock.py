"""One command per output directory: a second command on the same ``--log-dir`` or ``--out`` stops at once.

Used by ``grid`` (``--log-dir``), ``demo`` and ``frontier`` (``--out``), ``finetune train`` (``--out``) and
``finetune rewrite`` (``DATA_DIR``, which holds its cache). It lives under ``data/``, below every command, so that
``finetune`` and ``run`` can both use it without an import circle.

    with directory_lock(log_dir, "grid"):
        ...  # the command's work

The lock is ``<directory>/.inspect-warmth.lock``, held with ``fcntl.flock`` (an advisory lock the kernel releases
when the holder exits, however it exits: a killed run never leaves it stuck) and holding the holder's pid, command
line and start time (JSON), which the second command's :class:`DirectoryBusy` names. The file is opened
close-on-exec, so a vLLM server or other process the command starts never inherits the lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

#: The lock file's name inside the locked directory.
LOCK_NAME = ".inspect-warmth.lock"


class DirectoryBusy(RuntimeError):
    """Another command holds the directory; the message names it (pid, command line, start time)."""


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return (f"pid {info['pid']}, `{info['command']}`, started {info['started']}"
                if isinstance(info, dict) else "another command")
    except (OSError, ValueError, KeyError):
        return "another command (it has not written its name yet)"


@contextlib.contextmanager
def directory_lock(directory: str | os.PathLike[str], what: str) -> Iterator[Path]:
    """Hold ``directory`` (created if missing, and removed again if the block wrote nothing in it) for this
    command for the block; ``what`` names the option (``--log-dir``, ``--out``) in the error. Raises
    :class:`DirectoryBusy` at once when another process holds it. Locks taken again by the same process (a grid
    inside the demo) are taken over by the block, not refused."""
    root = Path(directory)
    created = not root.exists()
    root.mkdir(parents=True, exist_ok=True)
    path = root / LOCK_NAME
    key = str(path.resolve())
    if key in _held:
        yield path
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DirectoryBusy(f"{what} {root} is in use by {_holder(path)}; wait for it to finish, stop it, or "
                                f"choose another {what} (the lock, {path}, is released when that command "
                                "exits, however it exits)") from None
        record = {"pid": os.getpid(), "command": " ".join(sys.argv),
                  "started": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(record).encode())
        _held.add(key)
        try:
            yield path
        finally:
            _held.discard(key)
            if created:  # a command that wrote nothing (say, refused options) leaves no empty directory
                with contextlib.suppress(OSError):
                    if [entry.name for entry in root.iterdir()] == [LOCK_NAME]:
                        path.unlink()
                        root.rmdir()
    finally:
        os.close(fd)  # releases the flock


#: Lock files this process holds (resolved paths).
_held: set[str] = set()
