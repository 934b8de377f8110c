"""vLLM as the local engine: a real server on the bundled SmolLM2-135M with a LoRA adapter, through Inspect's
``vllm/`` provider, and the grid on it.

One engine (tests/run/conftest.py) is shared by every test that needs it, the grid included; the fallback
test makes the server's start fail and generates through ``hf/`` instead. Unit of independence: a prompt
(generation tests), a question (grid) or a sample (fallback); the fast tests at the bottom check pure functions on
names and need no engine.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from inspect_warmth.run import vllm_engine
from inspect_warmth.run.vllm_engine import (
    Engine,
    engine_for,
    group_by_base,
    hf_fallback,
    server_for,
    split_spec,
)

PROMPTS = [
    "What is the capital of France?",
    "Name a primary colour.",
    "How many legs does a spider have?",
    "Who wrote Hamlet?",
]


def _greedy(spec: str, prompts: list[str]) -> list[str]:
    from inspect_ai.model import GenerateConfig, get_model

    model = get_model(spec, config=GenerateConfig(temperature=0, max_tokens=24))

    async def run() -> list[str]:
        outputs = await asyncio.gather(*(model.generate(p) for p in prompts))
        return [o.completion for o in outputs]

    return asyncio.run(run())


@pytest.mark.slow
def test_only_the_runs_key_on_loopback_and_only_the_given_adapters(engine: Engine, adapter_dir: Path,
                                                                   tmp_path: Path) -> None:
    """Unit: one request per case to the shared engine. Without the run's key, or with another, the server refuses
    (401); it listens on 127.0.0.1 only; it serves the adapters it was given and loads no other at runtime."""
    import urllib.error
    import urllib.request

    assert engine.server is not None
    server = engine.server
    command = server.command()
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert server.api_key not in " ".join(command), "the key is on the command line, which every local user sees"
    for headers in ({}, {"Authorization": "Bearer not-the-key"}):
        request = urllib.request.Request(f"{server.base_url}/models", headers=headers)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 401
    assert str(adapter_dir) in server.models()
    other = tmp_path / "other-adapter"
    other.mkdir()
    load = urllib.request.Request(
        f"{server.base_url}/load_lora_adapter", method="POST",
        data=json.dumps({"lora_name": "other", "lora_path": str(other)}).encode(),
        headers={"Authorization": f"Bearer {server.api_key}", "Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as not_loaded:
        urllib.request.urlopen(load, timeout=10)
    assert not_loaded.value.code in (404, 405), "runtime LoRA loading is on"
    assert "other" not in server.models()


@pytest.mark.slow
def test_base_and_adapter_generate_through_inspect(engine: Engine, bundled_dir: Path, adapter_dir: Path) -> None:
    """Unit: a prompt. The adapter is loaded onto the one server and changes what the model says."""
    base = _greedy(f"vllm/{bundled_dir}", PROMPTS)
    warm = _greedy(f"vllm/{bundled_dir}:{adapter_dir}", PROMPTS)
    assert all(text.strip() for text in base), base
    assert all(text.strip() for text in warm), warm
    assert engine.server is not None
    served = engine.server.models()
    assert str(bundled_dir) in served and str(adapter_dir) in served, served
    differ = sum(a != b for a, b in zip(base, warm, strict=True))
    assert differ >= 1, f"the adapter changed no output: {base}"
    assert _greedy(f"vllm/{bundled_dir}", PROMPTS[:1]) == base[:1], "greedy decoding of the base is repeatable"


@pytest.mark.slow
@pytest.mark.realdata
def test_grid_runs_both_variants_on_the_engine_and_analyze_reports_them(
    engine: Engine, bundled_dir: Path, adapter_dir: Path, real_data_dir: Path, tmp_path: Path
) -> None:
    """Unit: a question (6 TriviaQA questions × 2 templates per variant). The README's grid command on vLLM, then
    ``analyze``; the grid reuses the module's server, and a rerun resumes without generating again."""
    from inspect_ai.log import list_eval_logs, read_eval_log

    from inspect_warmth.analysis.cli import analyze
    from inspect_warmth.run.cli import grid

    logs = tmp_path / "logs"
    args = ["--family", "smol", "--model", f"base=vllm/{bundled_dir}", "--model",
            f"warm=vllm/{bundled_dir}:{adapter_dir}", "--tasks", "triviaqa", "--contexts", "unmodified",
            "--templates", "original,incorrect", "--samples", "6", "--scorer", "reference", "--log-dir", str(logs),
            "--data-dir", str(real_data_dir), "--max-tokens", "40"]
    result = CliRunner().invoke(grid, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "vLLM (" in result.output and "already running" in result.output, result.output
    found = {}
    for info in list_eval_logs(str(logs), recursive=True):
        log = read_eval_log(info)
        assert log.status == "success"
        assert log.samples is not None and len(log.samples) == 12
        assert log.eval.model_generate_config.max_tokens == 40
        assert all(sample.scores and "reference" in sample.scores for sample in log.samples)
        found[log.eval.metadata["variant"]] = log.eval.model  # type: ignore[index]
    assert found == {"base": f"vllm/{bundled_dir}", "warm": f"vllm/{bundled_dir}:{adapter_dir}"}

    # the rerun resumes (a fresh process, as a user reruns the command, pointed at the module's server)
    assert engine.server is not None
    env = {**os.environ, "VLLM_BASE_URL": engine.server.base_url, "VLLM_API_KEY": engine.server.api_key}
    command = [sys.executable, "-c", "from inspect_warmth.cli import main; main()", "grid", *args]
    again = subprocess.run(command, env=env, text=True, capture_output=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "VLLM_BASE_URL=" in again.stderr, again.stderr[-3000:]
    assert len(list_eval_logs(str(logs), recursive=True)) == 2, "the rerun resumed instead of writing new logs"

    report = CliRunner().invoke(analyze, [str(logs), "--base", "base", "--out", str(tmp_path / "report"),
                                          "--json", str(tmp_path / "analysis.json")], catch_exceptions=False)
    assert report.exit_code == 0, report.output
    assert "read 24 scored replies" in report.output, report.output
    cells = json.loads((tmp_path / "analysis.json").read_text())["cells"]
    assert cells and all(set(cell["error_rate_pct"]) == {"base", "warm"} for cell in cells)


@pytest.mark.slow
def test_dry_run_times_the_engine_that_will_run(engine: Engine, bundled_dir: Path, real_data_dir: Path) -> None:
    """Unit: a warm-up prompt. The estimate comes from the vLLM server, with its start-up shown apart."""
    from inspect_warmth.run import grid as g

    plan = g.make_plan(family="smol", models=[f"base=vllm/{bundled_dir}"], tasks="triviaqa", contexts="unmodified",
                       templates="original", samples=3, seed=0, log_dir="unused", grader=None, scorer="reference",
                       capability=False, data_dir=str(real_data_dir))
    result = g.dry_run(plan, warmup=2, warmup_max_tokens=8)
    assert result.seconds_per_generation is not None and result.seconds_per_generation > 0
    assert result.warmup_prompts == 2 and result.start_seconds is not None
    text = g.dry_run_text(plan, result)
    assert "vLLM (" in text and "engine start-up:" in text, text
    assert result.capped_at_tokens == 8
    # the grid's --max-tokens is the length the estimate is for: a warm-up cap above it caps nothing
    assert g.dry_run(plan, warmup=2, warmup_max_tokens=8, max_tokens=4).capped_at_tokens is None


@pytest.mark.slow
def test_when_vllm_cannot_start_the_grid_generates_through_hf_on_base_and_adapter(
    monkeypatch: pytest.MonkeyPatch, bundled_dir: Path, adapter_dir: Path, tmp_path: Path
) -> None:
    """vLLM's server fails to start (a stand-in for a real start-up failure): the grid runs the same weights through
    Inspect's ``hf/`` (the base checkpoint; the LoRA adapter loaded onto its base by transformers + PEFT), every
    sample gets a reply, and the engine line says it fell back and why. Unit: a sample (3 TriviaQA questions of
    the shipped set per variant, 12-token replies)."""
    from inspect_ai.log import list_eval_logs, read_eval_log

    from inspect_warmth.demo_data import benchmarks_dir
    from inspect_warmth.run import grid as g

    reason = "the vLLM server exited with code 1 during start-up (stand-in for this test)"

    def start(self: vllm_engine.VLLMServer, timeout: float = 0) -> vllm_engine.VLLMServer:
        raise vllm_engine.EngineUnavailable(reason)

    monkeypatch.setattr(vllm_engine.VLLMServer, "start", start)
    # as in a process without vLLM: not the package's shared server (tests/run/conftest.py), if it is up
    monkeypatch.setattr(vllm_engine, "_running", {})
    monkeypatch.delenv("VLLM_BASE_URL", raising=False)
    plan = g.make_plan(family="smol", models=[f"base=vllm/{bundled_dir}", f"warm=vllm/{bundled_dir}:{adapter_dir}"],
                       tasks="triviaqa", contexts="unmodified", templates="original", samples=3, seed=0,
                       log_dir=str(tmp_path / "logs"), grader=None, scorer="reference", capability=False,
                       data_dir=str(benchmarks_dir()))
    said: list[str] = []
    assert g.run_grid(plan, say=said.append, max_tokens=12, display="none")

    assert len(said) == 1 and "hf/ (fallback; vLLM cannot run here: " + reason in said[0], said
    replies = {}
    for info in list_eval_logs(str(tmp_path / "logs"), recursive=True):
        log = read_eval_log(info)
        assert log.status == "success" and log.samples is not None and len(log.samples) == 3
        replies[log.eval.metadata["variant"]] = (log.eval.model, [s.output.completion for s in log.samples])  # type: ignore[index]
        if log.eval.model == f"hf/{adapter_dir}":  # PEFT wrote no tokenizer: the base's, as vLLM would use
            assert log.eval.model_args == {"tokenizer": str(bundled_dir)}, log.eval.model_args
    assert {v: model for v, (model, _) in replies.items()} == {"base": f"hf/{bundled_dir}", "warm": f"hf/{adapter_dir}"}
    for model, texts in replies.values():
        assert all(text.strip() for text in texts), (model, texts)


# --- no engine needed -------------------------------------------------------------------------------------------


def test_names_split_and_fall_back_to_hf() -> None:
    assert split_spec("vllm/m/base") == ("m/base", None)
    assert split_spec("vllm//abs/base:/abs/adapter") == ("/abs/base", "/abs/adapter")
    assert hf_fallback("vllm//abs/base") == "hf//abs/base"
    assert hf_fallback("vllm//abs/base:/abs/adapter") == "hf//abs/adapter"
    assert hf_fallback("mockllm/model") == "mockllm/model"
    with pytest.raises(ValueError, match="not a vllm/"):
        split_spec("hf/x")


def test_variants_group_by_base_in_order() -> None:
    variants = {"a": "vllm/b1", "b": "hf/x", "c": "vllm/b1:/ad", "d": "vllm/b2"}
    assert group_by_base(variants) == [("b1", {"a": "vllm/b1", "c": "vllm/b1:/ad"}), (None, {"b": "hf/x"}),
                                       ("b2", {"d": "vllm/b2"})]


def test_server_takes_the_largest_adapter_rank(tmp_path: Path) -> None:
    for name, rank in (("r4", 4), ("r16", 16)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "adapter_config.json").write_text(json.dumps({"r": rank}))
    server = server_for([f"vllm/base:{tmp_path / 'r4'}", f"vllm/base:{tmp_path / 'r16'}", "vllm/base"])
    assert server.max_lora_rank == 16
    assert "--enable-lora" in server.command()
    assert server_for(["vllm/base"]).max_lora_rank == 0
    with pytest.raises(ValueError, match="one base"):
        server_for(["vllm/a", "vllm/b"])
    with pytest.raises(ValueError, match="does not exist"):
        server_for([f"vllm/base:{tmp_path / 'missing'}"])


def test_without_vllm_the_variants_fall_back_to_hf_and_say_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vllm_engine, "vllm_version", lambda: None)
    monkeypatch.delenv("VLLM_BASE_URL", raising=False)
    said: list[str] = []
    with engine_for({"base": "vllm/some/base"}, say=said.append) as engine:
        assert engine.variants == {"base": "hf/some/base"}
        assert engine.server is None and engine.max_connections is None
    assert len(said) == 1 and "hf/ (fallback" in said[0] and "not installed" in said[0], said


def test_a_server_named_by_vllm_base_url_is_used_not_started(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VLLM_BASE_URL", "http://127.0.0.1:9/v1")
    with engine_for({"base": "vllm/elsewhere/base"}) as engine:
        assert engine.variants == {"base": "vllm/elsewhere/base"}
        assert engine.server is None and engine.max_connections == vllm_engine.MAX_CONNECTIONS
        assert "VLLM_BASE_URL=http://127.0.0.1:9/v1" in engine.note


@pytest.mark.slow
def test_a_seeded_prompt_split_over_steps_is_answered_the_same_and_the_engine_lives(engine: Engine) -> None:
    """Unit: one seeded request, asked twice. A prompt longer than the CPU server's 2048 tokens per step is
    prefilled over several steps; vLLM's rewind of its seeded generator raised on a CPU and killed the engine
    (inspect_warmth.run.vllm_cpu_sampling). The same seed gives the same reply, and the server still answers."""
    import openai

    assert engine.server is not None
    client = openai.OpenAI(base_url=engine.server.base_url, api_key=engine.server.api_key, timeout=300)
    facts = " ".join(f"Fact {i}: the number {i} comes after {i - 1}." for i in range(1, 170))
    prompt = f"{facts}\nWhich number comes after 41?"
    base = engine.variants["base"].removeprefix("vllm/")

    def ask(text: str, seed: int | None) -> str:
        response = client.chat.completions.create(model=base, messages=[{"role": "user", "content": text}],
                                                  max_tokens=12, temperature=0.8, seed=seed)
        assert response.usage is not None and (seed is None or response.usage.prompt_tokens > 2048)
        return response.choices[0].message.content or ""

    first = ask(prompt, seed=7)
    assert ask(prompt, seed=7) == first
    assert ask(PROMPTS[0], seed=None).strip()
    assert engine.server.process is not None and engine.server.process.poll() is None
