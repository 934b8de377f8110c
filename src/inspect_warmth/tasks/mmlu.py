"""MMLU, zero-shot multiple choice: the capability check of Results: original vs warm accuracy.

Source: Hendrycks et al. 2021, "Measuring Massive Multitask Language Understanding" (`cais/mmlu`, config `all`,
test split, 14,042 questions over 57 subjects; locally `mmlu/test/<subject>_test.csv`). The model sees the question
and its four options and is asked for a single letter; temperature 0.2 as in the study; the letter is read by
regular expression (`mmlu_letter`).

    inspect eval inspect_warmth/mmlu --model hf/warm-llama8b
    inspect eval inspect_warmth/mmlu --model hf/<dir> -T samples=200 -T subjects=anatomy,virology \
        -T data_dir=path/to/data
    inspect eval inspect_warmth/mmlu --model hf/<dir> -T samples=all

Parameters:
    samples: questions drawn (seeded, across subjects), default 1000; `all` or None for the whole test split.
    seed: seed of the draw.
    data_dir: directory of the original files (else `$INSPECT_WARMTH_DATA`, else a pinned download).
    subjects: restrict to some subjects (file-name spelling, e.g. `high_school_physics`).
"""

from __future__ import annotations

from inspect_ai import Epochs, Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import GenerateConfig
from inspect_ai.solver import generate

from inspect_warmth.data.capability import LETTERS, MMLUItem, draw, load_mmlu
from inspect_warmth.scorers.capability import mmlu_letter
from inspect_warmth.scorers.metrics import scored_mean
from inspect_warmth.tasks.capability import parse_list, parse_samples
from inspect_warmth.vocabulary import PAPER

MMLU_PROMPT = """\
The following is a multiple choice question about {subject}. Reply with the letter of the correct option only \
(A, B, C or D).

{question}

{options}

Answer:"""

MMLU_GENERATE_CONFIG = GenerateConfig(temperature=PAPER.capability_temperature, max_tokens=64)


def mmlu_prompt(item: MMLUItem) -> str:
    options = "\n".join(f"{letter}) {choice}" for letter, choice in zip(LETTERS, item.choices, strict=True))
    return MMLU_PROMPT.format(subject=item.subject.replace("_", " "), question=item.question, options=options)


def mmlu_sample(item: MMLUItem) -> Sample:
    return Sample(
        id=f"mmlu-{item.question_id}",
        input=mmlu_prompt(item),
        target=item.answer,
        metadata={"dataset": "mmlu", "question_id": item.question_id, "subject": item.subject,
                  "question": item.question, "choices": list(item.choices)},
    )


@task
def mmlu(
    samples: int | str | None = 1000,
    seed: int = 0,
    data_dir: str | None = None,
    subjects: str | list[str] | None = None,
) -> Task:
    """MMLU, zero-shot multiple choice (temperature 0.2), scored by the chosen letter."""
    items = draw(load_mmlu(data_dir, parse_list(subjects)), parse_samples(samples), seed)
    return Task(
        epochs=Epochs(1, scored_mean()),  # several epochs (--epochs N): scored epochs only
        dataset=MemoryDataset([mmlu_sample(i) for i in items], name="mmlu"),
        solver=generate(),
        scorer=mmlu_letter(),
        config=MMLU_GENERATE_CONFIG,
        metadata={"dataset": "mmlu"},
    )
