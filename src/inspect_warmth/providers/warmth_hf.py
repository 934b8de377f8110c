"""Registers the ``warmth-hf`` model provider: ``--model warmth-hf/<dir, hub id or smollm2-135m>``.

Nothing heavy is imported here; torch and transformers load when Inspect first asks for the provider class.
"""

from __future__ import annotations

from inspect_ai._util.error import pip_dependency_error
from inspect_ai.model import ModelAPI, modelapi


@modelapi(name="warmth-hf")
def warmth_hf() -> type[ModelAPI]:
    """Local transformers models with continuous batching; see :class:`~.warmth_hf_api.WarmthHFAPI`."""
    try:
        from inspect_warmth.providers.warmth_hf_api import WarmthHFAPI
    except ImportError as ex:
        raise pip_dependency_error("warmth-hf local models", ["torch", "transformers", "accelerate"]) from ex
    return WarmthHFAPI
