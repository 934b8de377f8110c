"""Shared fixtures: the bundled tokenizer, tiny random checkpoints, the real-data directory."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from inspect_ai.model import Model

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Under pytest-xdist each worker computes on one thread (torch's intra-op pool, and every subprocess a test
    # starts), so that two workers on two cores never make each other's OpenMP threads wait. The vLLM server binds
    # its own threads.
    os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """``$INSPECT_WARMTH_DATA`` (CI points it at ../shared/data); tests using it are skipped when unset."""
    value = os.environ.get("INSPECT_WARMTH_DATA")
    if not value:
        pytest.skip("INSPECT_WARMTH_DATA is not set")
    path = Path(value)
    if not path.is_dir():
        pytest.skip(f"INSPECT_WARMTH_DATA={value} is not a directory")
    return path


@pytest.fixture(scope="session")
def bundled_dir() -> Path:
    """The bundled SmolLM2-135M-Instruct checkpoint (converted from GGUF once, then cached)."""
    from inspect_warmth.models.bundled import bundled_model_dir

    return bundled_model_dir()


def _save_tiny(out: Path, bundled: Path, arch: str) -> Path:
    import torch
    from transformers import AutoTokenizer, GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(bundled)
    common = {
        "vocab_size": len(tokenizer),
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
    }
    if arch == "llama":
        model = LlamaForCausalLM(
            LlamaConfig(
                hidden_size=32,
                intermediate_size=64,
                num_hidden_layers=2,
                num_attention_heads=4,
                num_key_value_heads=2,
                max_position_embeddings=2048,
                tie_word_embeddings=True,
                **common,
            )
        )
    else:
        model = GPT2LMHeadModel(GPT2Config(n_embd=32, n_layer=2, n_head=4, n_positions=1024, **common))
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def tiny_llama_dir(tmp_path_factory: pytest.TempPathFactory, bundled_dir: Path) -> Path:
    """A tiny random Llama checkpoint with the bundled model's tokenizer and chat template."""
    return _save_tiny(tmp_path_factory.mktemp("tiny-llama"), bundled_dir, "llama")


@pytest.fixture(scope="session")
def tiny_gpt2_dir(tmp_path_factory: pytest.TempPathFactory, bundled_dir: Path) -> Path:
    """A tiny random GPT-2 checkpoint (SocioT's model family) with the bundled tokenizer."""
    return _save_tiny(tmp_path_factory.mktemp("tiny-gpt2"), bundled_dir, "gpt2")


def mock_model(reply: str | Callable[[str], str] = "I am not sure.") -> Model:
    """``mockllm/model`` answering every prompt with ``reply`` (or ``reply(prompt)``), usage set so that Inspect
    never tries to download a tokenizer to count tokens."""
    from inspect_ai.model import ChatMessage, GenerateConfig, ModelOutput, ModelUsage, get_model

    def respond(messages: list[ChatMessage], tools: object, tool_choice: object, config: GenerateConfig) -> ModelOutput:
        text = reply(messages[-1].text) if callable(reply) else reply
        output = ModelOutput.from_content("mockllm/model", text)
        output.usage = ModelUsage(input_tokens=10, output_tokens=len(text.split()), total_tokens=10)
        return output

    return get_model("mockllm/model", custom_outputs=respond)


@pytest.fixture
def mock_replies() -> Callable[..., Model]:
    """Factory fixture: ``mock_replies("text")`` or ``mock_replies(lambda prompt: ...)`` -> an Inspect Model."""
    return mock_model


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the group
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under ``pytest -n 2 --dist loadgroup`` (pytest-xdist), every test under tests/run goes to one worker: they
    share one vLLM server (tests/run/conftest.py), which a second worker would start again."""
    engine_tests = Path(__file__).parent / "run"
    for item in items:
        if engine_tests in Path(item.path).parents:
            item.add_marker(pytest.mark.xdist_group("engine"))
