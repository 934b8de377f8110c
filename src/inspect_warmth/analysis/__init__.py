"""The study's analysis on Inspect logs (PAPER.md §6).

- ``responses``: the tidy responses table from logs (``inspect_ai.analysis.samples_df``) or CSV/Parquet, with
  replies that cannot count (no verdict, errored samples, logs that stopped early) set aside by reason.
- ``design``: the study's design frame: every rule (labels, refusals, template pooling, families with both
  variants) applied once, every row left out counted by reason.
- ``regressions``: the four logistic regressions, each formula beside its marginal-effect function.
- ``paired``: exact McNemar tests (per prompt) with Benjamini–Hochberg correction, Cohen's g, odds ratios.
- ``power``: the gate's minimum detectable increase (``gate --plan``, ``grid --dry-run``).
- ``figures`` and ``report``: ``inspect-warmth analyze`` (report.html, summary.md, figures, JSON).
- ``gate``: ``inspect-warmth gate``, the CI regression gate (per-question sign-flip test, max-T over all units).
- ``grid``: ``inspect-warmth grid``, tasks × conditions × variants through ``eval_set``.
- ``simulate``: tables with known coefficients for tests and the benchmark.
"""
