"""SocioT warmth (Cheng, Yu & Jurafsky, "HumT DumT", ACL 2025) as a fast library; the authors' released code is
the spec.

A text is warm when a language model finds it more likely spoken by a friend, lover, mentor or idol than by a
stranger, enemy, examiner or dictator. ``score_texts`` returns, per text, that difference and its standard error.

``mode="faithful"`` reproduces the released computation exactly, step by step:

1. ``text = text[:300]``; ``quoted = f'"{text}"'`` (an empty text stays empty: no quote marks).
2. Each word of a set gives ``"My friend said, " + quoted`` or ``f"The {word} said, " + quoted``; each string is
   tokenised alone with the tokenizer's default special tokens (GPT-2 adds none, as in the released code; a
   tokenizer that adds a BOS token, e.g. Llama 3, keeps it) and truncated at 1,024 tokens.
3. The four sequences of a set are right-padded with id 0 to the longest of the four, attention mask 0 on pads.
4. ``labels=input_ids``: the pads' id-0 targets are *not* masked, so the set's loss is the mean token
   cross-entropy over all ``4 x (L - 1)`` shifted positions of the padded group (L = its longest member).
   The set's value for one repeat is minus that loss.
5. ``samples`` repeats with dropout on (``model.train()``); mean and ``scipy.stats.sem`` over repeats.
6. score = warm mean - cold mean; SE = sqrt(SEM_warm² + SEM_cold²).

``mode="corrected"`` differs only in step 4: pads are masked out of the targets, each sequence's own mean
log-likelihood (over its real shifted tokens, prefix included) is taken, and a set's value is the mean of its four
sequences' values. Padding then no longer leaks into the score, so a text's score no longer depends on how much
shorter its warm or cold prefixes tokenise than the longest one.

How it is vectorised without changing the numbers: every (text, prefix, repeat) sequence becomes one row of a large
batch, sorted by length and padded to the batch's longest row. A causal model's logits at position t depend only
on positions <= t, so the extra padding beyond a group's own length changes nothing before it; per-token losses are
computed with our own cross-entropy (reduction none) and, per row, exactly the positions the group-of-four padding
would include are summed (pad targets inside the group's own length included). Results therefore do not depend on
``batch_size`` beyond float rounding (~1e-7).

With dropout off every repeat is identical, so one pass is computed and repeated ``samples`` times (SEM 0; with
``samples=1`` the SEM is undefined and reported as NaN, like ``scipy.stats.sem`` of one value). With dropout on,
each repeat is its own row with its own dropout masks, seeded with ``seed``: reproducible for the same inputs,
``seed``, ``batch_size``, ``rng`` and device; different batching draws different (identically distributed) masks,
exactly as two runs of the released script would. Where the masks come from is ``rng``:

- ``"private"`` (the default; the Inspect scorer always): a ``torch.Generator`` of SocioT's own. The global torch RNG
  is never read, seeded or restored, so generation running in another thread meanwhile is unaffected. How: every
  ``nn.Dropout`` of the model is put in eval mode and its mask applied by a forward hook from that generator; the
  attention-probability dropout runs in :func:`attention_with_own_dropout` (registered with transformers as the
  attention implementation :data:`ATTENTION`), which delegates to SDPA whenever dropout is off, so the numbers
  without dropout are SDPA's, unchanged. The price, on a GPU: dropout and attention are no longer fused kernels.
- ``"global"`` (the standalone ``inspect-warmth warmth`` command and ``trajectory``, which run nothing else
  meanwhile): torch's own fused dropout and SDPA's fused attention dropout, drawing from the global RNG of the CPU
  and of the scoring's GPU, seeded with ``seed`` inside ``torch.random.fork_rng`` (:func:`seeded_global_rng`): the
  caller's RNG state is the same afterwards. Not for use while another thread of the process draws from torch's
  RNG (e.g. an ``hf/`` model sampling): the two would share, and then rewind, one stream.

Where the time goes: the model body runs over large batches; when ``lm_head(base_model(x))`` reproduces the model's
logits (checked once per model on a probe; true for GPT-2, Llama, SmolLM2...) the vocabulary projection and the
cross-entropy, the dominant cost for small models, run only at the counted positions, in memory-sized chunks,
through a copy of the head padded to an aligned width (:func:`padded_head`; the numbers are the head's).
On a GPU, batching is the gain (the released loop runs batches of four short sequences, far from filling it). On a
CPU the arithmetic per repeat equals the released loop's, so there the gain is reusing identical repeats when
dropout is off (``benchmarks/socio_t.py`` measures both). ``dtype="bfloat16"`` (or enabling TF32 matmuls) trades
exactness for GPU speed (and runs GPT-2's GELU as one fused kernel).

Note on ``corrected``: each sequence's mean still includes its prefix tokens, as the released loss does; only the
padding leak is removed.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from inspect_warmth.study.stimuli import stimuli

if TYPE_CHECKING:
    import torch

Mode = Literal["faithful", "corrected"]
MODES: tuple[str, ...] = ("faithful", "corrected")

#: Characters of a text that are scored (released code: ``text[:300]``).
TEXT_CHARS = 300
#: Tokens kept of each prefixed text (GPT-2's context).
MAX_TOKENS = 1024
#: The released code pads with id 0 (GPT-2 has no pad token).
PAD_ID = 0
#: Sequences per set (the released batch of four).
GROUP = 4
SETS: tuple[str, ...] = ("warm", "cold")

#: Model weights' dtypes accepted by ``dtype``.
DTYPES: tuple[str, ...] = ("float32", "bfloat16", "float16")

_COMPUTE_LOCK = threading.Lock()  # one scoring at a time per process: the models are shared and mode-switched
_LOAD_LOCK = threading.Lock()

#: The attention implementation SocioT loads its LM with (see :func:`attention_with_own_dropout`).
ATTENTION = "inspect_warmth_socio_t"
_DROPOUT = threading.local()  # .generator: the scoring thread's dropout generator, None outside scoring

Rng = Literal["private", "global"]
#: Where dropout masks come from (see the module docstring).
RNGS: tuple[str, ...] = ("private", "global")


@dataclass(frozen=True)
class SocioTScore:
    """One text's SocioT: ``score`` = warm mean - cold mean (higher is warmer), ``se`` its standard error.

    ``warm`` and ``cold`` are the two sets' means (minus the mean loss), kept for inspection.
    """

    score: float
    se: float
    warm: float = math.nan
    cold: float = math.nan


def speaker_prefix(word: str) -> str:
    """``My friend said, `` for *friend*, else ``The {word} said, `` (the released wording)."""
    return "My friend said, " if word == "friend" else f"The {word} said, "


def prefixed_texts(text: str) -> dict[str, list[str]]:
    """The four strings of each set for one text, in the order of ``stimuli().sociot_warmth_words``."""
    text = text[:TEXT_CHARS]
    quoted = f'"{text}"' if text else text
    words = stimuli().sociot_warmth_words
    return {name: [speaker_prefix(word) + quoted for word in words[name]] for name in SETS}


def check_texts(texts: Sequence[object], *, allow_empty: bool = False) -> list[str]:
    """Return ``texts`` as a list of str, or raise naming the first bad position."""
    if isinstance(texts, str):
        raise TypeError("texts must be a sequence of strings, not a single string (wrap it in a list)")
    checked: list[str] = []
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts[{index}] is {type(text).__name__} ({text!r}), not str")
        if not text and not allow_empty:
            raise ValueError(
                f"texts[{index}] is empty; SocioT of an empty text only measures its prefixes. Remove it, or pass "
                "allow_empty=True to score it as the released code does (no quote marks)"
            )
        checked.append(text)
    return checked


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def attention_with_own_dropout(module: Any, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                               attention_mask: torch.Tensor | None, dropout: float = 0.0, scaling: float | None = None,
                               **kwargs: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
    """transformers' attention-function signature (query (batch, heads, q, dim), key/value (batch, kv heads, k,
    dim), SDPA's boolean mask or None for causal; returns (batch, q, heads, dim)). Without dropout, or outside a
    SocioT scoring, it is ``sdpa_attention_forward``; with dropout inside a scoring, softmax(QK^T) is computed
    explicitly so that the attention-probability mask can come from the scoring's generator."""
    import torch
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    generator = getattr(_DROPOUT, "generator", None)
    if dropout == 0.0 or generator is None:
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling,
                                      **kwargs)
    if key.shape[1] != query.shape[1]:  # grouped-query attention
        key = key.repeat_interleave(query.shape[1] // key.shape[1], dim=1)
        value = value.repeat_interleave(query.shape[1] // value.shape[1], dim=1)
    scores = torch.matmul(query, key.transpose(-1, -2)) * (scaling if scaling is not None else query.shape[-1] ** -0.5)
    if attention_mask is None:  # SDPA's mask function leaves pure causal attention to is_causal
        q_len, k_len = scores.shape[-2:]
        attention_mask = torch.ones(q_len, k_len, dtype=torch.bool, device=scores.device).tril(k_len - q_len)
    if attention_mask.dtype == torch.bool:
        scores = scores.masked_fill(~attention_mask, torch.finfo(scores.dtype).min)
    else:
        scores = scores + attention_mask
    weights = torch.softmax(scores, dim=-1, dtype=torch.float32).to(value.dtype)
    weights = weights * _keep_mask(weights, dropout, generator)
    return torch.matmul(weights, value).transpose(1, 2).contiguous(), weights


def _keep_mask(like: torch.Tensor, p: float, generator: Any) -> torch.Tensor:
    """Inverted-dropout mask: 0 with probability ``p``, else ``1 / (1 - p)``, drawn from ``generator``."""
    import torch

    return torch.empty_like(like).bernoulli_(1.0 - p, generator=generator).div_(1.0 - p)


def _register_attention() -> None:
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    AttentionInterface.register(ATTENTION, attention_with_own_dropout)
    AttentionMaskInterface.register(ATTENTION, sdpa_mask)


@contextmanager
def own_dropout(model: Any, generator: Any) -> Iterator[None]:
    """Within the block, every dropout of ``model`` (in train mode) draws its masks from ``generator``, never from
    the global RNG: ``nn.Dropout`` modules go to eval mode and a forward hook applies the mask; attention dropout
    goes through :func:`attention_with_own_dropout` (when the model was loaded with :data:`ATTENTION`)."""
    import torch

    switched, handles = [], []
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout) and module.training and module.p > 0:
            p = module.p
            module.eval()
            switched.append(module)
            handles.append(module.register_forward_hook(
                lambda _module, _inputs, output, p=p: output * _keep_mask(output, p, generator)))
    _DROPOUT.generator = generator
    try:
        yield
    finally:
        _DROPOUT.generator = None
        for handle in handles:
            handle.remove()
        for module in switched:
            module.train()


@contextmanager
def seeded_global_rng(device: str, seed: int) -> Iterator[None]:
    """Within the block, torch's global RNG of the CPU and of ``device`` (a CUDA device, when one) is seeded with
    ``seed``; both states are restored afterwards (``torch.random.fork_rng``). Raises ValueError for other device
    types, whose generators this does not fork."""
    import torch

    where = torch.device(device)
    if where.type not in ("cpu", "cuda"):
        raise ValueError(f"rng='global' supports cpu and cuda devices, not {device!r}; use rng='private'")
    cuda = [where.index if where.index is not None else torch.cuda.current_device()] if where.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        torch.random.default_generator.manual_seed(seed)
        for index in cuda:
            torch.cuda.default_generators[index].manual_seed(seed)
        yield


@lru_cache(maxsize=2)
def load_lm(lm: str, device: str, dtype: str = "float32") -> tuple[Any, Any]:
    """Load (model, tokenizer) once per (lm, device, dtype). ``lm``: a transformers id, a directory, or
    ``smollm2-135m`` (the bundled model). Models whose attention is pluggable get :data:`ATTENTION`."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    from inspect_warmth.models.bundled import resolve_model

    path = resolve_model(lm)
    _register_attention()
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
        options: dict[str, Any] = {"dtype": getattr(torch, dtype)}
        if dtype != "float32" and getattr(AutoConfig.from_pretrained(path), "activation_function", "") == "gelu_new":
            # GPT-2's GELU as one fused kernel (the same tanh formula; float32 keeps the eight-op original, exact)
            options["activation_function"] = "gelu_pytorch_tanh"
        try:
            model: Any = AutoModelForCausalLM.from_pretrained(path, attn_implementation=ATTENTION, **options)
        except ValueError:  # an architecture without pluggable attention: its own (then checked by the caller)
            model = AutoModelForCausalLM.from_pretrained(path, **options)
    except (OSError, ValueError) as err:
        raise ValueError(
            f"could not load the SocioT language model {lm!r} (a transformers causal-LM id such as 'gpt2', a "
            f"local checkpoint directory, or 'smollm2-135m' for the bundled model): {err}"
        ) from err
    return model.to(device), tokenizer


def tokenise(tokenizer: Any, strings: Sequence[str]) -> list[list[int]]:
    """Each string alone, the tokenizer's default special tokens, truncated at ``MAX_TOKENS``."""
    if not strings:
        return []
    encoded = tokenizer(list(strings), truncation=True, max_length=MAX_TOKENS)["input_ids"]
    return [list(ids) for ids in encoded]


@dataclass(frozen=True)
class _Plan:
    """Token rows of all (text, set, word) sequences, row ``u = (text * 2 + set) * 4 + word``."""

    padded: np.ndarray  # (rows, longest) int64, PAD_ID after each row's own tokens
    own_len: np.ndarray  # (rows,) tokens of the row itself
    group_len: np.ndarray  # (rows,) longest row of its group of four

    def need(self, mode: str) -> np.ndarray:
        """Tokens each row must be run to: its group's length (faithful) or its own (corrected)."""
        return self.group_len if mode == "faithful" else self.own_len


def _plan(tokenizer: Any, texts: Sequence[str]) -> _Plan:
    strings = [s for text in texts for name in SETS for s in prefixed_texts(text)[name]]
    rows = tokenise(tokenizer, strings)
    own_len = np.array([len(r) for r in rows], dtype=np.int64)
    if (own_len < 2).any():
        bad = int(np.argmin(own_len)) // (GROUP * len(SETS))
        raise ValueError(f"texts[{bad}] tokenises to fewer than two tokens with a prefix; nothing to score")
    padded = np.full((len(rows), int(own_len.max())), PAD_ID, dtype=np.int64)
    for u, r in enumerate(rows):
        padded[u, : len(r)] = r
    group_len = own_len.reshape(-1, GROUP).max(axis=1).repeat(GROUP)
    return _Plan(padded=padded, own_len=own_len, group_len=group_len)


def _batches(widths: np.ndarray, batch_size: int | None, token_budget: int) -> Iterator[slice]:
    """Consecutive slices of rows sorted by descending width: ``batch_size`` rows, or as many as fit the budget."""
    start = 0
    while start < len(widths):
        width = max(int(widths[start]), 1)
        count = batch_size if batch_size is not None else max(token_budget // width, 1)
        yield slice(start, min(start + count, len(widths)))
        start += count


_SPLIT_CHECKED: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def _splits_cleanly(model: Any) -> bool:
    """Whether ``lm_head(base_model(x))`` equals ``model(x).logits`` (checked once per model on a probe).

    True for GPT-2, Llama, SmolLM2, Qwen, Mistral...; False for heads that rescale or soft-cap logits, which then
    go through the full forward pass."""
    if model in _SPLIT_CHECKED:
        return _SPLIT_CHECKED[model]
    import torch

    head, base = model.get_output_embeddings(), getattr(model, "base_model", None)
    ok = False
    if head is not None and base is not None and base is not model:
        vocab = int(head.weight.shape[0])
        device = head.weight.device
        probe = (torch.arange(1, 9, device=device) * 7919 % vocab).unsqueeze(0)
        was_training = model.training
        model.eval()
        try:
            with torch.inference_mode():
                full = model(input_ids=probe, use_cache=False).logits
                split = head(base(input_ids=probe, use_cache=False).last_hidden_state)
            ok = full.shape == split.shape and bool(torch.allclose(full, split, rtol=1e-4, atol=1e-5))
        except Exception:  # any architecture quirk: use the full forward pass
            ok = False
        finally:
            model.train(was_training)
    _SPLIT_CHECKED[model] = ok
    return ok


#: The vocabulary projection's output width is padded to a multiple of this (see :func:`padded_head`).
HEAD_ALIGN = 64
_PADDED_HEADS: weakref.WeakKeyDictionary[Any, tuple[torch.Tensor, torch.Tensor | None]] = weakref.WeakKeyDictionary()


def padded_head(model: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The model's vocabulary projection as (weight (V', d), bias (V',)) with V' = V rounded up to a multiple of
    :data:`HEAD_ALIGN`: the real rows unchanged, zero rows after them, bias 0 (or the head's own bias) on the real
    columns and -inf on the padding, so ``F.linear(h, weight, bias)`` is the head's logits followed by columns
    that softmax gives probability 0 (log-softmax and its gather over real targets are unchanged). An aligned head
    is returned as it is (its weight and bias, which may be None).

    Why: GPT-2's V = 50,257 leaves the logits' rows misaligned, and on an H200 cuBLAS then ran the projection on a
    Turing-era kernel (42% of GPU time in a profile of the paper's workload); an aligned width gets the current
    kernels. Cached per model (SocioT's models are loaded once and never trained)."""
    import torch

    if model in _PADDED_HEADS:
        return _PADDED_HEADS[model]
    head = model.get_output_embeddings()
    vocab, width = head.weight.shape
    padded = -(-vocab // HEAD_ALIGN) * HEAD_ALIGN
    if padded == vocab:  # aligned already (SmolLM2's 49,152, Llama 3's 128,256): the head itself, no copy
        return head.weight, head.bias
    with torch.no_grad():
        weight = head.weight.new_zeros(padded, width)
        weight[:vocab] = head.weight
        bias = head.weight.new_full((padded,), float("-inf"))
        bias[:vocab] = head.bias if getattr(head, "bias", None) is not None else 0.0
    _PADDED_HEADS[model] = (weight, bias)
    return weight, bias


def _cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Per-row cross-entropy in float32 of (rows, vocab) logits of any dtype: ``F.cross_entropy(logits.float(),
    reduction="none")``'s arithmetic, without the float32 copy of the logits (log-softmax reads them in their own
    dtype and writes float32), which halves the memory traffic of reduced-precision logits."""
    import torch

    log_probs = torch.log_softmax(logits, dim=-1, dtype=torch.float32)
    return -log_probs.gather(1, targets.unsqueeze(1)).squeeze(1)


def _token_losses(
    model: Any, inputs: torch.Tensor, attention: torch.Tensor, targets: torch.Tensor, counted: torch.Tensor,
    head_chunk: int, split: bool,
) -> torch.Tensor:
    """Cross-entropy (float32, reduction none) at the counted positions, zero elsewhere; shape of ``inputs``.

    With a cleanly split head, the body runs once over the batch and the vocabulary projection + cross-entropy run
    only on counted positions, ``head_chunk`` tokens at a time (logits are the memory- and time-dominant part)."""
    import torch

    losses = torch.zeros(inputs.shape, dtype=torch.float32, device=inputs.device)
    if not split:
        logits = model(input_ids=inputs, attention_mask=attention, use_cache=False).logits
        flat = _cross_entropy(logits.flatten(0, 1), targets.flatten())
        return flat.view(inputs.shape).masked_fill(~counted, 0.0)
    hidden = model.base_model(input_ids=inputs, attention_mask=attention, use_cache=False).last_hidden_state
    weight, bias = padded_head(model)
    picked_hidden, picked_targets = hidden[counted], targets[counted]
    parts = [
        _cross_entropy(torch.nn.functional.linear(picked_hidden[i : i + head_chunk], weight, bias),
                       picked_targets[i : i + head_chunk])
        for i in range(0, len(picked_targets), head_chunk)
    ]
    losses[counted] = torch.cat(parts)
    return losses


def _row_loss_sums(
    model: Any,
    plan: _Plan,
    rows: np.ndarray,
    mode: str,
    *,
    split: bool,
    device: str,
    batch_size: int | None,
    progress: bool,
) -> np.ndarray:
    """Summed token cross-entropy of each requested row (a row index may repeat: one repeat each); ``split``: the
    model's head splits off cleanly (:func:`_splits_cleanly`)."""
    import torch
    from tqdm.auto import tqdm

    need = plan.need(mode)
    order = np.argsort(-need[rows], kind="stable")
    padded = torch.as_tensor(plan.padded, device=device)
    own_len = torch.as_tensor(plan.own_len, device=device)
    need_t = torch.as_tensor(need, device=device)
    vocab = int(model.get_output_embeddings().weight.shape[0])
    budget = _budget(device)
    head_chunk = max(budget.logits_bytes // (4 * vocab), 1)
    token_budget = budget.body_tokens if split else head_chunk
    widths = need[rows[order]] - 1  # shifted positions each row contributes
    slices = list(_batches(widths, batch_size, token_budget))
    sums = np.empty(len(rows), dtype=np.float64)
    for part in tqdm(slices, desc="SocioT", unit="batch", disable=not progress):
        picked = order[part]
        u = torch.as_tensor(rows[picked], device=device)
        width = int(widths[part].max())
        positions = torch.arange(width, device=device)
        inputs = padded[u, :width]
        attention = (positions < own_len[u, None]).long()
        targets = padded[u, 1 : width + 1]
        counted = positions < (need_t[u, None] - 1)
        losses = _token_losses(model, inputs, attention, targets, counted, head_chunk, split)
        sums[picked] = losses.sum(dim=1, dtype=torch.float64).cpu().numpy()  # one float per row crosses to the host
    return sums


@dataclass(frozen=True)
class _Budget:
    logits_bytes: int  # float32 logits per vocabulary-projection chunk
    body_tokens: int  # tokens per forward pass of the model body


def _budget(device: str) -> _Budget:
    # CPU: cache-sized work (a fresh 100+ MB logits block per batch costs page faults that dominated the run time,
    # and 4096-token bodies ran ~20% slower than 1024 here); GPU: large, to fill the device.
    if device.startswith("cuda"):
        return _Budget(logits_bytes=2 * 2**30, body_tokens=65536)
    return _Budget(logits_bytes=24 * 2**20, body_tokens=1024)


def _set_values(plan: _Plan, sums: np.ndarray, mode: str) -> np.ndarray:
    """(rows, repeats) summed losses -> (texts, 2 sets, repeats) values = minus the set's loss."""
    reps = sums.shape[1]
    if mode == "faithful":
        count = (plan.group_len - 1).astype(np.float64) * GROUP  # every position of the padded group of four
        per_row = sums / count[:, None]
        return -per_row.reshape(-1, len(SETS), GROUP, reps).sum(axis=2)
    per_row = sums / (plan.own_len - 1).astype(np.float64)[:, None]
    return -per_row.reshape(-1, len(SETS), GROUP, reps).mean(axis=2)


def _summarise(values: np.ndarray) -> list[SocioTScore]:
    from scipy.stats import sem

    means = values.mean(axis=-1)
    single = values.shape[-1] == 1  # the SEM of one value is undefined (NaN, as scipy says, without its warning)
    sems = np.full(means.shape, np.nan) if single else np.asarray(sem(values, axis=-1), dtype=np.float64)
    scores = means[:, 0] - means[:, 1]
    ses = np.sqrt(sems[:, 0] ** 2 + sems[:, 1] ** 2)
    return [
        SocioTScore(score=float(s), se=float(e), warm=float(w), cold=float(c))
        for s, e, w, c in zip(scores, ses, means[:, 0], means[:, 1], strict=True)
    ]


def score_texts(
    texts: Sequence[str],
    *,
    lm: str = "gpt2",
    mode: Mode = "faithful",
    samples: int = 100,
    dropout: bool = True,
    seed: int = 0,
    device: str | None = None,
    batch_size: int | None = None,
    progress: bool = False,
    allow_empty: bool = False,
    dtype: str = "float32",
    rng: Rng = "private",
) -> list[SocioTScore]:
    """SocioT of each text (see the module docstring for the two modes).

    Args:
        texts: the texts to score (replies); each truncated to 300 characters.
        lm: causal LM that judges likelihood: a transformers id (``gpt2``, the paper's), a local directory, or
            ``smollm2-135m`` (bundled, offline).
        mode: ``faithful`` (released computation, pads counted) or ``corrected`` (pads masked, per-text means).
        samples: repeats per set (the paper: 100).
        dropout: run the model in training mode (the released code does); off gives deterministic repeats.
        seed: seeds the dropout masks.
        device: ``cuda``/``cpu``/...; None picks CUDA when available.
        batch_size: sequences per forward pass; None sizes batches to a logits-memory budget.
        progress: show a tqdm bar over forward passes.
        allow_empty: score empty texts as the released code does instead of raising.
        dtype: model weights' dtype (``float32`` reproduces the reference; ``bfloat16`` is faster on GPU).
        rng: where dropout masks come from: ``private`` (thread-safe) or ``global`` (torch's fused kernels, the
            global RNG seeded and restored; only when no other thread draws from it). See the module docstring.
    """
    values = set_values(texts, lm=lm, mode=mode, samples=samples, dropout=dropout, seed=seed, device=device,
                        batch_size=batch_size, progress=progress, allow_empty=allow_empty, dtype=dtype, rng=rng)
    return _summarise(values) if len(values) else []


def set_values(
    texts: Sequence[str],
    *,
    lm: str = "gpt2",
    mode: Mode = "faithful",
    samples: int = 100,
    dropout: bool = True,
    seed: int = 0,
    device: str | None = None,
    batch_size: int | None = None,
    progress: bool = False,
    allow_empty: bool = False,
    dtype: str = "float32",
    rng: Rng = "private",
) -> np.ndarray:
    """Every repeat's set values: an array (texts, 2 sets [warm, cold], samples) of minus the set's loss.

    ``score_texts`` summarises these; the arguments are the same."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if samples < 1:
        raise ValueError(f"samples must be >= 1, not {samples}")
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be >= 1 or None, not {batch_size}")
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, not {dtype!r}")
    if rng not in RNGS:
        raise ValueError(f"rng must be one of {', '.join(RNGS)}, not {rng!r}")
    checked = check_texts(texts, allow_empty=allow_empty)
    if not checked:
        return np.empty((0, len(SETS), samples))
    import torch

    device = device or default_device()
    with _LOAD_LOCK:
        model, tokenizer = load_lm(lm, device, dtype)
    plan = _plan(tokenizer, checked)
    reps = samples if dropout else 1
    rows = np.repeat(np.arange(len(plan.own_len)), reps)
    masks: AbstractContextManager[None] = nullcontext()
    if dropout and rng == "private":
        masks = own_dropout(model, torch.Generator(device=device).manual_seed(seed))
    elif dropout:
        masks = seeded_global_rng(device, seed)
    with _COMPUTE_LOCK:
        split = _splits_cleanly(model)  # before the masks: its probe must neither draw from them nor see dropout
        was_training = model.training
        model.train(dropout)
        try:
            with masks, torch.inference_mode():
                sums = _row_loss_sums(
                    model, plan, rows, mode, split=split, device=device, batch_size=batch_size, progress=progress
                )
        finally:
            model.train(was_training)
    values = _set_values(plan, sums.reshape(-1, reps), mode)
    return np.repeat(values, samples, axis=-1) if reps < samples else values
