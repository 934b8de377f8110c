"""Generation throughput: Inspect's ``hf/`` against ``warmth-hf/`` on the same prompts, greedy, in one process.

The prompts are a seeded slice of the study's 28-condition grid (every template × amendment) built with
:func:`inspect_warmth.study.conditions.user_message` from a few hand-written questions. Every prompt is sent at
once through ``Model.generate`` for each provider; ``hf/`` gets its best settings (greedy via ``do_sample=False``,
batches as large as the prompt set up to ``--hf-batch-size``, default 64: on 2 CPU cores 128 prompts took hf/
226 s in batches of 64 and 271 s in one of 128), ``warmth-hf/`` its defaults. Each timed run is preceded by a
short warm-up; with ``--repeats`` the runs alternate and the fastest of each provider counts.

The default slice is 256 prompts (about nine questions' worth of the grid): a study run is tens of thousands
of generations, so what matters is throughput once batches turn over. With 32 prompts, one ``hf/`` batch, the
only saving left is the rows ``hf/`` keeps decoding after they end; the benchmark prints the ratio for any
``--prompts``.

Prints both rates, the ratio and whether the completions matched; the last line reads
``ratio=<ours/hf> outputs_equal=<yes|no>``. Times are printed, never asserted.

    python benchmarks/generation.py                     # bundled SmolLM2-135M on CPU, 256 prompts, 300 tokens
    python benchmarks/generation.py --prompts 32        # one hf/ batch
    python benchmarks/generation.py --model tiny        # tiny random Llama
    python benchmarks/generation.py --device cuda --random-llama-8b --prompts 256   # GPU check, random bf16 8B
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
    output_tokens: int


async def _generate(model: Any, prompts: list[str], config: Any) -> Run:
    start = time.perf_counter()
    outputs = await asyncio.gather(*(model.generate(p, config=config) for p in prompts))
    seconds = time.perf_counter() - start
    # hf/'s usage counts the padded batch; count the reply tokens the same way for both
    tokens = sum(len(model.api.tokenizer(o.completion, add_special_tokens=False)["input_ids"]) for o in outputs)
    return Run(seconds, [o.completion for o in outputs], tokens)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--model",
        default="bundled",
        help="'bundled' (SmolLM2-135M, default), 'tiny' (tiny random Llama) or a checkpoint dir",
    )
    parser.add_argument(
        "--random-llama-8b",
        action="store_true",
        help="a Llama-3.1-8B-shaped model with random weights in bf16 (for a GPU check)",
    )
    parser.add_argument("--prompts", type=int, default=256, help="number of prompts (default 256)")
    parser.add_argument("--max-tokens", type=int, default=300, help="new tokens per reply (default 300, as the study)")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, cuda:1, mps")
    parser.add_argument(
        "--hf-batch-size",
        type=int,
        default=64,
        help="largest hf/ batch (its max_connections); it gets min(prompts, this). Default 64",
    )
    parser.add_argument("--max-batch", type=int, default=None, help="warmth-hf rows per batch (default by device)")
    parser.add_argument("--repeats", type=int, default=1, help="timed runs per provider, alternating; best counts")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--work-dir", type=Path, default=None, help="where random checkpoints are saved")
    args = parser.parse_args(argv)

    import torch
    from inspect_ai.model import GenerateConfig, get_model

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
    dtype_args = {"dtype": torch.bfloat16} if args.random_llama_8b else {}
    ours_args = {"max_batch": args.max_batch} if args.max_batch else {}
    hf = get_model(f"hf/{path}", memoize=False, device=args.device, do_sample=False, **dtype_args)
    ours = get_model(f"warmth-hf/{path}", memoize=False, device=args.device, **dtype_args, **ours_args)
    hf_config = GenerateConfig(temperature=0, max_tokens=args.max_tokens, max_connections=hf_batch)
    ours_config = GenerateConfig(temperature=0, max_tokens=args.max_tokens)

    print(f"model: {label} ({path})  device: {args.device}  torch threads: {torch.get_num_threads()}")
    if args.device.startswith("cuda"):
        print(f"gpu: {torch.cuda.get_device_name(torch.device(args.device))}")
    print(f"prompts: {len(prompts)} from the 28-condition grid  max_tokens: {args.max_tokens}  temperature: 0")
    print(
        f"hf/ batch_size (max_connections): {hf_batch}   warmth-hf max_batch: {ours.api.max_batch}  "
        f"(max_connections {ours.api.max_connections()})"
    )

    async def warm_up() -> None:
        warm = GenerateConfig(temperature=0, max_tokens=4)
        await asyncio.gather(*(m.generate(prompts[0], config=warm) for m in (hf, ours)))

    asyncio.run(warm_up())
    runs: dict[str, list[Run]] = {"hf": [], "ours": []}
    for repeat in range(args.repeats):
        order = [("hf", hf, hf_config), ("ours", ours, ours_config)]
        for name, model, config in order if repeat % 2 == 0 else order[::-1]:
            run = asyncio.run(_generate(model, prompts, config))
            runs[name].append(run)
            print(f"  run {repeat + 1} {name:>4}: {run.seconds:8.1f} s", flush=True)

    best = {name: min(rs, key=lambda r: r.seconds) for name, rs in runs.items()}
    rates = {name: len(prompts) / run.seconds for name, run in best.items()}
    for name, title in (("hf", "hf/       "), ("ours", "warmth-hf/")):
        run = best[name]
        print(
            f"{title}: {len(prompts)} generations in {run.seconds:7.1f} s = {rates[name]:7.3f} gen/s  "
            f"({run.output_tokens / run.seconds:8.1f} reply tokens/s)"
        )
    mismatched = [
        i for i, (a, b) in enumerate(zip(best["hf"].completions, best["ours"].completions, strict=True)) if a != b
    ]
    print(
        f"outputs matched: {len(prompts) - len(mismatched)}/{len(prompts)}"
        + (f" (differ at {mismatched[:10]})" if mismatched else "")
    )
    ratio = rates["ours"] / rates["hf"]
    print(f"ratio={ratio:.2f} outputs_equal={'no' if mismatched else 'yes'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
