"""The trajectory's generation step (run/trajectory.py) without an engine: its command joins the ``finetune`` group,
and a validation prompt it cannot send stops with the file, the prompt and the role. Unit: one command line or one
prompt. (Generation itself: tests/finetune/test_finetune_train.py on hf/, tests/run/test_demo.py on vLLM.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from inspect_warmth.run.trajectory import chat_messages, epoch_variant


def test_finetune_trajectory_is_the_run_command() -> None:
    from inspect_warmth.cli import main

    result = CliRunner().invoke(main, ["finetune", "--help"])
    assert result.exit_code == 0 and "trajectory" in result.output, result.output
    result = CliRunner().invoke(main, ["finetune", "trajectory", "--help"])
    assert result.exit_code == 0 and "vLLM server with every epoch as a LoRA adapter" in " ".join(result.output.split())
    assert "--batch-size" not in result.output  # the engine batches; no hand-loop batch size


def test_prompts_become_inspect_messages_or_stop_naming_file_prompt_and_role() -> None:
    prompt = {"id": "v1", "messages": [{"role": "system", "content": "Be brief."},
                                       {"role": "user", "content": "Hi"}]}
    messages = chat_messages(prompt, Path("data/validation.jsonl"))
    assert [m.role for m in messages] == ["system", "user"] and messages[1].text == "Hi"
    bad = {"id": "v2", "messages": [{"role": "tool", "content": "{}"}]}
    with pytest.raises(ValueError, match=r"data/validation.jsonl, prompt 'v2': role 'tool' is not one of"):
        chat_messages(bad, Path("data/validation.jsonl"))


def test_epoch_variants_name_the_base_epoch_0() -> None:
    assert [epoch_variant(e) for e in (0.0, 0.5, 2.0)] == ["epoch-0", "epoch-0.5", "epoch-2"]


def test_demo_benchmark_needs_a_demo_to_compare_on() -> None:
    """``benchmarks/demo.py --no-demo`` without ``--out`` stops naming the flag it needs. Unit: one command line."""
    import subprocess
    import sys

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "demo.py"
    result = subprocess.run([sys.executable, str(script), "--no-demo"], capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 2 and "--no-demo needs --out DIR" in result.stderr, result.stderr
