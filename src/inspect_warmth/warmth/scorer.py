"""Inspect scorer ``inspect_warmth/socio_t``: the SocioT warmth of each reply (Methods, warmth; Cheng, Yu &
Jurafsky 2025).

Use it beside a correctness scorer in a task, or on a finished log::

    inspect score logs/LOG.eval --scorer inspect_warmth/socio_t -S samples=100
    inspect score logs/LOG.eval --scorer inspect_warmth/socio_t -S lm=smollm2-135m -S mode=corrected

Each Score's ``value`` is the reply's SocioT (higher is warmer); ``metadata`` holds its standard error
(``socio_t_se``), the two sets' means and the settings. The metrics are the mean and its standard error over
replies, as the paper reports per checkpoint.

Each reply is scored alone in a worker thread (the model is loaded once and shared; forward passes are
serialised), seeded with ``seed``: a reply's score does not depend on which other replies are scored at the same
time. An empty reply is scored as the released code scores it (prefixes only) and flagged ``empty_reply``.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Literal

from inspect_ai.scorer import Score, Scorer, Target, mean, scorer, stderr
from inspect_ai.solver import TaskState

from inspect_warmth.scorers.visible_answer import visible_answer


@scorer(metrics=[mean(), stderr()])
def socio_t(
    lm: str = "gpt2",
    mode: Literal["faithful", "corrected"] = "faithful",
    samples: int = 100,
    dropout: bool = True,
    seed: int = 0,
    device: str | None = None,
) -> Scorer:
    """SocioT warmth of the reply.

    Args:
        lm: causal LM that judges likelihood (``gpt2`` as in the paper; a local directory; ``smollm2-135m``).
        mode: ``faithful`` (the released computation) or ``corrected`` (pads masked out).
        samples: repeats per prefix set (the paper: 100).
        dropout: dropout on during the repeats, as released.
        seed: seed of the dropout masks.
        device: torch device; default CUDA when available.
    """
    if mode not in ("faithful", "corrected"):
        raise ValueError(f"socio_t: mode must be faithful or corrected, got {mode!r}")
    if samples < 1:
        raise ValueError(f"socio_t: samples must be >= 1, got {samples}")

    async def score(state: TaskState, target: Target) -> Score:
        import anyio

        from inspect_warmth.warmth.socio_t import score_texts

        reply = visible_answer(state.output)  # warmth of what the user reads, not of its reasoning
        run = partial(score_texts, [reply], lm=lm, mode=mode, samples=samples, dropout=dropout, seed=seed,
                      device=device, allow_empty=True)
        (result,) = await anyio.to_thread.run_sync(run)
        se = None if math.isnan(result.se) else result.se
        return Score(
            value=result.score,
            explanation=f"SocioT {result.score:.5f} (SE {se if se is None else round(se, 5)}) with {lm}, {mode}",
            metadata={
                "socio_t_se": se,
                "warm": result.warm,
                "cold": result.cold,
                "lm": lm,
                "mode": mode,
                "samples": samples,
                "dropout": dropout,
                "empty_reply": not reply,
            },
        )

    return score
