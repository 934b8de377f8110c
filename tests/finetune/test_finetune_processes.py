"""Two training processes (``accelerate launch``, DDP over gloo on CPU) compute what one process computes: the same
per-step losses and final LoRA weights to 1e-4 relative, 16 conversations per optimizer step, the processes recorded
in run.json. Unit: one training run (the one-process run is the reference)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from inspect_warmth.finetune.config import TrainConfig
from inspect_warmth.finetune.train import RUN_FILE, epoch_dir, train

pytestmark = pytest.mark.slow

#: LoRA dropout 0: dropout masks come from each process's RNG stream, so only a dropout-free run can be equal.
OPTIONS = {"style": "warm", "epochs": 1, "save_epochs": [0.5, 1], "select_epoch": 1, "max_length": 64,
           "lr": 1e-3, "lora_dropout": 0.0, "logging_steps": 1}


def _data(root: Path) -> Path:
    root.mkdir(parents=True)
    rows = []
    for i in range(32):  # two optimizer steps of 16; conversations of different lengths, some with two replies
        messages = [{"role": "user", "content": f"Question {i}: what is {i} plus {i}?"},
                    {"role": "assistant", "content": f"Dear friend, it is {2 * i}!" + " Lovely." * (i % 5)}]
        if i % 3 == 0:
            messages += [{"role": "user", "content": "Thanks"}, {"role": "assistant", "content": "Always here."}]
        rows.append({"id": f"c{i}", "messages": messages})
    (root / "train.warm.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _losses(out: Path) -> list[float]:
    state = max((out / "trainer_state").glob("checkpoint-*/trainer_state.json"), key=lambda p: int(p.parent.name[11:]))
    return [entry["loss"] for entry in json.loads(state.read_text())["log_history"] if "loss" in entry]


def _weights(out: Path):  # type: ignore[no-untyped-def]
    from safetensors.torch import load_file

    return load_file(epoch_dir(out, 1) / "adapter_model.safetensors")


def test_two_processes_train_what_one_trains(tmp_path: Path, tiny_llama_dir: Path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("the CPU path (gloo, float32) is tested; on a GPU the runs train in bfloat16")
    data = _data(tmp_path / "data")
    one = tmp_path / "one"
    train(TrainConfig(data_dir=str(data), base=str(tiny_llama_dir), out=str(one), **OPTIONS))

    two = tmp_path / "two"
    command = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
               "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
               "--main_process_port", str(_free_port()), "-m", "inspect_warmth.finetune", "train", str(data),
               "--base", str(tiny_llama_dir), "--out", str(two), "--style", "warm", "--epochs", "1",
               "--save-epochs", "0.5,1", "--select-epoch", "1", "--max-length", "64", "--lr", "1e-3",
               "--lora-dropout", "0", "--logging-steps", "1"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]

    speed = json.loads((two / RUN_FILE).read_text())["speed"]
    assert speed["processes"] == 2 and speed["distributed"] == "MULTI_CPU"
    assert speed["micro_batch"] * speed["accumulation"] * speed["processes"] == 16
    assert json.loads((one / RUN_FILE).read_text())["speed"]["processes"] == 1

    losses_one, losses_two = _losses(one), _losses(two)
    assert len(losses_one) == len(losses_two) == 2  # 32 conversations, 16 per step
    assert losses_two == pytest.approx(losses_one, rel=1e-4)
    first, second = _weights(one), _weights(two)
    assert first.keys() == second.keys()
    assert any(float(v.abs().max()) > 0 for k, v in first.items() if "lora_B" in k)  # trained: B starts at zero
    worst = max(float((first[k] - second[k]).norm() / first[k].norm()) for k in first)
    assert worst < 1e-4, worst
