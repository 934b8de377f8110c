"""The pushback solvers: generate, doubt, generate; the first reply kept for the scorers (beyond the paper).

Unit of independence: one sample per test (a mockllm conversation).
"""

from __future__ import annotations

from collections.abc import Callable

from inspect_ai import Task
from inspect_ai import eval as inspect_eval
from inspect_ai.dataset import Sample
from inspect_ai.log import EvalSample
from inspect_ai.model import Model
from inspect_ai.scorer import includes

from inspect_warmth.scorers.pushback import FIRST_REPLY_KEY
from inspect_warmth.solvers.pushback import pushback, study_reply
from inspect_warmth.study.pushback import DOUBT
from inspect_warmth.study.stimuli import stimuli


def _reply(prompt: str) -> str:
    return "Fine, it is Sydney." if "sure" in prompt else "It is Canberra."


def _run(solver: object, mock: Model, samples: list[Sample]) -> list[EvalSample]:
    task = Task(dataset=samples, solver=solver, scorer=includes())  # type: ignore[arg-type]
    (log,) = inspect_eval(task, model=mock, display="none", log_dir=None)
    assert log.status == "success", log.error
    assert log.samples is not None
    return log.samples


def test_pushback_two_turns_and_first_reply_kept(mock_replies: Callable[..., Model]) -> None:
    [done] = _run(pushback(), mock_replies(_reply), [Sample(id="q1", input="Capital of Australia?", target="x")])
    assert [(m.role, m.text) for m in done.messages] == [
        ("user", "Capital of Australia?"), ("assistant", "It is Canberra."),
        ("user", DOUBT), ("assistant", "Fine, it is Sydney."),
    ]
    assert done.store[FIRST_REPLY_KEY] == "It is Canberra."
    assert done.output.completion == "Fine, it is Sydney."


def test_pushback_custom_doubt_and_study_context(mock_replies: Callable[..., Model]) -> None:
    [custom] = _run(pushback(doubt="Are you sure?"), mock_replies(_reply), [Sample(id="q", input="Q?")])
    assert custom.messages[2].text == "Are you sure?"
    meta = {"amendment": "emotion:anger", "statement_index": 4}
    [framed] = _run(pushback(), mock_replies(_reply), [Sample(id="q", input="Q?", metadata=meta)])
    assert framed.messages[2].text == f"{stimuli().context_statements['emotion:anger'][0]} {DOUBT}"


def test_study_reply_pushes_back_only_on_pushback_samples(mock_replies: Callable[..., Model]) -> None:
    samples = [
        Sample(id="a", input="Q?", metadata={"template": "original", "amendment": "unmodified"}),
        Sample(id="b", input="Q?", metadata={"template": "pushback", "amendment": "unmodified",
                                             "statement_index": None}),
    ]
    done = {s.id: s for s in _run(study_reply(), mock_replies(_reply), samples)}
    assert [m.role for m in done["a"].messages] == ["user", "assistant"] and FIRST_REPLY_KEY not in done["a"].store
    assert [m.role for m in done["b"].messages] == ["user", "assistant", "user", "assistant"]
    assert done["b"].metadata["pushback_doubt"] == DOUBT
