"""Fixtures of the SocioT tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def char_gpt2_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random GPT-2 with a character tokenizer (printable ASCII, id 0 = unknown).

    The eight speaker prefixes tokenise to different lengths, so each group of four carries pads (the bundled
    tokenizer makes every speaker word one token and hides them); the 96-token vocabulary keeps tests fast."""
    import torch
    from tokenizers import Tokenizer, models
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    vocab = {"<unk>": 0, **{chr(i): i - 31 for i in range(32, 127)}}
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>")), unk_token="<unk>"
    )
    torch.manual_seed(1)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=len(vocab), n_embd=32, n_layer=2, n_head=4, n_positions=1024,
                                       bos_token_id=None, eos_token_id=None))
    out = tmp_path_factory.mktemp("char-gpt2")
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    """These models are tiny: one thread avoids OpenMP contention on shared CPUs (restored afterwards)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
