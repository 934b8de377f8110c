"""``inspect-warmth study``: the design file checked (errors name the file and key), one grid per family with the
controls as variants, the dry run's counts, one analysis over all families, and a rerun that resumes."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from inspect_warmth.run import grid as g
from inspect_warmth.run.cli import study as study_command
from inspect_warmth.run.study import StudyFileError, family_plan, parse_study, read_study, run_study

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TINY = str(Path(__file__).with_name("grid_task.py")) + "@tiny"


def test_examples_parse_and_paper_has_the_studys_design() -> None:
    paper = read_study(EXAMPLES / "paper.yaml")
    assert [f.name for f in paper.families] == ["llama8b", "mistral-small", "qwen32b", "llama70b", "gpt4o"]
    names = {f.name: {v.name for v in f.variants} for f in paper.families}
    assert sum("original" in v for v in names.values()) == 5 and sum("warm" in v for v in names.values()) == 5
    assert {f for f, v in names.items() if "cold" in v} == {"qwen32b", "llama70b", "gpt4o"}
    assert paper.scorer == "judge" and paper.judge == "openai/gpt-4o-2024-08-06" and paper.capability
    offline = read_study(EXAMPLES / "offline.yaml")
    assert offline.scorer == "reference" and [v.system_prompt for v in offline.families[0].variants] == [None, "warm"]


@pytest.mark.parametrize(("change", "message"), [
    ({"sample": 3}, "unknown key(s) sample"),
    ({"samples": "many"}, "samples: expected int or null"),
    ({"capability": 1}, "capability: expected bool"),
    ({"scorer": "exact"}, "scorer: expected one of"),
    ({"families": {"f": {"warm": "mockllm/model"}}}, "families.f: no 'original' variant"),
    ({"families": {"f": {"original": {"model": "m", "system_prompt": "cold"}}}}, "families.f.original.system_prompt"),
    ({"families": {"f": {"original": {"modle": "m"}}}}, "families.f.original: unknown key(s) modle"),
    ({"families": []}, "families: expected a mapping"),
])
def test_bad_files_name_the_file_and_key(change: dict[str, Any], message: str) -> None:
    data = {"families": {"f": {"original": "mockllm/model"}}, **change}
    with pytest.raises(StudyFileError) as caught:
        parse_study(data, "design.yaml")
    assert str(caught.value).startswith("design.yaml: ") and message in str(caught.value)


def test_controls_become_variants_with_their_task_arguments() -> None:
    """The system-prompt variant gets system_prompt=warm on the study and social tasks, never on capability ones;
    the social task gets its own contexts and no templates."""
    design = parse_study({"tasks": ["triviaqa", "social_sycophancy"], "capability": True, "scorer": "reference",
                          "families": {"llama": {"original": "vllm/base", "cold": "vllm/base:cold-adapter",
                                                 "sysprompt": {"model": "vllm/base", "system_prompt": "warm"}}}})
    plan = family_plan(design, design.families[0])
    assert plan.variants == {"original": "vllm/base", "cold": "vllm/base:cold-adapter", "sysprompt": "vllm/base"}
    assert plan.task_args("inspect_warmth/triviaqa", "sysprompt")["system_prompt"] == "warm"
    assert "system_prompt" not in plan.task_args("inspect_warmth/triviaqa", "cold")
    social = plan.task_args("inspect_warmth/social_sycophancy", "sysprompt")
    assert social["system_prompt"] == "warm" and social["contexts"] == "unmodified" and "templates" not in social
    assert "system_prompt" not in plan.task_args("inspect_warmth/mmlu", "sysprompt")
    assert plan.variant_log_dir("sysprompt", "inspect_warmth/social_sycophancy").endswith("llama/sysprompt-social")
    with pytest.raises(ValueError, match="no variant 'sys'"):
        g.parse_system_prompts(["sys=warm"], plan.variants)


def test_dry_run_counts_every_family(tmp_path: Path) -> None:
    """The offline example's counts: per variant 3 questions x 2 templates x 2 contexts on TriviaQA, and the
    social prompts; nothing generated, no log written."""
    data = yaml.safe_load((EXAMPLES / "offline.yaml").read_text(encoding="utf-8"))
    data["log_dir"] = str(tmp_path / "logs")
    data["families"]["second"] = dict(data["families"]["smollm2"])
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = CliRunner().invoke(study_command, [str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "inspect_warmth/triviaqa: 12 samples per variant" in result.output
    assert "study: 2 families, 4 variants" in result.output and "no time estimate" in result.output
    assert not (tmp_path / "logs").exists()
    bad = tmp_path / "bad.yaml"
    bad.write_text("families: {f: {original: m}}\nsampels: 3\n", encoding="utf-8")
    result = CliRunner().invoke(study_command, [str(bad)])
    assert result.exit_code == 2 and f"{bad}: unknown key(s) sampels" in " ".join(result.output.split())


@pytest.mark.slow
def test_study_runs_every_family_then_one_analysis_and_resumes(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Two families on mockllm: logs per family and variant, one report over both families; the same study again
    generates nothing new. Unit: the log file. Marked slow: eight eval sets and two analyses (~20 s of CPU)."""
    from inspect_ai.model._providers.mockllm import MockLLM

    async def count_tokens(self: Any, *args: Any, **kwargs: Any) -> int:  # instead of a tiktoken download
        return 1

    monkeypatch.setattr(MockLLM, "count_tokens", count_tokens)
    design = parse_study({
        "tasks": [TINY], "scorer": "reference", "contexts": "all", "templates": "all", "samples": 3,
        "log_dir": str(tmp_path / "logs"), "out": str(tmp_path / "report"),
        "families": {"fam-a": {"original": "mockllm/model", "warm": "mockllm/model"},
                     "fam-b": {"original": "mockllm/model", "warm": "mockllm/model"}}}, "inline")
    result = run_study(design, say=lambda line: None, display="none")
    assert result.ok and set(result.finished) == {"fam-a", "fam-b"}
    logs = sorted(p.relative_to(tmp_path / "logs").parent.as_posix() for p in (tmp_path / "logs").rglob("*.eval"))
    assert logs == ["fam-a/original", "fam-a/warm", "fam-b/original", "fam-b/warm"]
    summary = result.paths["summary"].read_text(encoding="utf-8")
    assert "families: fam-a, fam-b" in summary and (tmp_path / "report" / "analysis.json").is_file()
    run_study(design, say=lambda line: None, display="none")
    assert len(list((tmp_path / "logs").rglob("*.eval"))) == 4


@pytest.mark.heavy
def test_offline_example_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's offline example as shipped (bundled model, reference scorer, AITA by rule), at its own small
    size; marked slow: one vLLM start (50-100 s on two cores) and a few dozen generations. Unit: the report."""
    if not shutil.which("inspect-warmth"):
        pytest.skip("inspect-warmth is not installed")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(study_command, [str(EXAMPLES / "offline.yaml")])
    assert result.exit_code == 0, result.output
    summary = (tmp_path / "study-offline" / "report" / "summary.md").read_text(encoding="utf-8")
    assert "sysprompt vs original" in summary and "Social sycophancy (ELEPHANT)" in summary
