"""``WarmthHFAPI``: Inspect's ``hf/`` provider with its batch queue replaced by :class:`GenerationEngine`.

Loading, tokenizer set-up, chat templating (``apply_chat_template`` with ``add_generation_prompt``), tool-call
parsing and seeding are inherited from ``HuggingFaceAPI`` unchanged, so the prompt tokens are exactly the ones
``hf/`` would feed the model. Only the generation differs: requests go to a continuous-batching engine instead
of waiting for a 2-second drain and being padded into one ``generate`` call.

This module imports torch and transformers; the registered factory in :mod:`.warmth_hf` imports it lazily.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from pathlib import Path
from typing import Any

import torch
from inspect_ai._util.constants import DEFAULT_MAX_TOKENS
from inspect_ai.model import (
    ChatCompletionChoice,
    ChatMessage,
    ChatMessageAssistant,
    GenerateConfig,
    ModelOutput,
    ModelUsage,
)
from inspect_ai.model._providers.hf import HuggingFaceAPI
from inspect_ai.model._providers.util import HFHandler
from inspect_ai.tool import ToolChoice, ToolInfo
from typing_extensions import override

from inspect_warmth.models.bundled import resolve_model
from inspect_warmth.providers.engine import GenerationEngine, GenerationRequest, GenerationResult
from inspect_warmth.providers.sampling import SamplingParams

# Most rows decoded together by default, per device type. A decode step costs less per row the more rows share
# it: on 2 CPU cores SmolLM2-135M at 300 cached columns took about 5.8 ms per row at 32 rows, 4.5 at 64 and 3.6
# at 128, and 256 grid prompts ran in 129 s at 128 rows against 164 s at 64. GPUs stay memory-bound (nearly
# free per extra row) well past a hundred rows for 8B-class models.
DEFAULT_MAX_BATCH = {"cpu": 128, "mps": 32, "cuda": 128}
# On CPU and MPS the default also keeps the cache of the full batch, at 1,024 tokens a row, within a quarter of
# the machine's memory (an 8B model in float32 gets far fewer rows than a 135M one).
_CACHE_SHARE_OF_MEMORY = 0.25
_COLUMNS_BUDGETED = 1024
_TOKENIZER_FILES = ("tokenizer_config.json", "tokenizer.json", "tokenizer.model", "vocab.json")


def default_device() -> str:
    """The device ``hf/`` would pick: mps, else cuda:0, else cpu."""
    if torch.backends.mps.is_available():
        return "mps"
    if torch.cuda.is_available():
        return "cuda:0"
    return "cpu"


def kv_bytes_per_token(model: Any) -> int | None:
    """Bytes of key/value cache one token takes across all layers, or None when the config does not say."""
    config = model.config.get_text_config(decoder=True)
    layers = getattr(config, "num_hidden_layers", None)
    heads = getattr(config, "num_attention_heads", None)
    kv_heads = getattr(config, "num_key_value_heads", None) or heads
    head_dim = getattr(config, "head_dim", None)
    if head_dim is None and heads:
        head_dim = getattr(config, "hidden_size", 0) // heads
    if not (layers and kv_heads and head_dim):
        return None
    return int(layers * kv_heads * head_dim * 2 * model.dtype.itemsize)


def default_max_batch(device_type: str, model: Any) -> int:
    """:data:`DEFAULT_MAX_BATCH` for the device, on CPU and MPS lowered so the cache fits the memory budget."""
    rows = DEFAULT_MAX_BATCH.get(device_type, 32)
    per_token = kv_bytes_per_token(model)
    if device_type in ("cpu", "mps") and per_token:
        try:
            memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            return rows
        rows = min(rows, int(memory * _CACHE_SHARE_OF_MEMORY) // (per_token * _COLUMNS_BUDGETED))
    return max(1, rows)


def adapter_base(path: str) -> str | None:
    """The base model of a PEFT adapter directory (``adapter_config.json``), or None for anything else."""
    config_file = Path(path) / "adapter_config.json"
    if not config_file.is_file():
        return None
    try:
        base = json.loads(config_file.read_text())["base_model_name_or_path"]
    except (json.JSONDecodeError, KeyError) as ex:
        raise ValueError(f"{config_file}: not a PEFT adapter config with base_model_name_or_path ({ex})") from ex
    return resolve_model(str(base))


def _positive_int(name: str, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1 or (isinstance(value, float) and not value.is_integer()):
        raise ValueError(f"warmth-hf model arg {name}={value!r}: expected a positive integer")
    return number


def _has_tokenizer(path: Path) -> bool:
    return any((path / name).exists() for name in _TOKENIZER_FILES)


class WarmthHFAPI(HuggingFaceAPI):
    """Local transformers models with continuous batching (``--model warmth-hf/<dir or hub id>``).

    Model args beyond ``hf/``'s: ``max_batch`` (alias ``batch_size``; rows decoded together, default by device:
    cpu 128, mps 32, cuda 128, on CPU and MPS fewer when their cache would take over a quarter of memory) and
    ``refill_min`` (free rows that trigger admitting waiting requests, default a quarter of ``max_batch``).
    ``dtype`` defaults to float32 on CPU and to the checkpoint's dtype elsewhere.
    ``smollm2-135m`` names the bundled model; a PEFT adapter directory loads its base model plus the adapter.
    """

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig | None = None,
        **model_args: Any,
    ) -> None:
        config = config if config is not None else GenerateConfig()
        max_batch = model_args.pop("max_batch", None)
        batch_size = model_args.pop("batch_size", None)
        refill_min = model_args.pop("refill_min", None)

        path = model_args.get("model_path") or resolve_model(model_name)
        if path != model_name and "model_path" not in model_args:
            model_args["model_path"] = path
        base = adapter_base(str(path))
        tokenizer_given = "tokenizer" in model_args or "tokenizer_path" in model_args
        if base is not None and not tokenizer_given and not _has_tokenizer(Path(path)):
            model_args["tokenizer"] = base
        device = str(model_args.get("device") or default_device())
        model_args["device"] = device
        device_type = device.split(":")[0]
        if device_type == "cpu" and "dtype" not in model_args and "torch_dtype" not in model_args:
            model_args["dtype"] = torch.float32
        explicit = max_batch if max_batch is not None else batch_size
        rows = _positive_int("max_batch", explicit) if explicit is not None else None
        refill = _positive_int("refill_min", refill_min) if refill_min is not None else None

        super().__init__(model_name=model_name, base_url=base_url, api_key=api_key, config=config, **model_args)
        self.model.eval()

        if rows is None:
            rows = default_max_batch(device_type, self.model)
        self.max_batch = rows
        self.engine = GenerationEngine(
            self.model,
            eos_token_ids=self._eos_token_ids(),
            pad_token_id=int(self.tokenizer.pad_token_id),
            decode=self._decode,
            max_batch=rows,
            refill_min=refill,
        )
        # Inspect's adaptive concurrency starts at 20 connections and grows slowly; an explicit default lets every
        # sample reach the engine at once (twice the batch, so finished rows are refilled at once).
        if config.max_connections is None and config.adaptive_connections is None:
            config.max_connections = self.max_connections()

    def _decode(self, ids: list[int]) -> str:
        """Token ids to text as ``hf/`` decodes them."""
        return str(self.tokenizer.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False))

    def _eos_token_ids(self) -> set[int]:
        eos = getattr(self.model.generation_config, "eos_token_id", None)
        if eos is None:
            eos = self.tokenizer.eos_token_id
        if eos is None:
            return set()
        return {int(t) for t in (eos if isinstance(eos, list | tuple) else [eos])}

    @override
    def close(self) -> None:
        engine = getattr(self, "engine", None)
        if engine is not None:
            engine.close()
        super().close()

    @override
    def max_connections(self) -> int:
        return 2 * self.max_batch

    @override
    async def generate(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        if config.logprobs or self.hidden_states:
            # the engine does not collect logits or activations: hf/'s own path does
            return await super().generate(input, tools, tool_choice, config)

        chat = self.hf_chat(input, tools)
        assert isinstance(self.tokenizer_call_args, dict)
        prompt_ids = list(self.tokenizer(chat, **self.tokenizer_call_args)["input_ids"])
        max_new = config.max_tokens or self.max_tokens() or DEFAULT_MAX_TOKENS
        limit = getattr(self.model.config, "max_position_embeddings", None)
        if isinstance(limit, int) and len(prompt_ids) + max_new > limit:
            max_new = max(1, limit - len(prompt_ids))
        sampling = SamplingParams.resolve(
            self.model.generation_config,
            do_sample=self.do_sample,
            temperature=config.temperature,
            top_p=config.top_p,
            top_k=config.top_k,
        )
        result = await self._run(prompt_ids, max_new, sampling, tuple(config.stop_seqs or ()), config.seed)

        text = self._decode(result.token_ids)
        if tools:
            message = HFHandler(self.model_name, self.model_family()).parse_assistant_response(text, tools)
        else:
            message = ChatMessageAssistant(content=text, model=self.model_name, source="generate")
        stop_reason = "tool_calls" if message.tool_calls else result.stop_reason
        return ModelOutput(
            model=self.model_name,
            choices=[ChatCompletionChoice(message=message, stop_reason=stop_reason)],
            usage=ModelUsage(
                input_tokens=result.input_tokens,
                output_tokens=result.output_tokens,
                total_tokens=result.input_tokens + result.output_tokens,
            ),
            time=result.time,
        )

    async def _run(
        self,
        prompt_ids: list[int],
        max_new: int,
        sampling: SamplingParams,
        stop_seqs: tuple[str, ...],
        seed: int | None,
    ) -> GenerationResult:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[GenerationResult] = loop.create_future()

        def settle(value: GenerationResult | BaseException) -> None:
            if future.done():
                return
            if isinstance(value, BaseException):
                future.set_exception(value)
            else:
                future.set_result(value)

        def on_done(value: GenerationResult | BaseException) -> None:
            # RuntimeError: the caller's event loop has closed, nobody is waiting
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle, value)

        request = GenerationRequest(
            prompt_ids=prompt_ids,
            max_new_tokens=max_new,
            sampling=sampling,
            on_done=on_done,
            stop_seqs=stop_seqs,
            seed=seed,
        )
        self.engine.submit(request)
        try:
            return await future
        except asyncio.CancelledError:
            request.cancelled = True
            raise
