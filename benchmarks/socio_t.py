"""Benchmark: SocioT, ``inspect_warmth.warmth.socio_t.score_texts`` vs a plain reference implementation.

The reference below does what the released HumT DumT script does (Cheng, Yu & Jurafsky 2025): one text at a
time, one prefix
set at a time, ``samples`` forward passes of the padded batch of four with ``labels=input_ids``. Both run on the same
texts with the same model, dropout off (so both are deterministic and comparable), the same ``samples``.

    python benchmarks/socio_t.py                      # bundled SmolLM2-135M, 200 texts, samples=2
    python benchmarks/socio_t.py --lm tiny-gpt2       # tiny random GPT-2 (bundled tokenizer): fast
    python benchmarks/socio_t.py --lm tiny-gpt2-chars # tiny random GPT-2, character tokenizer: groups carry pads
    python benchmarks/socio_t.py --lm DIR --texts 200 --samples 3
    python benchmarks/socio_t.py --device cuda --lm random-gpt2-small --tokenizer out/bench/tokenizer --workload

Prints both times, the largest absolute difference of the scores (float32, faithful mode), and ends with
``ratio=<reference time / our time> max_abs_diff=<x>``. On CPU it also prints an H100 extrapolation for the paper's
workload; ``--workload`` instead measures it: 1,500 replies x 100 samples, dropout on, faithful mode, in ``--dtype``
(bfloat16 by default on a GPU), with dropout masks from ``--rng`` (``global``: torch's fused kernels, as the
``inspect-warmth warmth`` command runs; ``private``: SocioT's own generator, as the Inspect scorer runs; ``both``, the
default), and appends `` workload_s=<seconds>`` (global) and/or `` workload_private_s=<seconds>`` to the last line (the
goal on one H100/H200: <= 30 s); with ``--profile`` also a ``torch.profiler`` table of 1/60 of it per source of masks.
``random-gpt2-small`` is GPT-2 small's shape (124M parameters, vocabulary 50,257) with random weights (the timing of the
paper's LM without a download) and the tokenizer of ``--tokenizer`` (default: the bundled SmolLM2 tokenizer, a BPE of
similar compression; save it with ``--save-tokenizer DIR`` for a machine without it).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from inspect_warmth.models.bundled import bundled_model_dir
from inspect_warmth.study.stimuli import stimuli
from inspect_warmth.warmth.socio_t import load_lm, score_texts
from profiling import print_profile, start_profiler

_VOCABULARY = (
    "I you we the a an and but so because really very happy sad sorry glad answer question help please "
    "thanks water boils Paris capital list python function error file data great wonderful terrible fine "
    "okay sure no yes maybe think know feel understand explain step first then finally however note that "
    "it's you're I'm don't can't here's let's together always never sometimes friend work home time"
)
_WORDS: tuple[str, ...] = tuple(_VOCABULARY.split())
_PUNCT = (".", ",", "!", "?", ";", " -", ":")


def make_texts(count: int, seed: int = 0) -> list[str]:
    """``count`` reply-like texts of varied lengths (2 to ~600 characters; a quarter exceed the 300 kept)."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        target = int(min(600, max(2, rng.lognormvariate(5.0, 0.8))))
        words: list[str] = []
        while len(" ".join(words)) < target:
            word = rng.choice(_WORDS)
            if rng.random() < 0.12:
                word += rng.choice(_PUNCT)
            if rng.random() < 0.03:
                word = f'"{word}"'
            words.append(word)
        text = " ".join(words)[:target].strip()
        texts.append(text[0].upper() + text[1:] if text else "Ok")
    return texts


# --- the reference: the released script's loop -------------------------------------------------------------


def reference_scores(model: Any, tokenizer: Any, texts: list[str], samples: int) -> list[tuple[float, float]]:
    """(score, SE) per text, computed one text and one prefix set at a time, as released (on the model's device)."""
    import torch
    from scipy.stats import sem

    device = next(model.parameters()).device
    words = stimuli().sociot_warmth_words
    model.eval()
    results = []
    for text in texts:
        text = text[:300]
        quoted = f'"{text}"' if text else text
        means, sems = [], []
        for name in ("warm", "cold"):
            values = []
            for _ in range(samples):
                strings = [(f"My {w} said, {quoted}" if w == "friend" else f"The {w} said, {quoted}")
                           for w in words[name]]
                encoded = [tokenizer(s, truncation=True, max_length=1024)["input_ids"] for s in strings]
                longest = max(len(e) for e in encoded)
                ids = torch.tensor([e + [0] * (longest - len(e)) for e in encoded], device=device)
                mask = torch.tensor([[1] * len(e) + [0] * (longest - len(e)) for e in encoded], device=device)
                with torch.no_grad():
                    loss = model(input_ids=ids, attention_mask=mask, labels=ids).loss
                values.append(-loss.item())
            means.append(statistics.fmean(values))
            sems.append(float(sem(values)) if samples > 1 else float("nan"))
        results.append((means[0] - means[1], float(np.hypot(sems[0], sems[1]))))
    return results


# --- models ---------------------------------------------------------------------------------------------------


def _tiny_gpt2(kind: str) -> str:
    """A tiny random GPT-2 (n_embd 32, 2 layers) with the bundled tokenizer or a character tokenizer."""
    import torch
    from transformers import AutoTokenizer, GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    out = Path(tempfile.mkdtemp(prefix=f"socio-t-{kind}-"))
    tokenizer: Any
    if kind == "tiny-gpt2-chars":
        from tokenizers import Tokenizer, models

        vocab = {"<unk>": 0, **{chr(i): i - 31 for i in range(32, 127)}}
        tokenizer = PreTrainedTokenizerFast(
            tokenizer_object=Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>")), unk_token="<unk>"
        )
    else:
        tokenizer = AutoTokenizer.from_pretrained(bundled_model_dir())
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=len(tokenizer), n_embd=32, n_layer=2, n_head=4,
                        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    GPT2LMHeadModel(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return str(out)


def _random_gpt2_small(tokenizer_dir: str | None) -> str:
    """GPT-2 small's shape (GPT2Config's defaults: 12 layers, 768 wide, vocabulary 50,257) with random weights."""
    import torch
    from transformers import AutoTokenizer, GPT2Config, GPT2LMHeadModel

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir or bundled_model_dir())
    out = Path(tempfile.mkdtemp(prefix="socio-t-gpt2-small-"))
    torch.manual_seed(0)
    config = GPT2Config(bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    if len(tokenizer) > config.vocab_size:
        raise SystemExit(f"--tokenizer has {len(tokenizer)} tokens, more than GPT-2's {config.vocab_size}")
    GPT2LMHeadModel(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return str(out)


def resolve_lm(name: str, tokenizer_dir: str | None = None) -> str:
    if name == "random-gpt2-small":
        return _random_gpt2_small(tokenizer_dir)
    if name in ("tiny-gpt2", "tiny-gpt2-chars"):
        return _tiny_gpt2(name)
    if name in ("smollm2-135m", "bundled"):
        return str(bundled_model_dir())
    return name


# --- the H100 extrapolation ---------------------------------------------------------------------------------------


def h100_extrapolation(tokenizer: Any, texts: list[str]) -> list[str]:
    """FLOP-count estimate for 1,500 replies x 100 samples, GPT-2 small (124M), dropout on. Not a measurement."""
    from inspect_warmth.warmth.socio_t import _plan

    plan = _plan(tokenizer, texts)
    positions = float(np.mean(plan.group_len - 1))  # shifted positions per sequence (faithful)
    sequences = 1500 * 8 * 100
    tokens = sequences * positions
    flops_per_token = 2 * (85.0e6 + 768 * 50257)  # transformer blocks + the untied-size lm_head matmul
    flops = tokens * flops_per_token
    lines = [
        "H100 extrapolation (NOT measured: no GPU in this session; FLOP count / assumed sustained throughput):",
        f"  workload 1,500 replies x 8 prefixes x 100 samples = {sequences:,} sequences x {positions:.1f} "
        f"positions (this tokenizer's lengths; GPT-2's are similar) = {tokens / 1e6:.0f}M tokens, "
        f"{flops / 1e15:.1f} PFLOP with GPT-2 small",
    ]
    for label, sustained in (("fp32 (no TF32), 40 TFLOP/s", 40e12), ("TF32 matmuls, 150 TFLOP/s", 150e12),
                             ("bf16 (dtype='bfloat16'), 300 TFLOP/s", 300e12)):
        lines.append(f"  {label}: ~{flops / sustained:.0f} s")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lm", default="smollm2-135m",
                        help="smollm2-135m (default), tiny-gpt2, tiny-gpt2-chars, random-gpt2-small, or a directory")
    parser.add_argument("--tokenizer", default=None, help="tokenizer directory of random-gpt2-small [bundled]")
    parser.add_argument("--save-tokenizer", type=Path, default=None, help="save the bundled tokenizer here; exit")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--workload", action="store_true",
                        help="also time the paper's workload: 1,500 texts x 100 samples, dropout on")
    parser.add_argument("--workload-texts", type=int, default=1500, help="texts of --workload (a smaller smoke test)")
    parser.add_argument("--workload-samples", type=int, default=100, help="samples of --workload")
    parser.add_argument("--rng", choices=["global", "private", "both"], default="both",
                        help="source of the workload's dropout masks (see socio_t.RNGS)")
    parser.add_argument("--profile", action="store_true",
                        help="with --workload: profile 1/60 of it per rng (torch.profiler) and print where time went")
    parser.add_argument("--dtype", default=None, help="dtype of the workload run [cuda: bfloat16, cpu: float32]")
    parser.add_argument("--texts", type=int, default=200)
    parser.add_argument("--samples", type=int, default=2, help="repeats, the same for both (dropout off)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated texts")
    parser.add_argument("--per-repeat", action="store_true",
                        help="also time ours with samples=1: the speed-up of batching alone, without repeat reuse")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads for both (default: torch's); 1 gives stable timings on shared CPUs")
    args = parser.parse_args()
    import torch

    if args.save_tokenizer:
        from transformers import AutoTokenizer

        AutoTokenizer.from_pretrained(bundled_model_dir()).save_pretrained(args.save_tokenizer)
        print(f"saved the bundled tokenizer to {args.save_tokenizer}")
        return
    if args.threads:
        torch.set_num_threads(args.threads)
    device = args.device
    if device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no GPU visible")

    lm = resolve_lm(args.lm, args.tokenizer)
    texts = make_texts(args.texts, args.seed)
    model, tokenizer = load_lm(lm, device)
    lengths = [len(t) for t in texts]
    where = torch.cuda.get_device_name() if device == "cuda" else f"CPU ({torch.get_num_threads()} threads)"
    print(f"SocioT benchmark: {args.lm} ({lm}), {len(texts)} texts of {min(lengths)}-{max(lengths)} characters "
          f"(median {int(np.median(lengths))}), samples={args.samples}, dropout off, faithful mode, float32, {where}",
          flush=True)
    # warm both paths up (allocator, kernels) on a few texts, untimed
    reference_scores(model, tokenizer, texts[:2], 1)
    score_texts(texts[:2], lm=lm, samples=1, dropout=False, device=device)

    start = _now(device)
    ours = score_texts(texts, lm=lm, samples=args.samples, dropout=False, device=device)
    ours_s = _now(device) - start
    print(f"ours (score_texts, batched):      {ours_s:8.2f} s")
    start = _now(device)
    reference = reference_scores(model, tokenizer, texts, args.samples)
    reference_s = _now(device) - start
    print(f"reference (one text, one set):    {reference_s:8.2f} s", flush=True)

    diffs = [abs(o.score - r[0]) for o, r in zip(ours, reference, strict=True)]
    max_abs_diff = max(diffs)
    print(f"largest |ours - reference| over {len(diffs)} scores: {max_abs_diff:.2e} "
          f"({'OK' if max_abs_diff < 1e-5 else 'FAIL'}: must be < 1e-5)")
    if args.per_repeat and args.samples > 1:
        start = _now(device)
        score_texts(texts, lm=lm, samples=1, dropout=False, device=device)
        single_s = _now(device) - start
        print(f"ours with samples=1 (batching alone, no repeat reuse): {single_s:.2f} s; the reference needs "
              f"~{reference_s / args.samples:.2f} s per repeat -> {reference_s / args.samples / single_s:.1f}x")
    last = f"ratio={reference_s / ours_s:.1f} max_abs_diff={max_abs_diff:.2e}"
    if args.workload:
        dtype = args.dtype or ("bfloat16" if device == "cuda" else "float32")
        for rng in ("global", "private") if args.rng == "both" else (args.rng,):
            # a tenth first, so that a run cut short by a time limit still says roughly how long the whole takes
            tenth = paper_workload(lm, device, dtype, args.seed, max(1, args.workload_texts // 10),
                                   args.workload_samples, rng)
            print(f"  x 10 = ~{10 * tenth:.0f} s expected for the whole workload", flush=True)
            seconds = paper_workload(lm, device, dtype, args.seed, args.workload_texts, args.workload_samples, rng)
            if args.profile:
                profiler = start_profiler(device)
                paper_workload(lm, device, dtype, args.seed, max(1, args.workload_texts // 60), args.workload_samples,
                               rng)
                print_profile(profiler, device, f"profile of 1/60 of the workload, rng={rng}")
            last += f" workload{'' if rng == 'global' else '_private'}_s={seconds:.1f}"
    elif device == "cpu":
        for line in h100_extrapolation(tokenizer, texts):
            print(line)
    print("ratio = reference time / our time (higher is faster)")
    print(last)


def _now(device: str) -> float:
    import torch

    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter()


def paper_workload(lm: str, device: str, dtype: str, seed: int, count: int = 1500, samples: int = 100,
                   rng: str = "global") -> float:
    """Seconds for the paper's SocioT workload: 1,500 replies x 100 samples, dropout on, faithful mode."""
    texts = make_texts(count, seed + 1)
    options: dict[str, Any] = {"lm": lm, "device": device, "dtype": dtype, "rng": rng}
    score_texts(texts[:8], samples=2, **options)  # load in this dtype, warm up
    start = _now(device)
    scores = score_texts(texts, samples=samples, **options)
    seconds = _now(device) - start
    print(f"workload ({count:,} texts x {samples} samples, dropout on, faithful, {dtype}, {device}, rng={rng}): "
          f"{seconds:.1f} s "
          f"(goal on one H100/H200 in bfloat16: <= 30 s); mean score {np.mean([s.score for s in scores]):+.4f}, "
          f"mean SE {np.mean([s.se for s in scores]):.4f}", flush=True)
    return seconds


if __name__ == "__main__":
    main()
