"""The judge against a failing API (a local OpenAI-compatible server, tests/scorers/fault_server.py): every fault
kind is retried, and what stays failed is scored "N" with its reason, counted by the ``unscored`` metric, never a
crash and never a silent wrong answer.

Unit: one judged reply per test. Inspect's backoff between retries is shortened to 0.05 s here (its own
``wait_exponential_jitter`` starts at 3 s); a persistent 429 still takes about 20 s (Inspect's rate-limit handling
waits on its own), so that case is marked slow.
"""

from __future__ import annotations

import pytest
from fault_server import FAULTS, fault_model, fault_server
from scorer_helpers import STUDY_METADATA, make_state, run_scorer, study_target

from inspect_warmth.scorers.judge import judge

#: What the unscored reason says for each fault that persists.
REASON = {
    "429": "call failed: RateLimitError",
    "500": "call failed: InternalServerError",
    "503": "call failed: InternalServerError",
    "timeout": "call failed: AttemptTimeoutError",
    "malformed": "call failed:",
    "empty": "empty response",
    "cut": "verdict cut at max_tokens",
}


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    from inspect_ai.model import _retry
    from tenacity import wait_fixed

    monkeypatch.setattr(_retry, "wait_exponential_jitter", lambda **_: wait_fixed(0.05))


def _judge_with(script: list[str]) -> tuple[object, list[str]]:
    meta = STUDY_METADATA["triviaqa"]
    # a per-attempt timeout below the server's slow answer only where the script has one (it bounds the openai
    # client's own retries too, which honour Retry-After)
    timeout = {"attempt_timeout": 1} if any(s.startswith("timeout") for s in script) else {}
    with fault_server(script) as server:
        grader = fault_model(server, max_retries=1, **timeout)
        score = run_scorer(judge(max_attempts=2), make_state("Paris", meta, study_target(meta)), grader)
    return score, server.served


def _behaviour(fault: str) -> str:
    return "cut:The reply names Paris. VERD" if fault == "cut" else fault


@pytest.mark.parametrize("fault", [pytest.param(f, marks=pytest.mark.slow) if f == "429" else f for f in FAULTS])
def test_a_fault_that_persists_is_unscored_with_its_reason(fault: str) -> None:
    """Each fault, on every call: the judge gives up after its attempts and says why."""
    score, served = _judge_with([_behaviour(fault)])
    assert score.value == "N", score  # type: ignore[attr-defined]
    reason = score.metadata["unscored_reason"]  # type: ignore[attr-defined]
    assert reason.startswith("judge gave no verdict after 2 attempt(s)") and REASON[fault] in reason, reason
    assert len(served) >= 2, served  # retried, not given up at the first failure


@pytest.mark.parametrize("fault", FAULTS)
def test_a_passing_fault_is_retried_and_the_reply_scored(fault: str) -> None:
    """Each fault once, then a good verdict: the reply is scored as if nothing happened."""
    score, served = _judge_with([_behaviour(fault), "ok:Paris is named.\nVERDICT: CORRECT"])
    assert score.value == "C", score  # type: ignore[attr-defined]
    assert served[0] == _behaviour(fault) and served[-1].startswith("ok:")


@pytest.mark.slow
def test_unscored_replies_are_counted_by_the_task_metric(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit: a task of three samples whose grader fails on the second only (empty responses on each of its
    calls; the HTTP faults are covered reply by reply above)."""
    from inspect_ai import Task, eval
    from inspect_ai.dataset import Sample
    from inspect_ai.model._providers.mockllm import MockLLM
    from inspect_ai.solver import generate

    async def count_tokens(*args: object, **kwargs: object) -> int:  # instead of a tiktoken download (offline)
        return 1

    monkeypatch.setattr(MockLLM, "count_tokens", count_tokens)

    meta = STUDY_METADATA["triviaqa"]
    samples = [Sample(input=f"q{i}", target=study_target(meta), metadata=meta, id=i) for i in range(3)]
    ok = "ok:VERDICT: CORRECT"
    with fault_server([ok, "empty", "empty", ok]) as server:
        grader = fault_model(server, max_retries=1, max_connections=1)
        log = eval(Task(dataset=samples, solver=generate(), scorer=judge(max_attempts=2)),
                   model="mockllm/model", model_roles={"grader": grader}, display="none", log_dir=None,
                   max_samples=1, score_display=False)[0]
    assert log.status == "success" and log.results is not None
    metrics = log.results.scores[0].metrics
    assert metrics["unscored"].value == 1
    reasons = [s.scores["judge"].metadata["unscored_reason"] for s in log.samples or []  # type: ignore[index]
               if s.scores and s.scores["judge"].value == "N"]
    assert len(reasons) == 1 and "empty response" in reasons[0]
