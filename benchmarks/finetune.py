"""Benchmark: ``finetune train``'s fast layout against the paper's plain layout, same rows, same optimizer steps.

Both runs go through ``inspect_warmth.finetune.train`` (TRL's ``SFTTrainer`` with LoRA r 8, alpha 16, dropout 0.1,
lr 1e-5, max length 1,024, 16 conversations per optimizer step, loss on assistant tokens only):

* reference: batch 1 x accumulation 16, padded, no Liger, no gradient checkpointing (plain TRL);
* fast: ``TrainConfig()``'s defaults (micro-batches sized by tokens, padding-free rows, Liger layer kernels on a GPU
  when installed, gradient checkpointing only when memory needs it).

Each run trains ``--steps`` timed optimizer steps after ``--warmup-steps`` untimed steps, from the same initial weights
(base and LoRA). Printed per run: trained tokens/s (every non-pad token of the timed steps), MFU = tokens/s x 4N /
peak (4N FLOPs per trained token for LoRA: forward 2N, backward through the frozen weights 2N, no weight gradients
for the N base parameters; attention's sequence-length term left out), and the per-token training loss after the
steps: the mean cross-entropy over the assistant tokens of the first ``--eval-rows`` training rows, evaluated the same
way (eval mode, one row at a time) for both trained models. ``loss_diff`` = fast - reference.

    python benchmarks/finetune.py --model tiny                       # tiny random Llama on this CPU, minutes
    python benchmarks/finetune.py --device cuda --random-llama-8b --rows out/bench/hh_rlhf_600.tokens.jsonl

Rows: ``--rows`` takes pre-tokenised rows (``input_ids`` + ``assistant_masks`` per line, as written by
``--write-tokens``), conversations (``messages`` per line, tokenised with the bundled SmolLM2 template), or an
HH-RLHF file (``chosen`` transcripts); without ``--rows``, synthetic conversations of HH-RLHF-like lengths (token
ids drawn at random, alternating user / assistant segments). ``--write-tokens OUT`` tokenises ``--rows`` (first 600
conversations, cleaned as ``finetune curate`` does) so that a machine without the bundled tokenizer can run it.

``--compile`` also times the fast layout under ``torch.compile`` (``finetune train --compile``), on its own line.
``--profile`` adds one step to both runs and profiles the fast run's (``torch.profiler``: a table of the operators
and kernels that took the most device time), so that one GPU call also says where a step's time goes.

The last line is ``tokens_per_s=<fast> mfu=<fast> loss_diff=<fast - reference>``. Only the finetune modules are
imported (no inspect_ai).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from inspect_warmth.finetune.config import TrainConfig
from inspect_warmth.finetune.train import make_trainer, speed_plan
from profiling import print_profile, start_profiler

#: bf16 dense peak of one H100/H200 SXM (NVIDIA's datasheet: 989.4 TFLOP/s without sparsity).
H100_BF16_PEAK_TFLOPS = 989.0
LLAMA_8B = {"hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32,
            "num_key_value_heads": 8, "vocab_size": 128256, "rope_theta": 500000.0, "max_position_embeddings": 131072,
            "rms_norm_eps": 1e-5, "tie_word_embeddings": False}
#: A small random Llama for the CPU check; its vocabulary grows to cover the ids of ``--rows``.
TINY = {"hidden_size": 128, "intermediate_size": 344, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "vocab_size": 8192, "max_position_embeddings": 2048, "tie_word_embeddings": True}


# --- rows ------------------------------------------------------------------------------------------------------


def synthetic_rows(count: int, vocab: int, max_length: int, seed: int = 0) -> list[dict[str, list[int]]]:
    """Conversations of HH-RLHF-like length (median ~200 tokens, lognormal, a few over ``max_length``): alternating
    user (masked) and assistant (trained) segments of random token ids."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        length = min(max_length, max(24, int(rng.lognormvariate(5.3, 0.6))))
        ids, mask, role = [], [], 0
        while len(ids) < length:
            segment = max(4, int(rng.lognormvariate(3.8 if role == 0 else 4.3, 0.7)))
            ids += [rng.randrange(10, vocab) for _ in range(segment)]
            mask += [role] * segment
            role = 1 - role
        mask[:4] = [0] * 4
        rows.append({"input_ids": ids[:length], "assistant_masks": mask[:length]})
    return rows


def conversations(path: Path, count: int) -> list[list[dict[str, str]]]:
    """The first ``count`` conversations of a file, cleaned and cut to 20 turns as ``finetune curate`` does."""
    from inspect_warmth.finetune.conversations import read_conversations
    from inspect_warmth.finetune.curate import clean_messages, truncate_turns

    found = []
    for conversation in read_conversations([path]):
        messages, problem = clean_messages(conversation.messages)
        messages = truncate_turns(messages, 20)
        if problem is None and messages:
            found.append(messages)
        if len(found) == count:
            break
    return found


def tokenised_rows(path: Path, count: int, max_length: int) -> list[dict[str, list[int]]]:
    """Rows of ``path``: pre-tokenised rows as they are, else conversations tokenised with the bundled template."""
    first = _first_row(path)
    if "input_ids" in first:
        rows = [json.loads(line) for line in _open(path) if line.strip()][:count]
        return [{k: r[k][:max_length] for k in ("input_ids", "assistant_masks")} for r in rows]
    from transformers import AutoTokenizer

    from inspect_warmth.finetune.masking import prepare_messages, template_traits, tokenize_with_assistant_mask
    from inspect_warmth.models.bundled import bundled_model_dir

    tokenizer = AutoTokenizer.from_pretrained(bundled_model_dir())
    traits = template_traits(tokenizer)
    rows = []
    for messages in conversations(path, count):
        encoded = tokenize_with_assistant_mask(tokenizer, prepare_messages(tokenizer, messages, traits)[0], traits)
        rows.append({k: v[:max_length] for k, v in encoded.items()})
    return rows


def _open(path: Path) -> Any:
    import gzip

    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8")


def _first_row(path: Path) -> dict[str, Any]:
    with _open(path) as handle:
        return dict(json.loads(next(line for line in handle if line.strip())))


# --- model and tokenizer -----------------------------------------------------------------------------------------


def build_model(shape: dict[str, Any], device: str, dtype: Any, seed: int) -> Any:
    """A random Llama of ``shape`` (no download), the same weights for the same seed."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            model = LlamaForCausalLM(LlamaConfig(**shape, bos_token_id=1, eos_token_id=2, pad_token_id=0))
    finally:
        torch.set_default_dtype(previous)
    return model


def pad_only_tokenizer() -> Any:
    """A tokenizer that only names the pad/eos id 0: rows arrive tokenised, SFTTrainer needs the pad id."""
    from tokenizers import Tokenizer, models
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.WordLevel({"<pad>": 0, "<unk>": 1}, unk_token="<unk>"))
    return PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", eos_token="<pad>", unk_token="<unk>")


# --- one run -------------------------------------------------------------------------------------------------------


class StepClock:
    """Times the optimizer steps after the first and counts the tokens they trained (TRL's token count)."""

    def __init__(self, device: str, warmup_steps: int = 1, last_step: int | None = None) -> None:
        self.device = device
        self.warmup_steps = warmup_steps
        self.last_step = last_step  # steps after it (a profiled one) are not timed
        self.trainer: Any = None
        self.start: tuple[float, int] | None = None
        self.end: tuple[float, int] | None = None

    def _now(self) -> tuple[float, int]:
        import torch

        if self.device == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter(), int(getattr(self.trainer, "_total_train_tokens", 0))

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.global_step == self.warmup_steps:
            self.start = self._now()
        elif state.global_step > self.warmup_steps and (self.last_step is None or state.global_step <= self.last_step):
            self.end = self._now()

    def rate(self) -> tuple[float, int, float]:
        assert self.start and self.end, "needs at least two optimizer steps"
        seconds, tokens = self.end[0] - self.start[0], self.end[1] - self.start[1]
        return tokens / seconds, tokens, seconds


class StepProfile:
    """Profiles optimizer step ``step`` (1-based) with ``torch.profiler`` and prints the operators and kernels that
    took the most device time (CPU time on a CPU): where a step's time goes, for the next change."""

    def __init__(self, device: str, step: int, rows: int = 25) -> None:
        self.device, self.step, self.rows = device, step, rows
        self.profiler: Any = None

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.global_step + 1 == self.step:
            self.profiler = start_profiler(self.device)

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.profiler is not None and state.global_step == self.step:
            print_profile(self.profiler, self.device, f"profile of optimizer step {self.step}", self.rows)
            self.profiler = None


def eval_loss(model: Any, rows: list[dict[str, list[int]]], device: str) -> float:
    """Mean cross-entropy (float32) over the assistant tokens of ``rows``, eval mode, one row at a time."""
    import torch
    import torch.nn.functional as F

    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for row in rows:
            ids = torch.tensor([row["input_ids"]], device=device)
            targets = torch.tensor(row["input_ids"][1:], device=device)
            counted = torch.tensor(row["assistant_masks"][1:], device=device).bool()
            logits = model(input_ids=ids, use_cache=False).logits[0, :-1].float()
            losses = F.cross_entropy(logits, targets, reduction="none")
            total += float(losses[counted].sum())
            count += int(counted.sum())
    return total / count


def run(label: str, config: TrainConfig, args: argparse.Namespace, rows: list[dict[str, list[int]]],
        tokenizer: Any) -> dict[str, Any]:
    import torch
    from datasets import Dataset

    dtype = torch.bfloat16 if args.device == "cuda" else torch.float32
    model = build_model(args.shape, args.device, dtype, args.seed)
    parameters = model.num_parameters()
    plan = speed_plan(config, model)
    timed_end = args.steps + args.warmup_steps
    clock = StepClock(args.device, args.warmup_steps, timed_end)
    # --profile: one more (untimed) step in both runs, the fast run's under the profiler
    callbacks = [clock, *([StepProfile(args.device, timed_end + 1)] if args.profile and label == "fast" else [])]
    with tempfile.TemporaryDirectory() as work:
        trainer = make_trainer(config, plan, model, Dataset.from_list(rows), tokenizer, Path(work), callbacks,
                               max_steps=timed_end + int(args.profile), logging_steps=1, disable_tqdm=True,
                               use_cpu=args.device == "cpu", bf16=dtype == torch.bfloat16)
        clock.trainer = trainer
        trainer.train()
    tokens_per_s, tokens, seconds = clock.rate()
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    result = {"label": label, "plan": plan, "tokens_per_s": tokens_per_s, "tokens": tokens, "seconds": seconds,
              "parameters": parameters, "train_losses": losses,
              "eval_loss": eval_loss(trainer.model, rows[:args.eval_rows], args.device)}
    if args.device == "cuda":
        result["peak_memory_gib"] = torch.cuda.max_memory_allocated() / 2**30
    del trainer, model
    gc.collect()
    if args.device == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    return result


def run_fast(config: TrainConfig, args: argparse.Namespace, rows: list[dict[str, list[int]]], tokenizer: Any,
             ) -> dict[str, Any]:
    """The fast run; on a GPU, falls back (and says so) when Liger fails or memory runs out, so that one unattended
    call still measures something."""
    import torch

    try:
        return run("fast", config, args, rows, tokenizer)
    except torch.cuda.OutOfMemoryError as err:
        print(f"fast layout ran out of GPU memory ({err}); retrying with gradient checkpointing", flush=True)
        retry = TrainConfig(**{**config.__dict__, "gradient_checkpointing": True})
    except Exception as err:  # Liger's patching of this transformers version, a missing kernel...
        if args.device != "cuda" or config.liger is False:
            raise
        print(f"fast layout failed with Liger ({type(err).__name__}: {err}); retrying without it", flush=True)
        retry = TrainConfig(**{**config.__dict__, "liger": False})
    gc.collect()
    torch.cuda.empty_cache()
    return run("fast", retry, args, rows, tokenizer)


def report(result: dict[str, Any], peak_tflops: float | None) -> float:
    flops = 4 * result["parameters"] * result["tokens_per_s"]
    mfu = flops / (peak_tflops * 1e12) if peak_tflops else math.nan
    plan = result["plan"]
    print(f"{result['label']:>9}: micro-batch {plan['micro_batch']} x accumulation {plan['accumulation']}, "
          f"padding-free {plan['padding_free']}, liger {plan['liger']}, compile {plan['compile']}, gradient "
          f"checkpointing {plan['gradient_checkpointing']}; {result['tokens']:,} tokens in {result['seconds']:.2f} s = "
          f"{result['tokens_per_s']:,.0f} tokens/s, {flops / 1e12:.2f} TFLOP/s, MFU {mfu:.1%}; "
          f"train loss per step {[round(x, 4) for x in result['train_losses']]}; per-token loss after the steps "
          f"{result['eval_loss']:.6f}" + (f"; peak memory {result['peak_memory_gib']:.1f} GiB"
                                          if "peak_memory_gib" in result else ""), flush=True)
    return mfu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=["tiny"], default="tiny", help="tiny random Llama (CPU check)")
    parser.add_argument("--random-llama-8b", action="store_true", help="random bf16 weights in Llama-3.1-8B's shape")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--rows", type=Path, default=None,
                        help="pre-tokenised rows, conversations or an HH-RLHF file (default: synthetic)")
    parser.add_argument("--count", type=int, default=600, help="rows read or generated")
    parser.add_argument("--write-tokens", type=Path, default=None, help="write --rows tokenised to this file; exit")
    parser.add_argument("--steps", type=int, default=3, help="timed optimizer steps (after the warm-up steps)")
    parser.add_argument("--warmup-steps", type=int, default=2,
                        help="untimed optimizer steps first (kernel compilation and autotuning: on an H200 the first "
                             "steps of a process ran 1.4-3x slower than later ones)")
    parser.add_argument("--eval-rows", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=1024)
    parser.add_argument("--peak-tflops", type=float, default=None,
                        help=f"peak for MFU [cuda: {H100_BF16_PEAK_TFLOPS:g} (H100/H200 bf16 dense); cpu: none]")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--compile", action="store_true",
                        help="also time the fast layout with --compile (torch.compile; the warm-up steps compile: keep "
                             "--warmup-steps >= 2, as packed rows change length every step)")
    parser.add_argument("--profile", action="store_true",
                        help="one more optimizer step in both runs, after the timed ones; the fast run's runs under "
                             "torch.profiler, which prints where its time went")
    args = parser.parse_args()

    if args.write_tokens:
        rows = tokenised_rows(args.rows, args.count, args.max_length)
        args.write_tokens.parent.mkdir(parents=True, exist_ok=True)
        args.write_tokens.write_text("".join(json.dumps(r) + "\n" for r in rows))
        print(f"wrote {len(rows)} rows, {sum(len(r['input_ids']) for r in rows):,} tokens to {args.write_tokens}")
        return
    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no GPU visible")
    args.shape = dict(LLAMA_8B if args.random_llama_8b else TINY)
    peak = args.peak_tflops or (H100_BF16_PEAK_TFLOPS if args.device == "cuda" else None)
    rows = (tokenised_rows(args.rows, args.count, args.max_length) if args.rows
            else synthetic_rows(args.count, args.shape["vocab_size"], args.max_length, args.seed))
    largest = max(max(r["input_ids"]) for r in rows)
    if not args.random_llama_8b:
        args.shape["vocab_size"] = max(args.shape["vocab_size"], largest + 1)
    elif largest >= args.shape["vocab_size"]:
        raise SystemExit(f"--rows holds token ids beyond the model's vocabulary ({args.shape['vocab_size']})")
    lengths = sorted(len(r["input_ids"]) for r in rows)
    name = "random Llama-3.1-8B shape (bf16)" if args.random_llama_8b else "tiny random Llama"
    print(f"finetune benchmark: {name} on {args.device}; {len(rows)} rows from {args.rows or 'synthetic'} "
          f"(tokens per row: median {lengths[len(lengths) // 2]}, max {lengths[-1]}, total {sum(lengths):,}); "
          f"{args.steps} timed steps of 16 conversations after {args.warmup_steps} warm-up steps", flush=True)
    common = {"data_dir": "-", "base": "-", "out": "-", "max_length": args.max_length, "seed": args.seed}
    tokenizer = pad_only_tokenizer()
    reference = run("reference", TrainConfig(**common, batch_size=1, padding_free=False, liger=False,
                                             gradient_checkpointing=False), args, rows, tokenizer)
    reference_mfu = report(reference, peak)
    fast = run_fast(TrainConfig(**common), args, rows, tokenizer)
    mfu = report(fast, peak)
    loss_diff = fast["eval_loss"] - reference["eval_loss"]
    print(f"MFU = tokens/s x 4N / peak, N = {fast['parameters']:,} base parameters, peak = "
          f"{f'{peak:g} TFLOP/s' if peak else 'not given (--peak-tflops)'}; reference MFU {reference_mfu:.1%}")
    print(f"speed-up fast / reference: {fast['tokens_per_s'] / reference['tokens_per_s']:.2f}x; "
          f"per-token loss after {args.steps + args.warmup_steps + int(args.profile)} steps: "
          f"fast {fast['eval_loss']:.6f} vs reference {reference['eval_loss']:.6f}")
    if args.compile:
        try:
            compiled = run("compiled", TrainConfig(**common, compile=True, liger=fast["plan"]["liger"]), args, rows,
                           tokenizer)
        except Exception as err:  # a compiler failure is a result to print, not a reason to lose the rest
            print(f"compiled: failed ({type(err).__name__}: {str(err)[:500]})", flush=True)
        else:
            compiled_mfu = report(compiled, peak)
            print(f"compiled: {compiled['tokens_per_s'] / fast['tokens_per_s']:.2f}x the fast layout, MFU "
                  f"{compiled_mfu:.1%}, loss_diff {compiled['eval_loss'] - reference['eval_loss']:.2e}")
    print(f"tokens_per_s={fast['tokens_per_s']:.1f} mfu={mfu:.4f} loss_diff={loss_diff:.2e}")


if __name__ == "__main__":
    main()
