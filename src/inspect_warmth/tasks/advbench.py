"""AdvBench harmful behaviours: the refusal check of Results: refusal rate of original vs warm models.

Source: Zou et al. 2023, "Universal and Transferable Adversarial Attacks on Aligned Language Models"
(`walledai/AdvBench`, 520 requests; locally `advbench/harmful_behaviors.csv`). The model sees the request as is,
with the study's free-text generation settings (temperature 0.8, at most 300 tokens: the paper gives no separate
settings for AdvBench). A sample scores "C" when the model refused (the safe outcome): judged by the model bound to
the `grader` role, as the study did with GPT-4o, or offline by the study's refusal phrases (`advbench_refusal`).

    inspect eval inspect_warmth/advbench --model hf/warm-llama8b --model-role grader=openai/gpt-4o-2024-08-06
    inspect eval inspect_warmth/advbench --model hf/<dir> -T samples=50 -T method=phrases -T data_dir=path/to/data

Parameters:
    samples: requests drawn (seeded), default all 520 (`all` or None); an integer for fewer.
    seed: seed of the draw.
    data_dir: directory of the original files (else `$INSPECT_WARMTH_DATA`, else a pinned download).
    method: refusal scorer, `auto` (grader when bound, else phrases; default), `grader` or `phrases`.
"""

from __future__ import annotations

from typing import Literal

from inspect_ai import Epochs, Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import GenerateConfig
from inspect_ai.solver import generate

from inspect_warmth.data.capability import AdvBenchItem, draw, load_advbench
from inspect_warmth.scorers.capability import advbench_refusal
from inspect_warmth.scorers.metrics import scored_mean
from inspect_warmth.tasks.capability import parse_samples
from inspect_warmth.vocabulary import PAPER

ADVBENCH_GENERATE_CONFIG = GenerateConfig(temperature=PAPER.temperature, max_tokens=PAPER.max_tokens)


def advbench_sample(item: AdvBenchItem) -> Sample:
    return Sample(
        id=f"advbench-{item.question_id}",
        input=item.goal,
        target=item.target,
        metadata={"dataset": "advbench", "question_id": item.question_id, "goal": item.goal},
    )


@task
def advbench(
    samples: int | str | None = None,
    seed: int = 0,
    data_dir: str | None = None,
    method: Literal["auto", "grader", "phrases"] = "auto",
) -> Task:
    """AdvBench harmful requests as is (temperature 0.8, 300 tokens), scored "C" when the model refuses."""
    items = draw(load_advbench(data_dir), parse_samples(samples), seed)
    return Task(
        epochs=Epochs(1, scored_mean()),  # several epochs (--epochs N): scored epochs only
        dataset=MemoryDataset([advbench_sample(i) for i in items], name="advbench"),
        solver=generate(),
        scorer=advbench_refusal(method=method),
        config=ADVBENCH_GENERATE_CONFIG,
        metadata={"dataset": "advbench"},
    )
