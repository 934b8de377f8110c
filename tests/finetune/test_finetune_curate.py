"""Curation: readers of each layout, query-type rules, balance, truncation, held-out prompts, Detoxify."""

from __future__ import annotations

import gzip
import json
import sys
import types
from pathlib import Path

import pytest

from inspect_warmth.finetune.conversations import ConversationFormatError, read_conversations
from inspect_warmth.finetune.curate import CurateOptions, curate
from inspect_warmth.finetune.files import read_jsonl
from inspect_warmth.finetune.query_types import check_rules_match_stimuli, query_type

#: (user message, assistant reply) templates, one per query type.
EXCHANGES = {
    "refusal": ("Tell me something about number {i}.", "I'm sorry, I can't share that."),
    "factual": ("What is the capital of country {i}?", "It is a city."),
    "creative": ("Please write a poem about the number {i}.", "Roses are red."),
    "technical": ("Fix my code number {i}.", "Here:\n```python\nprint({i})\n```"),
    "advice": ("Can you recommend a book, friend {i}?", "Try a novel."),
    "other": ("Hello there number {i}.", "Hi to you too."),
}


def conversations(per_type: int, long_every: int = 0) -> list[list[dict[str, str]]]:
    out = []
    for kind, (user, reply) in EXCHANGES.items():
        for i in range(per_type):
            messages = [{"role": "user", "content": user.format(i=i)},
                        {"role": "assistant", "content": reply.format(i=i)}]
            if long_every and i % long_every == 0:
                for j in range(5):
                    messages += [{"role": "user", "content": f"And then {kind} {i}.{j}?"},
                                 {"role": "assistant", "content": f"Then {j}."}]
            out.append(messages)
    return out


def sharegpt(messages: list[dict[str, str]]) -> dict:
    names = {"user": "human", "assistant": "gpt"}
    return {"conversations": [{"from": names[m["role"]], "value": m["content"]} for m in messages]}


def transcript(messages: list[dict[str, str]]) -> dict:
    names = {"user": "Human", "assistant": "Assistant"}
    return {"chosen": "".join(f"\n\n{names[m['role']]}: {m['content']}" for m in messages), "rejected": ""}


def write_layouts(tmp_path: Path, convs: list[list[dict[str, str]]]) -> dict[str, Path]:
    from datasets import Dataset

    paths = {
        "sharegpt_json": tmp_path / "sg.json",
        "sharegpt_jsonl": tmp_path / "sg.jsonl",
        "openai_jsonl_gz": tmp_path / "oa.jsonl.gz",
        "hh_jsonl_gz": tmp_path / "hh.jsonl.gz",
        "hf_saved": tmp_path / "hf_saved",
    }
    paths["sharegpt_json"].write_text(json.dumps([sharegpt(c) for c in convs]))
    paths["sharegpt_jsonl"].write_text("".join(json.dumps(sharegpt(c)) + "\n" for c in convs))
    with gzip.open(paths["openai_jsonl_gz"], "wt") as handle:
        handle.writelines(json.dumps({"messages": c}) + "\n" for c in convs)
    with gzip.open(paths["hh_jsonl_gz"], "wt") as handle:
        handle.writelines(json.dumps(transcript(c)) + "\n" for c in convs)
    Dataset.from_list([{"messages": c} for c in convs]).save_to_disk(str(paths["hf_saved"]))
    return paths


def test_query_type_rules_in_order() -> None:
    check_rules_match_stimuli()
    assert query_type("What is 2+2?", "I\u2019m sorry, no.") == "refusal"  # first rule wins; curly apostrophe
    assert query_type("What is 2+2?", "4") == "factual"
    assert query_type("what is 2+2?", "4") == "other"  # the start rule is case-sensitive as written
    assert query_type("Please EXPLAIN this poem", "ok") == "factual"
    assert query_type("Write me a story", "ok") == "creative"
    assert query_type("Sort this list", "```py\nsorted(x)\n```") == "technical"
    assert query_type("Any advice for my trip?", "ok") == "advice"
    assert query_type("Nice weather today", "Indeed.") == "other"


@pytest.mark.parametrize("layout", ["sharegpt_json", "sharegpt_jsonl", "openai_jsonl_gz", "hh_jsonl_gz", "hf_saved"])
def test_every_layout_reads_the_same_messages(tmp_path: Path, layout: str) -> None:
    convs = conversations(2, long_every=2)
    path = write_layouts(tmp_path, convs)[layout]
    read = read_conversations([path])
    assert [c.messages for c in read] == convs
    assert len({c.id for c in read}) == len(convs)


def test_malformed_row_names_file_and_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(sharegpt(conversations(1)[0])) + "\n" + json.dumps({"conversations": [{"x": 1}]}) + "\n")
    with pytest.raises(ConversationFormatError, match=r"bad\.jsonl, row 2: turn 0 lacks"):
        read_conversations([path])
    path.write_text(json.dumps({"question": "no conversation here"}) + "\n")
    with pytest.raises(ConversationFormatError, match="row 1: no conversation found"):
        read_conversations([path])


def test_curate_balances_truncates_and_holds_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "detoxify", None)  # Detoxify absent: import fails
    convs = conversations(6, long_every=3)
    convs.append(convs[0])  # a duplicate prompt must not reach both splits
    source = write_layouts(tmp_path, convs)["sharegpt_jsonl"]
    out = tmp_path / "curated"
    summary = curate([source], out, CurateOptions(n=12, validation=12, max_turns=4, seed=1))

    train, validation = read_jsonl(out / "train.jsonl"), read_jsonl(out / "validation.jsonl")
    assert summary["train_per_type"] == {t: 2 for t in EXCHANGES}
    assert summary["validation_per_type"] == {t: 2 for t in EXCHANGES}
    assert summary["dropped"] == {"duplicate prompt": 1}
    assert summary["truncated_to_max_turns"] == 12  # every third of 6 per type has 12 turns
    assert any("Detoxify is not installed" in note for note in summary["notes"])
    assert all(len(row["messages"]) <= 4 and row["messages"][-1]["role"] == "assistant" for row in train)
    for row in train:  # each row keeps the label its exchange was written for
        assert query_type(row["messages"][0]["content"], row["messages"][1]["content"]) == row["query_type"]
    train_prompts = {r["messages"][0]["content"] for r in train}
    valid_prompts = {r["messages"][0]["content"] for r in validation}
    assert not train_prompts & valid_prompts and len(valid_prompts) == 12
    assert all([m["role"] for m in r["messages"]] == ["user"] and r["reference"] for r in validation)
    # seeded: the same options give the same split
    again = curate([source], tmp_path / "again", CurateOptions(n=12, validation=12, max_turns=4, seed=1))
    assert again["train_per_type"] == summary["train_per_type"]
    assert read_jsonl(tmp_path / "again" / "train.jsonl") == train


def test_uneven_types_fill_from_the_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "detoxify", None)
    convs = [c for c in conversations(5) if not c[0]["content"].startswith("Fix")][:-4]  # 1 "other" left
    convs += conversations(1)[3:4]  # one technical
    source = tmp_path / "c.json"
    source.write_text(json.dumps([{"messages": c} for c in convs]))
    summary = curate([source], tmp_path / "out", CurateOptions(n=14, validation=3, detoxify=False))
    # 5 each of refusal/factual/creative/advice, 1 technical, 1 other: the scarce types give what they have
    assert summary["train_per_type"] == {"refusal": 3, "factual": 3, "creative": 3, "technical": 1,
                                         "advice": 3, "other": 1}
    assert summary["validation"] == 3 and "NSFW filter disabled (--no-detoxify)" in summary["notes"]


def test_detoxify_filter_when_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class FakeDetoxify:
        def __init__(self, model: str) -> None:
            assert model == "unbiased"

        def predict(self, texts: list[str]) -> dict[str, list[float]]:
            nasty = [0.9 if "poem" in t else 0.1 for t in texts]
            return {"toxicity": [0.0] * len(texts), "sexual_explicit": nasty, "obscene": [0.2] * len(texts)}

    monkeypatch.setitem(sys.modules, "detoxify", types.SimpleNamespace(Detoxify=FakeDetoxify))
    source = tmp_path / "c.jsonl"
    source.write_text("".join(json.dumps({"messages": c}) + "\n" for c in conversations(3)))
    summary = curate([source], tmp_path / "out", CurateOptions(n=100, validation=0))
    assert summary["dropped"] == {"NSFW (Detoxify max >= 0.5)": 3}
    assert "creative" not in summary["train_per_type"] and summary["train"] == 15


@pytest.mark.realdata
def test_curate_real_hh_rlhf(real_data_dir: Path, tmp_path: Path) -> None:
    source = real_data_dir / "conversations" / "hh_rlhf" / "helpful-base_test.jsonl.gz"
    summary = curate([source], tmp_path, CurateOptions(n=24, validation=12, detoxify=False))
    assert summary["read"] > 2000 and summary["train"] == 24
    assert set(summary["train_per_type"]) == {"refusal", "factual", "creative", "technical", "advice", "other"}
    rows = read_jsonl(tmp_path / "train.jsonl")
    assert all("Human" not in m["content"][-7:] for r in rows for m in r["messages"])


def test_curate_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from inspect_warmth.finetune.cli import finetune

    monkeypatch.setitem(sys.modules, "detoxify", None)
    source = write_layouts(tmp_path, conversations(2))["openai_jsonl_gz"]
    result = CliRunner().invoke(finetune, ["curate", "--conversations", str(source), "--out", str(tmp_path / "o"),
                                           "--n", "6", "--validation", "6"])
    assert result.exit_code == 0, result.output
    assert "train: 6" in result.output and (tmp_path / "o" / "summary.json").exists()
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    result = CliRunner().invoke(finetune, ["curate", "--conversations", str(bad), "--out", str(tmp_path / "b")])
    assert result.exit_code != 0 and "bad.jsonl, row 1: invalid JSON" in result.output


def _openai_parts_rows() -> list[dict]:
    """Rows as the OpenAI chat format writes them (Chat Completions ``messages`` with content parts)."""
    return [
        {"messages": [
            {"role": "system", "content": [{"type": "text", "text": "You are a helpful assistant."}]},
            {"role": "user", "content": [{"type": "text", "text": "What is the capital of France?"},
                                         {"type": "text", "text": "Answer in one word."}]},
            {"role": "assistant", "content": [{"type": "text", "text": "Paris."}]},
        ]},
        {"messages": [
            {"role": "user", "content": "Please write a poem about the sea."},
            {"role": "assistant", "content": [{"type": "output_text", "text": "Waves fold into foam."}]},
        ]},
        {"messages": [
            {"role": "user", "content": [{"type": "text", "text": "What is in this picture?"},
                                         {"type": "image_url", "image_url": {"url": "https://example.org/cat.png",
                                                                             "detail": "auto"}}]},
            {"role": "assistant", "content": "A cat asleep on a windowsill."},
        ]},
        {"messages": [
            {"role": "user", "content": "Tell me how to pick my neighbour's lock."},
            {"role": "assistant", "content": [{"type": "refusal", "refusal": "I'm sorry, I can't help with that."}]},
        ]},
    ]


def test_openai_content_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit: one conversation (text parts joined, refusal parts read, image parts counted and the row dropped).
    The file is saved with a byte-order mark and CRLF line ends, as an editor on Windows writes it."""
    monkeypatch.setitem(sys.modules, "detoxify", None)
    source = tmp_path / "chat.jsonl"
    source.write_bytes(("\ufeff" + "".join(json.dumps(r) + "\r\n" for r in _openai_parts_rows())).encode("utf-8"))
    read = read_conversations([source])
    assert read[0].messages == [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "What is the capital of France?\nAnswer in one word."},
        {"role": "assistant", "content": "Paris."},
    ]
    assert read[1].messages[1] == {"role": "assistant", "content": "Waves fold into foam."}
    assert read[2].extra == {"non_text_parts": {"image_url": 1}}
    assert read[2].messages[0] == {"role": "user", "content": "What is in this picture?"}
    assert read[3].messages[1]["content"] == "I'm sorry, I can't help with that."
    summary = curate([source], tmp_path / "out", CurateOptions(n=3, validation=0, detoxify=False))
    assert summary["read"] == 4 and summary["train"] == 3
    assert summary["dropped"] == {"non-text content parts (image_url)": 1}
    assert summary["train_per_type"] == {"factual": 1, "creative": 1, "refusal": 1}


def test_malformed_content_part_names_row_and_message(tmp_path: Path) -> None:
    """Unit: one malformed row each (a part without a type, a text part without text)."""
    path = tmp_path / "bad.jsonl"
    good = _openai_parts_rows()[0]
    bad = {"messages": [{"role": "user", "content": [{"text": "no type"}]}]}
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(ConversationFormatError, match=r"bad\.jsonl, row 2: message 0 content part 0 has no 'type'"):
        read_conversations([path])
    path.write_text(json.dumps({"messages": [{"role": "user", "content": [{"type": "text"}]}]}) + "\n")
    with pytest.raises(ConversationFormatError, match=r"row 1: message 0 content part 0 \(text\) has no text"):
        read_conversations([path])
