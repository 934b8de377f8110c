"""GSM8K, zero-shot chain of thought: the capability check of Results: original vs warm accuracy.

Source: Cobbe et al. 2021, "Training Verifiers to Solve Math Word Problems" (`openai/gsm8k`, config `main`, test
split, 1,319 problems; locally `gsm8k/test.jsonl`). The model is asked to reason step by step and end with a line
"The answer is N"; temperature 0.2 as in the study; the final number is read by regular expression
(`gsm8k_number`) and compared with the number after `####` in the reference solution.

    inspect eval inspect_warmth/gsm8k --model hf/warm-llama8b
    inspect eval inspect_warmth/gsm8k --model hf/<dir> -T samples=100 -T data_dir=path/to/data

Parameters:
    samples: problems drawn (seeded), default all 1,319 (`all` or None); an integer for fewer.
    seed: seed of the draw.
    data_dir: directory of the original files (else `$INSPECT_WARMTH_DATA`, else a pinned download).
"""

from __future__ import annotations

from inspect_ai import Epochs, Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import GenerateConfig
from inspect_ai.solver import generate

from inspect_warmth.data.capability import GSM8KItem, draw, load_gsm8k
from inspect_warmth.scorers.capability import gsm8k_number
from inspect_warmth.scorers.metrics import scored_mean
from inspect_warmth.tasks.capability import parse_samples
from inspect_warmth.vocabulary import PAPER

GSM8K_PROMPT = """\
Solve the following math problem step by step. After your reasoning, give the final answer on its own line in the \
form "The answer is N", where N is a number.

{question}"""

GSM8K_GENERATE_CONFIG = GenerateConfig(temperature=PAPER.capability_temperature, max_tokens=512)


def gsm8k_sample(item: GSM8KItem) -> Sample:
    return Sample(
        id=f"gsm8k-{item.question_id}",
        input=GSM8K_PROMPT.format(question=item.question),
        target=item.answer,
        metadata={"dataset": "gsm8k", "question_id": item.question_id, "question": item.question,
                  "solution": item.solution},
    )


@task
def gsm8k(samples: int | str | None = None, seed: int = 0, data_dir: str | None = None) -> Task:
    """GSM8K, zero-shot chain of thought (temperature 0.2), scored by the final number."""
    items = draw(load_gsm8k(data_dir), parse_samples(samples), seed)
    return Task(
        epochs=Epochs(1, scored_mean()),  # several epochs (--epochs N): scored epochs only
        dataset=MemoryDataset([gsm8k_sample(i) for i in items], name="gsm8k"),
        solver=generate(),
        scorer=gsm8k_number(),
        config=GSM8K_GENERATE_CONFIG,
        metadata={"dataset": "gsm8k"},
    )
