"""Fixtures of the analysis tests (helpers live in analysis_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from analysis_helpers import small_table, write_logs


@pytest.fixture(scope="session")
def logged_table(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path]:
    """A small table with a few unscored replies, and the same replies written as Inspect logs."""
    table = small_table()
    table["is_incorrect"] = table["is_incorrect"].astype(float)
    table.loc[table.index[::97], "is_incorrect"] = float("nan")  # a few unscored replies
    log_dir = tmp_path_factory.mktemp("logs")
    write_logs(table, log_dir)
    return table, log_dir
