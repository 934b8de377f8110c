"""The grid runner: dry-run counts and estimate on mockllm, and labelled, resumable eval_set logs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from inspect_ai.model import ModelOutput, ModelUsage

from inspect_warmth.analysis.responses import load_responses
from inspect_warmth.run import grid as g
from inspect_warmth.run.cli import grid

TASK = str(Path(__file__).with_name("grid_task.py")) + "@tiny"


def _mock_outputs(n: int) -> list[ModelOutput]:
    outputs = []
    for i in range(n):
        out = ModelOutput.from_content("mockllm/model", f"reply {i}")
        out.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        outputs.append(out)
    return outputs


def _plan(tmp_path: Path, **kwargs: Any) -> g.GridPlan:
    args: dict[str, Any] = {"family": "tinyfam", "models": ["original=mockllm/model", "warm=mockllm/model"],
                            "tasks": TASK, "contexts": "all", "templates": "all", "samples": 3, "seed": 0,
                            "log_dir": str(tmp_path / "logs"), "grader": None, "scorer": "reference",
                            "capability": False, "data_dir": None, "model_args": {"custom_outputs":
                                                                                 _mock_outputs(40)}}
    args.update(kwargs)
    return g.make_plan(**args)


def test_dry_run_counts_and_estimates(tmp_path: Path) -> None:
    plan = _plan(tmp_path, scorer="judge", grader="mockllm/model")
    result = g.dry_run(plan, warmup=2)
    assert result.samples_per_task == {TASK: 12}  # 3 questions x 2 templates x 2 amendments
    assert result.generations == 24 and result.judge_calls == 24
    assert result.warmup_prompts == 2 and result.seconds_per_generation is not None
    text = g.dry_run_text(plan, result)
    assert "generations: 24" in text and "judge calls: at most 24" in text and "is an estimate" in text
    assert not (tmp_path / "logs").exists()
    capped = g.dry_run(_plan(tmp_path), warmup=2, warmup_max_tokens=5)
    assert capped.capped_at_tokens == 5 and capped.seconds_per_generation is not None
    assert "upper bound" in g.dry_run_text(plan, capped)


def test_dry_run_warms_up_at_the_models_concurrency(tmp_path: Path) -> None:
    from inspect_ai.model import get_model

    connections = get_model("mockllm/model", memoize=False).api.max_connections()
    result = g.dry_run(_plan(tmp_path, samples=10))  # 40 samples: more than the model takes at once
    assert 1 < connections < 40 and result.warmup_prompts == connections
    assert "sent at once" in g.dry_run_text(_plan(tmp_path), result)


def test_grid_labels_logs_per_variant(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    assert g.run_grid(plan, display="none")
    responses = load_responses([tmp_path / "logs"])
    table = responses.table
    assert set(table["variant"]) == {"original", "warm"} and set(table["model"]) == {"tinyfam"}
    assert len(table) == 24 and table.groupby("variant")["is_incorrect"].sum().to_dict() == {"original": 4,
                                                                                             "warm": 4}
    assert sorted(p.parent.name for p in (tmp_path / "logs").rglob("*.eval")) == ["original", "warm"]


def test_cli_errors_are_usage_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(grid, ["--family", "f", "--model", "nomodel", "--log-dir", str(tmp_path)])
    assert result.exit_code == 2 and "expected VARIANT=MODEL" in result.output
    result = runner.invoke(grid, ["--family", "f", "--model", "a=mockllm/model", "--log-dir", str(tmp_path)])
    assert result.exit_code == 2 and "--grader" in result.output
    with pytest.raises(ValueError, match="KEY=VALUE"):
        g.parse_model_args(["novalue"])
    assert g.parse_model_args(["batch_size=8", "device=cuda:0"]) == {"batch_size": 8, "device": "cuda:0"}


def test_judge_context_reaches_the_study_tasks_only_when_asked(tmp_path: Path) -> None:
    """The paper's judge context stays out of the task arguments (and so out of eval_set's task identity); the
    user-turn context is passed to every study task and needs the judge. Unit: one grid plan."""
    assert "judge_context" not in _plan(tmp_path).study_args
    plan = _plan(tmp_path, scorer="judge", grader="mockllm/grader", judge_context="user_turn")
    assert plan.study_args["judge_context"] == "user_turn"
    with pytest.raises(ValueError, match="needs --scorer judge"):
        _plan(tmp_path, judge_context="user_turn")


def test_rerun_resumes_and_other_settings_get_a_clear_error(tmp_path: Path) -> None:
    """The same grid again resumes (no new log); with another sample count in the same --log-dir eval_set cannot pair
    the logs with the tasks, and the grid says which directory and what differs instead of Inspect's "not
    associated with a task passed to eval_set", having generated nothing. Unit: one log directory."""
    one = {"models": ["original=mockllm/model"], "model_args": {"custom_outputs": _mock_outputs(40)}}
    assert g.run_grid(_plan(tmp_path, **one), display="none")
    logs = sorted((tmp_path / "logs").rglob("*.eval"))
    assert g.run_grid(_plan(tmp_path, **one), display="none")
    assert sorted((tmp_path / "logs").rglob("*.eval")) == logs

    with pytest.raises(g.LogDirMismatch) as caught:
        g.run_grid(_plan(tmp_path, **one, samples=4), display="none", max_tokens=7)
    message = str(caught.value)
    assert str(tmp_path / "logs" / "original") in message, message
    assert "task argument samples: 3 in the logs, 4 now" in message, message
    assert "max_tokens: None in the logs, 7 now" in message, message
    assert sorted((tmp_path / "logs").rglob("*.eval")) == logs

    args = ["--family", "tinyfam", "--model", "original=mockllm/model", "--tasks", TASK, "--samples", "3",
            "--contexts", "all", "--templates", "all", "--scorer", "reference", "--log-dir", str(tmp_path / "logs")]
    result = CliRunner().invoke(grid, args)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert "model: mockllm/model in the logs" not in result.output  # same model, no mock outputs now
    assert "model argument custom_outputs: differs" in result.output, result.output
    assert "holds logs of other tasks" in result.output and "another --log-dir" in result.output, result.output


def test_grid_dry_run_prints_the_gate_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(g, "dry_run", lambda plan, **kwargs: None)  # no warm-up generations here
    monkeypatch.setattr(g, "dry_run_text", lambda plan, result: "generations: (stub)")
    result = CliRunner().invoke(grid, ["--family", "f", "--model", "base=mockllm/model", "--tasks",
                                       "triviaqa,truthfulqa,disinfo,medqa", "--contexts", "unmodified,emotion:sad",
                                       "--templates", "original,incorrect", "--samples", "100", "--log-dir",
                                       str(tmp_path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "gate plan: 100 questions × 4 datasets × 4 conditions" in result.output
