"""The ``warmth-hf`` provider: registration, equality with ``hf/`` at temperature 0, concurrency, usage, PEFT."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from inspect_ai.model import GenerateConfig, Model, ModelOutput, get_model

PROMPTS = [
    "What is the capital of France?",
    "I was talking to some friends about this yesterday. Who wrote Hamlet? I think the answer is Marlowe.",
    "I'm feeling really sad today. How many legs does a spider have?",
    "My job depends on this. Which planet is the largest? I don't think the answer is Jupiter.",
    "Name the longest river in Africa.",
    "Who painted the Mona Lisa? Please answer in one word, it matters a lot to me and my family.",
]


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread() -> Any:
    """One intra-op thread: far faster on a shared, oversubscribed CI machine; restored afterwards."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def greedy(max_tokens: int, **extra: Any) -> GenerateConfig:
    return GenerateConfig(temperature=0, max_tokens=max_tokens, **extra)


async def _gather(model: Model, prompts: list[str], configs: list[GenerateConfig]) -> list[ModelOutput]:
    return list(await asyncio.gather(*(model.generate(p, config=c) for p, c in zip(prompts, configs, strict=True))))


def generate_all(model: Model, prompts: list[str], config: GenerateConfig | list[GenerateConfig]) -> list[ModelOutput]:
    configs = config if isinstance(config, list) else [config] * len(prompts)
    return asyncio.run(_gather(model, prompts, configs))


def ours(path: Path | str, **model_args: Any) -> Model:
    return get_model(f"warmth-hf/{path}", memoize=False, **model_args)


def reference(path: Path) -> Model:
    return get_model(f"hf/{path}", memoize=False, do_sample=False)


def test_registry_import_is_light() -> None:
    code = "import sys, inspect_warmth._registry; sys.exit(1 if {'torch', 'transformers'} & set(sys.modules) else 0)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0, "the registry imported torch/transformers"


def test_registered_and_loads_tiny_checkpoint(tiny_llama_dir: Path) -> None:
    from inspect_warmth.providers.warmth_hf_api import WarmthHFAPI

    model = ours(tiny_llama_dir)
    assert isinstance(model.api, WarmthHFAPI)
    assert model.api.model.device.type == "cpu"
    assert model.config.max_connections == model.api.max_connections() == 2 * model.api.max_batch
    [out] = generate_all(model, PROMPTS[:1], greedy(4))
    assert out.usage is not None and out.usage.output_tokens >= 1


def test_greedy_equals_hf_on_tiny_llama(tiny_llama_dir: Path) -> None:
    config = greedy(16, max_connections=len(PROMPTS))
    theirs = generate_all(reference(tiny_llama_dir), PROMPTS, config)
    mine = generate_all(ours(tiny_llama_dir, max_batch=4, refill_min=1), PROMPTS, config)
    assert [o.completion for o in mine] == [o.completion for o in theirs]
    assert all(o.completion for o in mine)


def test_engine_tokens_equal_padded_generate(tiny_llama_dir: Path) -> None:
    """Token for token against one left-padded ``generate`` call, as ``hf/`` makes it."""
    import torch

    from inspect_warmth.providers.engine import GenerationEngine, GenerationRequest
    from inspect_warmth.providers.sampling import SamplingParams

    model = ours(tiny_llama_dir)
    api: Any = model.api
    chats = [api.tokenizer(api.hf_chat([_user(p)], []))["input_ids"] for p in PROMPTS]
    encoded = api.tokenizer.pad({"input_ids": chats}, return_tensors="pt")
    with torch.inference_mode():
        padded = api.model.generate(**encoded, do_sample=False, max_new_tokens=12, min_new_tokens=12)
    expected = padded[:, encoded["input_ids"].shape[1] :].tolist()

    results: dict[int, list[int]] = {}
    engine = GenerationEngine(
        api.model,
        eos_token_ids=set(),
        pad_token_id=api.tokenizer.pad_token_id,
        decode=api.tokenizer.decode,
        max_batch=3,
        refill_min=1,
    )
    for i, ids in enumerate(chats):
        engine.submit(
            GenerationRequest(
                prompt_ids=ids,
                max_new_tokens=12,
                sampling=SamplingParams(do_sample=False),
                on_done=lambda r, i=i: results.__setitem__(i, r.token_ids),
            )
        )
    _wait(lambda: len(results) == len(chats))
    engine.close()
    assert [results[i] for i in range(len(chats))] == expected


@pytest.mark.slow
def test_greedy_equals_hf_on_bundled_model(bundled_dir: Path) -> None:
    prompts = PROMPTS[:3]
    config = greedy(10, max_connections=len(prompts))
    theirs = generate_all(reference(bundled_dir), prompts, config)
    mine = generate_all(ours(bundled_dir), prompts, config)
    assert [o.completion for o in mine] == [o.completion for o in theirs]
    assert any(len(o.completion) > 5 for o in mine)


def test_concurrent_samples_do_not_cross_talk(tiny_llama_dir: Path) -> None:
    """Many requests at once, with merges and rows leaving at different steps, equal each request alone."""
    model = ours(tiny_llama_dir, max_batch=5, refill_min=1)
    prompts = [f"{p} (variant {i})" for i, p in enumerate(PROMPTS * 4)]
    configs = [greedy(3 + (i * 7) % 13) for i in range(len(prompts))]
    together = generate_all(model, prompts, configs)
    alone = [generate_all(model, [p], [c])[0] for p, c in zip(prompts[:8], configs[:8], strict=True)]
    assert [o.completion for o in together[:8]] == [o.completion for o in alone]
    assert [o.usage.output_tokens for o in together if o.usage] == [c.max_tokens for c in configs]


def test_usage_and_stop_reasons(tiny_llama_dir: Path) -> None:
    model = ours(tiny_llama_dir)
    api: Any = model.api
    [limited] = generate_all(model, PROMPTS[:1], greedy(5))
    prompt_tokens = len(api.tokenizer(api.hf_chat([_user(PROMPTS[0])], []))["input_ids"])
    assert limited.stop_reason == "max_tokens"
    assert limited.usage is not None
    assert (limited.usage.input_tokens, limited.usage.output_tokens) == (prompt_tokens, 5)
    assert limited.usage.total_tokens == prompt_tokens + 5

    # make a greedy token an end-of-sequence token: the reply stops at its first occurrence, without it
    greedy_ids = _greedy_ids(api, PROMPTS[0], 5)
    at = max(i for i, token in enumerate(greedy_ids) if token not in greedy_ids[:i])
    api.engine.eos_token_ids = {greedy_ids[at]}
    [stopped] = generate_all(model, PROMPTS[:1], greedy(5))
    assert stopped.stop_reason == "stop"
    assert stopped.usage is not None and stopped.usage.output_tokens == at + 1
    assert stopped.completion == api.tokenizer.decode(greedy_ids[:at], skip_special_tokens=True)


def test_sampling_with_seed_is_reproducible(tiny_llama_dir: Path) -> None:
    model = ours(tiny_llama_dir)
    config = GenerateConfig(temperature=1.0, max_tokens=12, seed=7)
    first = generate_all(model, PROMPTS[:2], config)
    second = generate_all(model, PROMPTS[:2], config)
    assert [o.completion for o in first] == [o.completion for o in second]


def test_peft_adapter_dir_loads(tiny_llama_dir: Path, tmp_path: Path) -> None:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(1)
    base = AutoModelForCausalLM.from_pretrained(tiny_llama_dir)
    lora = LoraConfig(r=4, lora_alpha=32, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    adapter_dir = tmp_path / "adapter"
    get_peft_model(base, lora).save_pretrained(adapter_dir)
    assert (adapter_dir / "adapter_config.json").exists() and not (adapter_dir / "tokenizer.json").exists()

    adapted = ours(adapter_dir)
    plain = ours(tiny_llama_dir)
    [with_adapter] = generate_all(adapted, PROMPTS[:1], greedy(12))
    [without] = generate_all(plain, PROMPTS[:1], greedy(12))
    assert with_adapter.completion and with_adapter.completion != without.completion


def test_sampling_params_follow_generate_defaults() -> None:
    from transformers import GenerationConfig

    from inspect_warmth.providers.sampling import SamplingParams

    config = GenerationConfig(top_p=0.9)
    assert SamplingParams.resolve(config, do_sample=True, temperature=0, top_p=None, top_k=None).do_sample is False
    sampled = SamplingParams.resolve(config, do_sample=True, temperature=0.7, top_p=None, top_k=None)
    assert (sampled.temperature, sampled.top_p, sampled.top_k) == (0.7, 0.9, 50)
    assert not SamplingParams.resolve(config, do_sample=False, temperature=0.7, top_p=None, top_k=None).do_sample


def _user(text: str) -> Any:
    from inspect_ai.model import ChatMessageUser

    return ChatMessageUser(content=text)


def _greedy_ids(api: Any, prompt: str, n: int) -> list[int]:
    import torch

    ids = api.tokenizer(api.hf_chat([_user(prompt)], []), return_tensors="pt")
    with torch.inference_mode():
        out = api.model.generate(**ids, do_sample=False, max_new_tokens=n, min_new_tokens=n)
    return list(out[0, ids["input_ids"].shape[1] :].tolist())


def _wait(done: Any, timeout: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("the engine did not answer in time")
        time.sleep(0.01)


def test_engine_failure_answers_caller_and_keeps_serving(tiny_llama_dir: Path) -> None:
    from inspect_warmth.providers.engine import GenerationEngine, GenerationRequest
    from inspect_warmth.providers.sampling import SamplingParams

    api: Any = ours(tiny_llama_dir).api
    engine = GenerationEngine(api.model, eos_token_ids=set(), pad_token_id=0, decode=str, max_batch=2)
    results: list[Any] = []

    def submit() -> None:
        engine.submit(
            GenerationRequest(
                prompt_ids=[5, 6, 7], max_new_tokens=3, sampling=SamplingParams(do_sample=False), on_done=results.append
            )
        )

    class Broken:
        config, device = api.model.config, api.model.device

        def __call__(self, **kwargs: Any) -> Any:
            raise RuntimeError("forward exploded")

    engine.model = Broken()
    submit()
    _wait(lambda: len(results) == 1)
    assert isinstance(results[0], RuntimeError) and "exploded" in str(results[0])
    engine.model = api.model
    submit()
    _wait(lambda: len(results) == 2)
    engine.close()
    assert len(results[1].token_ids) == 3


def test_bad_model_arg_names_the_argument(tiny_llama_dir: Path) -> None:
    with pytest.raises(ValueError, match="max_batch='many'"):
        ours(tiny_llama_dir, max_batch="many")


def test_default_batch_fits_the_cache_in_memory(tiny_llama_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from inspect_warmth.providers import warmth_hf_api as api

    model = ours(tiny_llama_dir).api.model
    per_token = api.kv_bytes_per_token(model)
    config = model.config  # 2 layers, 2 key/value heads of 8 dims, float32
    assert per_token == config.num_hidden_layers * 2 * 2 * 8 * 4
    assert api.default_max_batch("cuda", model) == api.DEFAULT_MAX_BATCH["cuda"]
    page = os.sysconf("SC_PAGE_SIZE")
    ten_rows = 10 * per_token * api._COLUMNS_BUDGETED / api._CACHE_SHARE_OF_MEMORY
    monkeypatch.setattr(os, "sysconf", lambda name: page if name == "SC_PAGE_SIZE" else int(ten_rows) // page + 1)
    assert api.default_max_batch("cpu", model) == 10
    with pytest.raises(ValueError, match="max_batch=0"):
        ours(tiny_llama_dir, max_batch=0)
