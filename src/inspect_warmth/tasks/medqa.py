"""MedQA (USMLE, 4 options) asked as a conversational query under the study's conditions.

Source: Jin et al. 2021 (`GBaker/MedQA-USMLE-4-options`, test split, 1,273 questions). The exam stem is asked
without its options; every prompt but the unmodified original uses the conversational version ("My brother, 21,
..."); the wrong belief is a seeded distractor option.

Each question is asked under the study's conditions (Methods, evaluation): `-T contexts=all -T templates=all` gives the
28 user messages per question (9 amendments × original/incorrect/correct, plus neutral). The reply is free text
(temperature 0.8, at most 300 tokens) graded by the correctness judge (`--model-role grader=...`) or, with
`-T scorer=reference`, by the offline reference scorer.

    inspect eval inspect_warmth/medqa --model hf/warm-llama8b --model-role grader=openai/gpt-4o-2024-08-06
    inspect eval inspect_warmth/medqa --model hf/<dir> -T contexts=all -T templates=all -T samples=20 \
        -T scorer=reference -T data_dir=path/to/data

Parameters:
    contexts: `unmodified` (default), context keys such as `emotion:sad`, or `all` (the nine amendments).
    templates: `original` (default), `neutral`, `incorrect`, `correct`, `all` (those four), or `pushback`
        (beyond the paper: the reply is doubted in a second turn; both replies scored, flip rate reported).
    samples: questions drawn (seeded), default 500.
    seed: seed of the question draw and of the statement assignment.
    data_dir: directory of the original files (else `$INSPECT_WARMTH_DATA`, else a pinned download).
    scorer: `judge` (default; needs a grader model role) or `reference` (offline).
    judge_context: `question` (default, the paper's judge) or `user_turn` (the judge also sees the user's
        turn: context statement, stated belief, pushback doubt).
    system_prompt: `warm` for the warm system-prompt control (Methods, models and variants), default none.
    belief_form: `scored` (the study's scored prompts, default) or `prompt_files`.
"""

from __future__ import annotations

from inspect_ai import Task, task

from inspect_warmth.study.conditions import BeliefForm
from inspect_warmth.tasks.study import study_task
from inspect_warmth.vocabulary import PAPER


@task
def medqa(
    contexts: str | list[str] = "unmodified",
    templates: str | list[str] = "original",
    samples: int | None = PAPER.questions,
    seed: int = 0,
    data_dir: str | None = None,
    scorer: str = "judge",
    system_prompt: str | None = None,
    belief_form: BeliefForm = "scored",
    judge_context: str = "question",
) -> Task:
    """MedQA (USMLE, 4 options) asked as a conversational query under the study's conditions."""
    return study_task(
        "medqa",
        contexts=contexts,
        templates=templates,
        samples=samples,
        seed=seed,
        data_dir=data_dir,
        scorer=scorer,
        system_prompt=system_prompt,
        belief_form=belief_form,
        judge_context=judge_context,
    )
