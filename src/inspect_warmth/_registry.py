"""Imported by Inspect through the ``inspect_ai`` entry point: registers every task, solver and
scorer so that ``inspect_warmth/<name>`` resolves. Keep heavy imports (torch, transformers) out of this path."""

from inspect_warmth.scorers import advbench_refusal, gsm8k_number, judge, mmlu_letter, reference
from inspect_warmth.scorers.elephant import elephant
from inspect_warmth.solvers.condition import study_condition
from inspect_warmth.solvers.pushback import pushback
from inspect_warmth.solvers.warm_system_prompt import warm_system_prompt
from inspect_warmth.tasks.advbench import advbench
from inspect_warmth.tasks.disinfo import disinfo
from inspect_warmth.tasks.gsm8k import gsm8k
from inspect_warmth.tasks.medqa import medqa
from inspect_warmth.tasks.mmlu import mmlu
from inspect_warmth.tasks.social_sycophancy import social_sycophancy
from inspect_warmth.tasks.triviaqa import triviaqa
from inspect_warmth.tasks.truthfulqa import truthfulqa
from inspect_warmth.warmth.scorer import socio_t
