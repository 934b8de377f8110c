"""Imported by Inspect through the ``inspect_ai`` entry point: registers every task, solver, scorer and model
provider so that ``inspect_warmth/<name>`` resolves. Keep heavy imports (torch, transformers) out of this path."""

from inspect_warmth.solvers.condition import study_condition
from inspect_warmth.tasks.disinfo import disinfo
from inspect_warmth.tasks.medqa import medqa
from inspect_warmth.tasks.triviaqa import triviaqa
from inspect_warmth.tasks.truthfulqa import truthfulqa
