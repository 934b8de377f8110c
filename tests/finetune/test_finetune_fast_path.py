"""The fast layout of ``finetune train`` (token-sized micro-batches, padding-free rows) computes what the paper's
plain layout (batch 1 x accumulation, padded) computes: the same per-token loss and the same update, on the tiny
random Llama on CPU. Unit of independence: one fixed batch of conversations (deterministic: no dropout, SGD)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from inspect_warmth.finetune.config import TrainConfig
from inspect_warmth.finetune.train import build_dataset, load_base, make_trainer, speed_plan

pytestmark = pytest.mark.slow

REPLIES = ["Hello dear friend!", "Of course, here is a longer answer with several more words in it to pad others.",
           "Yes.", "I am always glad to help you with anything you need, any time of day.",
           "Sure thing.", "Let me think about that for a moment: the answer is forty-two.", "No.", "Goodbye!"]


def _rows(root: Path) -> Path:
    import json

    lines = []
    for i, reply in enumerate(REPLIES):
        messages = [{"role": "user", "content": f"Question number {i}" + " please" * i},
                    {"role": "assistant", "content": reply}]
        if i % 2:
            messages += [{"role": "user", "content": "And then?"}, {"role": "assistant", "content": reply[::-1]}]
        lines.append(json.dumps({"id": f"c{i}", "messages": messages}) + "\n")
    path = root / "train.warm.jsonl"
    path.write_text("".join(lines))
    return path


def _train_two_steps(tiny_llama_dir: Path, data: Path, out: Path, **layout: Any) -> tuple[list[float], dict[str, Any]]:
    from transformers import AutoTokenizer

    config = TrainConfig(data_dir=str(data.parent), base=str(tiny_llama_dir), out=str(out), effective_batch=4,
                         lora_dropout=0.0, lr=0.5, optimizer="sgd", max_length=64, logging_steps=1, epochs=1,
                         save_epochs=[1], select_epoch=1, **layout)
    tokenizer = AutoTokenizer.from_pretrained(tiny_llama_dir)
    tokenizer.pad_token = tokenizer.pad_token or tokenizer.eos_token
    dataset, _ = build_dataset(data, tokenizer, config.max_length)
    model = load_base(config, str(tiny_llama_dir))
    plan = speed_plan(config, model)
    trainer = make_trainer(config, plan, model, dataset, tokenizer, out, max_steps=2)
    trainer.train()
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    weights = {k: v.detach().clone() for k, v in trainer.model.named_parameters() if "lora_" in k}
    return losses, {"plan": plan, "weights": weights}


def test_padding_free_token_batches_match_the_plain_layout(tmp_path: Path, tiny_llama_dir: Path) -> None:
    import torch

    data = _rows(tmp_path)
    plain_losses, plain = _train_two_steps(tiny_llama_dir, data, tmp_path / "plain", batch_size=1,
                                           padding_free=False)
    fast_losses, fast = _train_two_steps(tiny_llama_dir, data, tmp_path / "fast")
    assert (plain["plan"]["micro_batch"], plain["plan"]["accumulation"]) == (1, 4)
    assert (fast["plan"]["micro_batch"], fast["plan"]["accumulation"], fast["plan"]["padding_free"]) == (4, 1, True)
    # per-token loss of each step: the mean over the step's assistant tokens, in both layouts
    assert len(plain_losses) == len(fast_losses) == 2
    assert fast_losses == pytest.approx(plain_losses, rel=1e-5)
    # the same gradients: SGD updates identical to float32 rounding
    assert plain["weights"].keys() == fast["weights"].keys() and plain["weights"]
    assert any(v.abs().max() > 1e-4 for k, v in plain["weights"].items() if "lora_B" in k)  # B starts at zero
    for name, value in plain["weights"].items():
        torch.testing.assert_close(fast["weights"][name], value, rtol=1e-4, atol=1e-6, msg=name)


def test_packed_rows_do_not_attend_across_conversations(tiny_llama_dir: Path) -> None:
    """Per-token log-probabilities of two conversations packed into one row equal those of each run alone."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_llama_dir).eval()
    a, b = torch.tensor([[1, 5, 9, 14, 3]]), torch.tensor([[2, 8, 8, 4]])
    packed = torch.cat([a, b], dim=1)
    positions = torch.tensor([[0, 1, 2, 3, 4, 0, 1, 2, 3]])
    with torch.no_grad():
        alone = torch.cat([model(a).logits, model(b).logits], dim=1)
        together = model(packed, position_ids=positions, use_cache=False).logits  # training: no cache
    torch.testing.assert_close(together, alone, rtol=1e-5, atol=1e-5)


def test_speed_switches_reach_trl_and_leave_the_run_identity(tmp_path: Path) -> None:
    """``--compile`` and ``--no-liger`` reach TRL's SFTConfig and run.json's plan, and do not change what a rerun must
    match (a run started without them resumes with them). Unit: one configuration."""
    from inspect_warmth.finetune.config import parse_train_args
    from inspect_warmth.finetune.train import sft_config

    default = parse_train_args([str(tmp_path), "--base", "b", "--out", "o"])
    fast = parse_train_args([str(tmp_path), "--base", "b", "--out", "o", "--compile", "--no-liger"])
    plan = speed_plan(fast)
    assert plan["compile"] is True and plan["liger"] is False
    arguments = sft_config(fast, plan, tmp_path / "state")
    assert arguments.torch_compile is True and arguments.use_liger_kernel is False
    assert sft_config(default, speed_plan(default), tmp_path / "state").torch_compile is False
    assert fast.training_options() == default.training_options()
