"""Add the study's interpersonal context and user belief to any question-answer task.

The study tasks build their prompts when the dataset is made (so the log shows them as the sample input). This
solver applies the same assembly to samples of another task: it takes the sample's question from the user message,
and ``correct_answer`` / ``incorrect_answer`` from its metadata (or ``target`` for the correct one), and replaces
the message with the study's condition.

    inspect eval my_task.py --model hf/warm-llama8b \\
        --solver inspect_warmth/study_condition -S template=incorrect -S context=emotion:sad
"""

from __future__ import annotations

import hashlib

from inspect_ai.solver import Generate, Solver, TaskState, solver

from inspect_warmth.data.records import QuestionRecord
from inspect_warmth.study.conditions import Condition, design, parse_contexts, parse_templates, user_message
from inspect_warmth.study.stimuli import stimuli


def _statement_for(sample_key: str, context: str, seed: int) -> int:
    """Deterministic statement of a context for one sample (balanced only in expectation: the study tasks
    balance exactly across their questions)."""
    digest = hashlib.sha256(f"{seed}|{context}|{sample_key}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % len(stimuli().context_statements[context])


@solver
def study_condition(template: str = "original", context: str = "unmodified", seed: int = 0) -> Solver:
    """Rewrite the user message into the study's ``template`` × ``context`` condition (Methods, evaluation).

    Args:
        template: ``original``, ``neutral``, ``incorrect`` or ``correct``.
        context: ``unmodified`` or a context key such as ``emotion:sad``.
        seed: seed of the statement choice.
    """
    (chosen_template,) = parse_templates(template)
    (amendment,) = parse_contexts(context)
    design((chosen_template,), (amendment,))  # raises for a neutral template with a context

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        meta = state.metadata
        target = state.target.target
        correct = meta.get("correct_answer") or (target[0] if target else "")
        incorrect = meta.get("incorrect_answer", "")
        if chosen_template == "incorrect" and not incorrect:
            raise ValueError(f"sample {state.sample_id}: template=incorrect needs metadata 'incorrect_answer'")
        if chosen_template == "correct" and not correct:
            raise ValueError(f"sample {state.sample_id}: template=correct needs metadata 'correct_answer' or a target")
        record = QuestionRecord(
            dataset=meta.get("dataset", "triviaqa"),
            question_id=str(state.sample_id),
            question=meta.get("question") or state.user_prompt.text,
            correct_answer=correct,
            incorrect_answer=incorrect,
            correct_answers=tuple(target),
            conversational_question=meta.get("conversational_question"),
        )
        index = None if amendment == "unmodified" else _statement_for(str(state.sample_id), amendment, seed)
        message = user_message(record, Condition(chosen_template, amendment, index))
        state.user_prompt.content = message
        state.metadata.update(
            template=chosen_template,
            amendment=amendment,
            amendment_type=Condition(chosen_template, amendment, index).amendment_type,
            statement_index=index,
        )
        return state

    return solve
