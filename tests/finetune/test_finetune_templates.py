"""``finetune train`` with the chat templates people have: one that rejects the system role (Gemma-style), one that
renders earlier assistant turns differently from the last (Qwen3-style); a failed start that must not block the
rerun; adapters whose base moved. Templates are jinja strings on the tiny fixture's tokenizer.
Unit of independence: one conversation (masks) or one training run (end to end)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from inspect_warmth.finetune.adapters import adapter_base, load_adapted
from inspect_warmth.finetune.config import TrainConfig
from inspect_warmth.finetune.masking import (
    CONSECUTIVE_MERGED,
    SYSTEM_FOLDED,
    ChatTemplateError,
    prepare_messages,
    tokenize_with_assistant_mask,
)
from inspect_warmth.finetune.train import METADATA_FILE, RUN_FILE, train

#: Gemma 2's rules: no system role, roles must alternate; trims contents.
GEMMA_STYLE = (
    "{{ bos_token }}{% for m in messages %}"
    "{% if m['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
    "{% if (m['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "<start_of_turn>{{ 'model' if m['role'] == 'assistant' else 'user' }}\n{{ m['content'] | trim }}<end_of_turn>\n"
    "{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)
#: Qwen3's habit: the last assistant turn carries an (empty) think block, earlier ones are rendered without it.
QWEN3_STYLE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n"
    "{% if m['role'] == 'assistant' and loop.last %}<think>\n\n</think>\n\n{% endif %}"
    "{{ m['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
TWO_EXCHANGES = [{"role": "system", "content": "Be kind."},
                 {"role": "user", "content": "Hi there"}, {"role": "assistant", "content": "Hello friend!"},
                 {"role": "user", "content": "Bye"}, {"role": "assistant", "content": "See you."}]


def _tokenizer(tiny_llama_dir: Path, template: str):  # type: ignore[no-untyped-def]
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_llama_dir)
    tokenizer.chat_template = template
    return tokenizer


def _kept(tokenizer, encoded) -> str:  # type: ignore[no-untyped-def]
    ids = [t for t, m in zip(encoded["input_ids"], encoded["assistant_masks"], strict=True) if m]
    return tokenizer.decode(ids)


def test_qwen3_style_template_finds_every_reply(tiny_llama_dir: Path) -> None:
    tokenizer = _tokenizer(tiny_llama_dir, QWEN3_STYLE)
    messages, folded = prepare_messages(tokenizer, TWO_EXCHANGES)
    assert not folded and messages == TWO_EXCHANGES
    encoded = tokenize_with_assistant_mask(tokenizer, messages)
    assert _kept(tokenizer, encoded) == "Hello friend!<|im_end|>\nSee you.<|im_end|>\n"
    full = tokenizer.apply_chat_template(messages, tokenize=False)
    assert encoded["input_ids"] == tokenizer(full, add_special_tokens=False)["input_ids"]


def test_gemma_style_template_gets_the_system_turn_folded(tiny_llama_dir: Path) -> None:
    tokenizer = _tokenizer(tiny_llama_dir, GEMMA_STYLE)
    with pytest.raises(Exception, match="System role not supported"):
        tokenizer.apply_chat_template(TWO_EXCHANGES, tokenize=False)
    messages, folded = prepare_messages(tokenizer, TWO_EXCHANGES)
    assert folded and messages[0] == {"role": "user", "content": "Be kind.\n\nHi there"} and len(messages) == 4
    encoded = tokenize_with_assistant_mask(tokenizer, messages)
    assert _kept(tokenizer, encoded) == "Hello friend!<end_of_turn>\nSee you.<end_of_turn>\n"
    with pytest.raises(ChatTemplateError, match="alternate"):
        tokenize_with_assistant_mask(tokenizer, [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}])


def _write(root: Path, rows: list[list[dict[str, str]]]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"id": f"c{i}", "messages": m}) + "\n" for i, m in enumerate(rows)]
    (root / "train.warm.jsonl").write_text("".join(lines))
    return root


@pytest.mark.slow
def test_training_with_a_system_rejecting_template_a_failed_start_and_a_moved_base(
    tmp_path: Path, tiny_llama_dir: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from transformers import AutoModelForCausalLM

    import inspect_warmth.models.bundled as bundled

    base = tmp_path / "home-a" / "smollm2-135m"
    shutil.copytree(tiny_llama_dir, base)
    _tokenizer(base, GEMMA_STYLE).save_pretrained(base)
    monkeypatch.setattr(bundled, "bundled_model_dir", lambda refresh=False: base)
    rows = [TWO_EXCHANGES] * 3 + [[{"role": "user", "content": "a"}, {"role": "user", "content": "b"},
                                  {"role": "assistant", "content": "c"}]]
    data = _write(tmp_path / "data", rows)
    options = {"data_dir": str(data), "base": "smollm2-135m", "out": str(tmp_path / "run"), "epochs": 1,
               "save_epochs": [1], "select_epoch": 1, "effective_batch": 2, "logging_steps": 1}

    with pytest.raises(ValueError, match="no conversation left"):  # 4 tokens hold no reply
        train(TrainConfig(**options, max_length=4))
    assert not (tmp_path / "run" / RUN_FILE).exists()  # a failed start leaves nothing that blocks the rerun

    out = train(TrainConfig(**options, max_length=64))
    assert json.loads((out / RUN_FILE).read_text())["options"]["max_length"] == 64
    meta = json.loads((out / METADATA_FILE).read_text())["data"]
    # row 4's two user turns, which the template rejects, are merged (and counted), not left out
    assert meta["rows"] == 4 and meta["system_folded_into_first_user_turn"] == 3 and meta["left_out_rows"] == {}
    assert meta["changed"] == {SYSTEM_FOLDED: 3, CONSECUTIVE_MERGED: 1}
    assert any("folded into the first user turn in 3 conversations" in line for line in meta["summary"])

    # PEFT's recorded path stays (hf/<adapter> loads it on this machine); the base as given is in the metadata,
    # so it resolves under another home directory
    assert json.loads((out / "adapter_config.json").read_text())["base_model_name_or_path"] == str(base)
    assert adapter_base(out) == str(base)
    assert type(AutoModelForCausalLM.from_pretrained(out)).__name__ == "LlamaForCausalLM"  # what hf/<adapter> does
    moved = tmp_path / "home-b" / "smollm2-135m"
    shutil.move(str(base), moved)
    monkeypatch.setattr(bundled, "bundled_model_dir", lambda refresh=False: moved)
    assert adapter_base(out) == str(moved)
    assert type(load_adapted(out)).__name__ == "PeftModelForCausalLM"


def test_missing_local_base_names_the_flag(tmp_path: Path) -> None:
    """Unit: one adapter directory whose recorded base and given base are both absent here."""
    (tmp_path / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "/gone/home/base"}))
    with pytest.raises(FileNotFoundError, match=r"/gone/home/base.*--base-model DIR"):
        adapter_base(tmp_path)
    (tmp_path / "inspect_warmth.json").write_text(json.dumps({"base_model": "/also/gone"}))
    with pytest.raises(FileNotFoundError, match=r"/gone/home/base \(given as '/also/gone'\).*--base-model DIR"):
        adapter_base(tmp_path)
    assert adapter_base(tmp_path, "elsewhere/model") == "elsewhere/model"


def test_cli_reports_a_failed_start_without_a_traceback(tmp_path: Path, tiny_llama_dir: Path) -> None:
    from click.testing import CliRunner

    from inspect_warmth.finetune.cli import finetune

    data = _write(tmp_path / "data", [TWO_EXCHANGES])
    result = CliRunner().invoke(finetune, ["train", str(data), "--base", str(tiny_llama_dir), "--out",
                                           str(tmp_path / "run"), "--max-length", "4"])
    assert result.exit_code == 1 and "Error: " in result.output and "no conversation left" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not (tmp_path / "run" / RUN_FILE).exists()
