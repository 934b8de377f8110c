"""The social_sycophancy task: samples per dataset and context, the AITA answer format, the system-prompt control,
and one run on mockllm with a mock grader whose metrics are the per-behaviour rates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from inspect_ai import eval
from inspect_ai.model import ChatMessageSystem, ModelOutput, get_model

from inspect_warmth.analysis.responses import load_responses
from inspect_warmth.scorers.elephant_prompts import AITA_INSTRUCTION
from inspect_warmth.tasks.social_sycophancy import social_sycophancy

OEQ_ROWS = ",prompt,human,emotional_validation_human\n" + "".join(f'{i},"advice post {i}","human reply {i}",{i % 2}\n'
                                                                 for i in range(4))
AITA_ROWS = ",prompt,is_asshole,ytanta\n" + "".join(f'{i},"aita post {i}",{int(i < 3)},x\n' for i in range(5))


def write_elephant(root: Path) -> Path:
    """4 OEQ posts and 5 AITA posts, 3 of them judged at fault."""
    (root / "elephant").mkdir(parents=True, exist_ok=True)
    (root / "elephant" / "OEQ.csv").write_text(OEQ_ROWS, encoding="utf-8")
    (root / "elephant" / "AITA.csv").write_text(AITA_ROWS, encoding="utf-8")
    return root


@pytest.fixture
def data_dir(tmp_path: Path) -> str:
    return str(write_elephant(tmp_path / "data"))


def test_samples_per_dataset_and_context(data_dir: str) -> None:
    task = social_sycophancy(data_dir=data_dir, contexts="unmodified,emotion:sad")
    samples = list(task.dataset)
    assert len(samples) == (4 + 3) * 2
    assert task.metadata["left_out"] == {next(iter(task.metadata["left_out"])): 2}
    aita = [s for s in samples if s.metadata["dataset"] == "aita"]
    assert all(str(s.input).endswith(AITA_INSTRUCTION) for s in aita)
    sad = [s for s in samples if s.metadata["amendment"] == "emotion:sad"]
    assert all(str(s.input) != s.metadata["prompt"] and str(s.input).find(s.metadata["prompt"]) > 0 for s in sad)
    assert len({s.id for s in samples}) == len(samples)
    assert all(s.id == f"{s.metadata['dataset']}-{s.metadata['question_id']}-original-{s.metadata['amendment']}"
               for s in samples)


def test_dataset_choice_seeded_draw_and_bad_arguments(data_dir: str) -> None:
    only_oeq = list(social_sycophancy(dataset="oeq", data_dir=data_dir).dataset)
    assert {s.metadata["dataset"] for s in only_oeq} == {"oeq"}
    drawn = [s.id for s in social_sycophancy(dataset="oeq", samples=2, seed=1, data_dir=data_dir).dataset]
    assert len(drawn) == 2 and drawn == [s.id for s in social_sycophancy(dataset="oeq", samples=2, seed=1,
                                                                          data_dir=data_dir).dataset]
    with pytest.raises(ValueError, match="unknown dataset"):
        social_sycophancy(dataset="ss", data_dir=data_dir)
    with pytest.raises(ValueError, match="unknown scorer"):
        social_sycophancy(scorer="exact", data_dir=data_dir)


def _mock(name: str, text: str) -> Any:
    return get_model(name, custom_outputs=[ModelOutput.from_content(name, text)] * 50, memoize=False)


def test_run_reports_one_rate_per_behaviour_with_unscored_counts(data_dir: str, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Mock model always endorses ("NTA"); the mock grader rates every OEQ reply validating and leaves framing out."""
    from inspect_ai.model._providers.mockllm import MockLLM

    async def count_tokens(self: Any, *args: Any, **kwargs: Any) -> int:  # instead of a tiktoken download
        return 1

    monkeypatch.setattr(MockLLM, "count_tokens", count_tokens)
    grader = _mock("mockllm/grader", "EMOTIONAL_VALIDATION: YES\nINDIRECT_LANGUAGE: NO\nINDIRECT_ACTION: NO")
    task = social_sycophancy(data_dir=data_dir, system_prompt="warm")
    log = eval(task, model=_mock("mockllm/model", "NTA, that is fine."), model_roles={"grader": grader},
               log_dir=str(tmp_path / "logs"), display="none")[0]
    assert log.status == "success" and log.results is not None
    metrics = {k: v.value for k, v in log.results.scores[0].metrics.items()}
    assert metrics["endorsement_rate"] == 1.0 and metrics["endorsement_unscored"] == 0
    assert metrics["emotional_validation_rate"] == 1.0 and metrics["indirect_language_rate"] == 0.0
    assert metrics["accept_framing_unscored"] == 4
    assert log.samples is not None and isinstance(log.samples[0].messages[0], ChatMessageSystem)
    # the analysis reads the same log: one row per reply x behaviour, none among the correctness rows
    responses = load_responses([log.location])
    social = responses.social
    assert responses.table.empty and responses.unscored.empty and social is not None
    assert len(social) == 4 * 4 + 3 and set(social["system_prompt"]) == {"warm"}
    framing = social[social["behaviour"] == "accept_framing"]
    assert framing["value"].isna().all() and framing["set_aside"].str.contains("no accept_framing rating").all()
    assert social.loc[social["behaviour"] == "moral_endorsement", "value"].eq(1).all()


def test_human_replies_validate_the_judge_per_behaviour(data_dir: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """replies=human: the file's human replies are rated (no model call) and compared with the file's labels.
    The grader calls every reply validating; the labels say 2 of 4 are: 50% agreement. Unit: the reply."""
    from click.testing import CliRunner
    from inspect_ai.model._providers.mockllm import MockLLM

    from inspect_warmth.analysis.cli import agreement

    async def count_tokens(self: Any, *args: Any, **kwargs: Any) -> int:
        return 1

    monkeypatch.setattr(MockLLM, "count_tokens", count_tokens)
    with pytest.raises(ValueError, match="needs dataset=oeq"):
        social_sycophancy(data_dir=data_dir, replies="human")
    grader = _mock("mockllm/grader", "EMOTIONAL_VALIDATION: YES\nINDIRECT_LANGUAGE: NO\nINDIRECT_ACTION: NO\n"
                                     "ACCEPT_FRAMING: NO")
    log = eval(social_sycophancy(dataset="oeq", data_dir=data_dir, replies="human"),
               model=_mock("mockllm/model", "never used"), model_roles={"grader": grader},
               log_dir=str(tmp_path / "human"), display="none")[0]
    assert log.samples is not None and {s.output.completion for s in log.samples} == {f"human reply {i}"
                                                                                      for i in range(4)}
    result = CliRunner().invoke(agreement, [log.location.removeprefix("file://"), "--social"])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("emotional_validation"))
    assert line.split()[1:3] == ["4", "50.0%"]
    skipped = next(x for x in result.output.splitlines() if x.startswith("accept_framing"))
    assert skipped.split()[1] == "0" and skipped.split()[-1] == "4"
