"""``inspect-warmth study FILE.yaml``: the study's whole design from one file.

One grid per family (:func:`inspect_warmth.run.grid.run_grid`: one vLLM server per base model, the variants of a
base on it, Inspect's ``eval_set`` resuming whatever finished), then one analysis over every family (the paper's
regressions with model fixed effects, the paired tables of each comparison, social sycophancy) and the report.
A rerun resumes: finished samples are reused, finished families cost nothing. ``--dry-run`` prints the
generations and judge calls per family and an estimate of the generation time, and generates nothing else.

The file (every key but ``families`` optional; defaults are the paper's)::

    judge: openai/gpt-4o-2024-08-06      # bound to the grader role (scorer judge)
    scorer: judge                        # or reference (offline; OEQ behaviours then unscored)
    tasks: [triviaqa, truthfulqa, disinfo, medqa, social_sycophancy]
    contexts: all
    templates: all
    samples: 500                         # questions per task (null: all)
    seed: 0
    capability: false                    # also MMLU, GSM8K, AdvBench
    data_dir: null                       # else $INSPECT_WARMTH_DATA, else pinned downloads
    log_dir: study-logs                  # LOG_DIR/<family>/<variant>[-capability|-social]/
    out: study-report                    # report.html, summary.md, analysis.json, social_syco.csv
    base: original                       # the variant every other is compared with
    candidate: warm                      # the variant of the regressions
    limit: null                          # first N samples per task (smoke runs)
    max_samples: null                    # Inspect's max_samples
    max_tokens: null                     # cap every reply (default: the tasks' own, the study's 300)
    social_contexts: unmodified          # social_sycophancy's contexts (the authors' table: none)
    social_samples: null                 # prompts per ELEPHANT dataset (null: all, as the study)
    families:
      llama8b:
        original: vllm/meta-llama/Llama-3.1-8B-Instruct
        warm: vllm/meta-llama/Llama-3.1-8B-Instruct:runs/warm-llama8b/checkpoint-epoch-2
        sysprompt: {model: vllm/meta-llama/Llama-3.1-8B-Instruct, system_prompt: warm}

A variant is a model spec, or a mapping ``{model, system_prompt}``. ``vllm/bundled`` (or ``hf/bundled``) is the
bundled SmolLM2-135M-Instruct (``inspect-warmth model`` prints its directory). Relative paths are read from the
current directory. A wrong key or value stops before any work with an error naming the file and the key.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspect_warmth.vocabulary import PAPER, STUDY_DATASETS, STUDY_SCORERS


class StudyFileError(ValueError):
    """The study file cannot be read as a design; the message names the file and the key."""


@dataclass(frozen=True)
class Variant:
    """One model variant of a family: its model spec and, for the control, a system prompt (``warm``)."""

    name: str
    model: str
    system_prompt: str | None = None


@dataclass(frozen=True)
class Family:
    """One base model and its variants (original, warm, cold, system prompt, saved epochs ...)."""

    name: str
    variants: tuple[Variant, ...]


@dataclass(frozen=True)
class Study:
    """A study file, checked. Field names are the file's keys."""

    families: tuple[Family, ...]
    tasks: tuple[str, ...] = STUDY_DATASETS
    contexts: str = "all"
    templates: str = "all"
    samples: int | None = PAPER.questions
    seed: int = 0
    scorer: str = "judge"
    judge: str | None = PAPER.judge
    capability: bool = False
    data_dir: str | None = None
    log_dir: str = "study-logs"
    out: str = "study-report"
    base: str = "original"
    candidate: str | None = "warm"
    limit: int | None = None
    max_samples: int | None = None
    max_tokens: int | None = None
    social_contexts: str = "unmodified"
    social_samples: int | None = None
    file: str = field(default="", compare=False)


_TYPES: dict[str, tuple[type, ...]] = {
    "contexts": (str, list), "templates": (str, list), "samples": (int, type(None)), "seed": (int,),
    "scorer": (str,), "judge": (str, type(None)), "capability": (bool,), "data_dir": (str, type(None)),
    "log_dir": (str,), "out": (str,), "base": (str,), "candidate": (str, type(None)), "limit": (int, type(None)),
    "max_samples": (int, type(None)), "max_tokens": (int, type(None)), "tasks": (str, list),
    "social_contexts": (str, list), "social_samples": (int, type(None)),
}


def _resolve_bundled(spec: str) -> str:
    """``vllm/bundled`` / ``hf/bundled[:adapter]`` -> the bundled checkpoint's directory; other specs unchanged."""
    provider, sep, rest = spec.partition("/")
    base, colon, adapter = rest.partition(":")
    if sep and provider in ("vllm", "hf") and base == "bundled":
        from inspect_warmth.models.bundled import resolve_model

        return f"{provider}/{resolve_model(base)}{colon}{adapter}"
    return spec


def _variant(file: str, family: str, name: str, value: Any) -> Variant:
    where = f"{file}: families.{family}.{name}"
    if isinstance(value, str) and value.strip():
        return Variant(name, value.strip())
    if isinstance(value, dict):
        unknown = set(value) - {"model", "system_prompt"}
        if unknown:
            raise StudyFileError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; a variant takes model and "
                                 "system_prompt")
        model, prompt = value.get("model"), value.get("system_prompt")
        if not isinstance(model, str) or not model.strip():
            raise StudyFileError(f"{where}.model: expected a model spec such as vllm/<checkpoint>, got {model!r}")
        if prompt not in (None, "warm"):
            raise StudyFileError(f"{where}.system_prompt: expected warm (or none), got {prompt!r}")
        return Variant(name, model.strip(), prompt)
    raise StudyFileError(f"{where}: expected a model spec or a mapping {{model, system_prompt}}, got {value!r}")


def parse_study(data: Any, file: str = "<study>") -> Study:
    """A loaded YAML document -> :class:`Study`; raises :class:`StudyFileError` naming ``file`` and the key."""
    if not isinstance(data, dict):
        raise StudyFileError(f"{file}: expected a mapping of keys (families, tasks, ...), got {type(data).__name__}")
    known = {f.name for f in dataclasses.fields(Study)} - {"file"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise StudyFileError(f"{file}: unknown key(s) {', '.join(unknown)}; expected {', '.join(sorted(known))}")
    families = data.get("families")
    if not isinstance(families, dict) or not families:
        raise StudyFileError(f"{file}: families: expected a mapping family -> {{variant: model}}, got {families!r}")
    parsed: list[Family] = []
    for name, variants in families.items():
        if not isinstance(variants, dict) or not variants:
            raise StudyFileError(f"{file}: families.{name}: expected a mapping variant -> model, got {variants!r}")
        parsed.append(Family(str(name), tuple(_variant(file, str(name), str(v), m) for v, m in variants.items())))
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key == "families":
            continue
        if not isinstance(value, _TYPES[key]) or (isinstance(value, bool) and bool not in _TYPES[key]):
            expected = " or ".join("null" if t is type(None) else t.__name__ for t in _TYPES[key])
            raise StudyFileError(f"{file}: {key}: expected {expected}, got {value!r}")
        values[key] = ",".join(map(str, value)) if isinstance(value, list) and key != "tasks" else value
    tasks = values.pop("tasks", None)
    if tasks is not None:
        values["tasks"] = tuple(t.strip() for t in (tasks.split(",") if isinstance(tasks, str) else map(str, tasks))
                                if t.strip())
        if not values["tasks"]:
            raise StudyFileError(f"{file}: tasks: empty")
    study = Study(families=tuple(parsed), file=file, **values)
    if study.scorer not in STUDY_SCORERS:
        raise StudyFileError(f"{file}: scorer: expected one of {', '.join(STUDY_SCORERS)}, got {study.scorer!r}")
    for family in study.families:
        if study.base not in {v.name for v in family.variants}:
            raise StudyFileError(f"{file}: families.{family.name}: no {study.base!r} variant (the base every "
                                 "other variant is compared with; set base: NAME)")
    return study


def read_study(path: str | Path) -> Study:
    """Read and check a study file (YAML)."""
    import yaml

    from inspect_warmth.data.readers import read_text

    path = Path(path)
    if not path.is_file():
        raise StudyFileError(f"{path}: no such study file")
    try:
        data = yaml.safe_load(read_text(path))
    except yaml.YAMLError as err:
        raise StudyFileError(f"{path}: not valid YAML ({err})") from err
    return parse_study(data, str(path))


def family_plan(study: Study, family: Family, *, require_grader: bool = True) -> Any:
    """The grid plan of one family: logs under ``log_dir/<family>``."""
    from inspect_warmth.run import grid as g

    try:
        plan = g.make_plan(
            family=family.name, models=[f"{v.name}={_resolve_bundled(v.model)}" for v in family.variants],
            tasks=",".join(study.tasks), contexts=study.contexts, templates=study.templates, samples=study.samples,
            seed=study.seed, log_dir=str(Path(study.log_dir) / family.name),
            grader=study.judge if study.scorer == "judge" else None, scorer=study.scorer, capability=study.capability,
            data_dir=study.data_dir, require_grader=require_grader,
            system_prompts=[f"{v.name}={v.system_prompt}" for v in family.variants if v.system_prompt])
    except ValueError as err:
        raise StudyFileError(f"{study.file}: families.{family.name}: {err}") from err
    plan.social_args = {"contexts": study.social_contexts, "samples": study.social_samples}
    return plan


def dry_run_text(study: Study, warmup: int | None = 0, warmup_max_tokens: int | None = None,
                 say: Callable[[str], None] | None = None) -> str:
    """Generations and judge calls per family and in all; with ``warmup`` (None: automatic, as the grid's), a
    measured time per generation on the first family's first model, scaled to the whole study."""
    from inspect_warmth.run import grid as g

    lines: list[str] = []
    generations = judge_calls = 0
    seconds: float | None = None
    for i, family in enumerate(study.families):
        plan = family_plan(study, family, require_grader=False)
        result = g.dry_run(plan, warmup=warmup if i == 0 else 0, warmup_max_tokens=warmup_max_tokens, say=say)
        seconds = result.seconds_per_generation if i == 0 else seconds
        lines += [g.dry_run_text(plan, result), ""]
        generations += result.generations
        judge_calls += result.judge_calls
    lines.append(f"study: {len(study.families)} families, {sum(len(f.variants) for f in study.families)} variants, "
                 f"{generations:,} generations, at most {judge_calls:,} judge calls"
                 + (f" with {study.judge}" if study.scorer == "judge" else " (scorer reference: none)"))
    if seconds is not None:
        hours = generations * seconds / 3600
        lines.append(f"estimate: about {hours:.1f} h of generation at the first family's measured "
                     f"{seconds:.3f} s per generation (larger models are slower: dry-run their family alone)")
    else:
        lines.append("no time estimate: pass --warmup N to time N generations on the first family's first model")
    lines.append(f"then one analysis over all families -> {study.out}/")
    return "\n".join(lines)


@dataclass
class StudyResult:
    """What a study run did: per family whether its grid finished, and the report's paths."""

    finished: dict[str, bool]
    paths: dict[str, Path] = field(default_factory=dict)
    headline: str = ""

    @property
    def ok(self) -> bool:
        return all(self.finished.values())


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run_study(study: Study, say: Callable[[str], None] = _stderr, **eval_set_args: Any) -> StudyResult:
    """Run every family's grid in turn, then analyse all their logs together and write the report.

    Raises :class:`~inspect_warmth.run.grid.LogDirMismatch` when a family's logs were made with other settings.
    The analysis runs even when a grid stopped early (its unfinished logs are set aside and counted).
    """
    from inspect_warmth.analysis.report import analyze_responses, write_json, write_report
    from inspect_warmth.analysis.responses import load_responses
    from inspect_warmth.run import grid as g

    plans = [family_plan(study, family) for family in study.families]  # every family checked before any work
    extra = {k: v for k, v in {"limit": study.limit, "max_samples": study.max_samples,
                               "max_tokens": study.max_tokens}.items() if v is not None}
    finished: dict[str, bool] = {}
    for n, plan in enumerate(plans, start=1):
        say(f"[{n}/{len(plans)}] family {plan.family}: {', '.join(plan.variants)} -> {plan.log_dir}")
        finished[plan.family] = g.run_grid(plan, say=say, **{**extra, **eval_set_args})
    say(f"analysing {study.log_dir} (all families)")
    candidate = study.candidate
    analysis = analyze_responses(load_responses([study.log_dir]), base=study.base,
                                 candidate=candidate if candidate in {v.name for f in study.families
                                                                      for v in f.variants} else None)
    paths = write_report(analysis, study.out)
    paths["json"] = write_json(analysis, Path(study.out) / "analysis.json")
    main = analysis.regressions.get("main")
    headline = (f"main effect of {analysis.candidate} vs {analysis.base}: {main['ame_pp']:+.2f} pp (N {main['n']:,})"
                if main else "")
    return StudyResult(finished=finished, paths=paths, headline=headline)
