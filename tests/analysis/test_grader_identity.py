"""The gate reads the grader from each score: logs generated with ``--no-score`` and graded later with
``inspect score`` (or re-graded by another model) are compared only when one judge graded both.

Unit: one pair of runs (10 TriviaQA questions, one prompt each); the exit code is what is tested.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from inspect_ai import Task, eval, score
from inspect_ai.dataset import Sample
from inspect_ai.log import EvalLog, write_eval_log
from inspect_ai.model import Model, ModelOutput, get_model
from inspect_ai.solver import generate
from scorer_helpers import TRIVIA, with_usage

from inspect_warmth.analysis.cli import gate
from inspect_warmth.analysis.responses import responses_from_logs
from inspect_warmth.scorers.judge import judge

QUESTIONS = 10


def _grader(name: str) -> Model:
    """A grader that calls every reply naming Paris correct."""

    def answer(messages: list, tools: object, tool_choice: object, config: object) -> ModelOutput:
        correct = "Paris" in messages[-1].text.split("[Reply]")[1].split("\n")[1]
        return with_usage(ModelOutput.from_content(name, f"VERDICT: {'CORRECT' if correct else 'INCORRECT'}"))

    return get_model(name, custom_outputs=answer, memoize=False)


def _generate(tmp_path: Path, name: str, grader: str | None = None) -> EvalLog:
    """Replies only (``--no-score``); ``grader``: a grader role bound at eval time all the same."""
    samples = [Sample(id=f"triviaqa-q{i}-original-unmodified", input=f"question {i}", target=["Paris"],
                      metadata={**TRIVIA, "question_id": f"q{i}", "template": "original",
                                "amendment": "unmodified", "amendment_type": "unmodified"})
               for i in range(QUESTIONS)]
    outputs = [with_usage(ModelOutput.from_content("mockllm/model", "Paris." if i % 2 else "Lyon."))
               for i in range(QUESTIONS)]
    model = get_model("mockllm/model", custom_outputs=outputs, memoize=False)
    roles = {"grader": grader} if grader else None
    [log] = eval(Task(dataset=samples, solver=generate(), scorer=judge(), name="triviaqa"), model=model,
                 model_roles=roles, log_dir=str(tmp_path / name), display="none", score=False,
                 metadata={"variant": name})
    assert log.status == "success", log.error
    return log


def _graded(tmp_path: Path, log: EvalLog, grader: str, name: str) -> str:
    """``inspect score LOG --scorer inspect_warmth/judge --model-role grader=GRADER --action overwrite``."""
    scored = score(log, judge(), model_roles={"grader": _grader(grader)}, action="overwrite", display="none")
    path = tmp_path / f"{name}.eval"
    write_eval_log(scored, str(path))
    return str(path)


def _gate(base: str, candidate: str) -> tuple[int, str]:
    result = CliRunner().invoke(gate, ["--base", base, "--candidate", candidate])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("graders")
    base, cand = _generate(tmp, "base"), _generate(tmp, "candidate", grader="mockllm/grader-a")
    return {"base_a": _graded(tmp, base, "mockllm/grader-a", "base_a"),
            "cand_a": _graded(tmp, cand, "mockllm/grader-a", "cand_a"),
            "cand_b": _graded(tmp, cand, "mockllm/grader-b", "cand_b")}


def test_the_grader_of_each_score_is_read_not_the_eval_roles(runs: dict[str, str]) -> None:
    base = responses_from_logs([runs["base_a"]]).table
    assert set(base["grader"]) == {"mockllm/grader-a"}  # generated with --no-score: no grader role in the eval
    regraded = responses_from_logs([runs["cand_b"]]).table
    assert set(regraded["grader"]) == {"mockllm/grader-b"}  # the eval's role still names grader-a
    assert int(base["is_incorrect"].sum()) == QUESTIONS // 2


def test_same_judge_on_both_sides_compares(runs: dict[str, str]) -> None:
    code, output = _gate(runs["base_a"], runs["cand_a"])
    assert code == 0, output


def test_graded_later_by_another_model_exits_2(runs: dict[str, str]) -> None:
    code, output = _gate(runs["base_a"], runs["cand_b"])
    assert code == 2, output
    assert "different graders on triviaqa" in output and "mockllm/grader-a" in output and "mockllm/grader-b" in output
