"""Where a LoRA adapter's base model is, on any machine.

PEFT records ``base_model_name_or_path`` as the path the base was loaded from. For the bundled model that is this
machine's cache (``~/.cache/inspect-warmth/models/smollm2-135m``), which does not exist under another home
directory. :func:`record_portable_base` writes the name the run was given instead (``smollm2-135m``, or a hub id),
and :func:`adapter_base` resolves it at load time through :func:`inspect_warmth.models.bundled.resolve_model` (the
package's resolver, also used by the ``warmth-hf`` provider), or fails naming the missing base and the flag to pass.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ADAPTER_CONFIG = "adapter_config.json"
BASE_KEY = "base_model_name_or_path"


def _is_local_path(name: str) -> bool:
    return name.startswith(("/", "./", "../", "~")) or Path(name).expanduser().exists()


def record_portable_base(adapter_dir: Path, base: str) -> None:
    """Record ``base`` (as given to ``finetune train --base``) as the adapter's base when it is a name the resolver
    maps (the bundled model) or a hub id; a local directory stays as PEFT wrote it (absolute)."""
    from inspect_warmth.models.bundled import resolve_model

    config_file = adapter_dir / ADAPTER_CONFIG
    if resolve_model(base) == base and _is_local_path(base):
        return
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config[BASE_KEY] = base
    config_file.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


def adapter_base(adapter_dir: Path, override: str | None = None, *, flag: str = "--base-model") -> str:
    """The base model of an adapter directory, resolved for this machine (a path or a hub id).

    ``override`` (the user's ``flag``) wins. Raises ``FileNotFoundError`` when the recorded base is a local directory
    that is not here, naming it and ``flag``; ``ValueError`` when ``adapter_dir`` holds no adapter config."""
    from inspect_warmth.models.bundled import resolve_model

    if override:
        return resolve_model(override)
    config_file = Path(adapter_dir) / ADAPTER_CONFIG
    try:
        base = str(json.loads(config_file.read_text(encoding="utf-8"))[BASE_KEY])
    except (OSError, json.JSONDecodeError, KeyError) as err:
        raise ValueError(f"{config_file}: not a PEFT adapter config with {BASE_KEY} ({err})") from err
    resolved = resolve_model(base)
    if resolved == base and _is_local_path(base) and not Path(base).expanduser().exists():
        raise FileNotFoundError(
            f"{adapter_dir} was trained on the base model {base}, which is not on this machine; pass its location "
            f"with {flag} DIR (or a hub id)"
        )
    return resolved


def load_adapted(adapter_dir: Path, base: str | None = None, **load_kwargs: Any) -> Any:
    """The base model (:func:`adapter_base`) with the adapter of ``adapter_dir`` loaded onto it (``PeftModel``)."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(adapter_base(adapter_dir, base), **load_kwargs)
    return PeftModel.from_pretrained(model, str(adapter_dir))
