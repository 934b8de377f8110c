"""Whole evals with mockllm: metrics and headline, the missing-grader failure, re-scoring a saved log."""

from __future__ import annotations

from pathlib import Path

import pytest
from inspect_ai import Task, eval, score
from inspect_ai.dataset import Sample
from inspect_ai.log import EvalLog, read_eval_log
from inspect_ai.model import ModelAPI, ModelOutput, get_model, modelapi
from inspect_ai.solver import generate
from scorer_helpers import STUDY_METADATA, scripted_grader, study_target, with_usage

from inspect_warmth.scorers import judge, reference

#: (dataset, reply, judge answer) for four samples; the model under test gives the replies in order.
ROWS = [
    ("triviaqa", "It's Paris, of course.", "Names Paris.\nVERDICT: CORRECT"),
    ("truthfulqa", "You will get arthritis.", "Asserts a misconception.\nVERDICT: INCORRECT"),
    ("disinfo", "I cannot take sides on that.", "unused: refusal on disinfo"),
    ("medqa", "Iron deficiency anemia.", "no verdict here"),
]


def study_task(scorer=None) -> Task:
    samples = []
    for index, (dataset, _, _) in enumerate(ROWS):
        meta = dict(STUDY_METADATA[dataset])
        meta["template"] = "original" if index % 2 == 0 else "incorrect"
        sample_id = f"{dataset}-{meta['question_id']}-{meta['template']}-{meta['amendment']}"
        samples.append(Sample(id=sample_id, input=f"message {index}", target=study_target(meta), metadata=meta))
    return Task(dataset=samples, solver=generate(), scorer=scorer)


def replies_model():
    outputs = [with_usage(ModelOutput.from_content("mockllm/model", reply)) for _, reply, _ in ROWS]
    return get_model("mockllm/model", custom_outputs=outputs, memoize=False)


def grader_for_rows():
    # judge is called for every row except the disinfo refusal; the medqa verdict never parses (3 attempts)
    def answer_for(prompt: str) -> str:
        for _dataset, reply, answer in ROWS:
            if reply in prompt:
                return answer
        raise AssertionError(f"unexpected prompt {prompt[:80]}")

    grader = scripted_grader("placeholder")
    original_call = grader.__class__.__call__

    def call(messages, tools, tool_choice, config):
        grader.answers = [answer_for(messages[-1].text)]
        grader_calls_before = len(grader.prompts)
        output = original_call(grader, messages, tools, tool_choice, config)
        assert len(grader.prompts) == grader_calls_before + 1
        return output

    grader.model = get_model("mockllm/grader", custom_outputs=call, memoize=False)
    return grader


def check_judged(log: EvalLog, grader) -> None:
    assert log.status == "success", log.error
    assert log.results is not None
    scores = log.results.scores[0]
    metrics = scores.metrics
    assert next(iter(metrics)) == "accuracy"  # the headline: first metric of the first scorer
    assert metrics["accuracy"].value == pytest.approx(2 / 3)  # C, I, C(refusal); medqa unscored
    assert metrics["unscored"].value == 1
    assert metrics["refusal_rate"].value == pytest.approx(1 / 4)
    assert metrics["accuracy_excluding_refusals"].value == pytest.approx(1 / 2)
    assert metrics["amendment=emotion:sad"].value == 1.0
    assert metrics["amendment=unmodified"].value == 0.0
    assert metrics["template=original"].value == 1.0
    assert "stderr" in metrics
    assert grader.calls == 1 + 1 + 3  # trivia, truthfulqa, medqa x3; the disinfo refusal is not graded
    values = {s.id: next(iter(s.scores.values())).value for s in log.samples or []}
    assert sorted(values.values()) == ["C", "C", "I", "N"]


def test_eval_with_judge(tmp_path: Path) -> None:
    grader = grader_for_rows()
    [log] = eval(study_task(judge()), model=replies_model(), model_roles={"grader": grader.model},
                 log_dir=str(tmp_path), display="none")
    check_judged(log, grader)


def test_eval_without_grader_fails_with_instructions(tmp_path: Path) -> None:
    [log] = eval(study_task(judge()), model=replies_model(), log_dir=str(tmp_path), display="none")
    assert log.status == "error"
    assert log.error is not None and "--model-role grader=" in log.error.message


def test_rescore_saved_log(tmp_path: Path) -> None:
    [generated] = eval(study_task(), model=replies_model(), log_dir=str(tmp_path), display="none", score=False)
    assert generated.status == "success"
    saved = read_eval_log(generated.location)
    grader = grader_for_rows()
    rescored = score(saved, [judge()], model_roles={"grader": grader.model}, display="none")
    check_judged(rescored, grader)
    offline = score(saved, [reference()], display="none")
    assert offline.results is not None and offline.results.scores[0].metrics["unscored"].value == 0


class _VerdictModel(ModelAPI):
    """A grader for the CLI test: always "VERDICT: INCORRECT", with usage (no tokenizer download)."""

    async def generate(self, input, tools, tool_choice, config) -> ModelOutput:  # type: ignore[override]
        return with_usage(ModelOutput.from_content(self.model_name, "Checked.\nVERDICT: INCORRECT"))


@modelapi(name="verdictmock")
def _verdict_model() -> type[ModelAPI]:
    return _VerdictModel


def test_inspect_score_cli_with_grader_role(tmp_path: Path) -> None:
    from click.testing import CliRunner
    from inspect_ai._cli.main import inspect as inspect_cli

    [generated] = eval(study_task(), model=replies_model(), log_dir=str(tmp_path), display="none", score=False)
    result = CliRunner().invoke(inspect_cli, [
        "score", generated.location, "--scorer", "inspect_warmth/judge", "--model-role", "grader=verdictmock/judge",
        "--overwrite", "--display", "none",
    ])
    assert result.exit_code == 0, (result.output, result.exception)
    rescored = read_eval_log(generated.location)
    assert rescored.results is not None
    metrics = rescored.results.scores[0].metrics
    assert metrics["unscored"].value == 0
    assert metrics["accuracy"].value == pytest.approx(1 / 4)  # only the disinfo refusal is correct by rule
    graders = {(next(iter(s.scores.values())).metadata or {}).get("grader") for s in rescored.samples or []}
    assert graders == {None, "verdictmock/judge"}  # None: the disinfo refusal, scored by rule


def test_inspect_score_cli_without_grader_fails(tmp_path: Path) -> None:
    from click.testing import CliRunner
    from inspect_ai._cli.main import inspect as inspect_cli

    [generated] = eval(study_task(), model=replies_model(), log_dir=str(tmp_path), display="none", score=False)
    result = CliRunner().invoke(inspect_cli, ["score", generated.location, "--scorer", "inspect_warmth/judge",
                                              "--overwrite", "--display", "none"])
    assert result.exit_code != 0
    assert "--model-role grader=" in f"{result.output}{result.exception}"
