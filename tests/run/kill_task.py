"""A study-shaped task slow enough to be killed mid-run: each sample waits ``delay`` seconds, then replies (the reply is
made here, not by a model, so nothing needs a tokenizer or the network)."""

from __future__ import annotations

import asyncio
from typing import Any

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ModelOutput, ModelUsage
from inspect_ai.scorer import Score, Target, scorer
from inspect_ai.solver import Generate, TaskState, solver


@solver
def wait_and_reply(delay: float) -> Any:
    async def solve(state: TaskState, generate: Generate) -> TaskState:
        await asyncio.sleep(delay)
        state.output = ModelOutput.from_content("mockllm/model", f"reply to {state.input_text}")
        state.output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        return state

    return solve


@scorer(metrics=[], name="judge")
def always_correct() -> Any:
    async def score(state: TaskState, target: Target) -> Score:
        return Score(value="C", answer=state.output.completion,
                     metadata={"refusal": False, "verdict": None, "unscored_reason": None})

    return score


@task
def slow(contexts: str = "unmodified", templates: str = "original", samples: int | None = 12, seed: int = 0,
         data_dir: str | None = None, scorer: str = "judge", delay: float = 0.25) -> Task:
    """``samples`` questions, each sample ``delay`` seconds long."""
    items = [Sample(id=f"slow-q{q}", input=f"question {q}", target=["a"],
                    metadata={"dataset": "triviaqa", "question_id": f"q{q}", "template": "original",
                              "amendment": "unmodified", "amendment_type": "unmodified"})
             for q in range(samples or 12)]
    return Task(dataset=MemoryDataset(items, name="slow"), solver=wait_and_reply(delay), scorer=always_correct())
