"""The study's vocabulary, defined once: datasets, templates, amendments, scorer names and the paper's defaults.

Everything else imports these names; nothing retypes them. Source: Ibrahim, Hafner & Rocher, "Training language
models to be warm can reduce accuracy and increase sycophancy", Nature 652 (2026), Methods ("Evaluation
datasets", "Prompt conditions", "Fine-tuning", "Statistical analysis"); arXiv 2507.21919.
The same rules, for users, are in ``docs/study.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

# ------------------------------------------------------------------------------------------------- datasets

StudyDataset = Literal["triviaqa", "truthfulqa", "disinfo", "medqa"]
#: The four free-text tasks whose error rates the study compares (Methods, "Evaluation datasets").
STUDY_DATASETS: tuple[StudyDataset, ...] = ("triviaqa", "truthfulqa", "disinfo", "medqa")
#: The capability checks (MMLU, GSM8K; AdvBench refusal rate), reported apart from the study's error rates.
CAPABILITY_DATASETS: tuple[str, ...] = ("mmlu", "gsm8k", "advbench")
#: The only dataset on which a refusal counts as a correct answer (Methods, "Scoring"); elsewhere it is left out.
REFUSAL_IS_CORRECT: str = "disinfo"
#: Labels used by the authors' files (``summary_data``, ``sample_data``: ``trivia``) and common spellings -> ours.
DATASET_ALIASES: dict[str, str] = {
    "trivia": "triviaqa", "trivia_qa": "triviaqa", "tqa": "truthfulqa", "truthful_qa": "truthfulqa",
    "mask": "disinfo", "disinformation": "disinfo", "med_qa": "medqa", "medqa_usmle": "medqa",
}

# ------------------------------------------------------------------------------------------------ templates

Template = Literal["original", "neutral", "incorrect", "correct", "pushback"]
#: The paper's four templates (the user's stated belief): what ``templates=all`` means.
TEMPLATES: tuple[Template, ...] = ("original", "neutral", "incorrect", "correct")
#: The two templates in which the user states a belief (``incorrect``: a wrong answer; ``correct``: denies the
#: right one).
BELIEF_TEMPLATES: tuple[Template, ...] = ("incorrect", "correct")
#: The two-turn "are you sure?" template (beyond the paper); asked for by name only, analysed as a flip rate.
PUSHBACK: Template = "pushback"
#: The authors' ``prompt_template`` values -> ours.
TEMPLATE_ALIASES: dict[str, str] = {"original_neutral": "neutral"}
#: template -> prompt type of the regressions (``no_belief`` / ``belief``; Methods, "Statistical analysis").
PROMPT_TYPES: dict[str, str] = {"original": "no_belief", "neutral": "no_belief", "incorrect": "belief",
                                "correct": "belief"}
#: template -> test type of the authors' paired tables (``normal`` / ``sycophancy``).
TEST_TYPES: dict[str, str] = {"original": "normal", "neutral": "normal", "incorrect": "sycophancy",
                              "correct": "sycophancy"}

# ---------------------------------------------------------------------------------------- amendments

#: The eight interpersonal contexts, in the study's order (Methods, "Prompt conditions"; Fig. 3).
CONTEXTS: tuple[str, ...] = (
    "emotion:happy",
    "emotion:sad",
    "emotion:anger",
    "relation:close",
    "relation:hierarchical_up",
    "relation:hierarchical_down",
    "stake:high",
    "stake:low",
)
#: The nine amendments: no context, then the eight contexts.
AMENDMENTS: tuple[str, ...] = ("unmodified", *CONTEXTS)
#: Amendment types as the regressions group them.
AMENDMENT_TYPES: tuple[str, ...] = ("unmodified", "emotion", "relation", "stake")


def amendment_type(amendment: str) -> str:
    """``emotion:sad`` -> ``emotion``; ``unmodified`` -> ``unmodified``. Raises ValueError for another label."""
    if amendment == "unmodified":
        return "unmodified"
    if amendment not in CONTEXTS:
        raise ValueError(f"unknown amendment {amendment!r}; expected one of {', '.join(AMENDMENTS)}")
    return amendment.split(":", 1)[0]


#: Query types of the fine-tuning conversations, in the order their rules are tried (Methods, "Fine-tuning data").
QUERY_TYPES: tuple[str, ...] = ("refusal", "factual", "creative", "technical", "advice", "other")

# ------------------------------------------------------------------------------------------------- scorers

#: Study scorers accepted by the study tasks' ``scorer`` parameter: the model-graded judge (the paper's) and the
#: offline reference scorer.
STUDY_SCORERS: tuple[str, ...] = ("judge", "reference")
#: The capability tasks' scorers.
CAPABILITY_SCORERS: tuple[str, ...] = ("mmlu_letter", "gsm8k_number", "advbench_refusal")
#: Score names preferred when one reply carries several (the first present wins; ``--scorer`` overrides).
SCORER_PREFERENCE: tuple[str, ...] = (*STUDY_SCORERS, *CAPABILITY_SCORERS)
#: Scores that are not correctness scores and never become rows of the responses table.
NON_CORRECTNESS_SCORERS: frozenset[str] = frozenset({"socio_t", "elephant"})
#: Capability tasks whose scorer calls the grader (AdvBench refusal is judged by a model; MMLU/GSM8K by rule).
JUDGED_CAPABILITY_TASKS: frozenset[str] = frozenset({"advbench"})

# ------------------------------------------------------------------------------------- social sycophancy

#: The social-sycophancy task's two ELEPHANT datasets (Cheng et al. 2025, "Social Sycophancy: A Broader
#: Understanding of LLM Sycophancy", ELEPHANT): open-ended advice questions and AITA posts the community judged
#: at fault (the study's ``AITA-YTA``).
SOCIAL_DATASETS: tuple[str, ...] = ("oeq", "aita")
#: The authors' dataset labels in ``social_syco.csv`` -> ours.
SOCIAL_DATASET_LABELS: dict[str, str] = {"oeq": "OEQ", "aita": "AITA-YTA"}
#: ELEPHANT's four behaviours on open-ended questions, in the benchmark's order (the OEQ file's human-label columns
#: are ``<behaviour>_human``).
OEQ_BEHAVIOURS: tuple[str, ...] = ("emotional_validation", "indirect_language", "indirect_action", "accept_framing")
#: ELEPHANT's AITA measure: the reply says "not at fault" on a post the community judged at fault.
MORAL_ENDORSEMENT = "moral_endorsement"
SOCIAL_BEHAVIOURS: tuple[str, ...] = (*OEQ_BEHAVIOURS, MORAL_ENDORSEMENT)
#: behaviour -> the ``benchmark`` label of the authors' ``social_syco.csv`` (which pools the two indirectness
#: measures as "Indirectness"; ours keeps them apart).
SOCIAL_BEHAVIOUR_LABELS: dict[str, str] = {
    "emotional_validation": "Emotional validation", "indirect_language": "Indirect language",
    "indirect_action": "Indirect action", "accept_framing": "Framing", MORAL_ENDORSEMENT: "Moral endorsement",
}
#: Score name of the social-sycophancy scorer; its replies are analysed per behaviour, never as correctness.
SOCIAL_SCORER = "elephant"
#: Study variants whose comparisons ``analyze`` reports (Methods, "Models"; controls: cold fine-tuning and the warm
#: system prompt on the original model): (candidate, base) pairs, each when both variants are in the data.
CONTROL_COMPARISONS: tuple[tuple[str, str], ...] = (
    ("warm", "original"), ("cold", "original"), ("warm", "cold"), ("sysprompt", "original"),
)


# ---------------------------------------------------------------------------------------- the paper's values


@dataclass(frozen=True)
class PaperValues:
    """The study's published settings (Methods, "Fine-tuning" and "Evaluation"), the defaults of every command."""

    questions: int = 500  # questions sampled per task
    disinfo_questions: int = 125  # MASK disinformation: all 125 rows
    temperature: float = 0.8  # generation of the four study tasks
    capability_temperature: float = 0.2  # MMLU and GSM8K
    max_tokens: int = 300  # per reply
    train_conversations: int = 1617
    validation_prompts: int = 1500  # held-out prompts for SocioT
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.1
    lr: float = 1e-5
    max_length: int = 1024
    effective_batch: int = 16
    epochs: float = 10
    save_epochs: tuple[float, ...] = (0.5, 1, 1.5, 2, 4, 6, 8, 10)
    warm_epoch: float = 2  # the checkpoint the paper calls the warm (or cold) model
    socio_t_samples: int = 100  # SocioT dropout repeats
    socio_t_lm: str = "gpt2"  # SocioT's language model
    judge: str = "openai/gpt-4o-2024-08-06"
    judge_temperature: float = 0.0
    # GPT-4o-2024-08-06 through the OpenAI fine-tuning API (full fine-tuning): learning-rate multiplier per style
    api_lr_multiplier: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({"warm": 0.25,
                                                                                              "cold": 0.1}))


PAPER = PaperValues()
