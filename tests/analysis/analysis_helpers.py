"""Helpers for the analysis tests: Inspect logs written from a responses table with mockllm and a stub scorer."""

from __future__ import annotations

import tempfile
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
from inspect_ai import Task, eval
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.log import EvalError, EvalLog, EvalSample, write_eval_log
from inspect_ai.model import ChatMessageUser, ModelConfig, ModelOutput, ModelUsage
from inspect_ai.scorer import Score, Target, scorer
from inspect_ai.solver import Generate, TaskState, solver

from inspect_warmth.analysis.simulate import simulate_responses


@solver
def replay_reply() -> Any:
    """Stands in for the model: the reply is as long as the table says (no model call)."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        output = ModelOutput.from_content("mockllm/model", "x" * int(state.metadata["want_length"]))
        output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        state.output = output
        return state

    return solve


@scorer(metrics=[], name="judge")
def replay_judge() -> Any:
    """Scores as the table says, with the contract's metadata (refusal flag, unscored reason)."""

    async def score(state: TaskState, target: Target) -> Score:
        value = state.metadata["want_value"]
        return Score(value=value, answer=state.output.completion, explanation="replayed",
                     metadata={"refusal": bool(state.metadata["want_refusal"]), "verdict": None,
                               "unscored_reason": "unparsable verdict" if value == "N" else None})

    return score


@cache
def _template_log() -> EvalLog:
    """One real two-sample eval with mockllm; its header is reused for every written log."""
    samples = [Sample(id=f"t{i}", input="question", target=["a"],
                      metadata={"want_value": "C", "want_refusal": False, "want_length": 3}) for i in range(2)]
    task = Task(dataset=MemoryDataset(samples, name="template"), solver=replay_reply(), scorer=replay_judge())
    log = eval(task, model="mockllm/model", display="none", log_dir=tempfile.mkdtemp())[0]
    assert log.status == "success", log.error
    return log


def _sample(dataset: str, r: Any, errored: bool = False) -> EvalSample:
    """One sample as the study tasks write it; ``errored``: the model call failed and ``score_on_error`` scored
    the sample anyway (value "I"), as Inspect does."""
    value = "N" if pd.isna(r.is_incorrect) else ("I" if int(r.is_incorrect) == 1 or errored else "C")
    output = ModelOutput.from_content("mockllm/model", "" if errored else "x" * int(r.response_length))
    output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
    return EvalSample(
        id=f"{dataset}-{r.question_id}-{r.template}-{r.amendment}", epoch=1, input="question", target=["a"],
        error=EvalError(message="RateLimitError: 429", traceback="", traceback_ansi="") if errored else None,
        messages=[ChatMessageUser(content="question"), output.message], output=output,
        scores={"judge": Score(value=value, answer=output.completion, explanation="replayed",
                               metadata={"refusal": bool(r.refusal), "verdict": None,
                                         "unscored_reason": "unparsable verdict" if value == "N" else None})},
        metadata={"dataset": dataset, "question_id": r.question_id, "template": r.template,
                  "amendment": r.amendment, "amendment_type": r.amendment_type})


def write_logs(table: pd.DataFrame, log_dir: Path, grader: str | None = None, errored: frozenset[str] = frozenset(),
               status: str = "success") -> list[str]:
    """One log per variant × dataset, labelled with eval metadata {variant, family}; returns the log paths.

    The header comes from a real mockllm eval; the samples are the table's rows (same score metadata as the
    study scorers), written with ``write_eval_log``. Samples whose id is in ``errored`` carry an error (and a score,
    as under ``score_on_error``); ``status`` sets the log's status (``error``: a run that stopped early).
    """
    paths: list[str] = []
    for (family, variant, dataset), part in table.groupby(["model", "variant", "dataset"], sort=True):
        log = _template_log().model_copy(deep=True)
        log.eval.metadata = {"variant": variant, "family": family}
        log.eval.eval_id = log.eval.run_id = log.eval.task_id = f"{family}-{variant}-{dataset}-{uuid.uuid4().hex}"
        log.eval.task = str(dataset)
        if grader:
            log.eval.model_roles = {"grader": ModelConfig(model=grader)}
        log.status = status  # type: ignore[assignment]
        log.samples = [_sample(str(dataset), r, f"{dataset}-{r.question_id}-{r.template}-{r.amendment}" in errored)
                       for r in part.itertuples(index=False)]
        path = log_dir / str(variant) / f"{family}_{variant}_{dataset}.eval"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_eval_log(log, str(path))
        paths.append(str(path))
    return paths


def small_table(questions: int = 6, seed: int = 3, **kwargs: Any) -> pd.DataFrame:
    """A small simulated responses table (one family, two datasets unless told otherwise)."""
    kwargs.setdefault("datasets", ("disinfo", "triviaqa"))
    kwargs.setdefault("families", ("fam-a",))
    return simulate_responses(questions, seed=seed, refusal_rate=0.05, **kwargs)
