"""``finetune train``'s configuration: the paper's defaults, the command line (transformers' ``HfArgumentParser``)
over a YAML file, its help, and the ``SFTConfig`` built from it. Unit: one parse (or one configuration)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from inspect_warmth.finetune.cli import finetune
from inspect_warmth.finetune.config import TrainConfig, parse_train_args
from inspect_warmth.finetune.train import sft_config, sft_values, speed_plan

README_FORM = ["data/ft", "--style", "warm", "--base", "meta-llama/Llama-3.1-8B-Instruct", "--out", "warm-llama8b"]


def test_defaults_are_the_papers() -> None:
    defaults = TrainConfig()
    assert (defaults.lora_r, defaults.lora_alpha, defaults.lora_dropout, defaults.lr, defaults.max_length,
            defaults.effective_batch, defaults.epochs, defaults.select_epoch) == (8, 16, 0.1, 1e-5, 1024, 16, 10, 2)
    assert defaults.save_epochs == [0.5, 1, 1.5, 2, 4, 6, 8, 10]
    # micro-batches sized by tokens; every optimizer step still holds 16 conversations
    assert (defaults.micro_batch(on_gpu=False), defaults.accumulation_steps(on_gpu=False)) == (4, 4)
    assert (defaults.micro_batch(on_gpu=True), defaults.accumulation_steps(on_gpu=True)) == (16, 1)
    plain = TrainConfig(batch_size=1)
    assert (plain.micro_batch(), plain.accumulation_steps()) == (1, 16)
    assert TrainConfig(max_length=3000).micro_batch(on_gpu=True) == 4  # 16,384 // 3,000 = 5 -> divisor 4


def test_command_line_spellings() -> None:
    config = parse_train_args(README_FORM)
    assert (config.data_dir, config.style, config.base, config.out) == (
        "data/ft", "warm", "meta-llama/Llama-3.1-8B-Instruct", "warm-llama8b")
    assert config == TrainConfig(data_dir="data/ft", base="meta-llama/Llama-3.1-8B-Instruct", out="warm-llama8b")
    switched = parse_train_args([*README_FORM, "--lora-r", "4", "--lora_alpha", "8", "--save-epochs", "2,0.5,1",
                                 "--padded", "--liger", "--compile", "--merge", "--no-gradient-checkpointing"])
    assert (switched.lora_r, switched.lora_alpha, switched.save_epochs) == (4, 8, [0.5, 1.0, 2.0])
    assert (switched.padding_free, switched.liger, switched.compile, switched.merge,
            switched.gradient_checkpointing) == (False, True, True, True, False)
    back = parse_train_args([*README_FORM, "--no-padding-free", "--no-liger", "--no-compile", "--no-merge",
                             "--gradient-checkpointing"])
    assert (back.padding_free, back.liger, back.compile, back.merge, back.gradient_checkpointing) == (
        False, False, False, False, True)
    # fewer epochs than the paper: the paper's save points that fit, and the end
    short = parse_train_args(["d", "--base", "b", "--out", "o", "--epochs", "3"])
    assert short.save_epochs == [0.5, 1, 1.5, 2, 3] and short.select_epoch == 2


def test_out_of_range_and_unknown_options_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="not one of --save-epochs"):
        parse_train_args(["d", "--base", "b", "--out", "o", "--select-epoch", "3", "--save-epochs", "1,2"])
    with pytest.raises(ValueError, match="--base is required"):
        parse_train_args(["d", "--out", "o"])
    with pytest.raises(SystemExit):
        parse_train_args([*README_FORM, "--lora-rank", "4"])
    assert "unrecognized arguments: --lora-rank" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse_train_args([*README_FORM, "--save-epochs", "1,two"])
    assert "--save-epochs" in capsys.readouterr().err


def test_command_line_overrides_the_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("data_dir: d\nbase: b\nout: o\nlora_r: 16\nlora_alpha: 32\nsave_epochs: [1, 2]\nepochs: 2\n"
                    "lr: 3e-5\nliger: false\n")
    config = parse_train_args(["--config", str(path), "--lr", "2e-5", "--select-epoch", "1", "--lora-r", "4"])
    assert (config.data_dir, config.lora_r, config.lora_alpha, config.lr, config.save_epochs, config.select_epoch,
            config.liger) == ("d", 4, 32, 2e-5, [1.0, 2.0], 1.0, False)
    positional = parse_train_args(["other", "--config", str(path), "--save-epochs", "0.5,2", "--liger"])
    assert (positional.data_dir, positional.save_epochs, positional.lr, positional.liger) == (
        "other", [0.5, 2.0], 3e-5, True)


def test_unknown_yaml_key_names_the_file_and_the_key(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("data_dir: d\nlearning_rate: 1\n")
    with pytest.raises(ValueError, match=re.escape(str(path)) + r": unknown option\(s\) learning_rate;"):
        parse_train_args(["--config", str(path)])
    result = CliRunner().invoke(finetune, ["train", "--config", str(path)])
    assert result.exit_code == 1 and "learning_rate" in result.output and str(path) in result.output


def test_help_lists_every_option_with_the_papers_defaults() -> None:
    result = CliRunner().invoke(finetune, ["train", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert text.startswith("usage: finetune train [DATA_DIR] [--config FILE.yaml] [options]")
    for name in TrainConfig.__dataclass_fields__:
        assert f"--{name.replace('_', '-')}" in text, name
    for flag in ("--padded", "--no-liger", "--no-compile", "--no-merge", "--no-gradient-checkpointing"):
        assert flag in text
    defaults = {"--lora-r LORA_R": "8", "--lora-alpha LORA_ALPHA": "16", "--lora-dropout LORA_DROPOUT": "0.1",
                "--lr LR": "1e-05", "--max-length MAX_LENGTH": "1024", "--effective-batch EFFECTIVE_BATCH": "16",
                "--epochs EPOCHS": "10", "--select-epoch SELECT_EPOCH": "2"}
    for option, value in defaults.items():
        shown = re.search(re.escape(option) + r" .*?\(default: ([^)]*)\)", text)
        assert shown and shown.group(1) == value, option
    assert "the paper's 0.5,1,1.5,2,4,6,8,10 within --epochs" in text


def test_the_train_command_hands_its_arguments_to_the_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[TrainConfig] = []

    def fake_train(config: TrainConfig) -> Path:
        seen.append(config)
        return Path(config.out)

    monkeypatch.setattr("inspect_warmth.finetune.train.train", fake_train)
    result = CliRunner().invoke(finetune, ["train", *README_FORM, "--save-epochs", "0.5,1,2", "--padded"])
    assert result.exit_code == 0, result.output
    assert "selected epoch 2 at warm-llama8b" in result.output
    assert (seen[0].data_dir, seen[0].save_epochs, seen[0].padding_free) == ("data/ft", [0.5, 1.0, 2.0], False)


def test_sft_config_carries_the_configuration(tmp_path: Path) -> None:
    config = TrainConfig(data_dir="d", base="b", out="o", lr=3e-4, seed=7, optimizer="sgd", lr_scheduler="cosine",
                         warmup_ratio=0.1, weight_decay=0.01, logging_steps=3, epochs=4, save_epochs=[4],
                         select_epoch=4, effective_batch=8, batch_size=2, padding_free=False, max_length=128)
    # the fields that reach SFTConfig by name (renamed or as they are); the rest are derived
    assert set(sft_values(config)) == {"num_train_epochs", "learning_rate", "lr_scheduler_type", "optim",
                                       "warmup_steps", "seed", "weight_decay", "logging_steps", "max_length",
                                       "padding_free", "gradient_checkpointing"}
    arguments = sft_config(config, speed_plan(config), tmp_path)
    assert (arguments.learning_rate, arguments.seed, arguments.data_seed, arguments.optim,
            arguments.lr_scheduler_type, arguments.warmup_steps, arguments.weight_decay, arguments.logging_steps,
            arguments.num_train_epochs) == (3e-4, 7, 7, "sgd", "cosine", 0.1, 0.01, 3, 4.0)
    assert (arguments.per_device_train_batch_size, arguments.gradient_accumulation_steps) == (2, 4)
    assert arguments.max_length is None and arguments.padding_free is False
    assert arguments.gradient_checkpointing is False and arguments.torch_compile is False
    assert (arguments.output_dir, arguments.save_strategy, arguments.report_to) == (str(tmp_path), "no", [])
    assert sft_config(config, speed_plan(config), tmp_path, logging_steps=1).logging_steps == 1  # overrides win
