"""Tokenise a conversation with its chat template and mark the assistant tokens (the only ones in the loss).

TRL's ``assistant_only_loss`` needs ``{% generation %}`` markers in the chat template, which most templates
(SmolLM2's and Llama 3's included) lack. Instead each assistant reply's character span is found by rendering the
conversation up to the reply (with the generation prompt) and up to its end, and tokens whose first character lies
in a span are marked. The span covers the reply and the template's end-of-turn text, so the model learns to stop.
The result (``input_ids``, ``assistant_masks``) is what ``SFTTrainer`` turns into labels with -100 elsewhere.
"""

from __future__ import annotations

from typing import Any


class ChatTemplateError(ValueError):
    """The chat template does not render conversations prefix-consistently, so spans cannot be found."""


def _render(tokenizer: Any, messages: list[dict[str, str]], generation_prompt: bool) -> str:
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation_prompt)
    assert isinstance(text, str)
    return text


def assistant_spans(tokenizer: Any, messages: list[dict[str, str]]) -> tuple[str, list[tuple[int, int]]]:
    """The rendered conversation and the ``[start, end)`` character span of every assistant reply."""
    full = _render(tokenizer, messages, False)
    spans = []
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        before = _render(tokenizer, messages[:i], True)
        through = _render(tokenizer, messages[: i + 1], False)
        if not (through.startswith(before) and full.startswith(through)):
            raise ChatTemplateError(
                "the chat template renders a conversation's prefix differently from the conversation itself "
                f"(assistant turn {i}); assistant-only loss cannot locate the replies with this template"
            )
        spans.append((len(before), len(through)))
    return full, spans


def tokenize_with_assistant_mask(tokenizer: Any, messages: list[dict[str, str]]) -> dict[str, list[int]]:
    """``input_ids`` of the templated conversation and ``assistant_masks`` (1 on assistant tokens)."""
    if not getattr(tokenizer, "is_fast", False):
        raise ChatTemplateError("assistant-only loss needs a fast tokenizer (offset mapping)")
    text, spans = assistant_spans(tokenizer, messages)
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    mask = [int(any(start <= begin < end for start, end in spans)) for begin, _ in encoded["offset_mapping"]]
    return {"input_ids": list(encoded["input_ids"]), "assistant_masks": mask}
