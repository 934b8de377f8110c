"""SocioT library: faithful and corrected modes against straightforward loops, batching, seeds, bad input."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.stats import sem
from transformers import AutoModelForCausalLM, AutoTokenizer

from inspect_warmth.warmth.socio_t import SocioTScore, prefixed_texts, score_texts, set_values

WARM = ["friend", "lover", "mentor", "idol"]
COLD = ["stranger", "enemy", "examiner", "dictator"]

TEXTS = [
    "Sure.",
    "I'm so sorry you're going through this. You're not alone, and it's okay to feel overwhelmed.",
    "The capital of France is Paris.",
    "x" * 20 + " " + "A long reply that goes on and on about many things. " * 12,  # over 300 characters
    "",  # scored only with allow_empty=True
    'She said "hello" and left.',
]


def _strings(text: str, words: list[str]) -> list[str]:
    text = text[:300]
    quoted = f'"{text}"' if text else text
    return [(f"My {w} said, {quoted}" if w == "friend" else f"The {w} said, {quoted}") for w in words]


def _load(path: Path) -> tuple[torch.nn.Module, object]:
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    model.eval()
    return model, AutoTokenizer.from_pretrained(path)


def _released_set_value(
    model: torch.nn.Module, tokenizer: object, strings: list[str], *, exact: bool = True
) -> float:
    """The released computation: pad four sequences with 0, labels=input_ids, minus the batch loss.

    ``exact=False`` returns the model's own float32 loss; ``exact=True`` the same mean in float64, which is what
    the 1e-6 comparison needs (the float32 mean of ~10.8-nat losses is itself only good to ~1e-6)."""
    encoded = [tokenizer(s)["input_ids"][:1024] for s in strings]  # type: ignore[operator]
    longest = max(len(e) for e in encoded)
    ids = torch.tensor([e + [0] * (longest - len(e)) for e in encoded])
    mask = torch.tensor([[1] * len(e) + [0] * (longest - len(e)) for e in encoded])
    with torch.no_grad():
        output = model(input_ids=ids, attention_mask=mask, labels=ids)
    if not exact:
        return -float(output.loss)
    logits = output.logits[:, :-1].double()
    targets = ids[:, 1:]
    return -float(torch.nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten()))


def _corrected_set_value(model: torch.nn.Module, tokenizer: object, strings: list[str]) -> float:
    values = []
    for s in strings:
        ids = torch.tensor([tokenizer(s)["input_ids"]])  # type: ignore[operator]
        with torch.no_grad():
            values.append(-float(model(input_ids=ids, labels=ids).loss))
    return float(np.mean(values))


def test_prefixed_texts_follow_the_released_wording() -> None:
    sets = prefixed_texts("Hi there" + "!" * 400)
    assert sets["warm"] == _strings("Hi there" + "!" * 400, WARM)
    assert sets["cold"] == _strings("Hi there" + "!" * 400, COLD)
    assert prefixed_texts("")["warm"][0] == "My friend said, "


@pytest.mark.parametrize("checkpoint", ["tiny_gpt2_dir", "char_gpt2_dir"])
def test_faithful_equals_released_loop(checkpoint: str, request: pytest.FixtureRequest) -> None:
    path: Path = request.getfixturevalue(checkpoint)
    model, tokenizer = _load(path)
    texts = [t for t in TEXTS if t]
    if checkpoint == "tiny_gpt2_dir":  # a 49k vocabulary: a few texts suffice
        texts = texts[:2] + texts[3:4]
    ours = score_texts(texts, lm=str(path), samples=1, dropout=False, device="cpu")
    for text, got in zip(texts, ours, strict=True):
        warm = _released_set_value(model, tokenizer, _strings(text, WARM))
        cold = _released_set_value(model, tokenizer, _strings(text, COLD))
        assert got.warm == pytest.approx(warm, abs=1e-6)
        assert got.cold == pytest.approx(cold, abs=1e-6)
        assert got.score == pytest.approx(warm - cold, abs=1e-6)
        assert got.warm == pytest.approx(_released_set_value(model, tokenizer, _strings(text, WARM), exact=False),
                                         abs=1e-5)
        assert math.isnan(got.se)  # the SEM of one repeat is undefined, as scipy.stats.sem says


def test_empty_text_scored_like_released_code_when_allowed(char_gpt2_dir: Path) -> None:
    model, tokenizer = _load(char_gpt2_dir)
    (got,) = score_texts([""], lm=str(char_gpt2_dir), samples=1, dropout=False, device="cpu", allow_empty=True)
    warm = _released_set_value(model, tokenizer, _strings("", WARM))
    cold = _released_set_value(model, tokenizer, _strings("", COLD))
    assert got.score == pytest.approx(warm - cold, abs=1e-6)


def test_padding_counts_in_faithful_but_not_corrected(char_gpt2_dir: Path) -> None:
    text = TEXTS[1]
    corrected = score_texts([text], lm=str(char_gpt2_dir), mode="corrected", samples=1, dropout=False,
                            device="cpu")
    faithful = score_texts([text], lm=str(char_gpt2_dir), samples=1, dropout=False, device="cpu")
    assert abs(faithful[0].score - corrected[0].score) > 1e-4  # the prefixes tokenise to different lengths


def test_corrected_equals_its_loop(char_gpt2_dir: Path) -> None:
    path = char_gpt2_dir
    model, tokenizer = _load(path)
    texts = [t for t in TEXTS if t]
    ours = score_texts(texts, lm=str(path), mode="corrected", samples=1, dropout=False, device="cpu")
    for text, got in zip(texts, ours, strict=True):
        warm = _corrected_set_value(model, tokenizer, _strings(text, WARM))
        cold = _corrected_set_value(model, tokenizer, _strings(text, COLD))
        assert got.score == pytest.approx(warm - cold, abs=1e-6)


@pytest.mark.parametrize("mode", ["faithful", "corrected"])
def test_batch_size_does_not_change_numbers(char_gpt2_dir: Path, mode: str) -> None:
    texts = [t for t in TEXTS if t][1:]
    runs = [
        score_texts(texts, lm=str(char_gpt2_dir), mode=mode, samples=1, dropout=False, device="cpu",  # type: ignore[arg-type]
                    batch_size=size)
        for size in (1, 5, None)
    ]
    reference = np.array([s.score for s in runs[0]])
    for run in runs[1:]:
        np.testing.assert_allclose([s.score for s in run], reference, atol=1e-6, rtol=0)


def test_dropout_off_repeats_are_identical(char_gpt2_dir: Path) -> None:
    once = score_texts(TEXTS[:3], lm=str(char_gpt2_dir), samples=1, dropout=False, device="cpu")
    many = score_texts(TEXTS[:3], lm=str(char_gpt2_dir), samples=5, dropout=False, device="cpu")
    assert [m.score for m in many] == pytest.approx([o.score for o in once], abs=1e-9)
    assert all(m.se == 0.0 for m in many)


def test_dropout_seeds_reproduce_and_differ(char_gpt2_dir: Path) -> None:
    def run(seed: int) -> list[SocioTScore]:
        return score_texts(TEXTS[:3], lm=str(char_gpt2_dir), samples=4, seed=seed, device="cpu")

    first, again, other = run(0), run(0), run(1)
    assert first == again
    assert [s.score for s in first] != [s.score for s in other]
    assert all(s.se > 0 for s in first)
    off = score_texts(TEXTS[:3], lm=str(char_gpt2_dir), samples=1, dropout=False, device="cpu")
    assert [s.score for s in first] != pytest.approx([s.score for s in off], abs=1e-9)


def test_score_and_se_summarise_the_repeats_like_scipy(char_gpt2_dir: Path) -> None:
    kwargs = {"lm": str(char_gpt2_dir), "samples": 6, "seed": 3, "device": "cpu"}
    values = set_values(TEXTS[:3], **kwargs)  # type: ignore[arg-type]
    assert values.shape == (3, 2, 6)
    assert len({float(v) for v in values[0, 0]}) == 6  # dropout: every repeat differs
    for got, per_text in zip(score_texts(TEXTS[:3], **kwargs), values, strict=True):  # type: ignore[arg-type]
        warm, cold = per_text
        assert got.score == pytest.approx(warm.mean() - cold.mean(), abs=1e-12)
        assert got.se == pytest.approx(math.hypot(sem(warm), sem(cold)), abs=1e-12)


def test_global_rng_untouched(char_gpt2_dir: Path) -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    score_texts(TEXTS[:1], lm=str(char_gpt2_dir), samples=2, device="cpu")
    assert torch.equal(torch.rand(3), expected)


def test_dropout_draws_from_its_own_generator(char_gpt2_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The global RNG is neither seeded, forked, restored nor read while scoring with dropout, so generation in
    another thread is unaffected (the released-style ``torch.manual_seed`` in a worker thread reseeded it).
    Unit of independence: one scoring call."""
    first = score_texts(TEXTS[:3], lm=str(char_gpt2_dir), samples=3, seed=4, device="cpu")

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the global torch RNG was used")

    global_dropout = torch.nn.functional.dropout

    def dropout_without_global_rng(x: torch.Tensor, p: float = 0.5, training: bool = True,
                                   inplace: bool = False) -> torch.Tensor:
        if training and p > 0:
            refuse()
        return global_dropout(x, p, training, inplace)

    for name in ("manual_seed", "seed", "get_rng_state", "set_rng_state"):
        monkeypatch.setattr(torch, name, refuse)
    monkeypatch.setattr(torch.random, "fork_rng", refuse)
    monkeypatch.setattr(torch.nn.functional, "dropout", dropout_without_global_rng)
    state = torch.default_generator.get_state()
    again = score_texts(TEXTS[:3], lm=str(char_gpt2_dir), samples=3, seed=4, device="cpu")
    assert torch.equal(torch.default_generator.get_state(), state)  # nothing drawn from it
    assert again == first  # reproducible from the seed alone
    assert all(s.se > 0 for s in again)


def test_global_rng_mode_uses_torch_dropout_seeded_and_restored(char_gpt2_dir: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """``rng="global"``: torch's own dropout (no private masks), reproducible from the seed, and the caller's global
    RNG state is the same afterwards. Unit of independence: one scoring call."""
    from inspect_warmth.warmth import socio_t as library

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("private masks drawn in rng='global'")

    monkeypatch.setattr(library, "_keep_mask", refuse)
    kwargs = {"lm": str(char_gpt2_dir), "samples": 3, "device": "cpu", "rng": "global"}
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    first = score_texts(TEXTS[:3], seed=4, **kwargs)  # type: ignore[arg-type]
    assert torch.equal(torch.rand(3), expected)
    assert score_texts(TEXTS[:3], seed=4, **kwargs) == first  # type: ignore[arg-type]
    assert [s.score for s in score_texts(TEXTS[:3], seed=5, **kwargs)] != [s.score for s in first]  # type: ignore[arg-type]
    assert all(s.se > 0 for s in first)


def test_private_and_global_masks_are_identically_distributed(char_gpt2_dir: Path) -> None:
    """The two sources of dropout masks give the same distribution of set values: means within 4 standard errors and
    standard deviations within 25%, over 300 repeats of each. Unit of independence: the repeat (its own masks)."""
    kwargs = {"lm": str(char_gpt2_dir), "samples": 300, "device": "cpu", "seed": 7}
    private = set_values(TEXTS[1:2], rng="private", **kwargs)[0, 0]  # type: ignore[arg-type]
    global_ = set_values(TEXTS[1:2], rng="global", **kwargs)[0, 0]  # type: ignore[arg-type]
    assert abs(private.mean() - global_.mean()) < 4 * math.hypot(sem(private), sem(global_))
    assert 0.8 < private.std() / global_.std() < 1.25


@pytest.mark.parametrize("rng", ["private", "global"])
def test_attention_dropout_applies(tmp_path: Path, rng: str) -> None:
    """Only attention dropout on: repeats still differ (the attention function, or SDPA's own dropout in
    ``rng="global"``, applies it), reproducibly."""
    from tokenizers import Tokenizer, models
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    vocab = {"<unk>": 0, **{chr(i): i - 31 for i in range(32, 127)}}
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>")), unk_token="<unk>")
    torch.manual_seed(2)
    GPT2LMHeadModel(GPT2Config(vocab_size=len(vocab), n_embd=32, n_layer=2, n_head=4, resid_pdrop=0.0,
                               embd_pdrop=0.0, attn_pdrop=0.5)).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    kwargs = {"lm": str(tmp_path), "samples": 4, "seed": 1, "device": "cpu", "rng": rng}
    values = set_values(TEXTS[:2], **kwargs)  # type: ignore[arg-type]
    assert len({float(v) for v in values[0, 0]}) == 4
    assert np.array_equal(values, set_values(TEXTS[:2], **kwargs))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("texts", "error", "message"),
    [
        (["fine", ""], ValueError, r"texts\[1\] is empty"),
        (["fine", 3], TypeError, r"texts\[1\] is int"),
        (["fine", None], TypeError, r"texts\[1\] is NoneType"),
        ("a single string", TypeError, "not a single string"),
    ],
)
def test_bad_input_is_named(texts: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        score_texts(texts, lm="does-not-matter", samples=1)  # type: ignore[arg-type]


def test_bad_options_are_named() -> None:
    with pytest.raises(ValueError, match="mode must be one of"):
        score_texts(["a"], mode="fast")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="samples must be"):
        score_texts(["a"], samples=0)
    with pytest.raises(ValueError, match="rng must be one of"):
        score_texts(["a"], rng="mine")  # type: ignore[arg-type]


def test_missing_model_is_explained(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="could not load the SocioT language model"):
        score_texts(["a"], lm=str(tmp_path / "nowhere"), samples=1, dropout=False, device="cpu")


def test_empty_list() -> None:
    assert score_texts([], lm="not-loaded") == []


def test_full_forward_fallback_matches_split_head(char_gpt2_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Models whose logits are not ``lm_head(base_model(x))`` go through the full forward pass: same numbers."""
    from inspect_warmth.warmth import socio_t as library

    texts = [t for t in TEXTS if t]
    kwargs = {"lm": str(char_gpt2_dir), "samples": 1, "dropout": False, "device": "cpu"}
    split = score_texts(texts, **kwargs)  # type: ignore[arg-type]
    monkeypatch.setattr(library, "_splits_cleanly", lambda model: False)
    full = score_texts(texts, **kwargs)  # type: ignore[arg-type]
    assert [s.score for s in full] == pytest.approx([s.score for s in split], abs=1e-6)


def test_head_split_detected_for_gpt2(char_gpt2_dir: Path) -> None:
    from inspect_warmth.warmth.socio_t import _splits_cleanly, load_lm

    model, _ = load_lm(str(char_gpt2_dir), "cpu")
    assert _splits_cleanly(model)


def test_padded_head_gives_the_heads_logits(char_gpt2_dir: Path) -> None:
    """The aligned copy of the vocabulary projection (96 -> 128 columns here) reproduces the head's logits exactly
    on the real columns and gives the padding probability 0. Unit: one random hidden batch of one model."""
    from inspect_warmth.warmth.socio_t import HEAD_ALIGN, load_lm, padded_head

    model, _ = load_lm(str(char_gpt2_dir), "cpu")
    head = model.get_output_embeddings()
    weight, bias = padded_head(model)
    vocab = head.weight.shape[0]
    assert vocab % HEAD_ALIGN and weight.shape[0] % HEAD_ALIGN == 0 and weight.shape[0] > vocab
    hidden = torch.randn(5, head.weight.shape[1], generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        logits = torch.nn.functional.linear(hidden, weight, bias)
        torch.testing.assert_close(logits[:, :vocab], head(hidden), rtol=1e-6, atol=1e-6)
        assert torch.isneginf(logits[:, vocab:]).all()
        torch.testing.assert_close(torch.log_softmax(logits, -1)[:, :vocab], torch.log_softmax(head(hidden), -1))
    assert padded_head(model)[0] is weight  # built once per model


def test_aligned_head_is_used_as_it_is(tiny_gpt2_dir: Path) -> None:
    """A head whose width is already a multiple of 64 (49,152 here) is not copied."""
    from inspect_warmth.warmth.socio_t import load_lm, padded_head

    model, _ = load_lm(str(tiny_gpt2_dir), "cpu")
    weight, bias = padded_head(model)
    assert weight is model.get_output_embeddings().weight and bias is None


@pytest.mark.parametrize("rng", ["private", "global"])
def test_first_scoring_of_a_fresh_model_is_reproducible(char_gpt2_dir: Path, rng: str) -> None:
    """The head-split probe runs before the dropout masks: a model's first scoring with dropout on draws the same
    masks as any later one with the same seed, and the probe still finds the clean split (it used to run with
    the private masks applied, consuming them and failing). Unit of independence: one freshly loaded model."""
    from inspect_warmth.warmth.socio_t import _splits_cleanly, load_lm

    load_lm.cache_clear()
    kwargs = {"lm": str(char_gpt2_dir), "samples": 3, "seed": 2, "device": "cpu", "rng": rng}
    first = score_texts(TEXTS[:2], **kwargs)  # type: ignore[arg-type]
    assert _splits_cleanly(load_lm(str(char_gpt2_dir), "cpu")[0])
    assert score_texts(TEXTS[:2], **kwargs) == first  # type: ignore[arg-type]
