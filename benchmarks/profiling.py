"""``torch.profiler`` around a piece of a benchmark, printing where its device time went (shared by the benchmarks)."""

from __future__ import annotations

from typing import Any


def start_profiler(device: str) -> Any:
    import torch

    activities = [torch.profiler.ProfilerActivity.CPU]
    if device == "cuda":
        activities.append(torch.profiler.ProfilerActivity.CUDA)
    profiler = torch.profiler.profile(activities=activities)
    profiler.__enter__()
    return profiler


def print_profile(profiler: Any, device: str, title: str, rows: int = 25) -> None:
    """Stop ``profiler`` (from :func:`start_profiler`) and print its table sorted by device time."""
    import torch

    if device == "cuda":
        torch.cuda.synchronize()
    profiler.__exit__(None, None, None)
    key = "cuda_time_total" if device == "cuda" else "cpu_time_total"
    print(f"--- {title} (sorted by {key}) ---")
    print(profiler.key_averages().table(sort_by=key, row_limit=rows, max_name_column_width=70), flush=True)
