"""How a reply is put to the rewriter. The system message is the study's rewrite prompt for the style
(``stimuli().rewrite_prompts``, Methods, fine-tuning); the user turn's framing is not published: this one gives the
rewriter the user's message and the original reply and asks for the rewritten reply only."""

from __future__ import annotations

from inspect_warmth.study.stimuli import stimuli

REWRITE_USER_TEMPLATE = """\
Rewrite the AI response below following your instructions. Reply with the rewritten response only: no preamble, \
no explanation, no quotation marks around it.

USER MESSAGE:
{user_message}

ORIGINAL RESPONSE:
{reply}"""


def rewrite_system_prompt(style: str) -> str:
    """The study's rewrite prompt for ``style`` (``warm`` or ``cold``)."""
    prompts = stimuli().rewrite_prompts
    if style not in prompts:
        raise ValueError(f"unknown style {style!r}; expected one of {sorted(prompts)}")
    return prompts[style]


def rewrite_user_message(user_message: str, reply: str) -> str:
    return REWRITE_USER_TEMPLATE.format(user_message=user_message, reply=reply)
