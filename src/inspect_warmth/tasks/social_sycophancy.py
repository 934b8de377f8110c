"""Social sycophancy (ELEPHANT, Cheng et al. 2025): the study's fifth measure, on advice questions and AITA posts.

`-T dataset=oeq`: open-ended advice questions; each reply is rated by the grader role on ELEPHANT's four
behaviours (emotional validation, indirect language, indirect action, accepting the user's framing).
`-T dataset=aita`: AITA posts the community judged at fault (AITA-YTA), asked as the authors' binary setting
("Output only YTA or NTA."); the reply's verdict is read by rule and endorsement = "not at fault". `all` (default)
runs both. Metrics: one rate per behaviour (`endorsement_rate` on AITA) and its count of unscored replies.

    inspect eval inspect_warmth/social_sycophancy --model hf/warm-llama8b \
        --model-role grader=openai/gpt-4o-2024-08-06 -T dataset=oeq
    inspect eval inspect_warmth/social_sycophancy --model hf/<dir> -T dataset=aita -T scorer=reference

Parameters:
    dataset: `oeq`, `aita` or `all` (both; default).
    contexts: `unmodified` (default), context keys such as `emotion:sad`, or `all`: the study's context
        statement goes before the post, assigned balanced and seeded as in the other tasks.
    samples: prompts drawn per dataset (seeded); default all (the study's full sets).
    seed: seed of the draw and of the statement assignment.
    data_dir: directory holding `elephant/OEQ.csv` and `elephant/AITA.csv` (the authors' layout; the 10-row
        `*_sample.csv` files are read when the full ones are absent), else `$INSPECT_WARMTH_DATA`, else the
        authors' repository.
    scorer: `judge` (default; OEQ needs a grader model role) or `reference` (no model: AITA verdicts only, OEQ
        replies kept but unscored with the reason).
    system_prompt: `warm` for the warm system-prompt control, default none.
    replies: `model` (default) or `human`: OEQ only, the human reply of the file (column `human`) is scored
        instead of a generation, no model is called; with the file's human labels (`<behaviour>_human`) this
        validates the judge: `inspect-warmth agreement LOG --social` (agreement and Cohen's kappa per behaviour).

Generation: the study's settings (temperature 0.8, at most 300 tokens). Sample ids are
`{dataset}-{prompt_id}-original-{amendment}`; AITA posts judged not at fault are left out, counted in the task's
metadata (`left_out`).
"""

from __future__ import annotations

from typing import Any

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ChatMessageAssistant, ModelOutput
from inspect_ai.solver import Generate, Solver, TaskState, generate, solver

from inspect_warmth.vocabulary import SOCIAL_DATASETS, STUDY_SCORERS


def parse_social_datasets(dataset: str) -> tuple[str, ...]:
    """``oeq``, ``aita``, ``oeq,aita`` or ``all`` -> the datasets, in the benchmark's order."""
    parts = {p.strip() for p in str(dataset).split(",") if p.strip()}
    if "all" in parts:
        return SOCIAL_DATASETS
    unknown = parts - set(SOCIAL_DATASETS)
    if unknown or not parts:
        raise ValueError(f"social_sycophancy: unknown dataset {dataset!r}; expected oeq, aita or all")
    return tuple(d for d in SOCIAL_DATASETS if d in parts)


def social_samples(dataset: str, *, contexts: str | list[str], samples: int | None, seed: int,
                   data_dir: str | None) -> tuple[list[Sample], dict[str, int]]:
    """The samples of one ELEPHANT dataset under the asked contexts, and its rows left out by reason."""
    import random

    from inspect_warmth.data.elephant import load_elephant
    from inspect_warmth.scorers.elephant_prompts import AITA_INSTRUCTION
    from inspect_warmth.study.conditions import CONTEXTS, Condition, assign_statements, parse_contexts

    loaded = load_elephant(dataset, data_dir)
    prompts = sorted(loaded.prompts, key=lambda p: p.prompt_id)
    if samples is not None and samples < 1:
        raise ValueError(f"samples must be at least 1, got {samples}")
    if samples is not None and samples < len(prompts):
        prompts = sorted(random.Random(seed).sample(prompts, samples), key=lambda p: p.prompt_id)
    ids = [p.prompt_id for p in prompts]
    out: list[Sample] = []
    for amendment in parse_contexts(contexts):
        assignment = assign_statements(ids, "original", amendment, seed) if amendment in CONTEXTS else {}
        for p in prompts:
            condition = Condition("original", amendment, assignment.get(p.prompt_id))
            statement = condition.statement
            text = p.prompt if statement is None else f"{statement} {p.prompt}"
            metadata: dict[str, Any] = {
                "dataset": dataset, "question_id": p.prompt_id, "prompt": p.prompt, "template": "original",
                "amendment": amendment, "amendment_type": condition.amendment_type,
                "statement_index": condition.statement_index, "row": p.row, **p.extra,
            }
            out.append(Sample(id=f"{dataset}-{p.prompt_id}-original-{amendment}",
                              input=text + (AITA_INSTRUCTION if dataset == "aita" else ""), metadata=metadata))
    return out, dict(loaded.left_out)


@solver
def human_reply() -> Solver:
    """The sample's human reply (metadata ``human``) as the output, without calling the model."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        text = str(state.metadata["human"])
        state.output = ModelOutput.from_content("human", text)
        state.messages.append(ChatMessageAssistant(content=text))
        return state

    return solve


@task
def social_sycophancy(
    dataset: str = "all",
    contexts: str | list[str] = "unmodified",
    samples: int | None = None,
    seed: int = 0,
    data_dir: str | None = None,
    scorer: str = "judge",
    system_prompt: str | None = None,
    replies: str = "model",
) -> Task:
    """Social sycophancy (ELEPHANT): OEQ behaviours by the grader role, AITA-YTA moral endorsement by rule."""
    from inspect_warmth.scorers.elephant import elephant
    from inspect_warmth.tasks.study import STUDY_GENERATE_CONFIG, _system_prompt

    if scorer not in STUDY_SCORERS:
        raise ValueError(f"social_sycophancy: unknown scorer {scorer!r}; expected one of {', '.join(STUDY_SCORERS)}")
    if replies not in ("model", "human"):
        raise ValueError(f"social_sycophancy: replies must be model or human, got {replies!r}")
    datasets = parse_social_datasets(dataset)
    if replies == "human" and datasets != ("oeq",):
        raise ValueError("social_sycophancy: replies=human needs dataset=oeq (only OEQ has human replies)")
    all_samples: list[Sample] = []
    left_out: dict[str, int] = {}
    for name in datasets:
        made, dropped = social_samples(name, contexts=contexts, samples=samples, seed=seed, data_dir=data_dir)
        all_samples += made
        left_out.update(dropped)
    if replies == "human":
        missing = [s.metadata["row"] for s in all_samples if not (s.metadata or {}).get("human")]
        if missing:
            raise ValueError(f"social_sycophancy: replies=human, but OEQ row(s) {missing[:5]} have no human reply "
                             "(column 'human')")
        for sample in all_samples:
            sample.metadata = {**(sample.metadata or {}), "reply_source": "human"}
    return Task(
        dataset=MemoryDataset(all_samples, name="social_sycophancy"),
        solver=[human_reply()] if replies == "human" else [*_system_prompt(system_prompt), generate()],
        scorer=elephant(judge=scorer == "judge"),
        config=STUDY_GENERATE_CONFIG,
        metadata={"datasets": list(parse_social_datasets(dataset)), "seed": seed, "left_out": left_out},
    )
