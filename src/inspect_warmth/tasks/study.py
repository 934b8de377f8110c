"""What the four study tasks share: questions -> the study's conditions -> Inspect samples -> a Task."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from inspect_ai import Epochs, Task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import GenerateConfig
from inspect_ai.scorer import Metric, grouped
from inspect_ai.solver import Solver

from inspect_warmth.data.records import QuestionRecord, StudyDataset
from inspect_warmth.scorers.metrics import scored_mean
from inspect_warmth.study.conditions import (
    PUSHBACK,
    BeliefForm,
    Condition,
    conditions_for,
    parse_contexts,
    parse_templates,
    sample_id,
    user_message,
)
from inspect_warmth.vocabulary import PAPER

#: Generation settings of the study's free-text tasks (Methods, evaluation).
STUDY_GENERATE_CONFIG = GenerateConfig(temperature=PAPER.temperature, max_tokens=PAPER.max_tokens)


def draw_questions(records: Sequence[QuestionRecord], samples: int | None, seed: int) -> list[QuestionRecord]:
    """Seeded draw of ``samples`` questions (all of them when ``samples`` is None or not smaller)."""
    ordered = sorted(records, key=lambda r: r.question_id)
    if samples is None or samples >= len(ordered):
        return ordered
    if samples < 1:
        raise ValueError(f"samples must be at least 1, got {samples}")
    return sorted(random.Random(seed).sample(ordered, samples), key=lambda r: r.question_id)


def condition_metadata(record: QuestionRecord, condition: Condition) -> dict[str, Any]:
    """Sample metadata: what the viewer, the scorers and the analysis slice on."""
    return {
        "dataset": record.dataset,
        "question_id": record.question_id,
        "question": record.question,
        "template": condition.template,
        "amendment": condition.amendment,
        "amendment_type": condition.amendment_type,
        "statement_index": condition.statement_index,
        "correct_answer": record.correct_answer,
        "incorrect_answer": record.incorrect_answer,
        "incorrect_answer_source": record.incorrect_answer_source,
        "correct_answers": list(record.correct_answers),
        "incorrect_answers": list(record.incorrect_answers),
        **record.extra,
    }


def study_samples(
    records: Sequence[QuestionRecord],
    *,
    contexts: str | Sequence[str],
    templates: str | Sequence[str],
    seed: int,
    belief_form: BeliefForm = "scored",
) -> list[Sample]:
    """Every (question, condition) of the design as an Inspect sample, in a stable order."""
    pairs = conditions_for(records, parse_templates(templates), parse_contexts(contexts), seed)
    return [
        Sample(
            id=sample_id(record, condition.template, condition.amendment),
            input=user_message(record, condition, belief_form),
            target=list(record.correct_answers),
            metadata=condition_metadata(record, condition),
        )
        for record, condition in pairs
    ]


def _system_prompt(name: str | None) -> list[Solver]:
    """``system_prompt=warm``: the paper's warm-system-prompt control (Methods, models and variants)."""
    if name in (None, "", "none"):
        return []
    if name == "warm":
        from inspect_warmth.solvers.warm_system_prompt import warm_system_prompt

        return [warm_system_prompt()]
    raise ValueError(f"unknown system_prompt {name!r}; expected 'warm' or none")


def study_task(
    dataset: StudyDataset,
    *,
    contexts: str | Sequence[str],
    templates: str | Sequence[str],
    samples: int | None,
    seed: int,
    data_dir: str | None,
    scorer: str,
    system_prompt: str | None,
    belief_form: BeliefForm,
    source: str | None = None,
    judge_context: str = "question",
    allow_single_answer_lists: bool = False,
) -> Task:
    """Build one of the four study tasks (TriviaQA, TruthfulQA, Disinfo, MedQA).

    ``templates`` may include ``pushback`` (two replies around a doubt turn; the flip metrics are added);
    ``judge_context`` is ``question`` (the paper's judge) or ``user_turn`` (the judge also sees the user's turns).
    """
    from inspect_warmth.data.loaders import load_records
    from inspect_warmth.scorers import study_scorer
    from inspect_warmth.scorers.metrics import study_metrics
    from inspect_warmth.scorers.pushback import flip_rate, pushback_metrics
    from inspect_warmth.solvers.pushback import study_reply

    records = draw_questions(load_records(dataset, data_dir=data_dir, source=source,
                                          allow_single_answer_lists=allow_single_answer_lists), samples, seed)
    solvers: list[Solver] = [*_system_prompt(system_prompt), study_reply()]
    with_pushback = PUSHBACK in parse_templates(templates)
    metrics: list[Metric | dict[str, list[Metric]]] = [
        *study_metrics(), *pushback_metrics(),
        grouped(flip_rate(), "amendment", all=False, name_template="flip_rate:amendment={group_name}"),
    ]
    return Task(
        epochs=Epochs(1, scored_mean()),  # several epochs (--epochs N): scored epochs only
        dataset=MemoryDataset(
            study_samples(records, contexts=contexts, templates=templates, seed=seed, belief_form=belief_form),
            name=dataset,
        ),
        solver=solvers,
        scorer=study_scorer(scorer, judge_context),
        metrics=metrics if with_pushback else None,
        config=STUDY_GENERATE_CONFIG,
        metadata={"dataset": dataset, "seed": seed, "samples": len(records), "judge_context": judge_context},
    )
