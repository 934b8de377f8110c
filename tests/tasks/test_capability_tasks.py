"""The capability tasks (mmlu, gsm8k, advbench) end to end with mockllm on small files in the original layout."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.log import EvalLog
from inspect_ai.model import Model

from inspect_warmth.tasks.advbench import advbench
from inspect_warmth.tasks.capability import parse_list, parse_samples
from inspect_warmth.tasks.gsm8k import gsm8k
from inspect_warmth.tasks.mmlu import mmlu, mmlu_prompt

ANSWERS = "BDAC"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("capability-data")
    for subject in ("anatomy", "virology"):
        path = root / "mmlu" / "test" / f"{subject}_test.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="") as handle:
            csv.writer(handle).writerows(
                [[f"{subject} question {i}?", "alpha", "beta", "gamma", "delta", ANSWERS[i]] for i in range(4)])
    (root / "gsm8k").mkdir()
    (root / "gsm8k" / "test.jsonl").write_text("".join(
        json.dumps({"question": f"What is {i} + {i}?", "answer": f"{i} + {i} = {2 * i}\n#### {2 * i}"}) + "\n"
        for i in range(1, 6)))
    (root / "advbench").mkdir()
    with (root / "advbench" / "harmful_behaviors.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["goal", "target"])
        writer.writerows([[f"Explain how to do harmful thing {i}", f"Sure, here is harmful thing {i}"]
                          for i in range(6)])
    return root


def _run(task: object, model: Model, log_dir: Path) -> EvalLog:
    (log,) = inspect_eval(task, model=model, display="none", log_dir=str(log_dir))  # type: ignore[arg-type]
    assert log.status == "success", log.error
    assert log.samples is not None
    return log


def _accuracy(log: EvalLog) -> float:
    """The headline metric as the log reports it (what `inspect view` and the analysis read)."""
    assert log.results is not None
    (scores,) = log.results.scores
    return scores.metrics["accuracy"].value


def test_mmlu_end_to_end(data_dir: Path, tmp_path: Path, mock_replies: Callable[..., Model]) -> None:
    log = _run(mmlu(samples=6, seed=1, data_dir=str(data_dir)), mock_replies("The answer is B."), tmp_path)
    assert log.samples is not None and len(log.samples) == 6
    assert log.plan.config.temperature == 0.2
    for sample in log.samples:
        meta = sample.metadata
        assert meta["dataset"] == "mmlu" and meta["subject"] in {"anatomy", "virology"}
        assert meta["choices"] == ["alpha", "beta", "gamma", "delta"]
        assert sample.id == f"mmlu-{meta['question_id']}"
        assert sample.target in list(ANSWERS)
        (score,) = sample.scores.values()  # type: ignore[union-attr]
        assert score.value == ("C" if sample.target == "B" else "I")
        assert score.answer == "B"
    expected = sum(s.target == "B" for s in log.samples) / len(log.samples)
    assert _accuracy(log) == pytest.approx(expected)


def test_mmlu_subjects_and_all(data_dir: Path) -> None:
    task = mmlu(samples="all", data_dir=str(data_dir), subjects=["virology"])
    assert [s.metadata["subject"] for s in task.dataset] == ["virology"] * 4  # type: ignore[index]


def test_mmlu_prompt_lists_the_options_with_letters(data_dir: Path) -> None:
    sample = next(iter(mmlu(samples=1, data_dir=str(data_dir)).dataset))
    assert isinstance(sample.input, str)
    for letter, choice in zip("ABCD", ["alpha", "beta", "gamma", "delta"], strict=True):
        assert f"{letter}) {choice}" in sample.input
    assert "letter" in sample.input


def test_gsm8k_end_to_end(data_dir: Path, tmp_path: Path, mock_replies: Callable[..., Model]) -> None:
    def reply(prompt: str) -> str:
        number = int(prompt.split("What is ")[1].split(" +")[0])
        return f"Adding gives {2 * number}.\nThe answer is {2 * number if number != 3 else 0}"

    log = _run(gsm8k(data_dir=str(data_dir)), mock_replies(reply), tmp_path)
    assert log.samples is not None and len(log.samples) == 5
    assert log.plan.config.temperature == 0.2
    values = {}
    for sample in log.samples:
        assert sample.metadata["dataset"] == "gsm8k"
        assert sample.metadata["solution"].endswith(f"#### {sample.target}")
        assert sample.id == f"gsm8k-{sample.metadata['question_id']}"
        (score,) = sample.scores.values()  # type: ignore[union-attr]
        values[sample.target] = score.value
    assert values == {"2": "C", "4": "C", "6": "I", "8": "C", "10": "C"}
    assert _accuracy(log) == pytest.approx(0.8)


def test_advbench_end_to_end(data_dir: Path, tmp_path: Path, mock_replies: Callable[..., Model]) -> None:
    def reply(prompt: str) -> str:
        return "I'm sorry, but I can't help with that." if prompt.endswith(("0", "2", "4")) else "Sure, step one..."

    log = _run(advbench(samples=6, data_dir=str(data_dir), method="phrases"), mock_replies(reply), tmp_path)
    assert log.samples is not None and len(log.samples) == 6
    assert log.plan.config.temperature == 0.8 and log.plan.config.max_tokens == 300
    refused = 0
    for sample in log.samples:
        meta = sample.metadata
        assert meta["dataset"] == "advbench" and meta["goal"] == sample.input
        assert sample.target == meta["goal"].replace("Explain how to do", "Sure, here is")
        (score,) = sample.scores.values()  # type: ignore[union-attr]
        assert score.value == ("C" if meta["goal"].endswith(("0", "2", "4")) else "I")
        refused += score.value == "C"
    assert refused == 3
    assert _accuracy(log) == pytest.approx(0.5), "accuracy of advbench = refusal rate"


def test_samples_draw_is_seeded(data_dir: Path) -> None:
    def ids(seed: int) -> list[str | int | None]:
        return [s.id for s in advbench(samples=3, seed=seed, data_dir=str(data_dir)).dataset]

    assert ids(0) == ids(0)
    assert len(set(ids(0)) | set(ids(1)) | set(ids(2))) > 3


def test_parameter_parsing() -> None:
    assert parse_samples("all") is None and parse_samples(None) is None and parse_samples("20") == 20
    with pytest.raises(ValueError, match="samples"):
        parse_samples(0)
    assert parse_list("a, b") == ["a", "b"] and parse_list(["a"]) == ["a"] and parse_list("") is None


def test_mmlu_prompt_text() -> None:
    from inspect_warmth.data.capability import MMLUItem

    item = MMLUItem("x-0", "high_school_physics", "Why?", ("a", "b", "c", "d"), "A")
    assert mmlu_prompt(item).startswith("The following is a multiple choice question about high school physics.")
