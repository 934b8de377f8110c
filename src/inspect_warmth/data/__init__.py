"""Benchmark loaders and the one place that decides where their files come from."""
