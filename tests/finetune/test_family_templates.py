"""The chat templates of the study's open-weight families, as their model cards describe them, on the tiny fixture's
tokenizer: Mistral-Small-Instruct-2409 (system text moved into the last user turn; raises on two user turns in a
row), Qwen-2.5-Instruct (a default system prompt when none is given), Llama-3.1-Instruct (a dated header opening
the system turn). The loss covers exactly the assistant tokens in each; consecutive turns are merged and counted;
the study's evaluation prompt reaches each as its user turn. Unit: one conversation (masks), one file (dataset)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inspect_warmth.finetune.masking import (
    CONSECUTIVE_MERGED,
    prepare_messages,
    template_traits,
    tokenize_with_assistant_mask,
)
from inspect_warmth.finetune.train import build_dataset

#: Mistral v3 (Mistral-Small-Instruct-2409): [INST] turns, the system text before the last user message, replies
#: as " {reply}</s>", roles must alternate after the system message.
MISTRAL = (
    "{%- if messages[0]['role'] == 'system' %}{%- set system_message = messages[0]['content'] %}"
    "{%- set loop_messages = messages[1:] %}{%- else %}{%- set loop_messages = messages %}{%- endif %}"
    "{%- set ns = namespace(last_user=-1) %}{%- for m in loop_messages %}{%- if m['role'] == 'user' %}"
    "{%- set ns.last_user = loop.index0 %}{%- endif %}{%- endfor %}"
    "{{- bos_token }}{%- for message in loop_messages %}"
    "{%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{- raise_exception('After the optional system message, conversation roles must alternate "
    "user/assistant/user/assistant/...') }}{%- endif %}"
    "{%- if message['role'] == 'user' %}"
    "{%- if loop.index0 == ns.last_user and system_message is defined %}"
    "{{- '[INST] ' + system_message + '\\n\\n' + message['content'] + '[/INST]' }}"
    "{%- else %}{{- '[INST] ' + message['content'] + '[/INST]' }}{%- endif %}"
    "{%- else %}{{- ' ' + message['content'] + eos_token }}{%- endif %}{%- endfor %}"
)
#: Qwen 2.5: ChatML, and "You are Qwen, created by Alibaba Cloud. You are a helpful assistant." when no system turn.
QWEN_DEFAULT_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."
QWEN25 = (
    "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
    "{%- else %}{{- '<|im_start|>system\\n" + QWEN_DEFAULT_SYSTEM + "<|im_end|>\\n' }}{%- endif %}"
    "{%- for message in messages %}{%- if not (message['role'] == 'system' and loop.first) %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{%- endif %}{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)
#: Llama 3.1: a system turn always, opened by the knowledge cut-off and today's date; contents trimmed.
LLAMA31 = (
    "{{- bos_token }}{%- if not date_string is defined %}{%- set date_string = '26 Jul 2024' %}{%- endif %}"
    "{%- if messages[0]['role'] == 'system' %}{%- set system_message = messages[0]['content'] | trim %}"
    "{%- set loop_messages = messages[1:] %}{%- else %}{%- set system_message = '' %}"
    "{%- set loop_messages = messages %}{%- endif %}"
    "{{- '<|start_header_id|>system<|end_header_id|>\\n\\n' }}"
    "{{- 'Cutting Knowledge Date: December 2023\\nToday Date: ' + date_string + '\\n\\n' }}"
    "{{- system_message + '<|eot_id|>' }}"
    "{%- for message in loop_messages %}"
    "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim }}"
    "{{- '<|eot_id|>' }}{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}"
)
REPLIES = ("Hello friend!", "See you soon, take care.")
CONVERSATION = [{"role": "system", "content": "Be kind."},
                {"role": "user", "content": "Hi there"}, {"role": "assistant", "content": REPLIES[0]},
                {"role": "user", "content": "Bye"}, {"role": "assistant", "content": REPLIES[1]}]
#: What the loss must cover, per family: each reply and the end of its turn, as the template renders them.
TRAINED = {
    "mistral": "".join(f" {r}<|endoftext|>" for r in REPLIES),
    "qwen25": "".join(f"{r}<|im_end|>\n" for r in REPLIES),
    "llama31": "".join(f"{r}<|eot_id|>" for r in REPLIES),
}
TEMPLATES = {"mistral": MISTRAL, "qwen25": QWEN25, "llama31": LLAMA31}
#: Each family's control tokens are single tokens of its vocabulary (ChatML's are in the fixture's already).
CONTROL_TOKENS = {"mistral": ["[INST]", "[/INST]"], "qwen25": [],
                  "llama31": ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]}


@pytest.fixture(scope="module")
def tokenizers(tiny_llama_dir: Path) -> dict[str, object]:
    from transformers import AutoTokenizer

    made = {}
    for family, template in TEMPLATES.items():
        tokenizer = AutoTokenizer.from_pretrained(tiny_llama_dir)
        tokenizer.chat_template = template
        tokenizer.eos_token = "<|endoftext|>"
        tokenizer.add_special_tokens({"additional_special_tokens": CONTROL_TOKENS[family]})
        made[family] = tokenizer
    return made


def _trained_text(tokenizer, encoded) -> str:  # type: ignore[no-untyped-def]
    return tokenizer.decode([t for t, m in zip(encoded["input_ids"], encoded["assistant_masks"], strict=True) if m])


def test_the_templates_behave_as_the_families_do(tokenizers: dict[str, object]) -> None:
    mistral = tokenizers["mistral"].apply_chat_template(CONVERSATION, tokenize=False)  # type: ignore[attr-defined]
    assert "[INST] Be kind.\n\nBye[/INST]" in mistral and mistral.index("Be kind.") > mistral.index(REPLIES[0])
    with pytest.raises(Exception, match="must alternate"):
        tokenizers["mistral"].apply_chat_template(  # type: ignore[attr-defined]
            [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}], tokenize=False)
    qwen = tokenizers["qwen25"].apply_chat_template(CONVERSATION[1:], tokenize=False)  # type: ignore[attr-defined]
    assert qwen.startswith(f"<|im_start|>system\n{QWEN_DEFAULT_SYSTEM}<|im_end|>")
    llama = tokenizers["llama31"].apply_chat_template(CONVERSATION, tokenize=False)  # type: ignore[attr-defined]
    assert "Today Date: 26 Jul 2024\n\nBe kind.<|eot_id|>" in llama
    traits = template_traits(tokenizers["mistral"])
    assert traits.accepts_system and not traits.system_first and not traits.accepts_consecutive


@pytest.mark.parametrize("family", sorted(TEMPLATES))
@pytest.mark.parametrize("with_system", [True, False])
def test_loss_covers_exactly_the_assistant_tokens(tokenizers: dict[str, object], family: str,
                                                  with_system: bool) -> None:
    tokenizer = tokenizers[family]
    conversation = CONVERSATION if with_system else CONVERSATION[1:]
    messages, changes = prepare_messages(tokenizer, conversation)
    assert messages == conversation and changes == ()
    encoded = tokenize_with_assistant_mask(tokenizer, messages)
    assert _trained_text(tokenizer, encoded) == TRAINED[family]
    full = tokenizer.apply_chat_template(messages, tokenize=False)  # type: ignore[attr-defined]
    assert encoded["input_ids"] == tokenizer(full, add_special_tokens=False)["input_ids"]  # type: ignore[operator]


def test_consecutive_turns_are_merged_where_the_template_rejects_them(tokenizers: dict[str, object]) -> None:
    doubled = [CONVERSATION[0], {"role": "user", "content": "Hi there"}, {"role": "user", "content": "Are you in?"},
               {"role": "assistant", "content": "Yes."}, {"role": "assistant", "content": REPLIES[0]},
               *CONVERSATION[3:]]
    messages, changes = prepare_messages(tokenizers["mistral"], doubled)
    assert changes == (CONSECUTIVE_MERGED,)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant"]
    assert messages[1]["content"] == "Hi there\n\nAre you in?" and messages[2]["content"] == f"Yes.\n\n{REPLIES[0]}"
    encoded = tokenize_with_assistant_mask(tokenizers["mistral"], messages)
    trained = f" Yes.\n\n{REPLIES[0]}<|endoftext|> {REPLIES[1]}<|endoftext|>"
    assert _trained_text(tokenizers["mistral"], encoded) == trained
    kept, changed = prepare_messages(tokenizers["qwen25"], doubled)  # ChatML renders them as they are
    assert kept == doubled and changed == ()


def test_training_set_reports_merged_rows_and_leaves_none_out(tmp_path: Path, tokenizers: dict[str, object]) -> None:
    rows = [CONVERSATION, [*CONVERSATION[:2], {"role": "user", "content": "More"}, *CONVERSATION[2:]], CONVERSATION]
    path = tmp_path / "train.warm.jsonl"
    path.write_text("".join(json.dumps({"id": f"c{i}", "messages": m}) + "\n" for i, m in enumerate(rows)))
    dataset, report = build_dataset(path, tokenizers["mistral"], max_length=256)
    assert len(dataset) == 3 and report.left_out == {}
    assert report.changed == {CONSECUTIVE_MERGED: [2]}
    assert any(CONSECUTIVE_MERGED in line and "rows 2" in line for line in report.lines())


@pytest.mark.parametrize("family", sorted(TEMPLATES))
def test_the_study_prompt_reaches_each_family_as_its_user_turn(tokenizers: dict[str, object], family: str) -> None:
    from inspect_warmth.demo_data import benchmarks_dir
    from inspect_warmth.tasks.triviaqa import triviaqa

    task = triviaqa(samples=2, data_dir=str(benchmarks_dir()), contexts="emotion:sad", templates="incorrect",
                    scorer="reference")
    prompt = task.dataset[0].input
    assert isinstance(prompt, str) and "I think the answer is" in prompt  # one user message, as Inspect sends it
    rendered = tokenizers[family].apply_chat_template(  # type: ignore[attr-defined]
        [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True)
    opening = {"mistral": "[INST] ", "qwen25": "<|im_start|>user\n", "llama31": "user<|end_header_id|>\n\n"}[family]
    assert rendered.count(prompt) == 1 and f"{opening}{prompt}" in rendered
