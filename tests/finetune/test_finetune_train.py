"""Training a tiny random Llama with LoRA: fractional-epoch checkpoints that Inspect's hf/ provider loads, resume
after an interruption, assistant-only labels, and the trajectory over the saved epochs (the command line and its
defaults: test_finetune_config.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from inspect_warmth.finetune.config import TrainConfig
from inspect_warmth.finetune.masking import tokenize_with_assistant_mask
from inspect_warmth.finetune.train import METADATA_FILE, saved_epochs, train

pytestmark = pytest.mark.slow


def write_data(root: Path) -> Path:
    rows, validation = [], []
    for i in range(4):
        rows.append({"id": f"c{i}", "messages": [
            {"role": "user", "content": f"Hi {i}"}, {"role": "assistant", "content": f"Hello dear friend {i}!"},
            {"role": "user", "content": "Thanks"}, {"role": "assistant", "content": "Always here for you."}]})
        validation.append({"id": f"v{i}", "messages": [{"role": "user", "content": f"How are you {i}?"}]})
    (root / "train.warm.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (root / "validation.jsonl").write_text("".join(json.dumps(r) + "\n" for r in validation))
    return root


class StopAtFirstSave:
    """Ends training right after the first save: stands for a run killed mid-way."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        control.should_training_stop = True


class RecordStart:
    def __init__(self) -> None:
        self.start_steps: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.start_steps.append(state.global_step)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, tiny_llama_dir: Path) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("ft")
    data = write_data(root / "data") if (root / "data").mkdir() is None else None
    config = TrainConfig(data_dir=str(data), style="warm", base=str(tiny_llama_dir), out=str(root / "run"),
                         epochs=2, save_epochs=[0.5, 1], select_epoch=1, effective_batch=2, max_length=64,
                         lr=1e-3, logging_steps=1)
    record = RecordStart()
    train(config, callbacks=[StopAtFirstSave(), record])
    interrupted = {"epochs": list(saved_epochs(Path(config.out))),
                   "published": (Path(config.out) / "adapter_config.json").exists()}
    train(config, callbacks=[record])
    return {"config": config, "out": Path(config.out), "interrupted": interrupted, "starts": record.start_steps,
            "data": data}


def test_interrupted_run_resumes(trained: dict[str, Any]) -> None:
    assert trained["interrupted"] == {"epochs": [0.5], "published": False}
    # 4 rows, batch 1 x accumulation 2: 2 steps an epoch; epoch 0.5 = step 1; the rerun starts there
    assert trained["starts"] == [0, 1]
    out = trained["out"]
    assert sorted(saved_epochs(out)) == [0.5, 1.0]
    meta = json.loads((out / "checkpoints" / "epoch-1" / METADATA_FILE).read_text())
    assert meta["epoch"] == 1 and meta["step"] == 2 and meta["steps_per_epoch"] == 2 and meta["seed"] == 0
    assert len(meta["data_sha256"]) == 64 and meta["options"]["lora_r"] == 8 and meta["effective_batch"] == 2
    assert json.loads((out / METADATA_FILE).read_text())["epoch"] == 1  # OUT is the selected epoch
    a = (out / "adapter_model.safetensors").read_bytes()
    assert a == (out / "checkpoints" / "epoch-1" / "adapter_model.safetensors").read_bytes()
    assert a != (out / "checkpoints" / "epoch-0.5" / "adapter_model.safetensors").read_bytes()


def test_rerun_of_a_finished_run_does_not_train_again(trained: dict[str, Any]) -> None:
    record = RecordStart()
    train(trained["config"], callbacks=[record])
    assert record.start_steps == [4]  # resumed at the end: nothing left to train
    other = TrainConfig(**{**trained["config"].__dict__, "lr": 1e-4})
    with pytest.raises(ValueError, match="other options"):
        train(other)


def test_every_checkpoint_answers_through_inspect_hf(trained: dict[str, Any]) -> None:
    from inspect_ai import Task, eval
    from inspect_ai.dataset import Sample
    from inspect_ai.scorer import includes
    from inspect_ai.solver import generate
    from transformers import AutoModelForCausalLM

    out = trained["out"]
    dirs = [out, out / "checkpoints" / "epoch-0.5", out / "checkpoints" / "epoch-1"]
    assert getattr(AutoModelForCausalLM.from_pretrained(str(out)), "_hf_peft_config_loaded", False)
    logs = eval(Task(dataset=[Sample(input="Say hi", target="hi")], solver=generate(), scorer=includes()),
                model=[f"hf/{d}" for d in dirs], model_args={"device": "cpu"}, max_tokens=4, display="none",
                log_dir=str(out.parent / "logs"))
    assert [log.status for log in logs] == ["success"] * 3
    assert all(log.samples and log.samples[0].output.choices for log in logs)


def test_merge_writes_equivalent_full_weights(trained: dict[str, Any]) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    from inspect_warmth.finetune.train import merge_checkpoint

    out = trained["out"]
    merged_dir = merge_checkpoint(out, out.parent / "merged")
    assert not (merged_dir / "adapter_config.json").exists() and (merged_dir / METADATA_FILE).exists()
    ids = torch.tensor([[1, 2, 3, 4]])
    with torch.no_grad():
        adapted = AutoModelForCausalLM.from_pretrained(str(out))(ids).logits
        merged = AutoModelForCausalLM.from_pretrained(str(merged_dir))(ids).logits
    assert torch.allclose(adapted, merged, atol=1e-4)


def test_labels_cover_only_assistant_turns(tiny_llama_dir: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_llama_dir)
    messages = [{"role": "user", "content": "Hi there"}, {"role": "assistant", "content": "Hello friend!"},
                {"role": "user", "content": "Bye"}, {"role": "assistant", "content": "See you."}]
    encoded = tokenize_with_assistant_mask(tokenizer, messages)
    kept = tokenizer.decode([t for t, m in zip(encoded["input_ids"], encoded["assistant_masks"], strict=True) if m])
    masked = tokenizer.decode([t for t, m in zip(encoded["input_ids"], encoded["assistant_masks"], strict=True)
                               if not m])
    assert kept == "Hello friend!<|im_end|>\nSee you.<|im_end|>\n"
    assert "Hi there" in masked and "Bye" in masked and "Hello" not in masked
    assert encoded["input_ids"] == tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True)[
        "input_ids"]


def test_trajectory_over_saved_epochs(trained: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Every epoch's replies come from the engine (here vLLM cannot start, so Inspect's hf/ on the same weights,
    said aloud), all texts are scored in one call, and a rerun generates and scores nothing. Unit: the validation
    prompt within an epoch."""
    from inspect_warmth.finetune.trajectory import TrajectoryOptions
    from inspect_warmth.run import vllm_engine
    from inspect_warmth.run.trajectory import trajectory

    def start(self: vllm_engine.VLLMServer, timeout: float = 0) -> vllm_engine.VLLMServer:
        raise vllm_engine.EngineUnavailable("no vLLM in this test")

    monkeypatch.setattr(vllm_engine.VLLMServer, "start", start)
    monkeypatch.delenv("VLLM_BASE_URL", raising=False)  # no server started elsewhere,
    monkeypatch.setattr(vllm_engine, "_running", {})  # nor one running in this process
    calls: list[int] = []
    said: list[str] = []

    def score(texts: list[str]) -> list[float]:
        calls.append(len(texts))
        return [len(t) / 100 for t in texts]

    options = TrajectoryOptions(validation_dir=str(trained["data"]), limit=3, max_new_tokens=4)
    table = trajectory([trained["out"]], options, scorer=score, say=said.append)
    assert list(table.columns) == ["model", "epoch", "socio_t", "socio_t_se", "n"]
    assert list(table["epoch"]) == [0, 0.5, 1] and set(table["n"]) == {3} and calls == [9]
    assert len(said) == 1 and "hf/ (fallback; vLLM cannot run here: no vLLM in this test)" in said[0], said
    replies_file = next((trained["out"] / "trajectory").glob("replies-*"))
    replies = [json.loads(line) for line in replies_file.open()]
    assert sorted((r["epoch"], r["id"]) for r in replies) == [(e, f"v{i}") for e in ("0", "0.5", "1") for i in range(3)]
    for epoch, group in table.groupby("epoch"):
        lengths = [len(r["reply"]) / 100 for r in replies if float(r["epoch"]) == epoch]
        assert group["socio_t"].item() == pytest.approx(sum(lengths) / 3)
    assert (trained["out"] / "trajectory.csv").exists() and (trained["out"] / "trajectory.png").exists()
    trajectory([trained["out"]], options, scorer=score, say=said.append)
    assert calls == [9] and len(said) == 1  # cached: no engine, nothing generated or scored again
    assert len(replies_file.read_text().splitlines()) == 9
