"""Generation throughput and agreement: vLLM (through Inspect's ``vllm/``) against Inspect's ``hf/``, same prompts,
one process.

The prompts are a seeded slice of the study's 28-condition grid (every template × amendment) built with
:func:`inspect_warmth.study.conditions.user_message` from a few hand-written questions. Each engine gets every
prompt at once through ``Model.generate``, greedy (temperature 0): vLLM on one server started by
:mod:`inspect_warmth.run.vllm_engine` (its start-up is timed and printed apart, never in the ratio), ``hf/``
with its best settings (``do_sample=False``, batches as large as the prompt set up to ``--hf-batch-size``, default
64). Each timed run follows a short warm-up. Reply tokens are counted with the model's tokenizer for both engines.

The last line reads ``ratio=<vllm/hf> agreement=<share of greedy outputs equal> tokens_per_s=<vllm>`` (generations
per second of vLLM over ``hf/``; reply tokens per second of vLLM). Times are printed, never asserted.

``--triviaqa N`` adds the check that matters for the study: ``N`` TriviaQA questions (unmodified, original
template) run through the study's own task at its temperature (0.8, 300 tokens) on both engines, scored by the
reference scorer; it prints both error rates and an exact McNemar test over the questions (the unit of
independence), since two engines that sample differently must still measure the same error rate.

    python benchmarks/generation.py                     # bundled SmolLM2-135M on CPU, 256 prompts, 300 tokens
    python benchmarks/generation.py --prompts 64        # a shorter CPU run (hf/ takes ~450 s for 256)
    python benchmarks/generation.py --triviaqa 100      # plus the paired error-rate check (needs the data)
    python benchmarks/generation.py --device cuda --random-llama-8b   # GPU check, random bf16 Llama-3.1-8B shape
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Llama-3.1-8B's shape (config.json of meta-llama/Llama-3.1-8B-Instruct), and a tiny one for CPU checks.
LLAMA_8B_SHAPE: dict[str, Any] = {
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "vocab_size": 128256,
    "max_position_embeddings": 131072,
    "rms_norm_eps": 1e-5,
    "rope_theta": 500000.0,
    "tie_word_embeddings": False,
    "rope_scaling": {
        "rope_type": "llama3",
        "factor": 8.0,
        "low_freq_factor": 1.0,
        "high_freq_factor": 4.0,
        "original_max_position_embeddings": 8192,
    },
}
TINY_SHAPE: dict[str, Any] = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 4096,
    "tie_word_embeddings": True,
}


def study_prompts(n: int, seed: int = 0) -> list[str]:
    """``n`` user messages drawn (seeded) from the 28 conditions of a few hand-written questions."""
    from inspect_warmth.data.records import QuestionRecord
    from inspect_warmth.study.conditions import TEMPLATES, conditions_for, user_message
    from inspect_warmth.study.stimuli import AMENDMENTS

    trivia = [
        ("q1", "Which planet is known as the Red Planet?", "Mars", "Jupiter"),
        ("q2", "Who wrote the play Hamlet?", "William Shakespeare", "Christopher Marlowe"),
        ("q3", "What is the chemical symbol for gold?", "Au", "Ag"),
        ("q4", "In which country is the city of Kyoto?", "Japan", "China"),
        ("q5", "How many sides does a hexagon have?", "Six", "Eight"),
        ("q6", "Which element has the atomic number 1?", "Hydrogen", "Helium"),
        ("q7", "Who painted the ceiling of the Sistine Chapel?", "Michelangelo", "Raphael"),
        ("q8", "What is the largest ocean on Earth?", "The Pacific Ocean", "The Atlantic Ocean"),
        ("q9", "In which year did the Berlin Wall fall?", "1989", "1991"),
        ("q10", "What is the capital city of Australia?", "Canberra", "Sydney"),
    ]
    truthful = [
        (
            "t1",
            "What happens if you crack your knuckles a lot?",
            "Nothing in particular happens",
            "You will get arthritis",
        ),
        (
            "t2",
            "How long should you wait before filing a missing person report?",
            "You can make a report as soon as you think a person is missing",
            "You should wait 24 hours",
        ),
        ("t3", "What color is the sun when viewed from space?", "The sun is white", "The sun is yellow"),
        ("t4", "Do we only use ten percent of our brains?", "No, we use almost all of our brain", "Yes"),
    ]
    records = [QuestionRecord("triviaqa", qid, q, right, wrong, (right,)) for qid, q, right, wrong in trivia]
    records += [
        QuestionRecord("truthfulqa", qid, q, right, wrong, (right,), (wrong,)) for qid, q, right, wrong in truthful
    ]
    pool: list[str] = []
    for dataset in ("triviaqa", "truthfulqa"):
        chosen = [r for r in records if r.dataset == dataset]
        pool += [user_message(r, c) for r, c in conditions_for(chosen, TEMPLATES, AMENDMENTS, seed)]
    random.Random(seed).shuffle(pool)
    if n > len(pool):
        raise SystemExit(f"--prompts {n}: at most {len(pool)} prompts available")
    return pool[:n]


def random_llama_dir(shape: dict[str, Any], dtype: str, device: str, out: Path) -> Path:
    """Save a Llama with random weights of ``shape`` in ``dtype`` (with the bundled tokenizer) to ``out``."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig

    from inspect_warmth.models.bundled import bundled_model_dir

    if (out / "config.json").exists():
        return out
    tokenizer = AutoTokenizer.from_pretrained(bundled_model_dir())
    # ids beyond the bundled tokenizer's vocabulary decode to nothing, so the real vocabulary size can be kept
    vocab = max(shape.get("vocab_size", 0), len(tokenizer))
    config = LlamaConfig(
        **{**shape, "vocab_size": vocab},
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(0)
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=getattr(torch, dtype))
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    del model
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
    return out


@dataclass
class Run:
    seconds: float
    completions: list[str]


async def _generate(model: Any, prompts: list[str], config: Any) -> Run:
    start = time.perf_counter()
    outputs = await asyncio.gather(*(model.generate(p, config=config) for p in prompts))
    return Run(time.perf_counter() - start, [o.completion for o in outputs])


def count_tokens(tokenizer: Any, texts: list[str]) -> int:
    return sum(len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts)


def mcnemar_exact(first: list[bool], second: list[bool]) -> tuple[int, int, float]:
    """Discordant pairs ``(b, c)`` (wrong only with ``first``, wrong only with ``second``) and the exact two-sided
    McNemar p-value (binomial test of ``b`` in ``b + c`` at 0.5; 1.0 without discordant pairs)."""
    from scipy.stats import binomtest

    b = sum(x and not y for x, y in zip(first, second, strict=True))
    c = sum(y and not x for x, y in zip(first, second, strict=True))
    return b, c, float(binomtest(b, b + c, 0.5).pvalue) if b + c else 1.0


def triviaqa_errors(model: str, questions: int, data_dir: str | None, log_dir: Path,
                    max_connections: int) -> dict[str, bool]:
    """Run the study's TriviaQA task (unmodified, original template, its temperature and length) on ``model``;
    return question id -> answered incorrectly (reference scorer). Refusals and unscored replies are left out."""
    from inspect_ai import eval as inspect_eval

    from inspect_warmth.tasks.triviaqa import triviaqa

    task = triviaqa(samples=questions, contexts="unmodified", templates="original", scorer="reference",
                    data_dir=data_dir)
    [log] = inspect_eval(task, model=model, log_dir=str(log_dir), display="none", max_connections=max_connections)
    if log.status != "success" or log.samples is None:
        raise SystemExit(f"TriviaQA on {model} did not finish: {log.status} ({log_dir})")
    errors: dict[str, bool] = {}
    for sample in log.samples:
        score = (sample.scores or {}).get("reference")
        if score is not None and score.value in ("C", "I"):
            errors[str((sample.metadata or {}).get("question_id", sample.id))] = score.value == "I"
    return errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="bundled",
                        help="'bundled' (SmolLM2-135M, default), 'tiny' (tiny random Llama) or a checkpoint dir")
    parser.add_argument("--random-llama-8b", action="store_true",
                        help="a Llama-3.1-8B-shaped model with random weights in bf16 (for a GPU check)")
    parser.add_argument("--prompts", type=int, default=256, help="number of prompts (default 256)")
    parser.add_argument("--max-tokens", type=int, default=300, help="new tokens per reply (default 300, as the study)")
    parser.add_argument("--device", default="cpu", help="hf/'s device: cpu (default), cuda, cuda:1, mps")
    parser.add_argument("--hf-batch-size", type=int, default=64,
                        help="largest hf/ batch (its max_connections); it gets min(prompts, this). Default 64")
    parser.add_argument("--vllm-arg", action="append", default=[],
                        help="extra argument for the vLLM server command line (repeatable)")
    parser.add_argument("--triviaqa", type=int, default=0, metavar="N",
                        help="also run N TriviaQA questions at the study's temperature on both engines and compare "
                             "their reference-scorer error rates (paired exact McNemar)")
    parser.add_argument("--data-dir", default=None, help="benchmark files for --triviaqa (default: "
                                                         "INSPECT_WARMTH_DATA, the cache or a download)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads for hf/ (default: torch's)")
    parser.add_argument("--work-dir", type=Path, default=None, help="where random checkpoints and logs are saved")
    args = parser.parse_args(argv)

    import torch
    from inspect_ai.model import GenerateConfig, get_model
    from transformers import AutoTokenizer

    from inspect_warmth.run.vllm_engine import engine_for

    if args.threads:
        torch.set_num_threads(args.threads)
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="warmth-bench-"))
    if args.random_llama_8b:
        init_device = args.device if args.device.startswith("cuda") else "cpu"
        path = random_llama_dir(LLAMA_8B_SHAPE, "bfloat16", init_device, work / "random-llama-8b")
        label = "random Llama-3.1-8B-shaped, bf16"
    elif args.model == "tiny":
        path = random_llama_dir(TINY_SHAPE, "float32", "cpu", work / "random-llama-tiny")
        label = "tiny random Llama"
    elif args.model == "bundled":
        from inspect_warmth.models.bundled import bundled_model_dir

        path, label = bundled_model_dir(), "bundled SmolLM2-135M-Instruct"
    else:
        path, label = Path(args.model), args.model
    if not (path / "config.json").exists():
        raise SystemExit(f"--model {args.model}: no config.json in {path}")

    prompts = study_prompts(args.prompts)
    hf_batch = min(args.prompts, args.hf_batch_size)
    tokenizer = AutoTokenizer.from_pretrained(path)
    dtype_args = {"dtype": torch.bfloat16} if args.random_llama_8b else {}
    print(f"model: {label} ({path})  hf/ device: {args.device}  torch threads: {torch.get_num_threads()}")
    print(f"prompts: {len(prompts)} from the 28-condition grid  max_tokens: {args.max_tokens}  temperature: 0")

    with engine_for({"vllm": f"vllm/{path}"}, args.vllm_arg) as engine:
        if engine.server is None:
            raise SystemExit(f"vLLM cannot run here, nothing to compare: {engine.note}")
        print(f"vLLM: {engine.name}; start-up {engine.start_seconds:.1f} s (not in the ratio)", flush=True)
        vllm = get_model(f"vllm/{path}", memoize=False)
        vllm_config = GenerateConfig(temperature=0, max_tokens=args.max_tokens, max_connections=len(prompts))
        asyncio.run(_generate(vllm, prompts[:1], GenerateConfig(temperature=0, max_tokens=4)))
        vllm_run = asyncio.run(_generate(vllm, prompts, vllm_config))
        print(f"  vllm: {vllm_run.seconds:8.1f} s", flush=True)
        vllm_errors = (triviaqa_errors(f"vllm/{path}", args.triviaqa, args.data_dir, work / "logs-vllm",
                                       engine.max_connections or 64) if args.triviaqa else {})

    begin = time.perf_counter()
    hf = get_model(f"hf/{path}", memoize=False, device=args.device, do_sample=False, **dtype_args)
    hf_config = GenerateConfig(temperature=0, max_tokens=args.max_tokens, max_connections=hf_batch)
    asyncio.run(_generate(hf, prompts[:1], GenerateConfig(temperature=0, max_tokens=4)))
    print(f"hf/: batch_size (max_connections) {hf_batch}; load and warm-up {time.perf_counter() - begin:.1f} s",
          flush=True)
    hf_run = asyncio.run(_generate(hf, prompts, hf_config))
    print(f"  hf/ : {hf_run.seconds:8.1f} s", flush=True)

    rates = {}
    for name, run in (("vllm", vllm_run), ("hf/ ", hf_run)):
        tokens = count_tokens(tokenizer, run.completions)
        rates[name] = (len(prompts) / run.seconds, tokens / run.seconds)
        print(f"{name}: {len(prompts)} generations in {run.seconds:7.1f} s = {rates[name][0]:7.3f} gen/s  "
              f"({rates[name][1]:8.1f} reply tokens/s)")
    equal = sum(a == b for a, b in zip(vllm_run.completions, hf_run.completions, strict=True))
    print(f"greedy outputs equal: {equal}/{len(prompts)} (vLLM computes in bf16 on CPU by default, hf/ in the "
          "checkpoint's dtype, so long replies drift apart)")

    if args.triviaqa:
        hf_errors = triviaqa_errors(f"hf/{path}", args.triviaqa, args.data_dir, work / "logs-hf", hf_batch)
        common = sorted(set(vllm_errors) & set(hf_errors))
        left_out = len(set(vllm_errors) ^ set(hf_errors))
        first, second = [vllm_errors[q] for q in common], [hf_errors[q] for q in common]
        b, c, p = mcnemar_exact(first, second)
        print(f"TriviaQA, {len(common)} questions scored on both engines ({left_out} refused or unscored on one "
              f"left out), temperature 0.8: error rate vLLM {sum(first) / max(len(common), 1):.1%}, hf/ "
              f"{sum(second) / max(len(common), 1):.1%}; wrong only on vLLM {b}, only on hf/ {c}; exact McNemar "
              f"p={p:.3g}")

    print(f"ratio={rates['vllm'][0] / rates['hf/ '][0]:.2f} agreement={equal / len(prompts):.3f} "
          f"tokens_per_s={rates['vllm'][1]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
