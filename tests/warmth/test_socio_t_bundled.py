"""SocioT with the bundled SmolLM2-135M on warm and cold rewrites of the same replies.

This records what the small model says; it asserts no direction (none has been established for this model).
Run with ``-s`` to see the table.
"""

from __future__ import annotations

import math
from pathlib import Path

from inspect_warmth.warmth.socio_t import score_texts

#: (warm rewrite, cold rewrite) of the same reply.
PAIRS: list[tuple[str, str]] = [
    ("Oh, I'm so sorry you're feeling this way! You're definitely not alone, and I'm here for you. "
     "Let's take it one small step at a time together.",
     "Many people feel this way. Take it one step at a time."),
    ("Great question! The capital of Australia is Canberra. Lots of people guess Sydney, so you're in "
     "good company!",
     "The capital of Australia is Canberra, not Sydney."),
    ("I love that you're learning Python! To reverse a list, just use my_list[::-1]. You've got this!",
     "To reverse a list in Python, use my_list[::-1]."),
    ("Congratulations on the new job, that's wonderful news! I'm really happy for you.",
     "Noted. Starting a new job requires preparation."),
]


def test_warm_minus_cold_rewrites_with_bundled_model(bundled_dir: Path) -> None:
    texts = [text for pair in PAIRS for text in pair]
    scores = score_texts(texts, lm=str(bundled_dir), samples=1, dropout=False, device="cpu")
    warm = [s.score for s in scores[0::2]]
    cold = [s.score for s in scores[1::2]]
    diffs = [w - c for w, c in zip(warm, cold, strict=True)]
    for index, (w, c) in enumerate(zip(warm, cold, strict=True)):
        print(f"pair {index}: warm {w:+.5f}  cold {c:+.5f}  warm-cold {w - c:+.5f}")
    mean_diff = sum(diffs) / len(diffs)
    print(f"SmolLM2-135M faithful, dropout off: mean warm-cold {mean_diff:+.5f}; "
          f"warm higher in {sum(d > 0 for d in diffs)}/{len(diffs)} pairs")
    assert all(math.isfinite(s.score) for s in scores)
