"""What the three capability tasks (mmlu, gsm8k, advbench) share: their `-T` parameters as Inspect hands them over
(YAML: `all`, lists from commas)."""

from __future__ import annotations


def parse_samples(samples: int | str | None) -> int | None:
    """``samples``: a positive int, or ``all``/None for every question."""
    if samples is None or (isinstance(samples, str) and samples.strip().lower() == "all"):
        return None
    try:
        value = int(samples)
    except (TypeError, ValueError) as err:
        raise ValueError(f"samples must be a positive integer or 'all', got {samples!r}") from err
    if value < 1:
        raise ValueError(f"samples must be a positive integer or 'all', got {samples!r}")
    return value


def parse_list(value: str | list[str] | None) -> list[str] | None:
    """``a,b`` or ``[a, b]`` -> ``["a", "b"]``; None or empty -> None."""
    if value is None:
        return None
    parts = value.split(",") if isinstance(value, str) else [str(v) for v in value]
    items = [p.strip() for p in parts if p.strip()]
    return items or None
