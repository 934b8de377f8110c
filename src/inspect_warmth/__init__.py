"""inspect-warmth: measure what warm-persona training costs a language model, on Inspect AI.

Reproduces, as reusable tooling, Ibrahim, Hafner & Rocher, "Training language models to be warm can reduce
accuracy and increase sycophancy", Nature 652, 1159–1165 (2026); arXiv 2507.21919.
"""

__version__ = "0.1.0"
