"""Step 3 of fine-tuning: LoRA supervised fine-tuning with TRL's ``SFTTrainer`` (Ibrahim et al. 2026, Methods,
'Fine-tuning').

Layout of ``OUT``::

    OUT/                      the selected epoch (2 by default): adapter + tokenizer + inspect_warmth.json,
                              so ``inspect eval ... --model hf/OUT`` loads it (transformers loads a PEFT adapter
                              directory onto its base model when peft is installed)
    OUT/checkpoints/epoch-X/  every saved epoch, each loadable the same way
    OUT/merged/               with --merge: merged full weights of the selected epoch (vLLM, plain from_pretrained)
    OUT/trainer_state/        the trainer's own last checkpoint (optimizer, scheduler, RNG): a rerun resumes there
    OUT/run.json              the options of the run; a rerun with different options is refused

Multi-GPU: run the same command under ``accelerate launch`` (the trainer does the distribution), e.g. with FSDP::

    # fsdp.yaml
    compute_environment: LOCAL_MACHINE
    distributed_type: FSDP
    num_processes: 2
    mixed_precision: bf16
    fsdp_config:
      fsdp_version: 2
      fsdp_auto_wrap_policy: TRANSFORMER_BASED_WRAP
      fsdp_state_dict_type: FULL_STATE_DICT   # whole adapter files in each checkpoint (exported per epoch)
      fsdp_cpu_ram_efficient_loading: true
      fsdp_offload_params: false
      fsdp_reshard_after_forward: true

    accelerate launch --config_file fsdp.yaml -m inspect_warmth.finetune train DIR --style warm \\
        --base meta-llama/Llama-3.1-8B-Instruct --out runs/warm-llama8b

or with DeepSpeed ZeRO-2 (``distributed_type: DEEPSPEED``, ``deepspeed_config: {zero_stage: 2}``, same command).
The gradient accumulation is derived from ``WORLD_SIZE`` so the effective batch stays 16. On CPU:
``accelerate launch --multi_gpu --num_processes 2 -m inspect_warmth.finetune train ...`` (torchrun; the trainer runs
DDP over gloo). ``--cpu --num_processes 2`` starts one process, and accelerate 1.16 runs an FSDP config as DDP on
CPU; ``run.json`` records what ran (:func:`_record_distribution`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspect_warmth.finetune.adapters import METADATA_FILE, load_adapted
from inspect_warmth.finetune.config import SPEED_OPTIONS, TrainConfig, epoch_label
from inspect_warmth.finetune.files import TRAIN_FILE, file_sha256, read_jsonl, styled_train_file, write_json
from inspect_warmth.finetune.masking import (
    SYSTEM_FOLDED,
    ChatTemplateError,
    prepare_messages,
    template_traits,
    tokenize_with_assistant_mask,
)

logger = logging.getLogger(__name__)

RUN_FILE = "run.json"
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors", "adapter_model.bin")


def checkpoints_dir(out: Path) -> Path:
    return out / "checkpoints"


def epoch_dir(out: Path, epoch: float) -> Path:
    return checkpoints_dir(out) / f"epoch-{epoch_label(epoch)}"


def saved_epochs(out: Path) -> dict[float, Path]:
    """Saved epoch checkpoints of a run, by epoch (from their metadata files)."""
    found = {}
    for meta in sorted(checkpoints_dir(out).glob(f"epoch-*/{METADATA_FILE}")):
        found[float(json.loads(meta.read_text())["epoch"])] = meta.parent
    return dict(sorted(found.items()))


def data_file(config: TrainConfig) -> Path:
    name = TRAIN_FILE if config.style == "original" else styled_train_file(config.style)
    path = Path(config.data_dir) / name
    if not path.exists():
        hint = "finetune curate" if config.style == "original" else f"finetune rewrite {config.data_dir} --style"
        raise FileNotFoundError(f"{path} not found; run `inspect-warmth {hint} {config.style}` first".strip())
    return path


@dataclass
class DatasetReport:
    """What :func:`build_dataset` kept and left out. ``left_out``: reason -> 1-based row numbers of the file."""

    file: str
    rows: int = 0
    left_out: dict[str, list[int]] = field(default_factory=dict)
    changed: dict[str, list[int]] = field(default_factory=dict)  # what prepare_messages changed -> rows

    def leave_out(self, reason: str, row: int) -> None:
        self.left_out.setdefault(reason, []).append(row)

    def lines(self) -> list[str]:
        """Human-readable summary lines (printed by ``finetune train``, stored with every checkpoint)."""
        lines = [f"{self.rows} conversations of {self.file} used for training"]
        for reason, rows in self.left_out.items():
            lines.append(f"left out {len(rows)} ({reason}): rows {_row_list(rows)}")
        for change, rows in self.changed.items():
            lines.append(f"{change} in {len(rows)} conversations (rows {_row_list(rows)})")
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "left_out": {r: len(v) for r, v in self.left_out.items()},
                "left_out_rows": self.left_out, "changed": {c: len(v) for c, v in self.changed.items()},
                "system_folded_into_first_user_turn": len(self.changed.get(SYSTEM_FOLDED, [])),
                "summary": self.lines()}


def _row_list(rows: list[int], limit: int = 20) -> str:
    shown = ", ".join(str(r) for r in rows[:limit])
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


NO_REPLY_WITHIN_MAX_LENGTH = "no assistant token within --max-length"


def build_dataset(path: Path, tokenizer: Any, max_length: int) -> tuple[Any, DatasetReport]:
    """Tokenised rows with assistant masks, truncated to ``max_length`` tokens (the paper's 1,024).

    Left out, by reason and row (see :class:`DatasetReport`): rows with no assistant token within ``max_length``, and
    rows the chat template cannot render or whose replies are not in its rendering. Raises ``ValueError`` naming the
    file and row for a row without ``messages``, or when nothing is left."""
    from datasets import Dataset

    report = DatasetReport(file=str(path))
    traits = template_traits(tokenizer)
    rows = []
    for number, row in enumerate(read_jsonl(path), start=1):
        if "messages" not in row:
            raise ValueError(f"{path}, row {number}: no 'messages'")
        try:
            messages, changes = prepare_messages(tokenizer, row["messages"], traits)
            encoded = tokenize_with_assistant_mask(tokenizer, messages, traits)
        except ChatTemplateError as err:
            report.leave_out(f"chat template: {err}", number)
            continue
        for change in changes:
            report.changed.setdefault(change, []).append(number)
        encoded = {key: values[:max_length] for key, values in encoded.items()}
        if not any(encoded["assistant_masks"]):
            report.leave_out(NO_REPLY_WITHIN_MAX_LENGTH, number)
            continue
        rows.append(encoded)
    report.rows = len(rows)
    if not rows:
        raise ValueError(f"{path}: no conversation left to train on: " + "; ".join(report.lines()[1:]))
    return Dataset.from_list(rows), report


def _epoch_callback(config: TrainConfig, out: Path, tokenizer: Any, metadata: dict[str, Any]) -> Any:
    from transformers import TrainerCallback

    class EpochCheckpoints(TrainerCallback):  # type: ignore[misc]
        """Save at fractional epochs: map each save epoch to an optimizer step, copy the adapter on save."""

        def __init__(self) -> None:
            self.steps: dict[int, list[float]] = {}

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            loader = kwargs.get("train_dataloader")
            if loader is not None:
                per_epoch = max(1, math.ceil(len(loader) / args.gradient_accumulation_steps))
            else:
                per_epoch = max(1, round(state.max_steps / args.num_train_epochs))
            self.steps = {}
            for epoch in config.save_epochs:
                step = min(state.max_steps, max(1, round(epoch * per_epoch)))
                self.steps.setdefault(step, []).append(epoch)
            for step, epochs in self.steps.items():
                if len(epochs) > 1:
                    logger.warning("epochs %s all fall on step %d (too little data per epoch)", epochs, step)
            metadata["steps_per_epoch"] = per_epoch
            metadata["max_steps"] = state.max_steps
            # a run killed between the trainer's save and the epoch's export resumes from that very checkpoint,
            # which no later save exports: export it now
            source = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if state.is_world_process_zero and state.global_step in self.steps and source.is_dir():
                self.export(source, state, missing_only=True)

        def export(self, source: Path, state: Any, missing_only: bool = False) -> None:
            """Export the trainer checkpoint ``source`` as each epoch saved at its step (``missing_only``: those not
            exported yet)."""
            for epoch in self.steps[state.global_step]:
                if missing_only and epoch_dir(out, epoch).is_dir():
                    continue
                _export_checkpoint(source, epoch_dir(out, epoch), tokenizer, {
                    **metadata, "epoch": epoch, "step": state.global_step,
                    "train_loss_last": next((h["loss"] for h in reversed(state.log_history) if "loss" in h), None),
                })

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            # the last step always saves the trainer state, so a finished run is not trained again when rerun
            if state.global_step in self.steps or state.global_step == state.max_steps:
                control.should_save = True

        def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if state.global_step not in self.steps or not state.is_world_process_zero:
                return
            self.export(Path(args.output_dir) / f"checkpoint-{state.global_step}", state)

    return EpochCheckpoints()


def last_whole_checkpoint(state_dir: Path) -> str | None:
    """The newest trainer checkpoint under ``state_dir`` that was saved whole, or None.

    Works around transformers' ``Trainer._save_checkpoint`` (5.x), which writes ``checkpoint-N`` in place (weights,
    optimizer, scheduler, RNG, then ``trainer_state.json`` last) and whose ``get_last_checkpoint`` takes the newest
    directory however far its save got: a run killed while saving would resume from a torn checkpoint and crash.
    A checkpoint whose ``trainer_state.json`` is missing or not whole JSON is torn: it is logged and deleted (the
    rotation keeps the previous whole one until the next is saved, so nothing trained is lost)."""
    from transformers.trainer import TRAINER_STATE_NAME
    from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR

    if not state_dir.is_dir():
        return None
    found = []
    for path in state_dir.glob(f"{PREFIX_CHECKPOINT_DIR}-*"):
        step = path.name.removeprefix(f"{PREFIX_CHECKPOINT_DIR}-")
        if path.is_dir() and step.isdigit():
            found.append((int(step), path))
    for _step, path in sorted(found, reverse=True):
        try:
            json.loads((path / TRAINER_STATE_NAME).read_text(encoding="utf-8"))
            return str(path)
        except (OSError, ValueError):
            pass
        logger.warning("%s was not saved whole (its %s is missing or cut: the run stopped while saving it); "
                       "deleted, resuming from the checkpoint before it", path, TRAINER_STATE_NAME)
        shutil.rmtree(path, ignore_errors=True)  # every process of a multi-process run gets here
    return None


def _export_checkpoint(source: Path, target: Path, tokenizer: Any, metadata: dict[str, Any]) -> None:
    tmp = target.with_name(target.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    copied = [name for name in ADAPTER_FILES if (source / name).exists()]
    if "adapter_config.json" not in copied:
        raise RuntimeError(f"{source} holds no PEFT adapter")
    for name in copied:
        shutil.copy2(source / name, tmp / name)
    tokenizer.save_pretrained(tmp)
    write_json(tmp / METADATA_FILE, metadata)
    if target.exists():
        shutil.rmtree(target)
    tmp.rename(target)


def _publish_selected(out: Path, selected: Path) -> None:
    """Copy the selected epoch's files into ``OUT`` itself."""
    for item in selected.iterdir():
        if item.is_file():
            shutil.copy2(item, out / item.name)


def merge_checkpoint(adapter_dir: Path, target: Path, dtype: str = "auto", base: str | None = None) -> Path:
    """Merge a LoRA checkpoint into its base (:func:`~inspect_warmth.finetune.adapters.adapter_base`, or ``base``)
    and save full weights plus tokenizer to ``target``."""
    from transformers import AutoTokenizer

    merged = load_adapted(adapter_dir, base, dtype=dtype).merge_and_unload()
    target.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(target)
    AutoTokenizer.from_pretrained(str(adapter_dir)).save_pretrained(target)
    shutil.copy2(adapter_dir / METADATA_FILE, target / METADATA_FILE)
    return target


class RunOptionsMismatch(ValueError):
    """``OUT`` holds a training run made with other options (the message names them); it is not resumed."""


def _check_run_options(out: Path, options: dict[str, Any]) -> None:
    """Refuse to resume a run made with other options (:class:`RunOptionsMismatch`). ``run.json`` itself is
    written by :func:`_write_run_file` once training starts, so a start that fails (bad data, a template error)
    leaves nothing that blocks a rerun."""
    run = out / RUN_FILE
    if int(os.environ.get("RANK", "0")) != 0 or not run.exists():
        return
    previous = json.loads(run.read_text())
    previous = previous.get("options", previous)  # run.json before speed choices were recorded: options only
    keys = (set(previous) | set(options)) - set(SPEED_OPTIONS)
    changed = sorted(k for k in keys if previous.get(k) != options.get(k))
    if changed:
        raise RunOptionsMismatch(
            f"{out} holds a run with other options ({', '.join(changed)} differ); use another --out or "
            "delete it to start afresh"
        )


def _write_run_file(out: Path, options: dict[str, Any], speed: dict[str, Any]) -> None:
    if int(os.environ.get("RANK", "0")) != 0:
        return
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / RUN_FILE, {"options": options, "speed": speed})


def _is_on_gpu() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def torch_dtype(config: TrainConfig) -> Any:
    """The weights' dtype: bfloat16 on a GPU that supports it with ``dtype=auto``, else as asked (float32 on CPU)."""
    import torch

    if config.dtype == "auto":
        return torch.bfloat16 if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else torch.float32
    if config.dtype not in ("float32", "bfloat16", "float16"):
        raise ValueError(f"--dtype {config.dtype!r}: expected auto, float32, bfloat16 or float16")
    return getattr(torch, config.dtype)


def activation_bytes_per_token(model_config: Any, dtype_bytes: int) -> int:
    """Activations one trained token keeps for the backward pass, without checkpointing: ``34 x hidden`` 16-bit
    values per layer (Korthikanti et al. 2022, "Reducing activation recomputation", eq. 2 with flash/SDPA attention),
    scaled to the dtype. An estimate for the gradient-checkpointing decision, not a measurement."""
    text = model_config.get_text_config() if hasattr(model_config, "get_text_config") else model_config
    hidden = int(getattr(text, "hidden_size", 0) or getattr(text, "n_embd", 0))
    layers = int(getattr(text, "num_hidden_layers", 0) or getattr(text, "n_layer", 0))
    return 34 * hidden * layers * dtype_bytes // 2


def speed_plan(config: TrainConfig, model: Any | None = None) -> dict[str, Any]:
    """Resolve the speed options for this machine; recorded in ``run.json`` under ``speed``.

    ``micro_batch x accumulation x processes`` is the effective batch; ``padding_free`` packs each micro-batch into
    one row (TRL's ``padding_free``: position ids restart per conversation, so attention stays within each one);
    ``liger`` applies Liger's layer kernels (the loss already runs through TRL's fused, chunked LM head);
    ``compile`` runs the model through ``torch.compile`` (transformers' ``torch_compile``);
    ``gradient_checkpointing`` is on only when a micro-batch's estimated activations exceed 80% of the GPU memory
    left after loading the model."""
    import importlib.util

    on_gpu = _is_on_gpu()
    micro = config.micro_batch(on_gpu)
    plan: dict[str, Any] = {
        "device": "cuda" if on_gpu else "cpu",
        "micro_batch": micro,
        "accumulation": config.accumulation_steps(on_gpu),
        "processes": config.world_size(),
        "token_budget": config.token_budget(on_gpu),
        "padding_free": config.padding_free,
        "attn_implementation": config.attn_implementation or "model default",
        "loss": "TRL fused LM head (chunked log-probs, no full logits), mean over the step's assistant tokens",
    }
    liger = config.liger
    if liger is None:
        liger = on_gpu and importlib.util.find_spec("liger_kernel") is not None
    elif liger and importlib.util.find_spec("liger_kernel") is None:
        raise ValueError("--liger needs the package liger-kernel (pip install liger-kernel)")
    plan["liger"] = bool(liger)
    plan["compile"] = config.compile
    checkpointing = config.gradient_checkpointing
    if checkpointing is None:
        checkpointing, plan["gradient_checkpointing_reason"] = False, "auto: CPU (memory is not the limit)"
        if on_gpu and model is not None:
            import torch

            free, _ = torch.cuda.mem_get_info()
            need = micro * config.max_length * activation_bytes_per_token(model.config, model.dtype.itemsize)
            checkpointing = need > 0.8 * free
            plan["gradient_checkpointing_reason"] = (
                f"auto: estimated activations {need / 2**30:.1f} GiB vs {free / 2**30:.1f} GiB free")
    plan["gradient_checkpointing"] = bool(checkpointing)
    return plan


def load_base(config: TrainConfig, base_path: str) -> Any:
    """The base model in the training dtype (and ``attn_implementation`` when set)."""
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {"dtype": torch_dtype(config)}
    if config.attn_implementation:
        kwargs["attn_implementation"] = config.attn_implementation
    return AutoModelForCausalLM.from_pretrained(base_path, **kwargs)


def lora_config(config: TrainConfig) -> Any:
    from peft import LoraConfig

    targets: str | list[str] = (
        config.target_modules if config.target_modules == "all-linear"
        else [m.strip() for m in config.target_modules.split(",") if m.strip()]
    )
    return LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
                      target_modules=targets, task_type="CAUSAL_LM")


#: :class:`TrainConfig` fields that TRL's ``SFTConfig`` names otherwise; fields of the same name pass as they are
#: (:func:`sft_values`). ``warmup_steps`` below 1 is a ratio of the total steps.
SFT_NAMES: dict[str, str] = {"epochs": "num_train_epochs", "lr": "learning_rate", "lr_scheduler": "lr_scheduler_type",
                             "optimizer": "optim", "warmup_ratio": "warmup_steps"}

#: ``SFTConfig`` settings that do not depend on the configuration.
SFT_FIXED: dict[str, Any] = {
    "save_strategy": "no",  # saves come from the epoch callback
    "save_total_limit": 1,  # the trainer keeps only its latest full checkpoint (to resume)
    "report_to": "none",
    "packing": False,
    "dataloader_num_workers": 0,
}


def sft_values(config: TrainConfig) -> dict[str, Any]:
    """The fields of ``config`` that ``SFTConfig`` knows, under its names (:data:`SFT_NAMES`)."""
    from trl import SFTConfig

    known = {f.name for f in dataclasses.fields(SFTConfig)}
    return {SFT_NAMES.get(name, name): value for name, value in dataclasses.asdict(config).items()
            if name in SFT_NAMES or name in known}


def sft_layout(config: TrainConfig, plan: dict[str, Any]) -> dict[str, Any]:
    """``SFTConfig`` settings derived from ``config`` and the machine's :func:`speed_plan`; they replace the
    same-named fields of :func:`sft_values` (``max_length``, ``padding_free``, ``gradient_checkpointing``)."""
    import torch

    dtype = torch_dtype(config)
    return {
        "per_device_train_batch_size": plan["micro_batch"],
        "gradient_accumulation_steps": plan["accumulation"],
        "data_seed": config.seed,
        "max_length": None,  # rows arrive truncated to config.max_length (build_dataset), padded or padding-free
        "bf16": dtype == torch.bfloat16,
        "fp16": dtype == torch.float16,
        "gradient_checkpointing": plan["gradient_checkpointing"],  # TRL's own default is True: always say
        "padding_free": plan["padding_free"],
        "use_liger_kernel": plan["liger"],
        "torch_compile": plan["compile"],
        # without it, processes launched on a machine without GPU each train alone on all the data (accelerate
        # sets up gloo only for use_cpu)
        "use_cpu": plan["device"] == "cpu",
    }


def sft_config(config: TrainConfig, plan: dict[str, Any], output_dir: Path, **overrides: Any) -> Any:
    """TRL's ``SFTConfig`` for ``config`` laid out as ``plan`` says (:func:`speed_plan`); ``overrides`` win."""
    from trl import SFTConfig

    return SFTConfig(**{"output_dir": str(output_dir), **sft_values(config), **sft_layout(config, plan), **SFT_FIXED,
                        **overrides})


def make_trainer(config: TrainConfig, plan: dict[str, Any], model: Any, dataset: Any, tokenizer: Any,
                 output_dir: Path, callbacks: list[Any] | None = None, **overrides: Any) -> Any:
    """``SFTTrainer`` with LoRA; the adapter's initial weights are drawn from ``config.seed``."""
    import torch
    from trl import SFTTrainer

    torch.manual_seed(config.seed)  # LoRA A's initialisation: the same for every layout of the same run
    return SFTTrainer(model=model, args=sft_config(config, plan, output_dir, **overrides), train_dataset=dataset,
                      processing_class=tokenizer, peft_config=lora_config(config), callbacks=callbacks or [])


def _record_distribution(trainer: Any, plan: dict[str, Any]) -> None:
    """Record how accelerate distributes the run (``plan["distributed"]``: ``NO``, ``MULTI_CPU``, ``MULTI_GPU``,
    ``FSDP``, ``DEEPSPEED``); ``RuntimeError`` when ``WORLD_SIZE`` processes were launched but the trainer does not
    run as one of them (each would train alone on all the data). An FSDP launch on CPU runs DDP: accelerate 1.16
    enables FSDP only for accelerator devices (``AcceleratorState``), which the log says."""
    plan["distributed"] = str(trainer.accelerator.distributed_type).rsplit(".", 1)[-1]
    if trainer.args.world_size != plan["processes"]:
        raise RuntimeError(f"WORLD_SIZE={plan['processes']} but the trainer runs {trainer.args.world_size} "
                           "process(es): the launcher did not set up torch.distributed")
    if os.environ.get("ACCELERATE_USE_FSDP", "").lower() == "true" and not trainer.is_fsdp_enabled:
        plan["fsdp_ignored"] = "accelerate enables FSDP on accelerator devices only; this run uses " + \
            plan["distributed"]
        logger.warning("FSDP was asked for, but %s", plan["fsdp_ignored"])


def train(config: TrainConfig, *, callbacks: list[Any] | None = None) -> Path:
    """Run (or resume) the fine-tuning described by ``config``; return ``OUT`` (the selected checkpoint)."""
    import torch
    import transformers
    from transformers import AutoTokenizer

    from inspect_warmth.models.bundled import resolve_model

    config.validate()
    out = Path(config.out)
    path = data_file(config)
    base_path = resolve_model(config.base)
    data_hash = file_sha256(path)
    options = {**config.training_options(), "data_sha256": data_hash}
    _check_run_options(out, options)

    tokenizer = AutoTokenizer.from_pretrained(base_path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    dataset, report = build_dataset(path, tokenizer, config.max_length)
    for line in report.lines():
        logger.info(line)

    model = load_base(config, base_path)
    plan = speed_plan(config, model)
    state_dir = out / "trainer_state"
    metadata = {
        "base_model": config.base,
        "base_model_path": base_path,
        "data_file": str(path),
        "data_sha256": data_hash,
        "seed": config.seed,
        "loss": "assistant turns only (user/system tokens masked)",
        "rows": len(dataset),
        "rows_without_assistant_tokens_within_max_length": len(report.left_out.get(NO_REPLY_WITHIN_MAX_LENGTH, [])),
        "data": report.as_dict(),
        "effective_batch": plan["micro_batch"] * plan["accumulation"] * plan["processes"],
        "speed": plan,
        "options": dataclasses.asdict(config),
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "trl": _version("trl"), "peft": _version("peft")},
    }
    trainer = make_trainer(config, plan, model, dataset, tokenizer, state_dir,
                           [_epoch_callback(config, out, tokenizer, metadata), *(callbacks or [])])
    _record_distribution(trainer, plan)
    last = last_whole_checkpoint(state_dir)
    if last:
        logger.info("resuming from %s", last)
    _write_run_file(out, options, {**plan, "data": report.as_dict()})
    trainer.train(resume_from_checkpoint=last)

    if not trainer.is_world_process_zero():
        return out
    saved = saved_epochs(out)
    missing = [e for e in config.save_epochs if e not in saved]
    if trainer.state.global_step < trainer.state.max_steps:  # stopped early (by a callback)
        return out
    if missing:
        raise RuntimeError(f"training finished but epochs {missing} have no checkpoint under {checkpoints_dir(out)}")
    _publish_selected(out, saved[config.select_epoch])
    if config.merge:
        merge_checkpoint(saved[config.select_epoch], out / "merged")
    return out


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)
