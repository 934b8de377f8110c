"""One vLLM engine for every test under tests/run (start-up takes 50–100 s on two CPU cores): a server for
the bundled SmolLM2-135M with a random LoRA adapter enabled. Code under test that asks for an engine for the same
base (the grid, the benchmark) reuses it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from inspect_warmth.run.vllm_engine import Engine, engine_for


def make_lora_adapter(base: Path, out: Path, rank: int = 8) -> Path:
    """A LoRA adapter for ``base`` with random (non-zero) A and B, so that it visibly changes the outputs."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    config = LoraConfig(r=rank, lora_alpha=2 * rank, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    get_peft_model(model, config).save_pretrained(out)
    return out


@pytest.fixture(scope="package")
def adapter_dir(tmp_path_factory: pytest.TempPathFactory, bundled_dir: Path) -> Path:
    return make_lora_adapter(bundled_dir, tmp_path_factory.mktemp("lora") / "adapter")


@pytest.fixture(scope="package")
def engine(bundled_dir: Path, adapter_dir: Path) -> Iterator[Engine]:
    """One vLLM server for the bundled model with the adapter enabled; fails (never skips) when vLLM cannot run,
    since scripts/install installs it."""
    variants = {"base": f"vllm/{bundled_dir}", "warm": f"vllm/{bundled_dir}:{adapter_dir}"}
    with engine_for(variants) as started:
        if started.server is None:
            pytest.fail(f"vLLM did not start: {started.note}")
        yield started
