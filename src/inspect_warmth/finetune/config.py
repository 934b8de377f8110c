"""The one configuration of ``finetune train``: the paper's hyperparameters as defaults (PAPER.md §2).

Published: LoRA rank 8, alpha 16, dropout 0.1; learning rate 1e-5; max length 1,024 tokens; effective batch 16 by
gradient accumulation; 10 epochs; checkpoints at 0.5, 1, 1.5, 2, 4, 6, 8, 10 epochs; the warm model is epoch 2.
Not published, chosen here and recorded with every checkpoint: LoRA on all linear layers, AdamW (torch), linear
schedule without warmup, seed 0, loss on every assistant turn (user and system tokens masked).

Speed options (issue 15) change how the arithmetic is laid out, never what it computes: every optimizer step still
sees ``effective_batch`` conversations and its loss is the mean over all their assistant tokens (Trainer's
``num_items_in_batch`` normalisation), whether those conversations come as 16 micro-batches of one, padded, or as one
padding-free row. ``batch_size=None`` (default) sizes micro-batches by tokens: the largest divisor of the per-process
effective batch whose worst case (``batch_size x max_length``) fits ``max_tokens_per_batch``.

Options come from the defaults, then a YAML file (``--config FILE.yaml``, keys = field names), then the command line.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

PAPER_SAVE_EPOCHS: tuple[float, ...] = (0.5, 1, 1.5, 2, 4, 6, 8, 10)


@dataclass
class TrainConfig:
    """Every option of one LoRA fine-tuning run."""

    data_dir: str = ""  # a curated directory holding train.<style>.jsonl
    style: str = "warm"  # reads train.<style>.jsonl; "original" reads the unrewritten train.jsonl
    base: str = ""  # hub id, local checkpoint, or "smollm2-135m" (the bundled model)
    out: str = ""
    epochs: float = 10
    save_epochs: list[float] = field(default_factory=lambda: list(PAPER_SAVE_EPOCHS))
    select_epoch: float = 2
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.1
    target_modules: str = "all-linear"  # or a comma-separated list of module names
    lr: float = 1e-5
    max_length: int = 1024
    effective_batch: int = 16
    batch_size: int | None = None  # conversations per micro-batch and device; None: sized by max_tokens_per_batch
    max_tokens_per_batch: int | None = None  # None: 16,384 on a GPU, 4,096 on a CPU
    padding_free: bool = True  # one packed row per micro-batch, position ids restart per conversation (TRL)
    attn_implementation: str | None = None  # None: the model's default (sdpa); e.g. flash_attention_2
    liger: bool | None = None  # Liger layer kernels (RMSNorm, SwiGLU, RoPE); None: on a GPU when installed
    compile: bool = False  # torch.compile the model (transformers' torch_compile); not yet measured on a GPU
    grad_accum: int | None = None  # default: effective_batch / (batch_size x number of processes)
    optimizer: str = "adamw_torch"
    lr_scheduler: str = "linear"
    warmup_ratio: float = 0.0  # fraction of the total steps, in [0, 1)
    weight_decay: float = 0.0
    seed: int = 0
    dtype: str = "auto"  # auto: bfloat16 on a GPU that supports it, else float32
    gradient_checkpointing: bool | None = None  # None: only when the activations would not fit the GPU
    logging_steps: int = 10
    merge: bool = False  # also write merged full weights of the selected epoch to OUT/merged

    def world_size(self) -> int:
        return int(os.environ.get("WORLD_SIZE", "1"))

    def token_budget(self, on_gpu: bool) -> int:
        """Tokens one micro-batch may hold at most (``max_tokens_per_batch`` or the device's default)."""
        if self.max_tokens_per_batch is not None:
            return self.max_tokens_per_batch
        return 16384 if on_gpu else 4096

    def micro_batch(self, on_gpu: bool = False) -> int:
        """Conversations per micro-batch: ``batch_size``, or the largest divisor of the per-process effective batch
        whose worst case (every conversation ``max_length`` tokens) fits :meth:`token_budget`."""
        if self.batch_size is not None:
            return self.batch_size
        per_process = max(1, self.effective_batch // self.world_size())
        fits = max(1, self.token_budget(on_gpu) // self.max_length)
        return max(d for d in range(1, per_process + 1) if per_process % d == 0 and d <= fits)

    def accumulation_steps(self, on_gpu: bool = False) -> int:
        """Gradient accumulation that makes the effective batch (``grad_accum`` wins when set)."""
        if self.grad_accum is not None:
            return self.grad_accum
        per_step = self.micro_batch(on_gpu) * self.world_size()
        return max(1, round(self.effective_batch / per_step))

    def validate(self) -> None:
        for name in ("data_dir", "base", "out"):
            if not getattr(self, name):
                raise ValueError(f"the option {name} is required")
        if self.epochs <= 0:
            raise ValueError("--epochs must be positive")
        if not self.save_epochs or any(e <= 0 or e > self.epochs for e in self.save_epochs):
            raise ValueError(f"--save-epochs {self.save_epochs} must lie in (0, --epochs={self.epochs}]")
        if self.select_epoch not in self.save_epochs:
            raise ValueError(f"--select-epoch {self.select_epoch} is not one of --save-epochs {self.save_epochs}")
        if (self.batch_size is not None and self.batch_size < 1) or self.accumulation_steps() < 1:
            raise ValueError("--batch-size and --grad-accum must be at least 1")
        if self.max_tokens_per_batch is not None and self.max_tokens_per_batch < 1:
            raise ValueError("--max-tokens-per-batch must be at least 1")

    def training_options(self) -> dict[str, Any]:
        """Options that define the run (a rerun must match them to resume). Output and speed choices are left out:
        ``merge``, ``logging_steps`` and :data:`SPEED_OPTIONS` change how fast, not what, the run computes."""
        skip = {"merge", "logging_steps", *SPEED_OPTIONS}
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in skip}


#: Options that lay out the same arithmetic differently (recorded in run.json, not compared on a rerun).
SPEED_OPTIONS: tuple[str, ...] = ("batch_size", "max_tokens_per_batch", "padding_free", "attn_implementation",
                                  "liger", "compile", "gradient_checkpointing")


def parse_epochs(text: str) -> list[float]:
    """``"0.5,1,2"`` -> ``[0.5, 1.0, 2.0]``, sorted and unique."""
    try:
        values = sorted({float(part) for part in text.split(",") if part.strip()})
    except ValueError as err:
        raise ValueError(f"--save-epochs {text!r}: expected numbers separated by commas") from err
    return values


def load_config(path: Path | None, overrides: dict[str, Any]) -> TrainConfig:
    """Defaults, then the YAML file, then ``overrides`` (``None`` values ignored)."""
    import yaml

    values: dict[str, Any] = {}
    names = {f.name for f in fields(TrainConfig)}
    if path is not None:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            raise ValueError(f"{path}: expected a mapping of option names to values")
        unknown = sorted(set(loaded) - names)
        if unknown:
            raise ValueError(f"{path}: unknown options {unknown}; known: {sorted(names)}")
        values.update(loaded)
    values.update({k: v for k, v in overrides.items() if v is not None})
    if isinstance(values.get("save_epochs"), str):
        values["save_epochs"] = parse_epochs(values["save_epochs"])
    if "save_epochs" in values:
        values["save_epochs"] = sorted(float(e) for e in values["save_epochs"])
    elif "epochs" in values:  # fewer epochs than the paper: keep the paper's save points that fit, and the end
        values["save_epochs"] = sorted({e for e in PAPER_SAVE_EPOCHS if e <= float(values["epochs"])}
                                       | {float(values["epochs"])})
    for name in ("epochs", "select_epoch"):
        if name in values:
            values[name] = float(values[name])
    config = TrainConfig(**values)
    config.validate()
    return config


def epoch_label(epoch: float) -> str:
    """``2.0`` -> ``"2"``, ``0.5`` -> ``"0.5"`` (checkpoint directory names ``epoch-<label>``)."""
    return f"{epoch:g}"
