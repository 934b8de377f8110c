"""vLLM's CPU LoRA ops grouped by adapter (:mod:`inspect_warmth.run.vllm_cpu_lora`) compute what vLLM's own
compute for rows with an adapter (float32, to 1e-5; random batches mixing adapters, 4-D weights, slices,
accumulation), leave rows without one (index -1, a base-model request) as they are where vLLM's gather added the
last slot's adapter, and ``install`` replaces them where vLLM's CPU path looks them up.

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
    indices[0] = -1  # at least one row without an adapter
    return inputs, weights, indices


def _check(got: Any, want: Any, start: Any, indices: Any) -> None:
    """Rows with an adapter as vLLM computes them; rows without one untouched."""
    import torch

    with_adapter = indices >= 0
    torch.testing.assert_close(got[with_adapter], want[with_adapter], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(got[~with_adapter], start[~with_adapter], rtol=0, atol=0)
    if (~with_adapter).any():  # where vLLM's gather changed them (the last slot's adapter)
        assert not torch.equal(want[~with_adapter], start[~with_adapter])


@pytest.mark.parametrize("four_d", [False, True])
@pytest.mark.parametrize("tokens", [1, 7, 300])
def test_grouped_ops_equal_vllms_where_a_row_has_an_adapter(upstream: Any, tokens: int, four_d: bool) -> None:
    import torch

    from inspect_warmth.run.vllm_cpu_lora import bgmv_expand, bgmv_expand_slice, bgmv_shrink

    # shrink: hidden 48 -> rank 8
    inputs, weights, indices = _batch(tokens, tokens, 3, 8, 48, four_d)
    start = torch.zeros(tokens, 8)  # vLLM's buffer
    want, got = start.clone(), start.clone()
    upstream["bgmv_shrink"](inputs, weights, want, indices, 0.5)
    bgmv_shrink(inputs, weights, got, indices, 0.5)
    _check(got, want, start, indices)
    # expand: rank 8 -> 40 into a wider (padded) output, accumulated and not
    inputs, weights, indices = _batch(tokens + 1, tokens, 3, 40, 8, four_d)
    for add in (False, True):
        start = torch.randn(tokens, 44, generator=torch.Generator().manual_seed(9))
        want, got = start.clone(), start.clone()
        upstream["bgmv_expand"](inputs, weights, want, indices, add)
        bgmv_expand(inputs, weights, got, indices, add)
        _check(got, want, start, indices)
        want, got = start.clone(), start.clone()
        upstream["bgmv_expand_slice"](inputs, weights, want, indices, 2, 40, add)
        bgmv_expand_slice(inputs, weights, got, indices, 2, 40, add)
        _check(got, want, start, indices)


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
