"""``inspect-warmth demo --quick`` end to end (the README's first command, at its smallest scale)."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import click
import pandas as pd
import pytest
from click.testing import CliRunner

from inspect_warmth.run.demo import FRONTIER_BUDGET_PP, QUICK, STEPS, WARM_EPOCH, demo
from inspect_warmth.run.demo_outdir import MANIFEST_FILE, TIMINGS_KEY, prepare_out, record_timings
from inspect_warmth.run.vllm_engine import Engine
from inspect_warmth.vocabulary import STUDY_DATASETS as STUDY_TASKS

#: Samples per task of each variant: base and warm under 2 contexts × 3 templates (original, incorrect, pushback);
#: the other saved epochs under the unmodified original prompt only (the frontier's points).
SAMPLES_PER_TASK = {"original": QUICK.questions * 6, "warm": QUICK.questions * 6,
                    **{f"epoch-{e:g}": QUICK.questions for e in QUICK.save_epochs if e != WARM_EPOCH}}


def samples_lost_and_duplicated(out: Path) -> tuple[int, int]:
    """What a finished quick demo in ``out`` lacks and holds twice: samples over its successful logs (per variant,
    task, sample id and epoch, against :data:`SAMPLES_PER_TASK`) and trajectory replies (per epoch and prompt, against
    every saved epoch and the base). Returns ``(lost, duplicated)``; benchmarks/faults.py counts with it too."""
    from collections import Counter

    from inspect_ai.log import list_eval_logs, read_eval_log

    from inspect_warmth.finetune.files import read_jsonl

    seen: Counter[tuple[str, str, str, int]] = Counter()
    for info in list_eval_logs(str(out / "logs"), recursive=True):
        log = read_eval_log(info)
        if log.status == "success":
            variant = str((log.eval.metadata or {}).get("variant"))
            seen.update((variant, log.eval.task, str(s.id), s.epoch) for s in log.samples or [])
    per_variant = Counter(key[0] for key in seen)
    lost = sum(max(0, n * len(STUDY_TASKS) - per_variant[v]) for v, n in SAMPLES_PER_TASK.items())
    duplicated = sum(n - 1 for n in seen.values())
    replies = [r for path in (out / "warm-smollm2" / "trajectory").glob("replies-*") for r in read_jsonl(path)]
    keys = Counter((str(r["epoch"]), str(r["id"])) for r in replies)
    lost += max(0, QUICK.validation_prompts * (len(QUICK.save_epochs) + 1) - len(keys))
    duplicated += sum(n - 1 for n in keys.values())
    return lost, duplicated


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory, engine: Engine) -> tuple[Path, str]:
    """The quick demo, on the package's vLLM server (tests/run/conftest.py: same base, LoRA rank 8 as the demo's)."""
    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(demo, ["--quick", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out, result.output


@pytest.mark.heavy
def test_writes_the_report_and_json(demo_run: tuple[Path, str]) -> None:
    out, output = demo_run
    report = out / "report"
    for name in ("report.html", "summary.md", "analysis.json"):
        assert (report / name).stat().st_size > 0, name
    assert list((report / "figures").glob("*.png")), "figures are written"
    assert "report:" in output and "SocioT warmth: base" in output
    headline = [line for line in output.splitlines() if line.startswith("error rate ")]
    assert len(headline) == 2 and "with an incorrect belief" in headline[1], headline
    assert "Pushback (flip rate)" in (report / "summary.md").read_text()
    assert "Pushback (flip rate)" in (report / "report.html").read_text()


@pytest.mark.heavy
def test_pushback_flip_rates(demo_run: tuple[Path, str]) -> None:
    """The headline's flip-rate line agrees with analysis.json's pooled paired rows (unit: the question within
    dataset × context); the epoch variants have no pushback replies."""
    out, output = demo_run
    pushback = json.loads((out / "report" / "analysis.json").read_text())["pushback"]
    assert {r["variant"] for r in pushback["flip_rates"]} == {"original", "warm"}
    pooled = {r["amendment"]: r for r in pushback["paired"] if r["dataset"] == "all" and r["candidate"] == "warm"}
    assert set(pooled) == {"unmodified", "emotion:sad"}
    lines = [line for line in output.splitlines() if line.startswith("pushback flip rate")]
    assert len(lines) == 1 and lines[0].index("[unmodified]") < lines[0].index("[emotion:sad]"), lines
    rates = {(r["variant"], r["amendment"]): r for r in pushback["flip_rates"] if r["dataset"] == "all"}
    for amendment, row in pooled.items():
        base, warm = rates["original", amendment], rates["warm", amendment]
        assert 0 <= base["n_first_right"] <= QUICK.questions * len(STUDY_TASKS)
        part = (f"[{amendment}] base {base['n_flipped']}/{base['n_first_right']}, "
                f"warm {warm['n_flipped']}/{warm['n_first_right']}")
        if row["n_questions"]:
            noun = "question" if row["n_questions"] == 1 else "questions"
            part += f"; paired on {row['n_questions']} {noun} {row['difference_pp']:+.1f} pp"
        assert part in lines[0], (part, lines[0])


@pytest.mark.heavy
def test_frontier(demo_run: tuple[Path, str]) -> None:
    """One frontier row per saved epoch plus the base (epoch 0), errors on the unmodified original prompts (unit:
    the reply), warmth from the trajectory; the printed choice is the CSV's."""
    out, output = demo_run
    report = out / "report"
    assert (report / "frontier.png").stat().st_size > 0
    table = pd.read_csv(report / "frontier.csv")
    assert list(table["epoch"]) == [0, *QUICK.save_epochs]
    assert (table["n_scored"] + table["n_unscored"] + table["n_refusals_dropped"]
            == QUICK.questions * len(STUDY_TASKS)).all(), table
    assert table["error_pp"].between(0, 100).all() and table["socio_t"].notna().all()
    trajectory = pd.read_csv(out / "trajectory.csv").sort_values("epoch")
    assert list(table["socio_t"]) == pytest.approx(list(trajectory["socio_t"]))
    assert table["chosen"].sum() <= 1
    lines = [line for line in output.splitlines() if line.startswith("warmth-error frontier")]
    assert len(lines) == 1, lines
    chosen = table.loc[table["chosen"], "epoch"]
    assert lines[0].endswith(f"+{FRONTIER_BUDGET_PP:g} pp of the base's error (point estimates): "
                             + ("none" if chosen.empty else f"epoch {chosen.iloc[0]:g}")), lines[0]
    within = table[table["error_pp"] - table.loc[0, "error_pp"] <= FRONTIER_BUDGET_PP]
    assert chosen.empty or table.loc[table["chosen"], "socio_t"].iloc[0] == within["socio_t"].max()


@pytest.mark.heavy
def test_analysis_json_is_sane(demo_run: tuple[Path, str]) -> None:
    out, _ = demo_run
    result = json.loads((out / "report" / "analysis.json").read_text())
    assert result["cells"], "paired cells are reported"
    per_dataset: dict[str, int] = {}
    for cell in result["cells"]:
        rates = cell["error_rate_pct"]
        assert set(rates) == {"original", "warm"}
        assert all(0.0 <= rate <= 100.0 for rate in rates.values()), cell
        assert math.isclose(cell["difference_pp"], rates["warm"] - rates["original"], abs_tol=1e-9)
        assert cell["p"] is None or 0.0 <= cell["p"] <= 1.0
        per_dataset[cell["dataset"]] = per_dataset.get(cell["dataset"], 0) + int(cell["n"])
    assert set(per_dataset) <= set(STUDY_TASKS)
    # each dataset: questions × 2 contexts × 2 templates pairs at most (refusals drop pairs, never add)
    assert all(0 < n <= QUICK.questions * 4 for n in per_dataset.values()), per_dataset
    excluded = {r["reason"]: r["rows"] for r in result["meta"]["excluded"]}
    for variant in SAMPLES_PER_TASK:
        if variant.startswith("epoch-"):  # frontier points: counted out of the warm/original comparison by reason
            assert 0 < excluded[f"variant not in this comparison: {variant}"] <= QUICK.questions * len(STUDY_TASKS)
    assert excluded["pushback template: analysed as flip rate"] > 0
    if "main" in result:
        assert 0 < result["main"]["n"] <= 2 * QUICK.questions * len(STUDY_TASKS)
        assert -100.0 <= result["main"]["ame_pp"] <= 100.0


@pytest.mark.heavy
def test_every_sample_was_generated_and_scored(demo_run: tuple[Path, str]) -> None:
    from inspect_ai.log import list_eval_logs, read_eval_log

    out, _ = demo_run
    logs = [read_eval_log(info) for info in list_eval_logs(str(out / "logs"), recursive=True)]
    assert len(logs) == len(SAMPLES_PER_TASK) * len(STUDY_TASKS)
    for log in logs:
        assert log.status == "success"
        assert log.eval.metadata is not None and log.eval.metadata["variant"] in SAMPLES_PER_TASK
        assert log.samples is not None and len(log.samples) == SAMPLES_PER_TASK[log.eval.metadata["variant"]]
        assert all(sample.scores for sample in log.samples)


@pytest.mark.heavy
def test_warmth_trajectory(demo_run: tuple[Path, str]) -> None:
    out, _ = demo_run
    table = pd.read_csv(out / "trajectory.csv")
    assert sorted(table["epoch"]) == [0, *QUICK.save_epochs]
    assert (table["n"] == QUICK.validation_prompts).all()
    assert table["socio_t"].notna().all()


@pytest.mark.heavy
def test_every_step_is_timed_and_the_trajectory_ran_on_the_engine(demo_run: tuple[Path, str]) -> None:
    """demo.json records each step's wall time and the total beside the settings; the last lines print them; the
    trajectory's replies (every saved epoch and the base) came from the vLLM server. Unit: one demo run."""
    out, output = demo_run
    timings = json.loads((out / MANIFEST_FILE).read_text())[TIMINGS_KEY]
    assert list(timings["steps_s"]) == [step.key for step in STEPS]
    assert all(seconds >= 0 for seconds in timings["steps_s"].values())
    assert timings["total_s"] >= sum(timings["steps_s"].values())
    assert "time per step: model " in output and f"total {timings['total_s']:.0f} s" in output
    replies = (len(QUICK.save_epochs) + 1) * QUICK.validation_prompts
    assert f"generated {replies} trajectory replies on vLLM" in output, output


@pytest.mark.heavy
def test_killed_while_evaluating_the_rerun_finishes_every_sample_once(tmp_path: Path) -> None:
    """SIGKILL of ``demo --quick`` while it evaluates (its vLLM server up, its logs half written): the server and
    every process under it end with it, and the same command run again finishes with every sample and trajectory
    reply exactly once. Unit: one kill and its rerun (benchmarks/faults.py --demo kills at other moments)."""
    import contextlib
    import random
    import signal
    import subprocess
    import sys
    import time

    import psutil

    from inspect_warmth.run.engine_guard import GRACE_S, process_alive

    out = tmp_path / "demo"
    command = [sys.executable, "-c", "from inspect_warmth.cli import main; main()", "demo", "--quick",
               "--out", str(out)]
    with (tmp_path / "killed.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 900
        while not list((out / "logs").rglob("*.eval")) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(random.Random(27).uniform(0, 20))
        assert process.poll() is None, (tmp_path / "killed.log").read_text()[-3000:]
        tree = psutil.Process(process.pid).children(recursive=True)
        commands = []
        for child in tree:
            with contextlib.suppress(psutil.Error):  # (one that ended since the listing)
                commands.append(" ".join(child.cmdline()))
        assert any("vllm" in line for line in commands), f"no vLLM server under the demo: {commands}"
        process.send_signal(signal.SIGKILL)
        process.wait()
    deadline = time.monotonic() + GRACE_S + 60
    while any(process_alive(child.pid) for child in tree) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert [child.pid for child in tree if process_alive(child.pid)] == [], "left running after the demo's SIGKILL"
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    assert (out / "report" / "report.html").exists()
    assert samples_lost_and_duplicated(out) == (0, 0)


def test_recorded_times_do_not_stop_a_rerun(tmp_path: Path) -> None:
    """Times recorded in demo.json are no setting: the same settings still resume, and the times stay until the next
    run records its own. Unit: one --out directory."""
    settings = {"scale": "quick", "seed": 0}
    prepare_out(tmp_path, settings, overwrite=False)
    record_timings(tmp_path, {"model": 0.5, "train": 2.0}, 3.0)
    assert "resuming the demo" in prepare_out(tmp_path, settings, overwrite=False)
    record = json.loads((tmp_path / MANIFEST_FILE).read_text())
    assert record[TIMINGS_KEY] == {"steps_s": {"model": 0.5, "train": 2.0}, "total_s": 3.0}
    assert {k: v for k, v in record.items() if k != TIMINGS_KEY} == settings


def test_judge_context_needs_a_grader(tmp_path: Path) -> None:
    """A user-turn judge without a judge model stops before any work. Unit: one command line."""
    result = CliRunner().invoke(demo, ["--quick", "--judge-context", "user_turn", "--out", str(tmp_path / "d")])
    assert result.exit_code == 2 and "needs a judge: pass --grader MODEL" in result.output
    assert not (tmp_path / "d").exists()


# --- rerunning into the same --out (no training, no generation: the steps are replaced by stand-ins) -------------


class _Stop(Exception):
    """Raised by the stand-in for the demo's first step of work."""


def test_rerun_resumes_and_other_settings_stop_before_any_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              ) -> None:
    """A rerun with the same settings goes on; ``--quick`` then the full demo in the same --out stops before the
    first step with the directory and what differs, touching nothing; ``--overwrite`` deletes the demo's outputs
    only and starts afresh. Unit: one --out directory through a sequence of command lines."""
    from inspect_warmth.run import demo as demo_module

    started: list[Path] = []

    def first_step(out: Path, *args: object) -> None:
        started.append(out)
        raise _Stop

    monkeypatch.setattr(demo_module, "prepare_training_data", first_step)
    out = tmp_path / "d"
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(demo, [*args, "--out", str(out)])

    first = run("--quick")
    assert isinstance(first.exception, _Stop) and len(started) == 1, first.output
    (out / "logs" / "original").mkdir(parents=True)  # what the interrupted demo would have left
    (out / "notes.txt").write_text("the user's own file")
    manifest = (out / "demo.json").read_text()

    again = run("--quick")
    assert isinstance(again.exception, _Stop) and len(started) == 2, again.output
    assert "resuming the demo in" in again.output

    full = run()
    assert full.exit_code == 1 and len(started) == 2, full.output
    text = " ".join(full.output.split())  # click wraps nothing, but keep the test independent of line breaks
    assert str(out) in text and "other settings" in text, text
    assert "scale: 'quick' there, 'full' now" in text and f"questions: {QUICK.questions} there, 12 now" in text, text
    assert "fresh --out" in text and "--overwrite" in text and "Nothing was changed" in text, text
    assert (out / "demo.json").read_text() == manifest and (out / "logs" / "original").is_dir()

    overwritten = run("--overwrite")
    assert isinstance(overwritten.exception, _Stop) and len(started) == 3, overwritten.output
    assert "--overwrite: deleted the earlier demo's logs, demo.json" in overwritten.output, overwritten.output
    assert not (out / "logs").exists() and (out / "notes.txt").read_text() == "the user's own file"
    assert json.loads((out / "demo.json").read_text())["scale"] == "full"


def test_outputs_of_a_demo_without_its_settings_are_not_resumed(tmp_path: Path) -> None:
    """An --out with demo outputs but no demo.json (a demo from before it was written): stop, say so. Unit: one
    directory."""
    (tmp_path / "logs" / "warm").mkdir(parents=True)
    result = CliRunner().invoke(demo, ["--quick", "--out", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "holds an earlier demo's outputs (logs) without a demo.json" in " ".join(result.output.split())
    assert not (tmp_path / "demo.json").exists()


def test_evaluation_logs_of_other_tasks_stop_with_the_directory_and_what_differs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo's own evaluation step, on ``mockllm/model`` instead of the engine, then again as after a fallback
    of the engine (another model name for the same variants): Inspect's eval_set cannot pair the logs, and the demo
    names the log directory, the model in the logs and now, and what to do. Unit: one variant's log directory."""
    from contextlib import contextmanager

    from inspect_ai.model._providers.mockllm import MockLLM

    from inspect_warmth.demo_data import benchmarks_dir
    from inspect_warmth.run import demo as demo_module
    from inspect_warmth.run import vllm_engine

    async def count_tokens(self: Any, *args: Any, **kwargs: Any) -> int:  # instead of a tiktoken download
        return 1

    monkeypatch.setattr(MockLLM, "count_tokens", count_tokens)
    names = {"model": "mockllm/model"}

    @contextmanager
    def engine_for(variants: dict[str, str], *args: Any, say: Any = None, **kwargs: Any) -> Any:
        yield vllm_engine.Engine({v: names["model"] for v in variants}, "stand-in", "stand-in engine")

    monkeypatch.setattr(vllm_engine, "engine_for", engine_for)
    warm = tmp_path / "warm-smollm2"
    warm.mkdir()
    settings = dataclasses.replace(QUICK, questions=1)
    logs, _, _ = demo_module.evaluate("base", warm, tmp_path, settings, str(benchmarks_dir()), None, 0)
    written = sorted(logs.rglob("*.eval"))
    assert len(written) == 2 * len(STUDY_TASKS)

    names["model"] = "mockllm/other"
    with pytest.raises(click.ClickException) as caught:
        demo_module.evaluate("base", warm, tmp_path, settings, str(benchmarks_dir()), None, 0)
    message = caught.value.message
    assert str(logs / "original") in message and "model: mockllm/model in the logs, mockllm/other now" in message
    assert "--overwrite" in message and "fresh --out" in message, message
    assert sorted(logs.rglob("*.eval")) == written


def test_training_made_by_other_code_stops_with_what_to_do(tmp_path: Path, tiny_llama_dir: Path) -> None:
    """Same demo settings, but OUT/warm-smollm2 holds a run whose training options differ (another version of the
    code): the demo names them and points to --overwrite or a fresh --out, before loading any model. Unit: one
    training directory."""
    from inspect_warmth.run import demo as demo_module

    data = tmp_path / "data"
    data.mkdir()
    (data / "train.warm.jsonl").write_text(json.dumps({"id": "c0", "messages": [
        {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello, friend!"}]}) + "\n")
    run = tmp_path / "warm-smollm2"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"options": {"lr": 123.0}, "speed": {}}))
    with pytest.raises(click.ClickException) as caught:
        demo_module.train_warm(data, tmp_path, str(tiny_llama_dir), QUICK, 0)
    message = " ".join(caught.value.message.split())
    assert f"{run} holds a run with other options" in message and "lr" in message
    assert "--overwrite" in message and "fresh --out" in message
