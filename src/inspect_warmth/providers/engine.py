"""The ``warmth-hf`` generation engine: one background thread that keeps the model busy.

Requests arrive on a thread-safe queue from any number of concurrent ``generate()`` calls. The loop never waits
for the queue to fill: whenever rows are free it admits waiting requests at once (the oldest one plus those
closest to it in prompt length, left padded and prefilled together), merges them into the running batch's KV
cache, and decodes one token for every active row per step. A row leaves the batch the step it ends (end of
sequence, a stop string, or its token limit), its caller is answered immediately, and its cache rows are freed;
columns that only padding still occupies are trimmed away. This is continuous batching with the model's own
attention over a cache of :class:`~inspect_warmth.providers.kv_cache.SlabLayer` (new tokens written in place, no
per-step copy), so greedy outputs equal ``generate``'s on the same prompts.

Models whose cache layers are not plain full attention (sliding-window, linear or hybrid) keep transformers'
``DynamicCache``, which cannot be merged, so for them a batch is refilled only once it has drained; finished
rows still leave it at once.
"""

from __future__ import annotations

import inspect
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
import torch.nn.functional as F

from inspect_warmth.providers.kv_cache import swap_remove, to_slabs
from inspect_warmth.providers.sampling import SamplingParams, choose_tokens

logger = logging.getLogger(__name__)

StopReason = Literal["stop", "max_tokens"]

# Most free cache columns reserved ahead; longer replies grow the cache in steps.
_SPARE_CAP = 512


@dataclass(frozen=True)
class GenerationResult:
    """What one request produced. ``token_ids`` excludes a final end-of-sequence token; ``output_tokens``
    counts it (it was generated)."""

    token_ids: list[int]
    input_tokens: int
    output_tokens: int
    stop_reason: StopReason
    time: float


@dataclass(eq=False)
class GenerationRequest:
    """One prompt to complete. ``on_done`` is called from the engine thread with the result or an exception."""

    prompt_ids: list[int]
    max_new_tokens: int
    sampling: SamplingParams
    on_done: Callable[[GenerationResult | BaseException], None]
    stop_seqs: tuple[str, ...] = ()
    seed: int | None = None
    cancelled: bool = False
    generated: list[int] = field(default_factory=list)
    generator: torch.Generator | None = None
    submitted: float = field(default_factory=time.monotonic)


@dataclass
class _Batch:
    """Rows decoded together: a left-padded KV cache, its attention mask, and each row's last token/position."""

    rows: list[GenerationRequest]
    cache: Any
    mask: torch.Tensor
    positions: torch.Tensor
    last: torch.Tensor


_STOP = object()


class GenerationEngine:
    """Continuous-batching generation over one causal LM (see the module docstring)."""

    def __init__(
        self,
        model: Any,
        *,
        eos_token_ids: set[int],
        pad_token_id: int,
        decode: Callable[[list[int]], str],
        max_batch: int,
        refill_min: int | None = None,
    ) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        self.model = model
        self.eos_token_ids = set(eos_token_ids)
        self.pad_token_id = pad_token_id
        self.decode = decode
        self.max_batch = max_batch
        self.refill_min = max(1, refill_min if refill_min is not None else max_batch // 4)
        self.device = model.device
        params = inspect.signature(model.forward).parameters
        self._cache_kwarg = "cache" if "cache" in params else "past_key_values"
        self._logits_to_keep = "logits_to_keep" in params
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._mergeable = True
        self.steps = 0
        self.prefills = 0

    # public API -----------------------------------------------------------------------------------------------
    def submit(self, request: GenerationRequest) -> None:
        """Queue a request; the engine thread starts on first use."""
        if request.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be at least 1, got {request.max_new_tokens}")
        if not request.prompt_ids:
            raise ValueError("empty prompt: the chat template produced no tokens")
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="warmth-hf-engine", daemon=True)
                self._thread.start()
        self._queue.put(request)

    def close(self) -> None:
        """Stop the engine thread; requests still waiting fail with an error."""
        with self._lock:
            thread = self._thread
            self._thread = None
        if thread is not None and thread.is_alive():
            self._queue.put(_STOP)
            thread.join(timeout=30)

    # engine thread --------------------------------------------------------------------------------------------
    def _run(self) -> None:
        pending: list[GenerationRequest] = []
        running: list[_Batch] = []
        try:
            with torch.inference_mode():
                self._loop(pending, running)
        except BaseException as ex:  # never leave a caller waiting on a dead thread
            logger.exception("warmth-hf engine stopped")
            for request in pending + [r for batch in running for r in batch.rows]:
                request.on_done(ex)

    def _loop(self, pending: list[GenerationRequest], running: list[_Batch]) -> None:
        """The scheduling loop; ``running`` holds the current batch (if any) so ``_run`` can fail its rows."""
        batch: _Batch | None = None
        while True:
            running[:] = [batch] if batch else []
            if self._collect(pending, block=batch is None and not pending):
                error = RuntimeError("the warmth-hf engine was closed")
                for request in pending + (batch.rows if batch else []):
                    request.on_done(error)
                pending.clear()
                running.clear()
                return
            pending[:] = [r for r in pending if not r.cancelled]
            free = self.max_batch - (len(batch.rows) if batch else 0)
            can_refill = batch is None or (self._mergeable and free >= self.refill_min)
            if pending and free > 0 and can_refill:
                chosen = self._choose(pending, free)
                try:
                    fresh = self._prefill(chosen)
                except Exception as ex:
                    logger.exception("warmth-hf prefill failed")
                    for request in chosen:
                        request.on_done(ex)
                    fresh = None
                if fresh is not None:
                    running.append(fresh)
                    batch = self._retire(self._merge(batch, fresh))
                    running[:] = [batch] if batch else []
            if batch is None:
                continue
            current = batch
            try:
                batch = self._retire(self._step(current))
            except Exception as ex:
                logger.exception("warmth-hf decode step failed")
                for request in current.rows:
                    request.on_done(ex)
                batch = None

    def _collect(self, pending: list[GenerationRequest], *, block: bool) -> bool:
        """Move queued requests to ``pending`` (waiting for one when idle); True when asked to stop."""
        try:
            item = self._queue.get() if block else self._queue.get_nowait()
            while True:
                if item is _STOP:
                    return True
                pending.append(item)
                item = self._queue.get_nowait()
        except queue.Empty:
            return False

    def _choose(self, pending: list[GenerationRequest], free: int) -> list[GenerationRequest]:
        """The oldest waiting request plus those closest to it in prompt length (removed from ``pending``)."""
        anchor = min(pending, key=lambda r: r.submitted)
        size = len(anchor.prompt_ids)
        ranked = sorted(pending, key=lambda r: (r is not anchor, abs(len(r.prompt_ids) - size), r.submitted))
        chosen = ranked[:free]
        chosen_ids = {id(r) for r in chosen}
        pending[:] = [r for r in pending if id(r) not in chosen_ids]
        return chosen

    def _forward(self, ids: torch.Tensor, mask: torch.Tensor, positions: torch.Tensor, cache: Any) -> torch.Tensor:
        kwargs: dict[str, Any] = {self._cache_kwarg: cache, "use_cache": True}
        if self._logits_to_keep:
            kwargs["logits_to_keep"] = 1
        out = self.model(input_ids=ids, attention_mask=mask, position_ids=positions, **kwargs)
        return out.logits[:, -1, :]

    def _prefill(self, rows: list[GenerationRequest]) -> _Batch:
        self.prefills += 1
        width = max(len(r.prompt_ids) for r in rows)
        ids = torch.full((len(rows), width), self.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, request in enumerate(rows):
            n = len(request.prompt_ids)
            ids[i, width - n :] = torch.tensor(request.prompt_ids, dtype=torch.long)
            mask[i, width - n :] = 1
            if request.seed is not None and request.sampling.do_sample and request.generator is None:
                request.generator = torch.Generator(device=self.device).manual_seed(request.seed)
        ids, mask = ids.to(self.device), mask.to(self.device)
        positions = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 0)
        cache = _dynamic_cache(self.model.config)
        logits = self._forward(ids, mask, positions, cache)
        tokens = self._choose_tokens(logits, rows)
        batch = _Batch(rows=list(rows), cache=cache, mask=mask, positions=positions[:, -1], last=tokens)
        self._record(batch, tokens)
        return batch

    def _step(self, batch: _Batch) -> _Batch:
        self.steps += 1
        ones = torch.ones((batch.mask.shape[0], 1), dtype=batch.mask.dtype, device=batch.mask.device)
        batch.mask = torch.cat([batch.mask, ones], dim=1)
        batch.positions = batch.positions + 1
        logits = self._forward(batch.last.view(-1, 1), batch.mask, batch.positions.view(-1, 1), batch.cache)
        tokens = self._choose_tokens(logits, batch.rows)
        batch.last = tokens
        self._record(batch, tokens)
        return batch

    def _choose_tokens(self, logits: torch.Tensor, rows: list[GenerationRequest]) -> torch.Tensor:
        params = [r.sampling for r in rows]
        histories = None
        if any(p.repetition_penalty not in (None, 1.0) for p in params):
            histories = [torch.tensor(r.prompt_ids + r.generated, dtype=torch.long) for r in rows]
        return choose_tokens(logits, params, histories, [r.generator for r in rows])

    def _record(self, batch: _Batch, tokens: torch.Tensor) -> None:
        for request, token in zip(batch.rows, tokens.tolist(), strict=True):
            request.generated.append(int(token))

    def _finish_reason(self, request: GenerationRequest) -> StopReason | None:
        if request.generated[-1] in self.eos_token_ids:
            return "stop"
        if request.stop_seqs:
            window = max(len(s) for s in request.stop_seqs) + 4
            tail = self.decode(request.generated[-window:])
            if any(stop in tail for stop in request.stop_seqs):
                return "stop"
        if len(request.generated) >= request.max_new_tokens:
            return "max_tokens"
        return None

    def _retire(self, batch: _Batch) -> _Batch | None:
        """Answer finished (or cancelled) rows and drop them from the batch."""
        keep: list[int] = []
        for i, request in enumerate(batch.rows):
            if request.cancelled:
                continue
            reason = self._finish_reason(request)
            if reason is None:
                keep.append(i)
                continue
            ids = request.generated
            if ids and ids[-1] in self.eos_token_ids:
                ids = ids[:-1]
            request.on_done(
                GenerationResult(
                    token_ids=list(ids),
                    input_tokens=len(request.prompt_ids),
                    output_tokens=len(request.generated),
                    stop_reason=reason,
                    time=time.monotonic() - request.submitted,
                )
            )
        if not keep:
            return None
        if len(keep) == len(batch.rows):
            return batch
        if not self._mergeable:
            index = torch.tensor(keep, dtype=torch.long, device=batch.mask.device)
            batch.cache.batch_select_indices(index)
        else:
            # the last live rows move into the finished rows' slots: one row copied per finished row
            moves, keep = swap_remove(len(batch.rows), sorted(set(range(len(batch.rows))) - set(keep)))
            for layer in batch.cache.layers:
                layer.remove_rows(moves, len(keep))
            index = torch.tensor(keep, dtype=torch.long, device=batch.mask.device)
        batch.rows = [batch.rows[i] for i in keep]
        batch.mask = batch.mask.index_select(0, index)
        batch.positions = batch.positions.index_select(0, index)
        batch.last = batch.last.index_select(0, index)
        if self._mergeable:
            self._trim(batch)
        return batch

    def _trim(self, batch: _Batch) -> None:
        """Drop leading cache columns that are padding in every remaining row."""
        used = batch.mask.any(dim=0).nonzero()
        lead = int(used[0]) if used.numel() else 0
        if lead == 0:
            return
        batch.mask = batch.mask[:, lead:]
        for layer in batch.cache.layers:
            layer.drop_leading(lead)

    def _merge(self, old: _Batch | None, new: _Batch) -> _Batch:
        """Add a freshly prefilled batch to the running one (or start one from it): its cache rows are copied
        into the slab, right-aligned, and the shorter side's mask is left padded."""
        if old is None:
            if self._mergeable and not to_slabs(new.cache, self.max_batch, _spare(new.rows)):
                self._mergeable = False  # not plain full attention: transformers' cache, refilled once drained
            return new
        spare = _spare(old.rows + new.rows)
        for slab, layer in zip(old.cache.layers, new.cache.layers, strict=True):
            slab.spare = spare
            slab.append(layer.keys, layer.values)
        width = max(old.mask.shape[1], new.mask.shape[1])
        old.mask = torch.cat(
            [F.pad(old.mask, (width - old.mask.shape[1], 0)), F.pad(new.mask, (width - new.mask.shape[1], 0))]
        )
        old.positions = torch.cat([old.positions, new.positions])
        old.last = torch.cat([old.last, new.last])
        old.rows = old.rows + new.rows
        return old


def _spare(rows: list[GenerationRequest]) -> int:
    """Cache columns to keep free: the most tokens any row may still generate, capped."""
    return min(_SPARE_CAP, max(r.max_new_tokens - len(r.generated) for r in rows))


def _dynamic_cache(config: Any) -> Any:
    from transformers import DynamicCache

    try:
        return DynamicCache(config=config)
    except TypeError:  # transformers before 4.56 took no config
        return DynamicCache()
