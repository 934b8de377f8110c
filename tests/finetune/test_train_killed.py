"""``finetune train`` killed and rerun with the same command: it resumes from the last trainer checkpoint that was
saved whole and ends on the same final adapter as an uninterrupted run.

- SIGKILL at seeded random moments of a run (training, saving, exporting an epoch), twice, then a rerun;
- a trainer checkpoint torn by a kill while it was being saved (transformers writes it in place) is set aside;
- an epoch whose export was cut (the trainer's checkpoint saved, ``checkpoints/epoch-X`` not yet) is exported on
  resume.

Unit: one training run of a tiny random Llama; the uninterrupted run with the same options is the reference.
"""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inspect_warmth.finetune.config import TrainConfig
from inspect_warmth.finetune.train import epoch_dir, last_whole_checkpoint, saved_epochs, train

pytestmark = pytest.mark.slow

EPOCHS = [0.5, 1.0, 1.5, 2.0]


def _data(root: Path, rows: int) -> Path:
    root.mkdir(parents=True)
    lines = []
    for i in range(rows):
        messages = [{"role": "user", "content": f"Question {i}: what is {i} plus {i}?"},
                    {"role": "assistant", "content": f"Dear friend, it is {2 * i}!" + " Lovely." * (i % 4)}]
        lines.append(json.dumps({"id": f"c{i}", "messages": messages}) + "\n")
    (root / "train.warm.jsonl").write_text("".join(lines))
    return root


def _arguments(data: Path, base: Path, out: Path) -> list[str]:
    return [str(data), "--style", "warm", "--base", str(base), "--out", str(out), "--epochs", "2", "--save-epochs",
            ",".join(f"{e:g}" for e in EPOCHS), "--select-epoch", "2", "--effective-batch", "2", "--max-length",
            "64", "--lr", "1e-3", "--logging-steps", "1"]


def _command(data: Path, base: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "inspect_warmth.finetune", "train", *_arguments(data, base, out)]


def _train_here(data: Path, base: Path, out: Path) -> None:
    """The same command's training in this process (its options parsed the way the command parses them)."""
    from inspect_warmth.finetune.config import parse_train_args

    train(parse_train_args(_arguments(data, base, out)))


def _weights(directory: Path) -> dict[str, object]:
    from safetensors.torch import load_file

    return load_file(directory / "adapter_model.safetensors")


def _assert_same_adapter(run: Path, reference: Path) -> None:
    import torch

    for epoch in EPOCHS:
        got, want = _weights(epoch_dir(run, epoch)), _weights(epoch_dir(reference, epoch))
        assert got.keys() == want.keys()
        for name in want:
            assert torch.allclose(got[name], want[name], rtol=1e-5, atol=1e-7), f"epoch {epoch:g}, {name}"
    assert (run / "adapter_model.safetensors").read_bytes() == (epoch_dir(run, 2) / "adapter_model.safetensors"
                                                                ).read_bytes()


def _run_until(command: list[str], run: Path, after_s: float) -> bool:
    """Start the command, SIGKILL it ``after_s`` seconds after it starts training (``run.json`` is written just
    before); True when it was still running then."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not (run / "run.json").exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(after_s)
    alive = process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait()
    return alive


def test_killed_twice_at_random_moments_then_rerun_trains_the_same_adapter(tmp_path: Path,
                                                                           tiny_llama_dir: Path) -> None:
    """The kills hit the command (a subprocess); the reference and the final rerun train in this process, from
    the same arguments, to save two start-ups."""
    data = _data(tmp_path / "data", rows=48)  # 24 optimizer steps an epoch, 48 in all, 5 trainer saves
    reference = tmp_path / "reference"
    _train_here(data, tiny_llama_dir, reference)

    run = tmp_path / "killed"
    rng = random.Random(24)
    kills = 0
    for _ in range(2):
        # the moments fall in the first seconds of training: 48 steps of a tiny model take a few seconds
        kills += _run_until(_command(data, tiny_llama_dir, run), run, rng.uniform(0.0, 2.0))
    assert kills >= 1, "no kill landed before the run finished: the moments are too late to test anything"
    assert (run / "run.json").exists()
    _train_here(data, tiny_llama_dir, run)

    assert sorted(saved_epochs(run)) == EPOCHS
    assert not list((run / "checkpoints").glob("*.tmp")), "an interrupted export was left behind"
    _assert_same_adapter(run, reference)


def _config(data: Path, base: Path, out: Path) -> TrainConfig:
    return TrainConfig(data_dir=str(data), style="warm", base=str(base), out=str(out), epochs=2,
                       save_epochs=EPOCHS, select_epoch=2, effective_batch=2, max_length=64, lr=1e-3,
                       logging_steps=1)


class _StopAfterSave:
    """Ends training right after the save at ``step``: a run killed just after it."""

    def __init__(self, step: int) -> None:
        self.step = step

    def __getattr__(self, name: str) -> object:
        return lambda *args, **kwargs: None

    def on_save(self, args: object, state: object, control: object, **kwargs: object) -> None:
        if state.global_step == self.step:  # type: ignore[attr-defined]
            control.should_training_stop = True  # type: ignore[attr-defined]


def test_a_torn_trainer_checkpoint_and_a_cut_export_are_redone(tmp_path: Path, tiny_llama_dir: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    data = _data(tmp_path / "data", rows=8)  # 4 optimizer steps an epoch; epochs 0.5 / 1 / 1.5 / 2 at 2 / 4 / 6 / 8
    reference = tmp_path / "reference"
    train(_config(data, tiny_llama_dir, reference))

    run = tmp_path / "run"
    config = _config(data, tiny_llama_dir, run)
    train(config, callbacks=[_StopAfterSave(4)])  # stopped after the save of epoch 1 (step 4)
    state = run / "trainer_state"
    assert Path(str(last_whole_checkpoint(state))).name == "checkpoint-4"
    # a kill while the trainer saved step 6: its directory is there, trainer_state.json (written last) is cut
    torn = state / "checkpoint-6"
    shutil.copytree(state / "checkpoint-4", torn)
    (torn / "trainer_state.json").write_text((torn / "trainer_state.json").read_text()[:40])
    # ... and a kill before the export of epoch 1 was renamed into place
    epoch_dir(run, 1).rename(epoch_dir(run, 1).with_name("epoch-1.tmp"))

    with caplog.at_level("WARNING", logger="inspect_warmth.finetune.train"):
        train(config)
    assert any("checkpoint-6 was not saved whole" in r.getMessage() for r in caplog.records), caplog.text
    assert sorted(saved_epochs(run)) == EPOCHS
    _assert_same_adapter(run, reference)
