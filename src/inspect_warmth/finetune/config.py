"""The one configuration of ``finetune train``: the paper's hyperparameters as defaults.

Published (Ibrahim et al. 2026, Methods, 'Fine-tuning') and taken from :data:`~inspect_warmth.vocabulary.PAPER`:
LoRA rank, alpha and dropout, learning rate, maximum length, effective batch (by gradient accumulation), epochs, the
saved epochs and the epoch of the warm model. Not published, chosen here and recorded with every checkpoint: LoRA on
all linear layers, AdamW (torch), linear schedule without warmup, seed 0, loss on every assistant turn (user and
system tokens masked).

Speed options change how the arithmetic is laid out, never what it computes: every optimizer step still sees
``effective_batch`` conversations and its loss is the mean over all their assistant tokens (Trainer's
``num_items_in_batch`` normalisation), whether those conversations come as 16 micro-batches of one, padded, or as one
padding-free row. ``batch_size=None`` (default) sizes micro-batches by tokens: the largest divisor of the per-process
effective batch whose worst case (``batch_size x max_length``) fits ``max_tokens_per_batch``.

The command line is transformers' ``HfArgumentParser`` over the fields of :class:`TrainConfig` (:func:`train_parser`):
a YAML file (``--config FILE.yaml``, keys = field names) replaces the defaults, and the options given override it.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_type_hints

from inspect_warmth.vocabulary import PAPER

if TYPE_CHECKING:
    from transformers import HfArgumentParser

#: Tokens a micro-batch holds at most when ``max_tokens_per_batch`` is not set.
GPU_TOKEN_BUDGET = 16384
CPU_TOKEN_BUDGET = 4096


def _option(default: Any, help: str) -> Any:
    """A field with its command-line help (``HfArgumentParser`` reads ``metadata["help"]``)."""
    return field(default=default, metadata={"help": help})


def epoch_label(epoch: float) -> str:
    """``2.0`` -> ``"2"``, ``0.5`` -> ``"0.5"`` (checkpoint directory names ``epoch-<label>``)."""
    return f"{epoch:g}"


@dataclass
class TrainConfig:
    """Every option of one LoRA fine-tuning run (Ibrahim et al. 2026, Methods, 'Fine-tuning')."""

    data_dir: str = _option("", "Curated directory holding train.<style>.jsonl (or the positional DATA_DIR).")
    style: str = _option("warm", "Trains on train.<style>.jsonl; 'original' on the unrewritten train.jsonl.")
    base: str = _option("", "Base model: hub id, local checkpoint, or smollm2-135m (the bundled model).")
    out: str = _option("", "Output directory: the selected epoch, every saved epoch under OUT/checkpoints.")
    epochs: float = _option(PAPER.epochs, "Training epochs.")
    save_epochs: list[float] = field(default_factory=list, metadata={"help": (
        f"Epochs to save, comma-separated; empty: the paper's {','.join(map(epoch_label, PAPER.save_epochs))} "
        "within --epochs, and --epochs itself.")})
    select_epoch: float = _option(PAPER.warm_epoch, "The saved epoch published at OUT (the paper's warm model).")
    lora_r: int = _option(PAPER.lora_r, "LoRA rank.")
    lora_alpha: int = _option(PAPER.lora_alpha, "LoRA alpha.")
    lora_dropout: float = _option(PAPER.lora_dropout, "LoRA dropout.")
    target_modules: str = _option("all-linear", "LoRA target modules: all-linear or comma-separated module names.")
    lr: float = _option(PAPER.lr, "Learning rate.")
    max_length: int = _option(PAPER.max_length, "Tokens kept per conversation (the rest is cut).")
    effective_batch: int = _option(PAPER.effective_batch,
                                   "Conversations per optimizer step (micro-batch x accumulation x processes).")
    batch_size: int | None = _option(None, "Conversations per micro-batch and device; None: sized by "
                                     "--max-tokens-per-batch.")
    max_tokens_per_batch: int | None = _option(None, "Token budget of a micro-batch (batch size x max length); None: "
                                               f"{GPU_TOKEN_BUDGET} on a GPU, {CPU_TOKEN_BUDGET} on a CPU.")
    padding_free: bool = _option(True, "Pack each micro-batch into one row, position ids restarting per "
                                 "conversation (TRL's padding_free).")
    attn_implementation: str | None = _option(None, "Attention kernel, e.g. sdpa, flash_attention_2; None: the "
                                              "model's default.")
    liger: bool | None = _option(None, "Liger layer kernels (RMSNorm, SwiGLU, RoPE); None: on a GPU when "
                                 "liger-kernel is installed.")
    compile: bool = _option(False, "torch.compile the model (transformers' torch_compile; the first steps compile).")
    grad_accum: int | None = _option(None, "Gradient accumulation steps; None: effective batch / (micro-batch x "
                                     "processes).")
    optimizer: str = _option("adamw_torch", "Optimizer (a transformers optim name).")
    lr_scheduler: str = _option("linear", "Learning-rate schedule (a transformers lr_scheduler_type).")
    warmup_ratio: float = _option(0.0, "Warmup as a fraction of the total steps, in [0, 1).")
    weight_decay: float = _option(0.0, "Weight decay.")
    seed: int = _option(0, "Seed of the LoRA initialisation and of the data order.")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = _option(
        "auto", "Weights' dtype; auto: bfloat16 on a GPU that supports it, else float32.")
    gradient_checkpointing: bool | None = _option(None, "Recompute activations in the backward pass; None: only "
                                                  "when a micro-batch's activations would not fit the GPU.")
    logging_steps: int = _option(10, "Optimizer steps between loss logs.")
    merge: bool = _option(False, "Also write merged full weights of the selected epoch to OUT/merged.")

    def __post_init__(self) -> None:
        """Epochs as floats; ``save_epochs`` sorted, and when empty the paper's save points within ``epochs`` plus
        ``epochs`` itself."""
        self.epochs = float(self.epochs)
        self.select_epoch = float(self.select_epoch)
        chosen = self.save_epochs or [e for e in PAPER.save_epochs if e < self.epochs] + [self.epochs]
        self.save_epochs = sorted({float(e) for e in chosen})

    def world_size(self) -> int:
        return int(os.environ.get("WORLD_SIZE", "1"))

    def token_budget(self, on_gpu: bool) -> int:
        """Tokens one micro-batch may hold at most (``max_tokens_per_batch`` or the device's default)."""
        if self.max_tokens_per_batch is not None:
            return self.max_tokens_per_batch
        return GPU_TOKEN_BUDGET if on_gpu else CPU_TOKEN_BUDGET

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
        """Raise ``ValueError`` naming the option that is missing or out of range."""
        for name in ("data_dir", "base", "out"):
            if not getattr(self, name):
                raise ValueError(f"--{name.replace('_', '-')} is required")
        if self.epochs <= 0:
            raise ValueError("--epochs must be positive")
        if any(e <= 0 or e > self.epochs for e in self.save_epochs):
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
#: Switches' extra spellings for "off" (besides ``--no-<name>``).
OFF_ALIASES: dict[str, tuple[str, ...]] = {"padding_free": ("--padded",)}


def parse_epochs(text: str) -> list[float]:
    """``"0.5,1,2"`` -> ``[0.5, 1.0, 2.0]``, sorted and unique (the type of ``--save-epochs``)."""
    try:
        return sorted({float(part) for part in text.split(",") if part.strip()})
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r}: expected numbers separated by commas") from err


def _flags(name: str) -> list[str]:
    """``lora_r`` -> ``["--lora-r", "--lora_r"]`` (the spellings ``HfArgumentParser`` accepts)."""
    return list(dict.fromkeys([f"--{name.replace('_', '-')}", f"--{name}"]))


def train_parser(prog: str | None = None) -> HfArgumentParser:
    """The parser of ``finetune train``: ``HfArgumentParser`` over :class:`TrainConfig` (``--lora-r`` or
    ``--lora_r``, help and defaults from the fields), plus the positional DATA_DIR, ``--config FILE.yaml``,
    ``--save-epochs 0.5,1,2`` and ``--X/--no-X`` for every yes/no option."""
    from transformers import HfArgumentParser
    from transformers.hf_argparser import DataClassType

    parser = HfArgumentParser(
        DataClassType(TrainConfig), prog=prog, usage="%(prog)s [DATA_DIR] [--config FILE.yaml] [options]",
        allow_abbrev=False, conflict_handler="resolve",  # the flags added below replace HfArgumentParser's
        description="LoRA fine-tuning with TRL's SFTTrainer, the paper's hyperparameters as defaults (Ibrahim et al. "
                    "2026, Methods, 'Fine-tuning'). A rerun resumes the run in OUT.")
    parser.add_argument("data_dir_argument", metavar="DATA_DIR", nargs="?", help="Same as --data-dir.")
    parser.add_argument("--config", type=Path, metavar="FILE.yaml",
                        help="YAML file of options (keys: the option names with underscores); the command line "
                             "overrides it.")
    types = get_type_hints(TrainConfig)
    for option in fields(TrainConfig):
        if option.name == "save_epochs":
            parser.add_argument(*_flags(option.name), type=parse_epochs, default=[], metavar="E,E,...",
                                help=option.metadata["help"])
        elif types[option.name] in (bool, bool | None):
            _add_switch(parser, option)
    return parser


def _add_switch(parser: argparse.ArgumentParser, option: dataclasses.Field[Any]) -> None:
    """``--name`` (on) and ``--no-name`` (off) for a yes/no field, instead of ``HfArgumentParser``'s ``--name BOOL``."""
    parser.add_argument(*_flags(option.name), dest=option.name, action="store_true", default=option.default,
                        help=option.metadata["help"])
    parser.add_argument(*_flags(f"no_{option.name}"), *OFF_ALIASES.get(option.name, ()), dest=option.name,
                        action="store_false", default=argparse.SUPPRESS, help=f"Turns {_flags(option.name)[0]} off.")


def read_config_file(path: Path) -> dict[str, Any]:
    """The options of a YAML file; ``ValueError`` naming the file and any key that is not a :class:`TrainConfig`
    field."""
    import yaml

    values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(values, dict):
        raise ValueError(f"{path}: expected a mapping of option names to values")
    names = [f.name for f in fields(TrainConfig)]
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise ValueError(f"{path}: unknown option(s) {', '.join(unknown)}; known: {', '.join(names)}")
    return values


def _config_file(args: Sequence[str]) -> Path | None:
    """The ``--config`` file among ``args``, found before the full parse so that its values become the defaults."""
    finder = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    finder.add_argument("--config", type=Path)
    return finder.parse_known_args(list(args))[0].config


def parse_train_args(args: Sequence[str], prog: str | None = None) -> TrainConfig:
    """``finetune train``'s arguments -> a validated :class:`TrainConfig`: the defaults, then ``--config FILE.yaml``,
    then the options given. ``--help`` prints the options with their defaults and exits; a malformed or unknown option
    exits as argparse does; ``ValueError`` for an unknown YAML key or an option out of range."""
    parser = train_parser(prog)
    config_file = _config_file(args)
    if config_file is not None:
        parser.set_defaults(**read_config_file(config_file))
    config, extra, left_over = parser.parse_args_into_dataclasses(args=list(args), return_remaining_strings=True,
                                                                  look_for_args_file=False)
    if left_over:
        parser.error(f"unrecognized arguments: {' '.join(left_over)}")
    if extra.data_dir_argument:
        config = dataclasses.replace(config, data_dir=extra.data_dir_argument)
    config.validate()
    return config
