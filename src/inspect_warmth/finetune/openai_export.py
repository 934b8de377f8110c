"""The styled training set as the OpenAI API's chat fine-tuning JSONL, checked before anything is sent.

The rows are those ``finetune train`` reads (``train.<style>.jsonl``, :func:`~inspect_warmth.finetune.train.data_file`),
and the loss rule is the same: every assistant turn carries loss (``"weight": 1`` on each, the API's per-message
switch), user and system turns none. The checks are the ones the API's own format validation makes (OpenAI
cookbook, "Data preparation and analysis for chat model fine-tuning"): a list of messages, known roles only
(system, user, assistant), a string ``content`` on every message, no empty turn, at least one assistant turn, and
each example's token count within the model's training-example limit. The token count follows the same cookbook
(3 tokens per message plus its role and content, 3 to prime the reply) with the model's tiktoken encoding; pass a
Hugging Face tokenizer directory instead to estimate offline (tiktoken downloads its vocabulary on first use).
The API bills ``tokens x epochs``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspect_warmth.finetune.files import read_jsonl

#: Tokens one training example may hold, per base model (OpenAI fine-tuning guide; ``--max-example-tokens``
#: overrides). Models not listed need the option.
EXAMPLE_TOKEN_LIMITS: dict[str, int] = {
    "gpt-4o-2024-08-06": 65536,
    "gpt-4o-mini-2024-07-18": 65536,
    "gpt-4.1-2025-04-14": 65536,
    "gpt-4.1-mini-2025-04-14": 65536,
    "gpt-4.1-nano-2025-04-14": 65536,
    "gpt-3.5-turbo-0125": 16385,
}
ROLES = ("system", "user", "assistant")
#: Keys a message may carry in the API's chat format.
MESSAGE_KEYS = frozenset({"role", "content", "name", "weight"})
TOKENS_PER_MESSAGE = 3  # cookbook: <|start|>{role}\n{content}<|end|>
TOKENS_PER_NAME = 1
TOKENS_REPLY_PRIMING = 3


class ExportError(ValueError):
    """The training file breaks one of the API's format rules; the message names the file, reasons and rows."""


@dataclass
class ExportReport:
    """What :func:`export` found. ``problems``: reason -> 1-based rows of the source file (empty when valid)."""

    source: str
    examples: int = 0
    tokens: int = 0
    max_example_tokens: int = 0
    assistant_turns: int = 0
    problems: dict[str, list[int]] = field(default_factory=dict)

    def billed_tokens(self, epochs: int) -> int:
        return self.tokens * epochs

    def lines(self, epochs: int) -> list[str]:
        return [f"{self.examples} examples of {self.source}, {self.assistant_turns} assistant turns (all carry loss)",
                f"tokens {self.tokens:,} (longest example {self.max_example_tokens:,}); "
                f"x {epochs} epochs = {self.billed_tokens(epochs):,} billed tokens"]


def token_counter(model: str, tokenizer: str | None = None) -> Callable[[str], int]:
    """Tokens of a text: with the Hugging Face tokenizer in ``tokenizer`` (a directory; an offline estimate), else
    with tiktoken's encoding for ``model`` (``o200k_base`` for GPT-4o). Raises ``ValueError`` saying what to pass
    when tiktoken cannot load its vocabulary (it downloads it once, then caches it)."""
    if tokenizer:
        from transformers import AutoTokenizer

        hf = AutoTokenizer.from_pretrained(tokenizer)
        return lambda text: len(hf(text, add_special_tokens=False)["input_ids"])
    import tiktoken

    try:
        try:
            encoding = tiktoken.encoding_for_model(model)
        except KeyError:
            encoding = tiktoken.get_encoding("o200k_base")
    except Exception as err:  # network errors while fetching the vocabulary
        raise ValueError(f"tiktoken cannot load the encoding of {model} ({type(err).__name__}); connect once so it "
                         "caches it, or pass --tokenizer DIR (a Hugging Face tokenizer) for an estimate") from err
    return lambda text: len(encoding.encode(text, disallowed_special=()))


def example_tokens(messages: list[dict[str, Any]], count: Callable[[str], int]) -> int:
    """Tokens of one chat example as the cookbook counts them (message overheads included)."""
    total = TOKENS_REPLY_PRIMING
    for message in messages:
        total += TOKENS_PER_MESSAGE + count(str(message.get("role", ""))) + count(str(message.get("content", "")))
        if "name" in message:
            total += TOKENS_PER_NAME + count(str(message["name"]))
    return total


def _message_problem(message: Any) -> str | None:
    if not isinstance(message, dict):
        return "a message is not an object"
    unknown = set(message) - MESSAGE_KEYS
    if unknown:
        return f"unrecognized message key(s) {', '.join(sorted(unknown))}"
    if message.get("role") not in ROLES:
        return f"unrecognized role {message.get('role')!r} (expected {', '.join(ROLES)})"
    if not isinstance(message.get("content"), str):
        return "message content missing or not text"
    if not message["content"].strip():
        return f"empty {message['role']} turn"
    return None


def api_example(row: dict[str, Any]) -> dict[str, Any]:
    """One row as the API's chat example: ``role`` and ``content`` kept, ``weight: 1`` on every assistant turn
    (the loss rule of ``finetune train``)."""
    return {"messages": [{"role": m["role"], "content": m["content"], **({"weight": 1} if m["role"] == "assistant"
                                                                          else {})} for m in row["messages"]]}


def export(source: Path, target: Path, count: Callable[[str], int], max_example_tokens: int) -> ExportReport:
    """Check every row of ``source`` and write the API's JSONL to ``target`` (atomically).

    Raises :class:`ExportError` listing every problem by reason with its rows (nothing is written then); a row
    over ``max_example_tokens`` is a problem, since the API would cut it and bill what it does not train."""
    from inspect_warmth.finetune.files import write_jsonl

    report = ExportReport(source=str(source))
    examples = []
    for number, row in enumerate(read_jsonl(source), start=1):
        messages = row.get("messages") if isinstance(row, dict) else None
        if not isinstance(messages, list) or not messages:
            report.problems.setdefault("no list of messages", []).append(number)
            continue
        problem = next((p for p in map(_message_problem, messages) if p), None)
        if problem is None and not any(m["role"] == "assistant" for m in messages):
            problem = "no assistant turn"
        if problem is None:
            tokens = example_tokens(messages, count)
            if tokens > max_example_tokens:
                problem = f"over the model's {max_example_tokens:,}-token example limit"
            else:
                report.tokens += tokens
                report.max_example_tokens = max(report.max_example_tokens, tokens)
        if problem is not None:
            report.problems.setdefault(problem, []).append(number)
            continue
        report.assistant_turns += sum(m["role"] == "assistant" for m in messages)
        examples.append(api_example(row))
    report.examples = len(examples)
    if report.problems:
        listed = "; ".join(f"{reason}: rows {', '.join(map(str, rows[:20]))}{' ...' if len(rows) > 20 else ''}"
                           for reason, rows in report.problems.items())
        raise ExportError(f"{source}: {sum(map(len, report.problems.values()))} rows the API would reject "
                          f"({listed}); nothing was sent")
    if not examples:
        raise ExportError(f"{source}: no rows; nothing was sent")
    target.parent.mkdir(parents=True, exist_ok=True)
    write_jsonl(target, examples)
    return report

