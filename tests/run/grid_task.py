"""A tiny study-shaped task for the grid runner tests (same parameters and sample metadata as the study tasks)."""

from __future__ import annotations

from typing import Any

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import GenerateConfig
from inspect_ai.scorer import Score, Target, scorer
from inspect_ai.solver import TaskState, generate


@scorer(metrics=[], name="judge")
def alternating_judge() -> Any:
    """Odd question numbers incorrect, with the study scorers' metadata."""

    async def score(state: TaskState, target: Target) -> Score:
        wrong = int(state.metadata["question_id"][1:]) % 2 == 1
        return Score(value="I" if wrong else "C", answer=state.output.completion,
                     metadata={"refusal": False, "verdict": None, "unscored_reason": None})

    return score


@task
def tiny(contexts: str = "unmodified", templates: str = "original", samples: int | None = 3, seed: int = 0,
         data_dir: str | None = None, scorer: str = "judge") -> Task:
    """``samples`` questions × (unmodified, emotion:sad) × (original, incorrect) when asked for ``all``."""
    amendments = ["unmodified", "emotion:sad"] if contexts == "all" else ["unmodified"]
    template_names = ["original", "incorrect"] if templates == "all" else ["original"]
    items = [
        Sample(id=f"tiny-q{q}-{t}-{a}", input=f"question {q} ({t}, {a})", target=["a"],
               metadata={"dataset": "triviaqa", "question_id": f"q{q}", "template": t, "amendment": a,
                         "amendment_type": a.split(":")[0]})
        for q in range(samples or 3) for t in template_names for a in amendments
    ]
    return Task(dataset=MemoryDataset(items, name="tiny"), solver=generate(), scorer=alternating_judge(),
                config=GenerateConfig(temperature=0.8, max_tokens=300))
