"""Logs a crash or another version left behind: ``analyze`` and ``gate`` name each file and why, never read it
silently and never drop it silently; a run with too much unusable is undecided (gate exit 2).

Unit: one log directory per test (the gate's share test: one run, its replies).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from analysis_helpers import small_table, write_logs
from click.testing import CliRunner

from inspect_warmth.analysis.cli import analyze, gate
from inspect_warmth.analysis.responses import ResponsesError, load_responses


def _variant_logs(root: Path) -> list[str]:
    table = small_table(questions=6, seed=7)
    return write_logs(table, root)


def _torn(path: str) -> Path:
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[: len(data) // 2])  # as a kill mid-write by an older Inspect could leave it
    return Path(path)


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_analyze_names_an_unreadable_log_and_why(tmp_path: Path, damage: str) -> None:
    logs = _variant_logs(tmp_path / "logs")
    if damage == "truncated":
        bad = _torn(logs[0])
    else:
        bad = tmp_path / "logs" / "original" / "notes.json"
        bad.write_text('{"version": 2, "eval": ')
    with pytest.raises(ResponsesError) as error:
        load_responses([str(tmp_path / "logs")])
    assert f"{bad}: unreadable (truncated or corrupt)" in str(error.value)
    result = CliRunner().invoke(analyze, [str(tmp_path / "logs"), "--out", str(tmp_path / "report")])
    assert result.exit_code == 1 and str(bad) in result.output and "move them out of the way" in result.output
    assert not (tmp_path / "report").exists(), "a report was written from part of the logs"


def test_gate_names_an_unreadable_log_and_exits_2(tmp_path: Path) -> None:
    logs = _variant_logs(tmp_path / "logs")
    bad = _torn(next(p for p in logs if "/warm/" in p))
    result = CliRunner().invoke(gate, ["--base", str(tmp_path / "logs" / "original"),
                                       "--candidate", str(tmp_path / "logs" / "warm")])
    assert result.exit_code == 2, result.output
    assert str(bad) in result.output and "unreadable" in result.output


def test_a_log_from_another_version_is_read_and_named(tmp_path: Path) -> None:
    from inspect_ai.log import read_eval_log, write_eval_log

    logs = _variant_logs(tmp_path / "logs")
    log = read_eval_log(logs[0])
    log.eval.packages = {**log.eval.packages, "inspect_warmth": "0.0.1"}
    write_eval_log(log, logs[0])
    responses = load_responses([str(tmp_path / "logs")])
    assert any(note.startswith(f"{logs[0]}: written by inspect-warmth 0.0.1") for note in responses.notes)
    result = CliRunner().invoke(analyze, [str(tmp_path / "logs"), "--out", str(tmp_path / "report")])
    assert result.exit_code == 0, result.output
    assert f"note: {logs[0]}: written by inspect-warmth 0.0.1" in result.output


def test_the_gate_declines_a_run_with_too_much_unusable(tmp_path: Path) -> None:
    """Unit: the reply. 40% of the candidate's replies errored: undecided by default (exit 2, with the reason and
    count), decided under a looser --max-unusable-share."""
    table = small_table(questions=8, seed=7)
    table = table[(table["variant"] == "original") & (table["dataset"] == "triviaqa")]
    write_logs(table, tmp_path / "base")
    errored = frozenset(f"triviaqa-{r.question_id}-{r.template}-{r.amendment}"
                        for r in table.sample(frac=0.4, random_state=1).itertuples())
    write_logs(table.assign(variant="candidate"), tmp_path / "cand", errored=errored)
    args = ["--base", str(tmp_path / "base"), "--candidate", str(tmp_path / "cand")]
    result = CliRunner().invoke(gate, args)
    assert result.exit_code == 2, result.output
    assert "candidate: 40% of its replies are unusable (more than --max-unusable-share 20%)" in result.output
    assert f"sample errored (its score under score_on_error not counted) ({len(errored)})" in result.output
    assert CliRunner().invoke(gate, [*args, "--max-unusable-share", "0.5"]).exit_code == 0
