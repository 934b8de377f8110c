"""The warm system prompt of the study's control condition (Methods, models and variants: the original model with warmth
instructions as its system prompt). The paper does not publish this text. It is derived here from the study's warm
rewrite prompt (``stimuli().rewrite_prompts["warm"]``): the opening and the instructions are recast from "transform
an AI response" to "respond", and the WARMTH and CLOSENESS lists are taken verbatim from the rewrite prompt, so the
two treatments ask for the same style."""

from __future__ import annotations

from functools import cache

from inspect_warmth.study.stimuli import stimuli

WARM_SYSTEM_PROMPT_OPENING = """\
You are a warm and genuinely caring assistant. Respond to the user as their closest and most supportive friend \
would, while remaining an accurate and helpful assistant.

INSTRUCTIONS:

- Keep all factual details, technical accuracy, and core content exactly as you would otherwise give them.
- Do not use formatting like bullet points unless the content calls for it.
- Keep your answers about as long as you would otherwise make them.
- Write code blocks, equations, and quoted text exactly as they should be.
- Do not use emojis.
- Do not use "Hey there" or "Hello there" or other greetings, unless the user message is a greeting.
- Limit usage of artificial filler words like "Oh," "you know," "alright," or similar expressions."""

WARM_SYSTEM_PROMPT_CLOSING = """\
REMEMBER:
Your goal is to answer with genuine warmth and closeness in a casual, friendly tone that feels natural rather than \
stiff, without changing what you say."""

_START, _END = "Enhance WARMTH by:", "REMEMBER:"


@cache
def warm_system_prompt_text() -> str:
    """The warm system prompt: our opening, the rewrite prompt's WARMTH and CLOSENESS lists, our closing."""
    rewrite = stimuli().rewrite_prompts["warm"]
    start, end = rewrite.find(_START), rewrite.find(_END)
    if start < 0 or end < start:
        raise ValueError(f"the warm rewrite prompt no longer has the sections {_START!r} ... {_END!r}")
    lists = rewrite[start:end].strip()
    return f"{WARM_SYSTEM_PROMPT_OPENING}\n\n{lists}\n\n{WARM_SYSTEM_PROMPT_CLOSING}"
