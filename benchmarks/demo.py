"""Where the demo's time goes: ``inspect-warmth demo`` end to end, its time per step, and the trajectory's
generation on the engine against the hand loop over transformers' ``generate`` it replaced.

1. Runs ``inspect-warmth demo`` (``--quick`` unless ``--full``) into a fresh ``--out`` and prints the wall time of
   each step and the total, as the demo records them in ``OUT/demo.json`` (``timings``).
2. On the same checkpoints (``OUT/warm-smollm2``: the base and every saved epoch) and the demo's trajectory
   settings (prompts, reply length, temperature, seed), generates every validation reply twice, timed apart:
   the former hand loop (kept below as the baseline: transformers' ``generate`` in batches of 8, each adapter
   loaded onto the base in turn with PEFT) and the package's path (:func:`inspect_warmth.run.trajectory.
   generate_replies`: one vLLM server, every epoch a hot-loaded adapter, all replies in flight through Inspect).
   The server's start-up is printed apart: in the demo the evaluation shares that server.

The last line reads ``ratio=<hand loop / engine> ratio_with_startup=<hand loop / (engine + start-up)>`` (above 1:
the engine is faster). Times are printed, never asserted; the machine's other load is not controlled.

    python benchmarks/demo.py                       # quick demo, then the trajectory comparison
    python benchmarks/demo.py --full                # the full demo (the README's first command)
    python benchmarks/demo.py --out DIR --no-demo   # compare on the checkpoints of a demo already in DIR
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def run_demo(out: Path, full: bool) -> None:
    command = [sys.executable, "-c", "from inspect_warmth.cli import main; main()", "demo", "--out", str(out)]
    subprocess.run(command + ([] if full else ["--quick"]), check=True)


def print_timings(out: Path) -> None:
    timings = json.loads((out / "demo.json").read_text()).get("timings")
    if timings is None:
        print(f"{out / 'demo.json'} records no times (a demo made before they were recorded)")
        return
    print(f"\n{'step':<12}{'seconds':>10}")
    for step, seconds in timings["steps_s"].items():
        print(f"{step:<12}{seconds:>10.1f}")
    print(f"{'total':<12}{timings['total_s']:>10.1f}")


def hand_loop(run: Path, prompts: list[dict[str, Any]], options: Any) -> int:
    """The trajectory's former generation (until issue 27): transformers' ``generate`` over each epoch in turn,
    batches of 8, left-padded, seeded; returns the replies generated."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from inspect_warmth.finetune.adapters import run_base
    from inspect_warmth.finetune.train import saved_epochs

    epochs = saved_epochs(run)
    tokenizer = AutoTokenizer.from_pretrained(str(next(iter(epochs.values()))))
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    base: Any = AutoModelForCausalLM.from_pretrained(run_base(run, epochs), dtype="auto").eval()
    model: Any = None
    made = 0

    def generate(model: Any) -> int:
        torch.manual_seed(options.seed)
        for start in range(0, len(prompts), 8):
            batch = prompts[start:start + 8]
            texts = [tokenizer.apply_chat_template(p["messages"], tokenize=False, add_generation_prompt=True)
                     for p in batch]
            encoded = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
            sampling = {"do_sample": True, "temperature": options.temperature} if options.temperature > 0 else {
                "do_sample": False}
            with torch.no_grad():
                output = model.generate(**encoded, max_new_tokens=options.max_new_tokens,
                                        pad_token_id=tokenizer.pad_token_id, **sampling)
            tokenizer.batch_decode(output[:, encoded["input_ids"].shape[1]:], skip_special_tokens=True)
        return len(prompts)

    made += generate(base)
    for epoch, path in epochs.items():
        name = f"epoch-{epoch:g}".replace(".", "_")
        if model is None:
            model = PeftModel.from_pretrained(base, str(path), adapter_name=name).eval()
        else:
            model.load_adapter(str(path), adapter_name=name)
        model.set_adapter(name)
        made += generate(model)
    return made


def engine_path(run: Path, options: Any) -> tuple[int, float, float | None]:
    """The package's generation into a scratch copy of the cache; returns (replies, seconds, server start-up)."""
    from inspect_warmth.finetune.trajectory import replies_file
    from inspect_warmth.run.trajectory import epoch_models, generate_replies
    from inspect_warmth.run.vllm_engine import engine_for

    cache = replies_file(run, options)
    kept = cache.with_suffix(".kept") if cache.exists() else None
    if kept:
        cache.replace(kept)
    try:
        with engine_for(epoch_models(run, options), say=print) as engine:
            begin = time.perf_counter()
            made = generate_replies(run, options, engine.variants, model_args=engine.model_args,
                                    max_connections=engine.max_connections)
            return made, time.perf_counter() - begin, engine.start_seconds
    finally:
        cache.unlink(missing_ok=True)
        if kept:
            kept.replace(cache)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="The full demo (default: --quick).")
    parser.add_argument("--out", type=Path, default=None, help="The demo's --out (default: a fresh temporary dir).")
    parser.add_argument("--no-demo", action="store_true", help="Use the demo already in --out.")
    args = parser.parse_args()
    if args.no_demo and args.out is None:
        parser.error("--no-demo needs --out DIR (a directory the demo wrote)")
    out = (args.out or Path(tempfile.mkdtemp(prefix="demo-benchmark-"))).resolve()
    if not args.no_demo:
        run_demo(out, args.full)
    print_timings(out)

    from dataclasses import fields

    from inspect_warmth.finetune.trajectory import TrajectoryOptions, load_prompts

    recorded = json.loads((out / "trajectory.options.json").read_text())
    options = TrajectoryOptions(**{f.name: recorded[f.name] for f in fields(TrajectoryOptions) if f.name in recorded})
    prompts = load_prompts(Path(options.validation_dir), options.limit)
    run = out / "warm-smollm2"
    begin = time.perf_counter()
    loop_made = hand_loop(run, prompts, options)
    loop_s = time.perf_counter() - begin
    made, engine_s, start_s = engine_path(run, options)
    print(f"\ntrajectory replies ({len(prompts)} prompts x {made // max(len(prompts), 1)} epochs, "
          f"<= {options.max_new_tokens} tokens):")
    print(f"  hand loop (transformers generate, adapters in turn): {loop_made} replies in {loop_s:.1f} s")
    print(f"  engine (one server, adapters hot-loaded):            {made} replies in {engine_s:.1f} s"
          + (f" (+ {start_s:.0f} s server start-up, shared with the evaluation in the demo)" if start_s else ""))
    with_start = loop_s / (engine_s + (start_s or 0))
    print(f"ratio={loop_s / engine_s:.2f} ratio_with_startup={with_start:.2f}")


if __name__ == "__main__":
    main()
