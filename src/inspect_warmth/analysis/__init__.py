"""The study's analysis on Inspect logs (PAPER.md §6).

- ``responses``: the tidy responses table from logs (``inspect_ai.analysis.samples_df``) or CSV/Parquet.
- ``regressions``: the four logistic regressions, each formula beside its marginal-effect function.
- ``paired``: exact McNemar tests with Benjamini–Hochberg correction, Cohen's g, odds ratios.
- ``figures`` and ``report``: ``inspect-warmth analyze`` (report.html, summary.md, figures, JSON).
- ``gate``: ``inspect-warmth gate``, the CI regression gate.
- ``grid``: ``inspect-warmth grid``, tasks × conditions × variants through ``eval_set``.
- ``simulate``: tables with known coefficients for tests and the benchmark.
"""
