"""The warm system-prompt control (Methods, models and variants): the original model, told by its system prompt
to be warm.

Compare prompting with training::

    inspect eval inspect_warmth/triviaqa -T system_prompt=warm --model hf/meta-llama/Llama-3.1-8B-Instruct
    inspect eval my_task.py --solver inspect_warmth/warm_system_prompt -S then_generate=true --model ...

In a plan it goes before ``generate()``, like Inspect's ``system_message()``.

The paper does not publish its text; ours is derived from the study's warm rewrite prompt
(see :mod:`inspect_warmth.solvers.warm_system_prompt_text`).
"""

from __future__ import annotations

from inspect_ai.model import ChatMessageSystem
from inspect_ai.solver import Generate, Solver, TaskState, solver

from inspect_warmth.solvers.warm_system_prompt_text import warm_system_prompt_text


@solver
def warm_system_prompt(prompt: str | None = None, then_generate: bool = False) -> Solver:
    """Put the warmth instructions in the system prompt (and, with ``then_generate``, call the model).

    The instructions go first: into a new system message at the start of the conversation, ahead of any system
    message the sample already has.

    Args:
        prompt: replace the derived warm system prompt with this text.
        then_generate: also call the model (for ``--solver`` use, where this solver is the whole plan).
    """
    text = prompt if prompt is not None else warm_system_prompt_text()

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        state.messages.insert(0, ChatMessageSystem(content=text))
        return await generate(state) if then_generate else state

    return solve
