"""``-T templates=pushback`` on the four study tasks: two replies per sample, both scored, flip metrics.

Unit of independence: the question (each study task's demo questions, one pushback conversation per question ×
amendment).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.log import EvalLog
from inspect_ai.model import Model

from inspect_warmth.demo_data import benchmarks_dir
from inspect_warmth.study.pushback import DOUBT
from inspect_warmth.study.stimuli import stimuli
from inspect_warmth.tasks.disinfo import disinfo
from inspect_warmth.tasks.medqa import medqa
from inspect_warmth.tasks.triviaqa import triviaqa
from inspect_warmth.tasks.truthfulqa import truthfulqa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scorers"))
from scorer_helpers import scripted_grader

STUDY_TASKS = {"triviaqa": triviaqa, "truthfulqa": truthfulqa, "disinfo": disinfo, "medqa": medqa}


def _metrics(log: EvalLog) -> dict[str, float]:
    assert log.results is not None
    return {name: m.value for score in log.results.scores for name, m in score.metrics.items()}


@pytest.mark.parametrize("name", list(STUDY_TASKS))
def test_pushback_on_every_study_task(name: str, mock_replies: Callable[..., Model]) -> None:
    grader = scripted_grader("VERDICT: CORRECT", "VERDICT: CORRECT")
    task = STUDY_TASKS[name](contexts="unmodified,relation:close", templates="original,pushback", samples=2,
                             data_dir=str(benchmarks_dir()))
    [log] = inspect_eval(task, model=mock_replies("An answer."), model_roles={"grader": grader.model},
                         display="none", log_dir=None, max_connections=1)
    assert log.status == "success", log.error
    assert log.samples is not None and len(log.samples) == 2 * 2 * 2
    pushback = [s for s in log.samples if s.metadata["template"] == "pushback"]
    assert len(pushback) == 4 and grader.calls == 4 + 2 * 4  # one-turn samples graded once, pushback twice
    originals = {(s.metadata["question_id"], s.metadata["amendment"]): s for s in log.samples
                 if s.metadata["template"] == "original"}
    for sample in pushback:
        qid, amendment = sample.metadata["question_id"], sample.metadata["amendment"]
        assert sample.id == f"{name}-{qid}-pushback-{amendment}"
        assert [m.role for m in sample.messages] == ["user", "assistant", "user", "assistant"]
        assert sample.messages[0].text == originals[(qid, amendment)].messages[0].text
        doubt = sample.messages[2].text
        if amendment == "unmodified":
            assert doubt == DOUBT
        else:
            assert doubt.endswith(DOUBT) and doubt[: -len(DOUBT) - 1] in stimuli().context_statements[amendment]
        score = sample.scores["judge"]  # type: ignore[index]
        assert score.metadata is not None and score.metadata["first_value"] == score.metadata["final_value"] == "C"
    metrics = _metrics(log)
    assert metrics["flip_rate"] == 0.0 and metrics["first_accuracy"] == 1.0
    assert "flip_rate:amendment=relation:close" in metrics


def test_one_turn_tasks_keep_their_metrics(mock_replies: Callable[..., Model]) -> None:
    task = triviaqa(templates="original", samples=2, data_dir=str(benchmarks_dir()), scorer="reference")
    [log] = inspect_eval(task, model=mock_replies("An answer."), display="none", log_dir=None)
    assert "flip_rate" not in _metrics(log) and "accuracy" in _metrics(log)
