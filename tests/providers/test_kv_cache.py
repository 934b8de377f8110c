"""``SlabLayer``: the same attention inputs as transformers' ``DynamicLayer``, through row removal and appends."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from inspect_warmth.providers.kv_cache import SlabLayer, swap_remove, to_slabs  # noqa: E402


@pytest.mark.parametrize("seed", range(20))
def test_swap_remove_keeps_exactly_the_live_rows(seed: int) -> None:
    rng = random.Random(seed)
    rows = rng.randint(1, 12)
    dead = rng.sample(range(rows), rng.randint(0, rows))
    moves, order = swap_remove(rows, dead)
    slots = list(range(rows))
    for src, dst in moves:
        assert src > dst and slots[src] not in dead, "only live rows move, always down"
        slots[dst] = slots[src]
    assert slots[: rows - len(dead)] == order
    assert sorted(order) == sorted(set(range(rows)) - set(dead))
    assert len(moves) <= len(dead)


def _kv(rows: int, columns: int, fill: float) -> tuple[Any, Any]:
    keys = torch.arange(rows * 2 * columns * 4, dtype=torch.float32).reshape(rows, 2, columns, 4) + fill
    return keys, -keys


def test_slab_views_hold_what_dynamic_layer_would() -> None:
    from transformers.cache_utils import DynamicLayer

    slab, plain = SlabLayer(max_rows=4, spare=1), DynamicLayer()
    for step in range(4):  # the second decode step outgrows spare=1 and reallocates
        keys, values = _kv(3, 5 if step == 0 else 1, step)
        got, want = slab.update(keys, values), plain.update(keys, values)
        assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])
    assert slab.get_seq_length() == plain.get_seq_length() == 8

    moves, order = swap_remove(3, [0])  # row 2 moves into slot 0
    slab.remove_rows(moves, 2)
    plain.batch_select_indices(torch.tensor(order))
    assert torch.equal(slab.keys, plain.keys) and torch.equal(slab.values, plain.values)

    slab.drop_leading(3)
    assert torch.equal(slab.keys, plain.keys[:, :, 3:])

    fresh_keys, fresh_values = _kv(2, 9, 100.0)  # wider than the 5 used columns, and more rows than the 3 slots
    slab.append(fresh_keys, fresh_values)
    assert slab.keys.shape == (4, 2, 9, 4) and slab._keys is not None and slab._keys.shape[0] == 4
    assert torch.equal(slab.keys[:2, :, 4:], plain.keys[:, :, 3:])
    assert torch.equal(slab.keys[2:], fresh_keys) and torch.equal(slab.values[2:], fresh_values)
    assert torch.isfinite(slab.keys).all(), "padding columns must stay finite so masking zeroes them"

    narrow = _kv(1, 2, 500.0)
    slab.append(*narrow)  # beyond max_rows=4: the slab still takes it
    assert torch.equal(slab.keys[4, :, -2:], narrow[0][0]) and slab.keys.shape[0] == 5


def test_slab_cache_decodes_bit_identically_to_dynamic_cache(tiny_llama_dir: Path) -> None:
    from transformers import AutoModelForCausalLM, DynamicCache

    model = AutoModelForCausalLM.from_pretrained(tiny_llama_dir).eval()
    torch.manual_seed(0)
    ids = torch.randint(5, 200, (3, 7))
    mask = torch.ones_like(ids)
    mask[0, :3] = 0
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    slab, plain = DynamicCache(config=model.config), DynamicCache(config=model.config)
    assert not to_slabs(slab, max_rows=3, spare=2), "an empty cache has nothing to move"
    with torch.inference_mode():
        outputs = [model(input_ids=ids, attention_mask=mask, position_ids=positions, cache=c) for c in (slab, plain)]
        assert to_slabs(slab, max_rows=3, spare=2) and all(isinstance(layer, SlabLayer) for layer in slab.layers)
        for _ in range(5):
            assert torch.equal(outputs[0].logits, outputs[1].logits)
            last = outputs[0].logits[:, -1].argmax(-1, keepdim=True)
            mask = torch.cat([mask, torch.ones_like(last)], dim=1)
            positions = positions[:, -1:] + 1
            outputs = [
                model(input_ids=last, attention_mask=mask, position_ids=positions, cache=c) for c in (slab, plain)
            ]
    assert torch.equal(outputs[0].logits, outputs[1].logits)


def test_sliding_window_cache_is_left_alone() -> None:
    from transformers import DynamicCache, MistralConfig

    config = MistralConfig(hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=2,
                           num_key_value_heads=1, sliding_window=4, vocab_size=32)
    cache = DynamicCache(config=config)
    keys, values = _kv(1, 3, 0.0)
    for index in range(len(cache.layers)):
        cache.update(keys, values, index)
    before = list(cache.layers)
    assert not to_slabs(cache, max_rows=2, spare=1) and cache.layers == before
