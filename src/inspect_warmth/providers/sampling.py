"""Next-token choice for the ``warmth-hf`` engine, with the semantics of transformers' ``generate``.

A request's :class:`SamplingParams` are resolved the way ``hf/`` resolves them: the call's GenerateConfig first,
then the checkpoint's ``generation_config``, then transformers' global defaults (``top_k=50`` and so on). Greedy
rows take ``argmax`` over the logits in float32, exactly as ``generate`` does; sampling rows go through the same
transformers logits warpers in the same order (repetition penalty, temperature, top-k, top-p, min-p).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import torch


@dataclass(frozen=True)
class SamplingParams:
    """How one request picks its next token."""

    do_sample: bool
    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = None
    min_p: float | None = None
    repetition_penalty: float | None = None

    @classmethod
    def resolve(
        cls,
        generation_config: Any,
        *,
        do_sample: bool,
        temperature: float | None,
        top_p: float | None,
        top_k: int | None,
    ) -> SamplingParams:
        """Merge a call's settings over the checkpoint's generation config and transformers' defaults.

        ``temperature == 0`` means greedy decoding (``hf/`` would raise instead; greedy is what it asks for).
        """
        get_defaults = getattr(type(generation_config), "_get_default_generation_params", None)
        defaults: dict[str, Any] = get_defaults() if callable(get_defaults) else {}

        def pick(name: str, value: Any) -> Any:
            if value is not None:
                return value
            own = getattr(generation_config, name, None) if generation_config is not None else None
            return own if own is not None else defaults.get(name)

        if not do_sample or temperature == 0:
            return cls(do_sample=False, repetition_penalty=pick("repetition_penalty", None))
        return cls(
            do_sample=True,
            temperature=float(pick("temperature", temperature) or 1.0),
            top_k=pick("top_k", top_k),
            top_p=pick("top_p", top_p),
            min_p=pick("min_p", None),
            repetition_penalty=pick("repetition_penalty", None),
        )

    def warpers(self) -> list[Any]:
        """The transformers logits processors this request needs, in ``generate``'s order."""
        return list(_warpers(self))

    @property
    def is_plain_greedy(self) -> bool:
        """Argmax over the raw logits, nothing to apply first."""
        return not self.do_sample and not _warpers(self)


@functools.lru_cache(maxsize=256)
def _warpers(params: SamplingParams) -> tuple[Any, ...]:
    """Cached per distinct settings: built once, not once per row and step."""
    from transformers.generation.logits_process import (
        MinPLogitsWarper,
        RepetitionPenaltyLogitsProcessor,
        TemperatureLogitsWarper,
        TopKLogitsWarper,
        TopPLogitsWarper,
    )

    out: list[Any] = []
    if params.repetition_penalty is not None and params.repetition_penalty != 1.0:
        out.append(RepetitionPenaltyLogitsProcessor(penalty=float(params.repetition_penalty)))
    if not params.do_sample:
        return tuple(out)
    if params.temperature != 1.0:
        out.append(TemperatureLogitsWarper(float(params.temperature)))
    if params.top_k is not None and params.top_k != 0:
        out.append(TopKLogitsWarper(top_k=int(params.top_k)))
    if params.top_p is not None and params.top_p < 1.0:
        out.append(TopPLogitsWarper(top_p=float(params.top_p)))
    if params.min_p is not None:
        out.append(MinPLogitsWarper(min_p=float(params.min_p)))
    return tuple(out)


def choose_tokens(
    logits: torch.Tensor,
    params: list[SamplingParams],
    histories: list[torch.Tensor] | None,
    generators: list[torch.Generator | None],
) -> torch.Tensor:
    """Pick one token per row of ``logits`` ([rows, vocab]).

    ``histories`` (each row's prompt plus generated ids, 1-D) is needed only when a repetition penalty applies;
    ``generators`` gives a seeded generator per row or None for the global RNG.
    """
    scores = logits.float()
    if all(p.is_plain_greedy for p in params):
        return scores.argmax(dim=-1)
    out = torch.empty(scores.shape[0], dtype=torch.long, device=scores.device)
    groups: dict[SamplingParams, list[int]] = {}
    for row, p in enumerate(params):
        groups.setdefault(p, []).append(row)
    for p, rows in groups.items():
        warpers = p.warpers()
        index = torch.tensor(rows, device=scores.device)
        group_scores = scores.index_select(0, index)
        if warpers:
            processed = []
            for i, row in enumerate(rows):
                history = histories[row] if histories is not None else torch.empty(0, dtype=torch.long)
                row_scores = group_scores[i : i + 1]
                for warper in warpers:
                    row_scores = warper(history.view(1, -1).to(scores.device), row_scores)
                processed.append(row_scores)
            group_scores = torch.cat(processed, dim=0)
        if not p.do_sample:
            out[index] = group_scores.argmax(dim=-1)
            continue
        probs = torch.softmax(group_scores, dim=-1)
        for i, row in enumerate(rows):
            out[row] = torch.multinomial(probs[i], num_samples=1, generator=generators[row]).squeeze(0)
    return out
