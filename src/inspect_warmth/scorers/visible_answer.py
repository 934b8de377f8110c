"""The answer a reader sees: a reply without its reasoning, for every scorer (refusal rule, judge, reference,
capability scorers) and for the grader's own verdicts.

Inspect already keeps reasoning out of ``ModelOutput.completion`` when the provider returns it as
``ContentReasoning`` (``ChatMessage.text`` joins only the text parts), and its OpenAI-compatible providers parse a
``<think>`` block into ``ContentReasoning`` when asked to. A model served without a reasoning parser leaves the block
in the text; :func:`strip_reasoning` removes it there:

* every complete ``<think …>…</think>`` block (nested ones too), by Inspect's own parser
  (``inspect_ai.model._reasoning.parse_content_with_reasoning``, 0.3.285; a private module, imported only here);
* text up to a closing ``</think>`` without an opening tag (chat templates such as Qwen3's and DeepSeek-R1's put
  ``<think>`` in the prompt, so the reply starts inside the block);
* a reply that starts with ``<think>`` and never closes it (generation stopped while reasoning): no visible answer.

Only what is scored changes: the stored completion, reasoning included, stays in the log; scorers report the visible
answer as ``Score.answer``.
"""

from __future__ import annotations

import re

from inspect_ai.model import ModelOutput
from inspect_ai.model._reasoning import parse_content_with_reasoning

_CLOSE = "</think>"
_UNTERMINATED_START = re.compile(r"^\s*<think\b[^>]*>")


def strip_reasoning(text: str) -> str:
    """``text`` without its ``<think>`` reasoning (see the module docstring); unchanged when it has none."""
    visible, capsule = parse_content_with_reasoning(text)
    if capsule is None and _CLOSE not in text and not _UNTERMINATED_START.match(text):
        return text
    while capsule is not None:
        visible, capsule = parse_content_with_reasoning(visible)
    if _CLOSE in visible:
        visible = visible.rsplit(_CLOSE, 1)[1]
    if _UNTERMINATED_START.match(visible):
        return ""
    return visible.strip()


def visible_answer(output: ModelOutput) -> str:
    """The reply of ``output`` as a reader sees it: ``output.completion`` (which holds no ``ContentReasoning``)
    without ``<think>`` blocks."""
    return strip_reasoning(output.completion)
