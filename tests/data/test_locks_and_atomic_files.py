"""A crash loses nothing: one command per output directory (a killed one leaves no stuck lock), files written whole
or not at all, and an append-only cache torn by a kill named and cut, never read as data. Every test takes under
a few seconds (subprocesses killed with SIGKILL stand in for a killed run)."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from inspect_warmth.data.atomic_files import atomic_open, write_json
from inspect_warmth.data.dir_lock import LOCK_NAME, DirectoryBusy, directory_lock
from inspect_warmth.finetune.files import append_jsonl, cut_torn_tail, read_jsonl


def _holder(directory: Path) -> subprocess.Popen[str]:
    """A process that takes the lock on ``directory``, says so, and sleeps."""
    code = textwrap.dedent(f"""
        import time
        from inspect_warmth.data.dir_lock import directory_lock
        with directory_lock({str(directory)!r}, "--log-dir"):
            print("held", flush=True)
            time.sleep(300)
    """)
    process = subprocess.Popen([sys.executable, "-c", code, "grid", "--log-dir", str(directory)],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


def test_a_second_command_stops_at_once_naming_the_first(tmp_path: Path) -> None:
    """Unit: one pair of commands on one directory."""
    first = _holder(tmp_path)
    try:
        started = time.monotonic()
        with pytest.raises(DirectoryBusy) as busy, directory_lock(tmp_path, "--log-dir"):
            pass
        assert time.monotonic() - started < 5, "the second command waited instead of stopping"
        message = str(busy.value)
        assert f"pid {first.pid}" in message and "--log-dir" in message and str(tmp_path) in message
        assert "grid --log-dir" in message and "started " in message
    finally:
        first.kill()
        first.wait()


def test_a_killed_commands_lock_is_taken_over(tmp_path: Path) -> None:
    """Unit: one command killed with SIGKILL while it holds the directory."""
    first = _holder(tmp_path)
    first.send_signal(signal.SIGKILL)
    first.wait()
    with directory_lock(tmp_path, "--log-dir") as path:
        assert json.loads(path.read_text())["pid"] != first.pid


def test_the_grid_command_refuses_a_busy_log_dir(tmp_path: Path) -> None:
    """Unit: one grid command on a directory another command holds; it stops before any work."""
    from inspect_warmth.run.cli import grid

    first = _holder(tmp_path)
    try:
        result = CliRunner().invoke(grid, ["--family", "f", "--model", "a=mockllm/model", "--tasks", "triviaqa",
                                           "--scorer", "reference", "--log-dir", str(tmp_path)])
        assert result.exit_code == 1, result.output
        assert f"pid {first.pid}" in result.output
        assert [p.name for p in tmp_path.iterdir()] == [LOCK_NAME], "the grid wrote something"
    finally:
        first.kill()
        first.wait()


def test_a_refused_command_leaves_no_directory_behind(tmp_path: Path) -> None:
    """Unit: one `finetune train` refused for its options (it takes the --out lock before checking them): the
    directory the lock made is gone; one the user made stays."""
    from inspect_warmth.finetune.cli import finetune

    data = tmp_path / "data"
    data.mkdir()
    (data / "train.warm.jsonl").write_text('{"id": "c0", "messages": []}\n')
    for out, made_by_user in ((tmp_path / "new-run", False), (tmp_path / "user-dir", True)):
        if made_by_user:
            out.mkdir()
        result = CliRunner().invoke(finetune, ["train", str(data), "--style", "warm", "--base", "smollm2-135m",
                                               "--out", str(out), "--epochs", "2", "--save-epochs", "3",
                                               "--select-epoch", "2"])
        assert result.exit_code == 1 and "save" in result.output, result.output
        assert out.exists() is made_by_user
        if made_by_user:
            assert list(out.iterdir()) == []


def test_a_write_killed_midway_leaves_the_old_file(tmp_path: Path) -> None:
    """Unit: one file, rewritten by a process killed with SIGKILL in the middle of the write."""
    target = tmp_path / "summary.json"
    write_json(target, {"version": 1})
    code = textwrap.dedent(f"""
        import os, time
        from inspect_warmth.data.atomic_files import atomic_open
        with atomic_open({str(target)!r}) as handle:
            handle.write('{{"version": 2, "half": ')
            handle.flush()
            print("writing", flush=True)
            time.sleep(300)
    """)
    writer = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    assert json.loads(target.read_text()) == {"version": 1}
    write_json(target, {"version": 3})  # the next write is not blocked by the killed one's temporary file
    assert json.loads(target.read_text()) == {"version": 3}


def test_an_exception_inside_the_write_leaves_no_file(tmp_path: Path) -> None:
    """Unit: one write that fails."""
    target = tmp_path / "table.csv"
    with pytest.raises(RuntimeError), atomic_open(target) as handle:
        handle.write("a,b\n1,")
        raise RuntimeError("crash")
    assert list(tmp_path.iterdir()) == []


def test_a_torn_cache_line_is_named_cut_and_redone_not_read(tmp_path: Path,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    """Unit: one append-only cache whose writer was killed mid-line (as an older version, which did not fsync,
    could leave it)."""
    cache = tmp_path / "rewrite.warm.cache.jsonl"
    with cache.open("a", encoding="utf-8") as handle:
        append_jsonl(handle, {"key": "a", "status": "ok"})
    with cache.open("a", encoding="utf-8") as handle:
        handle.write('{"key": "b", "sta')  # torn
    with caplog.at_level(logging.WARNING):
        assert read_jsonl(cache, tolerate_torn_tail=True) == [{"key": "a", "status": "ok"}]
        assert cut_torn_tail(cache) == len('{"key": "b", "sta')
    assert str(cache) in caplog.text and "unfinished last line" in caplog.text
    with cache.open("a", encoding="utf-8") as handle:
        append_jsonl(handle, {"key": "b", "status": "ok"})
    assert [row["key"] for row in read_jsonl(cache)] == ["a", "b"]


def test_a_bad_line_inside_a_cache_names_the_file_and_row(tmp_path: Path) -> None:
    """Unit: one cache with a corrupt line that is not the last (not a kill: never skipped)."""
    cache = tmp_path / "cache.jsonl"
    cache.write_text('{"key": "a"}\n{"key": \n{"key": "c"}\n')
    with pytest.raises(ValueError, match=rf"{cache.name}, row 2: invalid JSON"):
        read_jsonl(cache, tolerate_torn_tail=True)
