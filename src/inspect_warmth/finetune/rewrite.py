"""Step 2 of fine-tuning: rewrite every assistant reply of the training split in a style (warm or cold).

Any Inspect model can be the rewriter (``openai/gpt-4o-2024-08-06`` as in the paper, ``hf/...``, ``vllm/...``,
``mockllm/model`` in tests). Every finished turn is appended to ``DIR/rewrite.<style>.cache.jsonl`` the moment it
arrives, so a killed run resumes where it stopped and never asks the model again for a turn already rewritten.
A rewrite that errors, comes back empty, is cut off (``stop_reason == "max_tokens"``) or loses a code block of the
original is retried up to ``retries`` times, then recorded as failed (and retried again by the next run). Rows with
a failed turn are left out of ``train.<style>.jsonl`` and listed in ``rewrite.<style>.summary.json``: no row is lost
silently. A rewriter's reasoning (``<think>`` blocks, :mod:`inspect_warmth.scorers.visible_answer`) is not part of
the rewrite.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from inspect_warmth.finetune.files import (
    TRAIN_FILE,
    append_jsonl,
    cut_torn_tail,
    read_jsonl,
    styled_train_file,
    write_json,
    write_jsonl,
)
from inspect_warmth.finetune.prompts import rewrite_system_prompt, rewrite_user_message
from inspect_warmth.scorers.grader import describe_error
from inspect_warmth.scorers.visible_answer import visible_answer

_CODE_BLOCK = re.compile(r"```.*?```", re.DOTALL)


@dataclass
class RewriteOptions:
    """Options of ``finetune rewrite``."""

    style: str = "warm"
    rewriter: str = "openai/gpt-4o-2024-08-06"
    max_connections: int = 10
    retries: int = 3
    max_tokens: int | None = 4096
    temperature: float | None = None
    model_args: dict[str, Any] = field(default_factory=dict)
    #: Inspect's retries of one API call (rate limits, server errors, timeouts; with its backoff) before the
    #: attempt counts as failed; bounded, since Inspect's own default retries without end.
    max_retries: int = 5
    #: Seconds one API call may take before Inspect gives up on it (and retries it).
    attempt_timeout: int = 180


@dataclass(frozen=True)
class Turn:
    """One assistant reply to rewrite, with the user message it answers."""

    key: str
    conversation_id: str
    index: int
    user_message: str
    reply: str


def cache_file(data_dir: Path, style: str) -> Path:
    return data_dir / f"rewrite.{style}.cache.jsonl"


def summary_file(data_dir: Path, style: str) -> Path:
    return data_dir / f"rewrite.{style}.summary.json"


def generation_fingerprint(options: RewriteOptions) -> str:
    """What shapes a rewrite besides its input: rewriter model and its arguments, the style's system prompt and
    user-message template (their full text), and the generation config (max_tokens, temperature).

    Part of every cache key, so changing any of them rewrites again instead of reusing another setup's output.
    """
    from inspect_warmth.finetune.prompts import REWRITE_USER_TEMPLATE

    return json.dumps({"rewriter": options.rewriter, "model_args": options.model_args,
                       "system_prompt": rewrite_system_prompt(options.style), "user_template": REWRITE_USER_TEMPLATE,
                       "max_tokens": options.max_tokens, "temperature": options.temperature},
                      sort_keys=True, default=lambda value: type(value).__qualname__)  # (callables: by kind)


def turns_of(rows: list[dict[str, Any]], options: RewriteOptions) -> list[Turn]:
    """Every assistant turn of the split; the key hashes the generation fingerprint, style, conversation, position
    and text."""
    fingerprint = generation_fingerprint(options)
    style = options.style
    turns = []
    for row in rows:
        user_message = ""
        for index, message in enumerate(row["messages"]):
            if message["role"] == "user":
                user_message = message["content"]
            elif message["role"] == "assistant":
                raw = json.dumps([fingerprint, style, row["id"], index, user_message, message["content"]])
                key = hashlib.sha256(raw.encode()).hexdigest()[:24]
                turns.append(Turn(key, row["id"], index, user_message, message["content"]))
    return turns


def code_blocks(text: str) -> list[str]:
    """Fenced code blocks (```...```), fences included."""
    return _CODE_BLOCK.findall(text)


def rewrite_problem(original: str, rewrite: str, stop_reason: str) -> str | None:
    """Why a rewrite is not acceptable, or ``None`` when it is."""
    if not rewrite.strip():
        return "empty"
    if stop_reason == "max_tokens":
        return "truncated (max_tokens)"
    rewritten = rewrite.replace("\r\n", "\n")
    for block in code_blocks(original.replace("\r\n", "\n")):
        body = block.strip("`").strip()
        if body not in rewritten:
            return "lost code block"
    return None


def load_cache(path: Path) -> dict[str, dict[str, Any]]:
    """Latest cache row per key (a torn last line from a killed run is ignored)."""
    if not path.exists():
        return {}
    return {row["key"]: row for row in read_jsonl(path, tolerate_torn_tail=True)}


async def _rewrite_pending(turns: list[Turn], options: RewriteOptions, cache: Path, progress: bool) -> int:
    """Rewrite ``turns`` concurrently, appending each result to ``cache``; returns the number of model calls."""
    from inspect_ai.model import ChatMessageSystem, ChatMessageUser, GenerateConfig, get_model
    from tqdm.auto import tqdm

    model = get_model(options.rewriter, memoize=False, **options.model_args)
    config = GenerateConfig(
        max_connections=options.max_connections, max_tokens=options.max_tokens, temperature=options.temperature,
        max_retries=options.max_retries, attempt_timeout=options.attempt_timeout,
    )
    system = ChatMessageSystem(content=rewrite_system_prompt(options.style))
    semaphore = asyncio.Semaphore(options.max_connections)
    calls = 0
    bar = tqdm(total=len(turns), desc=f"rewrite ({options.style})", unit="turn", disable=not progress)

    # (the cache is appended to in this one event loop, one whole line at a time)
    cut_torn_tail(cache)
    with cache.open("a", encoding="utf-8") as handle:

        async def one(turn: Turn) -> None:
            nonlocal calls
            reasons: list[str] = []
            text, ok = "", False
            async with semaphore:
                for _ in range(options.retries + 1):
                    calls += 1
                    try:
                        output = await model.generate(
                            [system, ChatMessageUser(content=rewrite_user_message(turn.user_message, turn.reply))],
                            config=config,
                        )
                    except Exception as err:  # a call still failing after Inspect's retries: tried again, counted
                        reasons.append(f"error: {describe_error(err)}"[:300])
                        continue
                    if not output.choices:  # a response without choices (seen from proxies under load)
                        reasons.append("empty")
                        continue
                    text = visible_answer(output).strip()  # a reasoning rewriter's <think> is no rewrite
                    problem = rewrite_problem(turn.reply, text, str(output.stop_reason))
                    if problem is None:
                        ok = True
                        break
                    reasons.append(problem)
            row = {"key": turn.key, "conversation_id": turn.conversation_id, "turn": turn.index,
                   "status": "ok" if ok else "failed", "rewrite": text if ok else None,
                   "attempts": len(reasons) + ok, "problems": reasons}
            append_jsonl(handle, row)
            bar.update(1)

        try:
            await asyncio.gather(*(one(turn) for turn in turns))
        finally:
            bar.close()
    return calls


def rewrite(data_dir: Path, options: RewriteOptions, *, progress: bool = True) -> dict[str, Any]:
    """Rewrite ``DIR/train.jsonl`` into ``DIR/train.<style>.jsonl``; resumable; returns the summary."""
    source = data_dir / TRAIN_FILE
    if not source.exists():
        raise FileNotFoundError(f"{source} not found; run `inspect-warmth finetune curate --out {data_dir}` first")
    if options.retries < 0 or options.max_connections < 1:
        raise ValueError("--retries must be >= 0 and --max-connections >= 1")
    rewrite_system_prompt(options.style)  # validates the style before any work
    rows = read_jsonl(source)
    turns = turns_of(rows, options)
    cache = cache_file(data_dir, options.style)
    finished = {k for k, row in load_cache(cache).items() if row["status"] == "ok"}
    pending = [t for t in turns if t.key not in finished]
    calls = asyncio.run(_rewrite_pending(pending, options, cache, progress)) if pending else 0

    results = load_cache(cache)
    by_key = {t.key: t for t in turns}
    status = {key: results.get(key, {"status": "missing"}) for key in by_key}
    failed_keys = {k for k, r in status.items() if r["status"] != "ok"}
    out_rows, dropped_rows = [], []
    turn_keys: dict[tuple[str, int], str] = {(t.conversation_id, t.index): t.key for t in turns}
    for row in rows:
        keys = [turn_keys[(row["id"], i)] for i, m in enumerate(row["messages"]) if m["role"] == "assistant"]
        if any(k in failed_keys for k in keys):
            dropped_rows.append(row["id"])
            continue
        messages = [
            {**m, "content": status[turn_keys[(row["id"], i)]]["rewrite"]} if m["role"] == "assistant" else m
            for i, m in enumerate(row["messages"])
        ]
        out_rows.append({**row, "messages": messages, "style": options.style})
    write_jsonl(data_dir / styled_train_file(options.style), out_rows)

    problems: Counter[str] = Counter()
    for key in by_key:
        for reason in status[key].get("problems", []):
            problems[":".join(reason.split(":", 2)[:2]) if reason.startswith("error") else reason] += 1
    summary = {
        "style": options.style,
        "rewriter": options.rewriter,
        "turns": len(turns),
        "rewritten": len(turns) - len(failed_keys),
        "from_cache": len(turns) - len(pending),
        "retried": sum(1 for k in by_key if status[k].get("attempts", 0) > 1 or status[k]["status"] == "failed"),
        "failed": len(failed_keys),
        "model_calls_this_run": calls,
        "problems": dict(problems),
        "rows": len(rows),
        "rows_written": len(out_rows),
        "rows_dropped_for_failed_turns": dropped_rows,
        "failed_turns": [
            {"conversation_id": by_key[k].conversation_id, "turn": by_key[k].index,
             "problems": status[k].get("problems", [])}
            for k in sorted(failed_keys)
        ],
        "options": {k: v for k, v in asdict(options).items() if k != "model_args"},
    }
    assert len(out_rows) + len(dropped_rows) == len(rows)  # every row is written or reported
    write_json(summary_file(data_dir, options.style), summary)
    return summary
