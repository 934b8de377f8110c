"""Imported by Inspect through the ``inspect_ai`` entry point: registers every task, solver, scorer and model
provider so that ``inspect_warmth/<name>`` resolves. Keep heavy imports (torch, transformers) out of this path."""
