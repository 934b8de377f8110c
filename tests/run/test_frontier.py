"""``inspect-warmth frontier``: every saved epoch evaluated, warmth against error, the warmest epoch in budget.

Offline: a tiny random Llama base with two random LoRA adapters as epochs 1 and 2 (hf/ path), the reference
scorer, and a deterministic stand-in for SocioT in the library test (the CLI test runs the real command path with
the stand-in patched in). Unit of independence: the reply (error rate) and the validation prompt (warmth).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from inspect_warmth.analysis.frontier import FrontierError, frontier_table, response_errors
from inspect_warmth.demo_data import benchmarks_dir
from inspect_warmth.finetune.train import METADATA_FILE
from inspect_warmth.run import frontier as frontier_module
from inspect_warmth.run.frontier import FrontierOptions, checkpoints, evaluate_checkpoints, frontier, resolve_engine


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory, tiny_llama_dir: Path) -> Path:
    """A `finetune train`-shaped run dir: checkpoints/epoch-{1,2} LoRA adapters on the tiny base, validation."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    run = tmp_path_factory.mktemp("run")
    tokenizer = AutoTokenizer.from_pretrained(tiny_llama_dir)
    for epoch in (1, 2):
        torch.manual_seed(epoch)
        base = AutoModelForCausalLM.from_pretrained(tiny_llama_dir)
        lora = LoraConfig(r=4, lora_alpha=32, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
        target = run / "checkpoints" / f"epoch-{epoch}"
        get_peft_model(base, lora).save_pretrained(target)
        tokenizer.save_pretrained(target)
        (target / METADATA_FILE).write_text(json.dumps({"epoch": epoch, "base_model_path": str(tiny_llama_dir)}))
    validation = run / "data"
    validation.mkdir()
    (validation / "validation.jsonl").write_text("".join(
        json.dumps({"id": f"v{i}", "messages": [{"role": "user", "content": f"How was your day {i}?"}]}) + "\n"
        for i in range(3)))
    return run


def _length_warmth(texts: list[str]) -> list[float]:
    return [len(t) / 100 for t in texts]


def test_checkpoint_model_strings(tiny_run: Path, tiny_llama_dir: Path) -> None:
    vllm = checkpoints(tiny_run, "vllm")
    assert [p.epoch for p in vllm] == [0.0, 1.0, 2.0]
    assert vllm[0].model == f"vllm/{tiny_llama_dir}"
    assert vllm[2].model == f"vllm/{tiny_llama_dir}:{(tiny_run / 'checkpoints' / 'epoch-2').resolve()}"
    assert checkpoints(tiny_run, "hf")[1].model == f"hf/{(tiny_run / 'checkpoints' / 'epoch-1').resolve()}"
    with pytest.raises(FrontierError, match="no saved epochs"):
        checkpoints(tiny_run / "data", "hf")


def test_engine_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(frontier_module.importlib.util, "find_spec", lambda name: None)
    engine, notes = resolve_engine("auto")
    assert engine == "hf" and "vLLM is not installed" in notes[0]
    with pytest.raises(FrontierError, match="vLLM is not installed"):
        resolve_engine("vllm")
    with pytest.raises(FrontierError, match="--engine 'tgi'"):
        resolve_engine("tgi")
    with pytest.raises(FrontierError, match=r"unknown study task.* gsm8k"):
        evaluate_checkpoints([], ["triviaqa", "gsm8k"], samples=1, scorer="reference", grader=None, data_dir=None,
                             seed=0, log_dir=Path("unused"))


def test_choice_within_the_error_budget() -> None:
    errors = pd.DataFrame({"epoch": [0.0, 1.0, 2.0, 3.0], "dataset": "all", "error_pp": [10.0, 11.0, 12.5, 20.0],
                           "error_ci_low_pp": 0.0, "error_ci_high_pp": 30.0})
    warmth = [{"epoch": e, "socio_t": w, "socio_t_se": 0.1, "n": 5} for e, w in ((0.0, 1), (1.0, 2), (2.0, 3),
                                                                                 (3.0, 4))]
    table, chosen = frontier_table(errors, warmth, 2.0)
    assert chosen == 1.0 and list(table["within_budget"]) == [True, True, False, False]
    assert frontier_table(errors, warmth, 2.5)[1] == 2.0  # the boundary is inclusive
    assert frontier_table(errors, warmth, 50)[1] == 3.0
    assert table.loc[1, "warmth_ci_high"] == pytest.approx(2 + 1.96 * 0.1)
    with pytest.raises(FrontierError, match="epoch 0"):
        frontier_table(errors[errors["epoch"] > 0], warmth, 2.0)


def test_errors_from_a_responses_table() -> None:
    """The demo's path: errors per epoch from loaded replies, only the unmodified original prompts of the named
    variants, refusals dropped outside Disinfo, unscored replies counted. Unit: the reply."""
    from inspect_warmth.analysis.responses import responses_from_table

    rows = [
        {"variant": "original", "dataset": "triviaqa", "question_id": "q1", "is_incorrect": 0},
        {"variant": "original", "dataset": "triviaqa", "question_id": "q2", "is_incorrect": 1},
        {"variant": "original", "dataset": "triviaqa", "question_id": "q1", "is_incorrect": 1, "template": "incorrect"},
        {"variant": "original", "dataset": "medqa", "question_id": "q3", "is_incorrect": 1, "amendment": "emotion:sad"},
        {"variant": "epoch-1", "dataset": "triviaqa", "question_id": "q1", "is_incorrect": 1, "refusal": True},
        {"variant": "epoch-1", "dataset": "disinfo", "question_id": "q4", "is_incorrect": 1, "refusal": True},
        {"variant": "epoch-1", "dataset": "medqa", "question_id": "q3", "is_incorrect": float("nan")},
        {"variant": "other", "dataset": "medqa", "question_id": "q3", "is_incorrect": 1},
    ]
    frame = pd.DataFrame(rows).fillna({"template": "original", "amendment": "unmodified", "refusal": False})
    errors = response_errors(responses_from_table(frame), {"original": 0.0, "epoch-1": 1.0})
    pooled = errors[errors["dataset"] == "all"].set_index("epoch")
    assert list(pooled.index) == [0.0, 1.0]
    assert pooled.loc[0.0, ["n_scored", "n_incorrect", "n_unscored", "n_refusals_dropped"]].tolist() == [2, 1, 0, 0]
    # Disinfo refusal counts as correct; the TriviaQA refusal is dropped; the unscored MedQA reply is counted
    assert pooled.loc[1.0, ["n_scored", "n_incorrect", "n_unscored", "n_refusals_dropped"]].tolist() == [1, 0, 1, 1]
    assert pooled.loc[0.0, "error_pp"] == pytest.approx(50.0)


def test_frontier_over_a_tiny_run(tiny_run: Path, tmp_path: Path) -> None:
    options = FrontierOptions(tasks=("triviaqa",), samples=3, scorer="reference", data_dir=str(benchmarks_dir()),
                              validation_dir=str(tiny_run / "data"), engine="hf", max_tokens=8,
                              max_error_increase_pp=100.0)
    result = frontier(tiny_run, options, tmp_path / "out", warmth_scorer=_length_warmth)
    table = result.table
    assert list(table["epoch"]) == [0.0, 1.0, 2.0] and set(table["n_scored"] + table["n_refusals_dropped"]) == {3}
    # the error rates are those of the logs: recount them from the saved logs, independently
    from inspect_ai.log import list_eval_logs, read_eval_log

    recount: dict[str, float] = {}
    for info in list_eval_logs(str(tmp_path / "out" / "logs")):
        log = read_eval_log(info)
        values = [s.scores["reference"].value for s in log.samples or []]  # type: ignore[index]
        recount[log.eval.model] = 100 * values.count("I") / len(values)
    by_epoch = dict(zip(table["epoch"], table["error_pp"], strict=True))
    assert sorted(recount.values()) == sorted(by_epoch.values())
    # warmth comes from the trajectory's replies, scored by the stand-in
    replies = [json.loads(line) for line in next((tiny_run / "trajectory").glob("replies-*")).open()]
    for epoch, warmth in zip(table["epoch"], table["socio_t"], strict=True):
        lengths = [len(r["reply"]) / 100 for r in replies if float(r["epoch"]) == epoch]
        assert warmth == pytest.approx(sum(lengths) / len(lengths))
    assert result.chosen == float(table.loc[table["socio_t"].idxmax(), "epoch"])  # budget 100 pp: all eligible
    assert all(math.isfinite(v) for v in table["error_ci_high_pp"])
    for name in ("frontier.csv", "frontier_by_dataset.csv", "frontier.png"):
        assert (tmp_path / "out" / name).exists()


def test_cli_refuses_a_judge_without_a_grader(tiny_run: Path) -> None:
    """The command's whole run is the kill test below (a subprocess, as a user runs it)."""
    from inspect_warmth.cli import main

    bad = CliRunner().invoke(main, ["frontier", str(tiny_run), "--validation", str(tiny_run / "data"),
                                    "--scorer", "judge", "--engine", "hf"])
    assert bad.exit_code != 0 and "--grader" in bad.output



@pytest.mark.slow
def test_killed_at_a_random_moment_the_rerun_scores_every_epoch_once(tiny_run: Path, tmp_path: Path,
                                                                     tiny_gpt2_dir: Path) -> None:
    """SIGKILL the ``frontier`` command at a seeded random moment (evaluating, generating the warmth replies,
    scoring), then run it again: it finishes, every epoch's questions are in a finished log exactly once, every
    warmth reply is in the replies file once, and the table counts what the logs hold. Unit: one command on one
    run directory (a copy of the module's, so nothing generated before is reused). One kill keeps the suite's
    time; benchmarks/faults.py kills the other commands several times."""
    import random
    import shutil
    import signal
    import subprocess
    import sys
    import time

    from inspect_ai.log import list_eval_logs, read_eval_log

    from inspect_warmth.analysis.responses import check_logs

    from .test_kill_and_rerun import samples_in_finished_logs

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run, ignore=shutil.ignore_patterns("trajectory", "frontier"))
    out = tmp_path / "out"
    command = [sys.executable, "-c", "from inspect_warmth.cli import main; main()", "frontier", str(run),
               "--tasks", "triviaqa", "--samples", "3", "--validation", str(run / "data"), "--engine", "hf",
               "--max-tokens", "8", "--data-dir", str(benchmarks_dir()), "--lm", str(tiny_gpt2_dir),
               "--socio-t-samples", "1", "--max-error-increase-pp", "100", "--out", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(random.Random(24).uniform(6.0, 14.0))  # the command imports for about 5 s, then evaluates
    assert process.poll() is None, "the command finished before the kill: kill sooner"
    process.send_signal(signal.SIGKILL)
    process.wait()
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "warmest epoch within +100 pp error" in result.stdout and (out / "frontier.png").exists()
    logs = list((out / "logs").rglob("*.eval"))
    check_logs([str(p) for p in logs])  # raises, naming the file, on a torn log
    per_epoch: dict[str, int] = {}
    for info in list_eval_logs(str(out / "logs"), recursive=True):
        log = read_eval_log(info, header_only=True)
        if log.status == "success":
            per_epoch.setdefault(log.eval.model, 0)
            per_epoch[log.eval.model] += 1
    assert len(per_epoch) == 3 and set(per_epoch.values()) == {1}, f"finished logs per model: {per_epoch}"
    seen = samples_in_finished_logs(out / "logs")
    assert len(seen) == 3 and set(seen.values()) == {3}, f"each question once per epoch: {seen}"
    replies = [json.loads(line) for path in (run / "trajectory").glob("replies-*") for line in path.open()]
    keys = [(float(r["epoch"]), r["id"]) for r in replies]
    assert len(keys) == len(set(keys)) == 3 * 3, "warmth replies lost or duplicated"
    table = pd.read_csv(out / "frontier.csv")
    assert list(table["epoch"]) == [0.0, 1.0, 2.0]
    assert set(table["n_scored"] + table["n_refusals_dropped"] + table["n_unscored"]) == {3}
