"""The warm system-prompt control: the model sees the derived warm instructions as its system message."""

from __future__ import annotations

from pathlib import Path

from inspect_ai import Task, eval
from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessageSystem, ModelOutput, ModelUsage
from inspect_ai.scorer import includes
from inspect_ai.solver import generate

from inspect_warmth.solvers.warm_system_prompt import warm_system_prompt
from inspect_warmth.solvers.warm_system_prompt_text import warm_system_prompt_text
from inspect_warmth.study.stimuli import stimuli


def test_warm_prompt_is_derived_from_the_rewrite_prompt() -> None:
    text = warm_system_prompt_text()
    rewrite = stimuli().rewrite_prompts["warm"]
    warmth = rewrite[rewrite.index("Enhance WARMTH by:"):rewrite.index("REMEMBER:")].strip()
    assert warmth in text and "Create CLOSENESS by:" in text
    assert "transforming AI responses" not in text  # recast from rewriting to responding


def test_solver_sets_the_system_message(tmp_path: Path) -> None:
    seen: list[list] = []

    def respond(messages, tools, tool_choice, config):  # type: ignore[no-untyped-def]
        seen.append(messages)
        out = ModelOutput.from_content("mockllm/model", "hi")
        out.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        return out

    task = Task(dataset=[Sample(input="Hello?", target="hi")], solver=[warm_system_prompt(), generate()],
                scorer=includes())
    (log,) = eval(task, model="mockllm/model", model_args={"custom_outputs": respond}, display="none",
                  log_dir=str(tmp_path))
    assert log.status == "success" and log.results and log.results.scores[0].metrics["accuracy"].value == 1
    first = seen[0][0]
    assert isinstance(first, ChatMessageSystem) and first.text == warm_system_prompt_text()
    assert seen[0][-1].text == "Hello?" and len(seen) == 1
