"""The same samples in two logs (a renamed copy, a subfolder, a rerun): the copy from the newest run by the log's
own creation time is kept, whatever the file names, and the note says which and why.

Unit: one reply (each sample × epoch × scorer appears twice; the kept value is checked per reply).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from analysis_helpers import small_table, write_logs
from inspect_ai.log import read_eval_log, write_eval_log

from inspect_warmth.analysis.responses import responses_from_logs


def _table() -> pd.DataFrame:
    table = small_table(questions=4, seed=5, datasets=("triviaqa",))
    return table[table["variant"] == "original"].reset_index(drop=True)


def _restamp(path: str, created: str, to: Path) -> Path:
    log = read_eval_log(path)
    log.eval.created = created
    to.parent.mkdir(parents=True, exist_ok=True)
    write_eval_log(log, str(to))
    Path(path).unlink()
    return to


def test_newest_run_by_creation_time_wins_over_file_name(tmp_path: Path) -> None:
    table = _table()
    flipped = table.assign(is_incorrect=1 - table["is_incorrect"])
    [new] = write_logs(table, tmp_path / "w1")
    [old] = write_logs(flipped, tmp_path / "w2")
    logs = tmp_path / "logs"
    # the OLDER run sorts last by name and sits in a subfolder; the newer one is a "renamed copy" named first
    newer = _restamp(new, "2026-03-02T10:00:00+00:00", logs / "a-copy.eval")
    older = _restamp(old, "2026-03-02T11:30:00+02:00", logs / "zz" / "rerun.eval")  # 09:30 UTC: older
    responses = responses_from_logs([logs])
    got = responses.table.set_index("sample_id")["is_incorrect"].sort_index()
    want = table.assign(sample_id=lambda t: "triviaqa-" + t["question_id"] + "-" + t["template"] + "-"
                        + t["amendment"]).set_index("sample_id")["is_incorrect"].sort_index()
    want = want[want.notna()].astype(int)
    assert got.loc[want.index].tolist() == want.tolist()
    assert set(responses.table["log"]) == {newer.as_uri()}
    [note] = [n for n in responses.notes if "more than one log" in n]
    assert f"{len(table)} replies appeared in more than one log" in note
    assert "newest run by the log's creation time (eval.created)" in note
    assert f"from {newer.as_uri()} (created 2026-03-02 10:00:00+00:00) over {older.as_uri()}" in note


def test_a_stopped_newest_copy_does_not_displace_a_usable_one(tmp_path: Path) -> None:
    table = _table()
    [done] = write_logs(table, tmp_path / "w1")
    [stopped] = write_logs(table, tmp_path / "w2", status="error")
    logs = tmp_path / "logs"
    usable = _restamp(done, "2026-03-02T10:00:00+00:00", logs / "first.eval")
    _restamp(stopped, "2026-03-02T12:00:00+00:00", logs / "second.eval")
    responses = responses_from_logs([logs])
    assert set(responses.table["log"]) == {usable.as_uri()}
    assert len(responses.table) == table["is_incorrect"].notna().sum()
    [note] = [n for n in responses.notes if "more than one log" in n]
    assert f"for {len(table)} of them the newest copy was set aside" in note
