"""Tokenise a conversation with its chat template and mark the assistant tokens (the only ones in the loss).

TRL's ``assistant_only_loss`` needs ``{% generation %}`` markers in the chat template, which most templates
(SmolLM2's and Llama 3's included) lack. Instead the conversation is rendered once and each message's text is found
in that one rendering, in order; tokens holding a character of an assistant reply's span are marked. The span
covers the reply and the template's end-of-turn text (learnt once per template from a probe conversation), so the
model learns to stop. Finding replies in the full rendering (rather than rendering every prefix) also works with
templates that render earlier assistant turns differently from the last one (Qwen3 strips ``<think>`` blocks from
earlier turns).

Templates that reject the system role (Gemma's raise "System role not supported") get the system text folded into
the first user turn, as such templates' own documentation recommends; templates that reject two turns of one role
in a row (Mistral's and Gemma's raise "roles must alternate") get such turns merged, joined by a blank line as
``finetune curate`` merges them; :func:`prepare_messages` says what it changed. Templates that move the system
text (Mistral's puts it into the last user turn) are found out by a probe and their system text is not looked for
in order; templates that add a default system prompt (Qwen 2.5's) or a dated header to the system turn (Llama
3.1's) need nothing: text that is no message's is never in the loss.
The result (``input_ids``, ``assistant_masks``) is what ``SFTTrainer`` turns into labels with -100 elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any

_PROBE_USER = "Probe question 7391?"
_PROBE_REPLY = "Probe reply 4682."


class ChatTemplateError(ValueError):
    """A conversation cannot be rendered, or a reply cannot be found in its rendering."""


@dataclass(frozen=True)
class TemplateTraits:
    """What a chat template does, learnt from probe conversations.

    ``accepts_system``: renders a system turn without raising. ``end_of_turn``: the text the template puts right
    after an assistant reply (``<|im_end|>\\n`` for ChatML, ``<|eot_id|>`` for Llama 3), part of the trained span.
    ``accepts_consecutive``: renders two user turns in a row without raising. ``system_first``: a system turn is
    rendered before the first user turn (Mistral's template moves it into the last one).
    """

    accepts_system: bool
    end_of_turn: str
    accepts_consecutive: bool = True
    system_first: bool = True


def _render(tokenizer: Any, messages: list[dict[str, str]], generation_prompt: bool = False) -> str:
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation_prompt)
    if not isinstance(text, str):
        raise ChatTemplateError(f"the chat template rendered {type(text).__name__}, not text")
    return text


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def template_traits(tokenizer: Any) -> TemplateTraits:
    """Probe the tokenizer's chat template (three renderings; pass the result on to avoid repeating them)."""
    user = {"role": "user", "content": _PROBE_USER}
    reply = {"role": "assistant", "content": _PROBE_REPLY}
    system = {"role": "system", "content": "Probe system 5517."}
    accepts_system = _renders(tokenizer, [system, user])
    system_first = True
    if accepts_system:
        moved = _render(tokenizer, [system, user, {"role": "assistant", "content": _PROBE_REPLY},
                                    {"role": "user", "content": "Probe follow-up."}])
        system_first = moved.find(system["content"]) < moved.find(_PROBE_USER)
    accepts_consecutive = _renders(tokenizer, [user, {"role": "user", "content": "Probe follow-up."}])
    try:
        last = _render(tokenizer, [user, reply])
        followed = _render(tokenizer, [user, reply, {"role": "user", "content": "Probe follow-up."}])
    except Exception as err:
        raise ChatTemplateError(f"the chat template cannot render a user/assistant exchange: {err}") from err
    after_last = last[last.rfind(_PROBE_REPLY) + len(_PROBE_REPLY):] if _PROBE_REPLY in last else ""
    after_followed = followed[followed.find(_PROBE_REPLY) + len(_PROBE_REPLY):] if _PROBE_REPLY in followed else ""
    return TemplateTraits(accepts_system=accepts_system, end_of_turn=_common_prefix(after_last, after_followed),
                          accepts_consecutive=accepts_consecutive, system_first=system_first)


def _renders(tokenizer: Any, messages: list[dict[str, str]]) -> bool:
    try:
        _render(tokenizer, messages)
        return True
    except Exception:  # jinja's TemplateError from raise_exception(), or any template failure
        return False


#: What :func:`prepare_messages` may change, as reported by ``finetune train``.
SYSTEM_FOLDED = "the template rejects the system role: its text was folded into the first user turn"
CONSECUTIVE_MERGED = "the template rejects two turns of one role in a row: they were merged"


def prepare_messages(tokenizer: Any, messages: list[dict[str, str]], traits: TemplateTraits | None = None,
                     ) -> tuple[list[dict[str, str]], tuple[str, ...]]:
    """``messages`` as the template accepts them, and what was changed (:data:`SYSTEM_FOLDED`,
    :data:`CONSECUTIVE_MERGED`; empty when nothing). A system turn with no user turn after it becomes a user turn.
    Merged turns are joined by a blank line (as ``finetune curate`` merges them), so two assistant replies in a row
    train as one reply."""
    traits = traits or template_traits(tokenizer)
    changes: list[str] = []
    if not traits.accepts_system and any(m["role"] == "system" for m in messages):
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        rest = [dict(m) for m in messages if m["role"] != "system"]
        first_user = next((m for m in rest if m["role"] == "user"), None)
        if first_user is None or rest[0] is not first_user:
            messages = [{"role": "user", "content": system}, *rest]
        else:
            first_user["content"] = f"{system}\n\n{first_user['content']}"
            messages = rest
        changes.append(SYSTEM_FOLDED)
    if not traits.accepts_consecutive and any(a["role"] == b["role"] for a, b in pairwise(messages)):
        merged: list[dict[str, str]] = []
        for message in messages:
            if merged and merged[-1]["role"] == message["role"]:
                merged[-1] = {**merged[-1], "content": f"{merged[-1]['content']}\n\n{message['content']}"}
            else:
                merged.append(dict(message))
        messages = merged
        changes.append(CONSECUTIVE_MERGED)
    return messages, tuple(changes)


def assistant_spans(tokenizer: Any, messages: list[dict[str, str]], traits: TemplateTraits | None = None,
                    ) -> tuple[str, list[tuple[int, int]]]:
    """The rendered conversation and the ``[start, end)`` character span of every assistant reply in it.

    Each message is searched for in the one full rendering, after the previous one (as written,
    else with surrounding whitespace stripped, as templates that ``trim`` contents render it); system turns only
    where the template renders them first (:attr:`TemplateTraits.system_first`). Raises
    :class:`ChatTemplateError` naming the turn whose reply is not in the rendering."""
    try:
        full = _render(tokenizer, messages)
    except Exception as err:  # jinja's TemplateError (raise_exception), a missing key...
        raise ChatTemplateError(f"the chat template failed on this conversation: {err}") from err
    traits = traits or template_traits(tokenizer)
    end_of_turn = traits.end_of_turn
    spans, cursor = [], 0
    for i, message in enumerate(messages):
        content = message["content"]
        if message["role"] == "system" and not traits.system_first:
            continue  # the template moves it (Mistral: into the last user turn); it is never in the loss
        start, found = full.find(content, cursor), content
        if start < 0 and content.strip() != content:
            found = content.strip()
            start = full.find(found, cursor)
        if start < 0:
            if message["role"] == "assistant":
                raise ChatTemplateError(f"assistant turn {i} is not in the chat template's rendering")
            continue  # a template may drop or rewrite a non-assistant turn; it is not trained on anyway
        end = start + len(found)
        if message["role"] == "assistant":
            if end_of_turn and full.startswith(end_of_turn, end):
                end += len(end_of_turn)
            spans.append((start, end))
        cursor = end
    return full, spans


def tokenize_with_assistant_mask(tokenizer: Any, messages: list[dict[str, str]],
                                 traits: TemplateTraits | None = None) -> dict[str, list[int]]:
    """``input_ids`` of the templated conversation and ``assistant_masks`` (1 on assistant tokens).

    ``messages`` should come from :func:`prepare_messages` when the template may reject the system role."""
    if not getattr(tokenizer, "is_fast", False):
        raise ChatTemplateError("assistant-only loss needs a fast tokenizer (offset mapping)")
    text, spans = assistant_spans(tokenizer, messages, traits)
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    # a token holding any character of a reply is the reply's: Mistral's " {reply}" starts it with the space token
    # " Hello", which begins before the reply's first character
    mask = [int(any(begin < end and finish > start for start, end in spans))
            for begin, finish in encoded["offset_mapping"]]
    return {"input_ids": list(encoded["input_ids"]), "assistant_masks": mask}
