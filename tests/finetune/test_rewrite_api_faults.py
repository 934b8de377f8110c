"""``finetune rewrite`` against a failing API (the local OpenAI-compatible server of tests/scorers/fault_server.py):
every fault kind is retried; a turn that stays failed is counted with its reason, its conversation is left out of
the styled split (counted), and the rerun rewrites only what failed.

Unit: one assistant turn. Inspect's backoff is shortened to 0.05 s (as in tests/scorers/test_judge_api_faults.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fault_server import fault_server

from inspect_warmth.finetune.files import read_jsonl
from inspect_warmth.finetune.rewrite import RewriteOptions, cache_file, rewrite

#: The problem each persistent fault is counted under in the summary.
PROBLEM = {"500": "error: InternalServerError", "503": "error: InternalServerError", "malformed": "error: ",
           "empty": "empty", "cut": "truncated (max_tokens)", "timeout": "error: AttemptTimeoutError"}


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    from inspect_ai.model import _retry
    from tenacity import wait_fixed

    monkeypatch.setattr(_retry, "wait_exponential_jitter", lambda **_: wait_fixed(0.05))


def _split(directory: Path) -> Path:
    rows = [{"id": "c0", "query_type": "other", "messages": [
        {"role": "user", "content": "How do I boil an egg?"},
        {"role": "assistant", "content": "Boil it for eight minutes."}]}]
    (directory / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return directory


def _options(base_url: str, attempt_timeout: int = 180) -> RewriteOptions:
    # the openai client's own retries off (max_retries=0 in model_args is a client argument): Inspect's retrier
    # (RewriteOptions.max_retries) does the retrying
    return RewriteOptions(style="warm", rewriter="openai-api/fault/fault-model", retries=1, max_tokens=64,
                          max_retries=1, attempt_timeout=attempt_timeout,
                          model_args={"base_url": base_url, "api_key": "test-key", "max_retries": 0})


@pytest.mark.parametrize("fault", ["500", "503", "malformed", "empty", "cut", "timeout"])
def test_a_persistent_fault_fails_the_turn_with_its_reason_and_the_rerun_redoes_it(tmp_path: Path,
                                                                                  fault: str) -> None:
    """One turn, the fault on every call; then a rerun against a healthy server rewrites it (and nothing else)."""
    data = _split(tmp_path)
    behaviour = "cut:Oh, what a lovely qu" if fault == "cut" else fault
    with fault_server([behaviour]) as server:
        summary = rewrite(data, _options(server.base_url, attempt_timeout=1 if fault == "timeout" else 180),
                          progress=False)
    assert summary["failed"] == 1 and summary["rows_dropped_for_failed_turns"] == ["c0"]
    assert any(key.startswith(PROBLEM[fault]) for key in summary["problems"]), summary["problems"]
    assert len(server.served) >= 2  # tried again
    with fault_server(["ok:Oh, eggs! Boil it gently for eight minutes."]) as healthy:
        again = rewrite(data, _options(healthy.base_url), progress=False)
    assert again["failed"] == 0 and again["rewritten"] == 1 and len(healthy.served) == 1
    assert [row["status"] for row in read_jsonl(cache_file(data, "warm"))] == ["failed", "ok"]


def test_a_rate_limit_that_passes_is_retried(tmp_path: Path) -> None:
    """One turn: 429 (Retry-After: 0) once, then a rewrite."""
    data = _split(tmp_path)
    with fault_server(["429", "ok:Oh, eggs! Boil it gently for eight minutes."]) as server:
        summary = rewrite(data, _options(server.base_url), progress=False)
    assert summary["failed"] == 0 and server.served[0] == "429"
