"""Benchmark loaders and the one place that decides where their files come from.

* :mod:`~inspect_warmth.data.sources`: data_dir -> ``$INSPECT_WARMTH_DATA`` -> cache -> pinned download.
* :mod:`~inspect_warmth.data.loaders`: ``load_records(dataset, data_dir=None, source=None)`` for the four study
  datasets (TriviaQA, TruthfulQA, Disinfo, MedQA), built from :mod:`sycophancy_eval`, :mod:`triviaqa`,
  :mod:`truthfulqa`, :mod:`mask`, :mod:`medqa` (+ :mod:`medqa_conversation`).
* :mod:`~inspect_warmth.data.capability`: MMLU, GSM8K and AdvBench for the capability tasks.
* :mod:`readers`, :mod:`errors`, :mod:`ids`: file formats, the two errors, stable question ids.
"""
