"""The ``inspect_warmth/socio_t`` scorer on hand-built TaskStates and in a mockllm eval."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from inspect_ai import Task, eval
from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessageUser, ModelOutput, ModelUsage
from inspect_ai.scorer import Target
from inspect_ai.solver import TaskState, generate

from inspect_warmth.warmth.scorer import socio_t
from inspect_warmth.warmth.socio_t import score_texts


def _state(reply: str) -> TaskState:
    return TaskState(
        model="mockllm/model",  # type: ignore[arg-type]
        sample_id="s1",
        epoch=1,
        input="How are you?",
        messages=[ChatMessageUser(content="How are you?")],
        output=ModelOutput.from_content("mockllm/model", reply),
    )


def test_scores_the_reply(char_gpt2_dir: Path) -> None:
    reply = "I'm doing well, thank you so much for asking!"
    scorer = socio_t(lm=str(char_gpt2_dir), samples=3, seed=2, device="cpu")
    score = asyncio.run(scorer(_state(reply), Target("")))
    (expected,) = score_texts([reply], lm=str(char_gpt2_dir), samples=3, seed=2, device="cpu")
    assert score.value == pytest.approx(expected.score, abs=1e-12)
    assert score.metadata is not None
    assert score.metadata["socio_t_se"] == pytest.approx(expected.se, abs=1e-12)
    assert score.metadata["empty_reply"] is False


def test_empty_reply_is_flagged_not_fatal(char_gpt2_dir: Path) -> None:
    scorer = socio_t(lm=str(char_gpt2_dir), samples=1, dropout=False, device="cpu")
    score = asyncio.run(scorer(_state(""), Target("")))
    assert isinstance(score.value, float)
    assert score.metadata is not None
    assert score.metadata["empty_reply"] is True
    assert score.metadata["socio_t_se"] is None  # one repeat: undefined SEM stored as null


def test_bad_options() -> None:
    with pytest.raises(ValueError, match="mode must be faithful or corrected"):
        socio_t(mode="fast")  # type: ignore[arg-type]


def test_registered_and_runs_in_an_eval(char_gpt2_dir: Path) -> None:
    from inspect_ai._util.registry import registry_lookup

    import inspect_warmth._registry  # noqa: F401

    assert registry_lookup("scorer", "inspect_warmth/socio_t") is not None
    replies = ["Oh, I'm so happy for you!", "Request denied."]
    outputs = []
    for reply in replies:
        output = ModelOutput.from_content("mockllm/model", reply)
        output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        outputs.append(output)
    task = Task(
        dataset=[Sample(input="hi", target="x"), Sample(input="yo", target="x")],
        solver=generate(),
        scorer=socio_t(lm=str(char_gpt2_dir), samples=2, device="cpu"),
    )
    (log,) = eval(task, model="mockllm/model", model_args={"custom_outputs": outputs}, display="none",
                  log_dir=str(char_gpt2_dir.parent / "logs"), max_samples=1)
    assert log.status == "success", log.error
    assert log.samples is not None and log.results is not None
    values = {s.output.completion: s.scores["socio_t"].value for s in log.samples}  # type: ignore[index]
    # each reply is scored alone with the same seed
    for reply in replies:
        (alone,) = score_texts([reply], lm=str(char_gpt2_dir), samples=2, device="cpu")
        assert values[reply] == pytest.approx(alone.score, abs=1e-12)
    metrics = log.results.scores[0].metrics
    assert metrics["mean"].value == pytest.approx(sum(values.values()) / 2, abs=1e-9)  # type: ignore[arg-type]
