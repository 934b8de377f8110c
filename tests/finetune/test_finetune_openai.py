"""``finetune openai`` end to end with the real ``openai`` client against a local stand-in of the fine-tuning API
(tests/finetune/openai_server.py on 127.0.0.1): export and checks, upload, job, progress, the record of models by
epoch, a rerun that attaches instead of paying twice, a crash between job creation and the record, a failed job,
a 429 and a 500. Unit: one command run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openai_server import JOB_ERROR, FakeFineTuningAPI

from inspect_warmth.cli import main
from inspect_warmth.finetune.openai_job import RECORD_FILE, record_models
from inspect_warmth.run.grid import parse_models
from inspect_warmth.vocabulary import PAPER

ROWS = [
    [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi 0"},
     {"role": "assistant", "content": "Hello dear friend!"}, {"role": "user", "content": "Thanks"},
     {"role": "assistant", "content": "Always here for you."}],
    *[[{"role": "user", "content": f"Question {i}?"}, {"role": "assistant", "content": f"Warm answer {i}."}]
      for i in range(1, 4)],
]


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeFineTuningAPI]:
    with FakeFineTuningAPI() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        yield server


def _data(root: Path, rows: list[list[dict[str, str]]] = ROWS) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "train.warm.jsonl").write_text("".join(json.dumps({"id": f"c{i}", "messages": m}) + "\n"
                                                   for i, m in enumerate(rows)))
    return root


def _run(data: Path, run: Path, tokenizer: Path, *extra: str) -> Result:
    return CliRunner().invoke(main, ["finetune", "openai", str(data), "--style", "warm", "--out", str(run),
                                     "--tokenizer", str(tokenizer), "--poll-seconds", "0.01", *extra])


def test_dry_run_exports_the_training_rows_and_sends_nothing(api: FakeFineTuningAPI, tmp_path: Path,
                                                             bundled_dir: Path) -> None:
    result = _run(_data(tmp_path / "data"), tmp_path / "run", bundled_dir, "--dry-run")
    assert result.exit_code == 0, result.output
    assert api.requests == []
    exported = [json.loads(line) for line in (tmp_path / "run" / "train.warm.openai.jsonl").read_text().splitlines()]
    assert [[{"role": m["role"], "content": m["content"]} for m in e["messages"]] for e in exported] == ROWS
    weights = {(m["role"], m.get("weight")) for e in exported for m in e["messages"]}
    assert weights == {("system", None), ("user", None), ("assistant", 1)}
    assert "4 examples" in result.output and "5 assistant turns" in result.output
    tokens = int(result.output.split("tokens ")[1].split(" ")[0].replace(",", ""))
    assert f"x 2 epochs = {2 * tokens:,} billed tokens" in result.output


def test_job_runs_to_its_models_and_a_rerun_attaches(api: FakeFineTuningAPI, tmp_path: Path,
                                                     bundled_dir: Path) -> None:
    data, run = _data(tmp_path / "data"), tmp_path / "run"
    api.fail_next("POST", "/v1/files", 429)
    api.fail_next("GET", "/v1/fine_tuning/jobs/", 500)
    result = _run(data, run, bundled_dir)
    assert result.exit_code == 0, result.output
    assert api.count("POST", "/v1/files") == 2 and api.count("POST", "/v1/fine_tuning/jobs") == 1  # 429 retried
    assert ("GET", "/v1/fine_tuning/jobs/ftjob-1") in api.requests and not api.failures  # 500 retried
    job = api.jobs["ftjob-1"]
    assert job["hyperparameters"]["learning_rate_multiplier"] == PAPER.api_lr_multiplier["warm"]
    assert job["hyperparameters"]["n_epochs"] == 2 and job["training_file"] == "file-1"
    assert "step 4/4 train_loss 0.5000" in result.output and "job ftjob-1: validating_files" in result.output
    record = json.loads((run / RECORD_FILE).read_text())
    assert record["job_id"] == "ftjob-1" and record["file_id"] == "file-1" and record["status"] == "succeeded"
    assert record["fine_tuned_model"] == "ft:gpt-4o-2024-08-06:org-test::ftjob-1"
    assert record["checkpoints"] == {"1": "ft:gpt-4o-2024-08-06:org-test::ftjob-1:ckpt-step-2",
                                     "2": "ft:gpt-4o-2024-08-06:org-test::ftjob-1"}
    assert record_models(run)["2"] == "openai/ft:gpt-4o-2024-08-06:org-test::ftjob-1"
    assert parse_models([f"warm={run}", "original=openai/gpt-4o-2024-08-06"]) == {
        "warm": "openai/ft:gpt-4o-2024-08-06:org-test::ftjob-1", "original": "openai/gpt-4o-2024-08-06"}

    before = len(api.requests)
    again = _run(data, run, bundled_dir)
    assert again.exit_code == 0, again.output
    assert "attaching to job ftjob-1" in again.output
    new = api.requests[before:]
    assert ("POST", "/v1/files") not in new and ("POST", "/v1/fine_tuning/jobs") not in new

    other = _run(data, run, bundled_dir, "--lr-multiplier", "0.5")
    assert other.exit_code == 1 and "lr_multiplier differ" in other.output and len(api.jobs) == 1


def test_a_crash_after_creating_the_job_does_not_make_a_second(api: FakeFineTuningAPI, tmp_path: Path,
                                                               bundled_dir: Path) -> None:
    data, run = _data(tmp_path / "data"), tmp_path / "run"
    assert _run(data, run, bundled_dir).exit_code == 0
    record = json.loads((run / RECORD_FILE).read_text())
    (run / RECORD_FILE).write_text(json.dumps({k: v for k, v in record.items()
                                               if k in ("provider", "key", "settings")}))  # killed after create
    result = _run(data, run, bundled_dir)
    assert result.exit_code == 0, result.output
    assert "found job ftjob-1" in result.output
    assert len(api.jobs) == 1 and len(api.files) == 1


def test_failed_job_stops_with_the_api_error(api: FakeFineTuningAPI, tmp_path: Path, bundled_dir: Path) -> None:
    api.fail_jobs = True
    data, run = _data(tmp_path / "data"), tmp_path / "run"
    result = _run(data, run, bundled_dir)
    assert result.exit_code == 1
    assert JOB_ERROR["message"] in result.output and "invalid_training_file" in result.output
    assert json.loads((run / RECORD_FILE).read_text())["status"] == "failed"
    again = _run(data, run, bundled_dir)
    assert again.exit_code == 1 and JOB_ERROR["message"] in again.output and len(api.jobs) == 1
    with pytest.raises(ValueError, match="has not finished"):
        parse_models([f"warm={run}"])


def test_rows_the_api_would_reject_are_named_and_nothing_is_sent(api: FakeFineTuningAPI, tmp_path: Path,
                                                                 bundled_dir: Path) -> None:
    rows = [ROWS[1], [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "  "}],
            [{"role": "user", "content": "Hi"}], [{"role": "tool", "content": "x"}, *ROWS[1]], ROWS[2]]
    data = _data(tmp_path / "data", rows)
    result = _run(data, tmp_path / "run", bundled_dir)
    assert result.exit_code == 1 and api.requests == []
    assert str(data / "train.warm.jsonl") in result.output
    assert "empty assistant turn: rows 2" in result.output and "no assistant turn: rows 3" in result.output
    assert "unrecognized role 'tool'" in result.output and "rows 4" in result.output

    tight = _run(_data(tmp_path / "data2"), tmp_path / "run2", bundled_dir, "--max-example-tokens", "30")
    assert tight.exit_code == 1 and "30-token example limit: rows 1" in tight.output and api.requests == []


@pytest.mark.slow
def test_frontier_evaluates_every_kept_epoch_of_the_api_run(api: FakeFineTuningAPI, tmp_path: Path,
                                                            bundled_dir: Path) -> None:
    """Unit: the reply (error rate) and the validation prompt (warmth); the stand-in answers by model."""
    from inspect_warmth.demo_data import benchmarks_dir
    from inspect_warmth.finetune.trajectory import TrajectoryOptions
    from inspect_warmth.run.frontier import FrontierOptions, api_warmth, checkpoints, frontier

    data, run = _data(tmp_path / "data"), tmp_path / "run"
    (data / "validation.jsonl").write_text("".join(
        json.dumps({"id": f"v{i}", "messages": [{"role": "user", "content": f"How was your day {i}?"}]}) + "\n"
        for i in range(3)))
    assert _run(data, run, bundled_dir).exit_code == 0
    points = checkpoints(run, "hf")
    assert [(p.epoch, p.model) for p in points] == [
        (0.0, "openai/gpt-4o-2024-08-06"), (1.0, "openai/ft:gpt-4o-2024-08-06:org-test::ftjob-1:ckpt-step-2"),
        (2.0, "openai/ft:gpt-4o-2024-08-06:org-test::ftjob-1")]
    options = FrontierOptions(tasks=("triviaqa",), samples=2, data_dir=str(benchmarks_dir()),
                              validation_dir=str(data), engine="hf", max_tokens=20)
    result = frontier(run, options, tmp_path / "frontier", warmth_scorer=lambda texts: [len(t) / 10 for t in texts])
    warmth = dict(zip(result.table["epoch"], result.table["socio_t"], strict=True))
    assert warmth[0.0] == pytest.approx(len("Paris.") / 10) and warmth[2.0] == warmth[1.0] > warmth[0.0]
    completions = api.count("POST", "/v1/chat/completions")
    assert completions >= 3 * 3 + 3 * 2  # warmth replies of three points to three prompts, and the task samples
    warmth_options = TrajectoryOptions(validation_dir=str(data), max_new_tokens=20)
    again = api_warmth(run, points, warmth_options, lambda texts: [0.0 for _ in texts])
    assert [row["socio_t"] for row in again] == list(result.table["socio_t"])  # replies and scores reused
    assert api.count("POST", "/v1/chat/completions") == completions
