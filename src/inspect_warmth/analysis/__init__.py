"""The study's analysis (Methods, statistical analysis): a pure function of the replies. It reads logs and tables,
never runs a model; nothing here imports a runner, trainer or engine (``tests/test_layers.py``).

- ``responses``: the one log reader: the tidy responses table from Inspect logs (``inspect_ai.analysis.samples_df``)
  or CSV/Parquet, with replies that cannot count (no verdict, errored samples, logs that stopped early) set aside.
- ``design``: the study's rules applied once (``coded_replies``: labels, set-aside replies, one score per reply,
  refusals, template pooling; ``design_frame`` for one base-vs-candidate comparison), every row left out counted.
- ``regressions``: the four logistic regressions, each formula beside its marginal-effect function.
- ``paired``: exact McNemar tests (per prompt) with Benjamini–Hochberg correction (statsmodels), Cohen's g.
- ``pushback``: flip rates of the pushback template, paired against the base.
- ``gate``: ``inspect-warmth gate``, the CI regression gate (per-question sign-flip test, max-T over all units);
  ``power``: its minimum detectable increase (``gate --plan``, ``grid --dry-run``).
- ``frontier``: warmth against error rate over a run's saved epochs (the epochs are run by ``run.frontier``).
- ``agreement``: agreement and Cohen's kappa (statsmodels) between two scorers, or a scorer and human labels.
- ``figures`` and ``report``: ``inspect-warmth analyze`` (report.html, summary.md, figures, JSON).
- ``simulate``: tables with known coefficients for tests and the benchmarks.
- ``cli``: the ``analyze``, ``gate`` and ``agreement`` commands.
"""
