"""Where a LoRA adapter's base model is, on any machine.

PEFT records ``base_model_name_or_path`` as the path the base was loaded from. For the bundled model that is this
machine's cache (``~/.cache/inspect-warmth/models/smollm2-135m``): kept as it is, so that ``hf/<adapter dir>``
(transformers loads an adapter directory onto that base) works on the machine that trained it. Each checkpoint's
metadata file (``inspect_warmth.json``, written by ``finetune train``) also records the base as the run was given
it (``smollm2-135m``, a hub id or a directory). :func:`adapter_base` resolves the base for this machine: the
recorded path when it exists, else that name through :func:`inspect_warmth.models.bundled.resolve_model`, else it
fails naming the missing base and the flag that fixes it. ``vllm/<base>:<adapter dir>`` names its base explicitly
and needs none of this.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ADAPTER_CONFIG = "adapter_config.json"
BASE_KEY = "base_model_name_or_path"
#: The checkpoint metadata file of ``finetune train`` and its key for the base as given to ``--base``.
METADATA_FILE = "inspect_warmth.json"
METADATA_BASE_KEY = "base_model"


def _is_local_path(name: str) -> bool:
    return name.startswith(("/", "./", "../", "~")) or Path(name).expanduser().exists()


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None


def adapter_base(adapter_dir: Path, override: str | None = None, *, flag: str = "--base-model") -> str:
    """The base model of an adapter directory, resolved for this machine (a path or a hub id).

    Order: ``override`` (the user's ``flag``); PEFT's recorded base when it is a hub id or a directory that exists
    here; the base as ``finetune train`` was given it (checkpoint metadata), resolved by the package's resolver.
    Raises ``ValueError`` when ``adapter_dir`` holds no adapter config, ``FileNotFoundError`` naming the missing
    base and ``flag`` when none of these is on this machine."""
    from inspect_warmth.models.bundled import resolve_model

    if override:
        return resolve_model(override)
    adapter_dir = Path(adapter_dir)
    config = _read_json(adapter_dir / ADAPTER_CONFIG)
    if config is None or BASE_KEY not in config:
        raise ValueError(f"{adapter_dir / ADAPTER_CONFIG}: not a PEFT adapter config with {BASE_KEY}")
    recorded = resolve_model(str(config[BASE_KEY]))
    if not _is_local_path(recorded) or Path(recorded).expanduser().exists():
        return recorded
    given = (_read_json(adapter_dir / METADATA_FILE) or {}).get(METADATA_BASE_KEY)
    if isinstance(given, str) and given:
        resolved = resolve_model(given)
        if not _is_local_path(resolved) or Path(resolved).expanduser().exists():
            return resolved
    raise FileNotFoundError(
        f"{adapter_dir} was trained on the base model {recorded}"
        + (f" (given as {given!r})" if isinstance(given, str) and given and given != recorded else "")
        + f", which is not on this machine; pass its location with {flag} DIR (or a hub id)"
    )


def run_base(run: Path, epochs: dict[float, Path], override: str | None = None) -> str:
    """The base model of a ``finetune train`` run (``run``; ``epochs``: its saved checkpoints by epoch), resolved
    for this machine by :func:`adapter_base` from the first checkpoint that has its metadata file.
    Raises ``FileNotFoundError`` when no checkpoint has one (not a ``finetune train`` output)."""
    for path in epochs.values():
        if (path / METADATA_FILE).exists():
            return adapter_base(path, override)
    raise FileNotFoundError(f"{run}: no checkpoint with {METADATA_FILE}; is it a `finetune train` output?")


def load_adapted(adapter_dir: Path, base: str | None = None, **load_kwargs: Any) -> Any:
    """The base model (:func:`adapter_base`) with the adapter of ``adapter_dir`` loaded onto it (``PeftModel``)."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(adapter_base(adapter_dir, base), **load_kwargs)
    return PeftModel.from_pretrained(model, str(adapter_dir))
