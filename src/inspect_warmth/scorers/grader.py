"""The grader model: resolving Inspect's ``grader`` role, asking it, and parsing its verdict.

The grader is whatever model the user binds to the ``grader`` role (``--model-role grader=openai/gpt-4o-2024-08-06``
on the command line, ``model_roles={"grader": ...}`` from Python, or the roles recorded in a log when re-scoring).
It is never the model under test: :func:`grader_model` raises when the role is unbound (``get_model(role=...)``
would otherwise fall back to the model under test) or bound to the model under test itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from inspect_ai.model import GenerateConfig, Model, get_model, model_roles
from inspect_ai.model._model import active_model

from inspect_warmth.scorers.visible_answer import visible_answer
from inspect_warmth.vocabulary import PAPER

#: Name of the model role the study scorers grade with.
GRADER_ROLE = "grader"

#: Generation settings of every grader call (the study's judge ran at temperature 0).
GRADER_CONFIG = GenerateConfig(temperature=PAPER.judge_temperature)

HOW_TO_BIND = (
    "bind a grader model, e.g. `inspect eval ... --model-role grader=openai/gpt-4o-2024-08-06` "
    "(or `inspect score LOG --scorer inspect_warmth/judge --model-role grader=...`), or from Python "
    '`eval(..., model_roles={"grader": "openai/gpt-4o-2024-08-06"})`; for a judge-free run use '
    "`-T scorer=reference`"
)


class GraderError(RuntimeError):
    """The grader role is missing or would make the model under test grade itself."""


def grader_bound() -> bool:
    """Whether the ``grader`` role is bound in the running task (or re-scoring) context."""
    return model_roles().get(GRADER_ROLE) is not None


def _same_model(a: Model, b: Model) -> bool:
    if a is b:
        return True
    return (
        type(a.api) is type(b.api)
        and a.api.model_name == b.api.model_name
        and a.api.base_url == b.api.base_url
        and getattr(a.api, "model_args", None) == getattr(b.api, "model_args", None)
    )


def grader_model() -> Model:
    """The model bound to the ``grader`` role; raises :class:`GraderError` if unbound or the model under test."""
    if not grader_bound():
        raise GraderError(f"The judge needs a model bound to the '{GRADER_ROLE}' role: {HOW_TO_BIND}.")
    grader = get_model(role=GRADER_ROLE, required=True)
    under_test = active_model()
    if under_test is not None and _same_model(grader, under_test):
        raise GraderError(
            f"The '{GRADER_ROLE}' role is bound to the model under test ({under_test}); a model must never "
            f"grade its own replies: {HOW_TO_BIND}."
        )
    return grader


@dataclass(frozen=True)
class Verdict:
    """One grader answer: the parsed label (``None`` if unparsable), its explanation and the raw completion."""

    label: str | None
    explanation: str
    raw: str


def parse_verdict(text: str, labels: tuple[str, ...]) -> Verdict:
    """Parse a completion ending in ``VERDICT: <LABEL>``; the last such line wins.

    Tolerates markdown emphasis and case (``**Verdict:** correct``). The explanation is the text before the
    verdict line. A completion without a verdict line, or with a label outside ``labels``, has ``label=None``.
    """
    alternatives = "|".join(sorted((re.escape(label) for label in labels), key=len, reverse=True))
    pattern = re.compile(rf"verdict\W{{0,6}}\s*[:\-]?\s*[\*_`\"']*\s*({alternatives})\b", re.IGNORECASE)
    matches = list(pattern.finditer(text))
    if not matches:
        return Verdict(label=None, explanation=text.strip(), raw=text)
    last = matches[-1]
    line_start = text.rfind("\n", 0, last.start()) + 1
    return Verdict(label=last.group(1).upper(), explanation=text[:line_start].strip(), raw=text)


@dataclass(frozen=True)
class GraderResult:
    """The outcome of asking the grader up to ``max_attempts`` times; ``failure`` says why the last attempt gave
    no verdict (None when ``verdict.label`` is set)."""

    verdict: Verdict
    attempts: int
    grader: str
    failure: str | None = None

    def unscored_reason(self, who: str = "judge") -> str:
        """``"judge gave no verdict after 3 attempt(s); last: call failed: RateLimitError: ..."``."""
        return f"{who} gave no verdict after {self.attempts} attempt(s); last: {self.failure or 'no verdict line'}"


#: Longest part of a provider's error message kept in a reason (Score metadata and the analysis' exclusions).
_REASON_CHARS = 200


def describe_error(error: BaseException) -> str:
    """``"RateLimitError: ..."``: the error, or for Inspect's retrier giving up (tenacity's ``RetryError``) the
    error of its last attempt."""
    last = getattr(getattr(error, "last_attempt", None), "exception", lambda: None)()
    if isinstance(last, BaseException):
        error = last
    return f"{type(error).__name__}: {error}"


async def ask_grader(prompt: str, labels: tuple[str, ...], max_attempts: int) -> GraderResult:
    """Ask the grader; try again while there is no verdict, at most ``max_attempts`` calls in all.

    Each call goes through Inspect's model API, which itself retries rate limits (429), server errors (5xx) and
    timeouts with backoff under the grader's ``max_retries`` / ``timeout`` (``GenerateConfig``). What is still
    an error after that (or a malformed or empty response) counts as a failed attempt, as does a completion
    without a verdict line or one cut at ``max_tokens``; :attr:`GraderResult.failure` names the last one. Errors
    of the grader's binding (:class:`GraderError`) and Inspect's limits are raised, not counted.
    """
    from inspect_ai.util import LimitExceededError

    if max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
    grader = grader_model()
    verdict = Verdict(label=None, explanation="", raw="")
    attempts = 0
    failure: str | None = None
    while attempts < max_attempts:
        attempts += 1
        try:
            output = await grader.generate(prompt, config=GRADER_CONFIG)
        except LimitExceededError:
            raise
        except Exception as error:  # an outage after Inspect's retries: counted with its reason, not a crash
            failure = f"call failed: {describe_error(error)}"[:_REASON_CHARS]
            continue
        if not output.choices:
            failure = "empty response (no choices)"
            continue
        verdict = parse_verdict(visible_answer(output), labels)
        if verdict.label is not None:
            failure = None
            break
        failure = ("verdict cut at max_tokens" if output.stop_reason == "max_tokens"
                   else "no verdict line in the completion")
    return GraderResult(verdict=verdict, attempts=attempts, grader=str(grader), failure=failure)
