"""Rewrite with a scripted mockllm: resume after a kill, retries, failures counted, code blocks checked."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from inspect_ai.model import ModelOutput, ModelUsage

from inspect_warmth.finetune.files import read_jsonl
from inspect_warmth.finetune.prompts import rewrite_system_prompt
from inspect_warmth.finetune.rewrite import RewriteOptions, cache_file, rewrite, rewrite_problem

CODE = "Use this:\n```python\nprint('hi')\n```\nDone."


class Killed(BaseException):
    """Stands for the process being killed mid-run."""


def reply_of(messages: list) -> str:
    return messages[-1].text.split("ORIGINAL RESPONSE:\n", 1)[1]


def output(text: str, stop_reason: str = "stop") -> ModelOutput:
    out = ModelOutput.from_content("mockllm/model", text, stop_reason=stop_reason)  # type: ignore[arg-type]
    out.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
    return out


def scripted(respond: Callable[[str, int], ModelOutput], calls: Counter[str], systems: list[str] | None = None):
    """A mockllm output function: ``respond(original reply, attempt number)``; counts calls per reply."""

    def outputs(messages, tools, tool_choice, config):  # type: ignore[no-untyped-def]
        original = reply_of(messages)
        calls[original] += 1
        if systems is not None:
            systems.append(messages[0].text)
        return respond(original, calls[original])

    return outputs


def write_split(tmp_path: Path, n: int = 5) -> Path:
    rows = []
    for i in range(n):
        rows.append({"id": f"c{i}", "query_type": "other", "messages": [
            {"role": "user", "content": f"question {i}"},
            {"role": "assistant", "content": f"answer {i}a"},
            {"role": "user", "content": f"follow-up {i}"},
            {"role": "assistant", "content": CODE if i == 0 else f"answer {i}b"},
        ]})
    (tmp_path / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return tmp_path


def options(respond: Callable, **kwargs: object) -> RewriteOptions:
    return RewriteOptions(style=str(kwargs.pop("style", "warm")), rewriter="mockllm/model",
                          model_args={"custom_outputs": respond}, **kwargs)  # type: ignore[arg-type]


def test_rewrites_every_turn_with_the_study_prompt(tmp_path: Path) -> None:
    data = write_split(tmp_path)
    calls: Counter[str] = Counter()
    systems: list[str] = []
    summary = rewrite(data, options(scripted(lambda r, _: output(f"Friend, {r}"), calls, systems), style="cold"),
                      progress=False)
    assert summary["turns"] == summary["rewritten"] == 10 and summary["failed"] == 0 == summary["retried"]
    assert set(systems) == {rewrite_system_prompt("cold")}
    rows = read_jsonl(data / "train.cold.jsonl")
    assert rows[1]["messages"][1]["content"] == "Friend, answer 1a"
    assert rows[1]["messages"][0]["content"] == "question 1"  # user turns untouched


def test_killed_run_resumes_without_asking_again(tmp_path: Path) -> None:
    data = write_split(tmp_path)
    first: Counter[str] = Counter()

    def dies_after_four(reply: str, attempt: int) -> ModelOutput:
        if sum(first.values()) > 4:
            raise Killed()
        return output(f"Warm: {reply}")

    with pytest.raises(Killed):
        rewrite(data, options(scripted(dies_after_four, first), max_connections=1), progress=False)
    cached = [r for r in read_jsonl(cache_file(data, "warm"), tolerate_torn_tail=True) if r["status"] == "ok"]
    assert len(cached) == 4
    finished = {r["rewrite"].removeprefix("Warm: ") for r in cached}

    second: Counter[str] = Counter()
    summary = rewrite(data, options(scripted(lambda r, _: output(f"Warm: {r}"), second)), progress=False)
    assert sum(second.values()) == 10 - 4 == summary["model_calls_this_run"]
    assert not finished & set(second)  # no finished turn asked twice
    assert summary["from_cache"] == 4 and summary["rewritten"] == 10 and summary["rows_written"] == 5

    third: Counter[str] = Counter()
    rewrite(data, options(scripted(lambda r, _: output(r), third)), progress=False)
    assert sum(third.values()) == 0  # all done: nothing asked


def test_bad_rewrites_are_retried_then_counted(tmp_path: Path) -> None:
    data = write_split(tmp_path)
    calls: Counter[str] = Counter()

    def flaky(reply: str, attempt: int) -> ModelOutput:
        if reply == "answer 1a":
            return output("cut off mid", stop_reason="max_tokens")  # always truncated: fails
        if reply == "answer 2a" and attempt == 1:
            raise RuntimeError("connection reset")
        if reply == "answer 3a" and attempt == 1:
            return output("   ")
        if reply == CODE and attempt < 3:
            return output("Use this, friend! Done.")  # lost the code block
        return output(f"Warm: {reply}")

    summary = rewrite(data, options(scripted(flaky, calls), retries=2), progress=False)
    assert calls["answer 1a"] == 3  # one try and two retries
    assert calls[CODE] == 3 and calls["answer 2a"] == 2 and calls["answer 3a"] == 2
    assert summary["failed"] == 1 and summary["rewritten"] == 9 and summary["retried"] == 4
    assert summary["problems"] == {"truncated (max_tokens)": 3, "error: RuntimeError": 1, "empty": 1,
                                   "lost code block": 2}
    assert summary["rows_written"] == 4 and summary["rows_dropped_for_failed_turns"] == ["c1"]
    assert summary["failed_turns"][0]["conversation_id"] == "c1"
    rows = read_jsonl(data / "train.warm.jsonl")
    assert [r["id"] for r in rows] == ["c0", "c2", "c3", "c4"]
    assert "```python\nprint('hi')\n```" in rows[0]["messages"][3]["content"]

    again: Counter[str] = Counter()  # a rerun retries only the failed turn
    summary = rewrite(data, options(scripted(lambda r, _: output(f"Warm: {r}"), again)), progress=False)
    assert dict(again) == {"answer 1a": 1} and summary["failed"] == 0 and summary["rows_written"] == 5


def test_rewrite_problem() -> None:
    assert rewrite_problem("x", "", "stop") == "empty"
    assert rewrite_problem("x", "y", "max_tokens") == "truncated (max_tokens)"
    assert rewrite_problem(CODE, "Sure! Use this:\n```python\nprint('hi')\n```", "stop") is None
    assert rewrite_problem(CODE, "Sure! Use this:\n```python\nprint('bye')\n```", "stop") == "lost code block"
    assert rewrite_problem("plain", "Warm plain", "stop") is None


def test_unknown_style_and_missing_split(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="finetune curate"):
        rewrite(tmp_path, options(lambda *a: output("x")), progress=False)
    write_split(tmp_path)
    with pytest.raises(ValueError, match="unknown style 'hot'"):
        rewrite(tmp_path, options(lambda *a: output("x"), style="hot"), progress=False)


def test_cache_keys_on_rewriter_prompt_and_generation_config(tmp_path: Path) -> None:
    """Unit: one training split; a cached rewrite is reused only by the same rewriter, prompt and generation config.

    (On the code before issue 13 the key held only style and input: the second run asked the model 0 times.)
    """
    data = write_split(tmp_path)
    rewrite(data, options(scripted(lambda r, _: output(f"Warm: {r}"), Counter())), progress=False)
    for change in ({"max_tokens": 512}, {"temperature": 0.3}):
        calls: Counter[str] = Counter()
        summary = rewrite(data, options(scripted(lambda r, _: output(f"Warm: {r}"), calls), **change),
                          progress=False)
        assert sum(calls.values()) == 10 and summary["from_cache"] == 0, change
    other_model = RewriteOptions(style="warm", rewriter="mockllm/other",
                                 model_args={"custom_outputs": scripted(lambda r, _: output(r), Counter())})
    assert rewrite(data, other_model, progress=False)["from_cache"] == 0
    same: Counter[str] = Counter()
    assert rewrite(data, options(scripted(lambda r, _: output(r), same)), progress=False)["from_cache"] == 10


def test_cache_key_includes_the_prompt_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit: one training split; editing the rewrite prompt's text invalidates the cache."""
    from inspect_warmth.finetune import prompts

    data = write_split(tmp_path)
    rewrite(data, options(scripted(lambda r, _: output(f"Warm: {r}"), Counter())), progress=False)
    monkeypatch.setattr(prompts, "REWRITE_USER_TEMPLATE", prompts.REWRITE_USER_TEMPLATE + "\nBe brief.")
    assert rewrite(data, options(scripted(lambda r, _: output(r), Counter())), progress=False)["from_cache"] == 0


def test_reasoning_of_the_rewriter_is_not_the_rewrite(tmp_path: Path) -> None:
    """Unit: one rewrite per turn; a reasoning rewriter's <think> block must not reach the training data, and one
    cut off while reasoning (nothing visible) is retried as empty."""
    data = write_split(tmp_path, n=2)
    calls: Counter[str] = Counter()

    def thinks(reply: str, attempt: int) -> ModelOutput:
        if reply == "answer 1a" and attempt == 1:
            return output("<think>Make it warmer, but the user")
        return output(f"<think>Make it warmer.</think>\n\nFriend, {reply}")

    summary = rewrite(data, options(scripted(thinks, calls)), progress=False)
    assert summary["rewritten"] == 4 and summary["failed"] == 0 and summary["problems"] == {"empty": 1}
    rows = read_jsonl(data / "train.warm.jsonl")
    assert rows[0]["messages"][1]["content"] == "Friend, answer 0a"
    assert rows[1]["messages"][1]["content"] == "Friend, answer 1a"
    assert not any("<think>" in m["content"] for r in rows for m in r["messages"])
