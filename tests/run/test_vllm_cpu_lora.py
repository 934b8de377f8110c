"""vLLM's CPU LoRA ops grouped by adapter (:mod:`inspect_warmth.run.vllm_cpu_lora`) compute what vLLM's own
compute: the same outputs (float32, to 1e-5) for random batches mixing adapters, the no-adapter index ``-1``,
4-D weights, slices and accumulation; and ``install`` replaces them where vLLM's CPU path looks them up.

Unit: one random batch per case (seeded). Imports vLLM (about 10 s).
"""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(importlib.util.find_spec("vllm") is None, reason="vLLM is not installed")]


@pytest.fixture(scope="module")
def upstream() -> Any:
    from vllm.lora.ops.torch_ops import lora_ops

    from inspect_warmth.run import vllm_cpu_lora

    return {name: vllm_cpu_lora._UPSTREAM.get(name, getattr(lora_ops, name)) for name in vllm_cpu_lora.GROUPED}


def _batch(seed: int, tokens: int, adapters: int, rows: int, cols: int, four_d: bool) -> tuple[Any, Any, Any]:
    import torch

    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(tokens, cols, generator=generator)
    weights = torch.randn(adapters, rows, cols, generator=generator)
    if four_d:
        weights = weights.unsqueeze(1)
    indices = torch.randint(-1, adapters, (tokens,), generator=generator)
    return inputs, weights, indices


@pytest.mark.parametrize("four_d", [False, True])
@pytest.mark.parametrize("tokens", [1, 7, 300])
def test_grouped_ops_equal_vllms(upstream: Any, tokens: int, four_d: bool) -> None:
    import torch

    from inspect_warmth.run.vllm_cpu_lora import bgmv_expand, bgmv_expand_slice, bgmv_shrink

    # shrink: hidden 48 -> rank 8
    inputs, weights, indices = _batch(tokens, tokens, 3, 8, 48, four_d)
    want, got = torch.zeros(tokens, 8), torch.zeros(tokens, 8)
    upstream["bgmv_shrink"](inputs, weights, want, indices, 0.5)
    bgmv_shrink(inputs, weights, got, indices, 0.5)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    # expand: rank 8 -> 40 into a wider (padded) output, accumulated and not
    inputs, weights, indices = _batch(tokens + 1, tokens, 3, 40, 8, four_d)
    for add in (False, True):
        start = torch.randn(tokens, 44, generator=torch.Generator().manual_seed(9))
        want, got = start.clone(), start.clone()
        upstream["bgmv_expand"](inputs, weights, want, indices, add)
        bgmv_expand(inputs, weights, got, indices, add)
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
        want, got = start.clone(), start.clone()
        upstream["bgmv_expand_slice"](inputs, weights, want, indices, 2, 40, add)
        bgmv_expand_slice(inputs, weights, got, indices, 2, 40, add)
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)


def test_install_replaces_the_ops_where_vllms_cpu_path_finds_them() -> None:
    from vllm.lora.ops.torch_ops import lora_ops
    from vllm.lora.punica_wrapper import punica_cpu

    from inspect_warmth.run import vllm_cpu_lora

    kept = {name: (getattr(lora_ops, name), getattr(punica_cpu, name)) for name in vllm_cpu_lora.GROUPED}
    try:
        assert vllm_cpu_lora.install()
        for name, grouped in vllm_cpu_lora.GROUPED.items():
            assert getattr(lora_ops, name) is grouped and getattr(punica_cpu, name) is grouped
            assert vllm_cpu_lora._UPSTREAM[name] is kept[name][0]
    finally:
        for name, (ops_fn, punica_fn) in kept.items():
            setattr(lora_ops, name, ops_fn)
            setattr(punica_cpu, name, punica_fn)
