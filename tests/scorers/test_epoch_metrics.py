"""Several epochs: task metrics count the scored epochs only and report the unscored ones.

Unit of independence: the sample (epochs of one sample are reduced to one value first, as Inspect does).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from inspect_ai import Epochs, Task, eval
from inspect_ai.dataset import Sample
from inspect_ai.model import ModelOutput, get_model
from inspect_ai.scorer import Score, Target, scorer
from inspect_ai.solver import TaskState, generate
from scorer_helpers import with_usage

from inspect_warmth.scorers.metrics import scored_mean, study_metrics

#: Per sample, the value of epochs 1, 2, 3 ("N": the judge could not give a verdict).
SCRIPT = {"a": ["C", "N", "C"], "b": ["I", "C", "N"], "c": ["N", "N", "N"], "d": ["I", "I", "I"]}


@scorer(metrics=study_metrics())
def scripted() -> Any:
    async def score(state: TaskState, target: Target) -> Score:
        value = SCRIPT[str(state.sample_id)][state.epoch - 1]
        reason = "unparsable" if value == "N" else None
        return Score(value=value, metadata={"refusal": False, "unscored_reason": reason})

    return score


def _metrics(tmp_path: Path, reducer: Any) -> dict[str, float]:
    samples = [Sample(id=k, input="q", target="a", metadata={"question_id": k, "amendment": "unmodified",
                                                              "template": "original"}) for k in SCRIPT]
    outputs = [with_usage(ModelOutput.from_content("mockllm/model", "a")) for _ in range(3 * len(SCRIPT))]
    model = get_model("mockllm/model", custom_outputs=outputs, memoize=False)
    [log] = eval(Task(dataset=samples, solver=generate(), scorer=scripted(), epochs=Epochs(1, reducer)),
                 model=model, epochs=3, log_dir=str(tmp_path), display="none")
    assert log.status == "success", log.error
    assert log.results is not None
    return {name: m.value for name, m in log.results.scores[0].metrics.items()}


def test_scored_epochs_only(tmp_path: Path) -> None:
    metrics = _metrics(tmp_path, scored_mean())
    # a: 2 of 2 scored epochs right (1.0); b: 1 of 2 (0.5); d: 0 of 3; c: no scored epoch, left out
    assert metrics["accuracy"] == pytest.approx((1.0 + 0.5 + 0.0) / 3)
    assert metrics["unscored"] == 1  # c
    assert metrics["unscored_epochs"] == 1 + 1 + 3


def test_inspect_mean_reducer_would_count_unscored_epochs_as_wrong(tmp_path: Path) -> None:
    """The reason for the reducer: under Inspect's ``mean`` a's "N" epoch counts as 0."""
    metrics = _metrics(tmp_path, "mean")
    assert metrics["accuracy"] != pytest.approx((1.0 + 0.5 + 0.0) / 3)


def test_reducer_keeps_counts_and_first_scored_metadata() -> None:
    reduce = scored_mean()
    out = reduce([Score(value="N", metadata={"unscored_reason": "r", "refusal": True}),
                  Score(value="C", metadata={"unscored_reason": None, "refusal": False}), Score(value="I")])
    assert out.value == pytest.approx(0.5)
    assert out.metadata == {"unscored_reason": None, "refusal": False, "unscored_epochs": 1, "scored_epochs": 2}
    none = reduce([Score(value="N", metadata={"unscored_reason": None}), Score(value=float("nan"))])
    assert none.value == "N" and none.metadata["unscored_reason"] == "no epoch scored"


def test_study_tasks_reduce_with_scored_mean() -> None:
    """A bare ``--epochs N`` keeps the task's reducer (Inspect's ``resolve_task_epochs``)."""
    from inspect_ai._eval.task.task import resolve_task_epochs

    from inspect_warmth.demo_data import benchmarks_dir
    from inspect_warmth.tasks.triviaqa import triviaqa

    task = triviaqa(samples=2, data_dir=str(benchmarks_dir()), scorer="reference")
    epochs = resolve_task_epochs(task, Epochs(3))
    assert epochs.epochs == 3
    [reducer] = epochs.reducer or []
    assert reducer.__registry_info__.name.split("/")[-1] == "scored_mean"  # package prefix when installed
