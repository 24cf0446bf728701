"""Result tables for display in a notebook."""

from __future__ import annotations

from typing import Sequence

from .fmt import fmt


def table(rows: Sequence[dict], columns: Sequence[str] | None = None):
    """A pandas DataFrame of `rows` (dicts) with numbers formatted by `fmt` (a missing value as "–"), for display
    in a notebook; the report shows it as a plain table (`report.convert`)."""
    import pandas as pd

    df = pd.DataFrame(list(rows))
    if columns:
        df = df[list(columns)]
    df = df.astype(object).where(df.notna(), None)  # None, not NaN, for a missing number: fmt writes "–"
    return df.map(fmt)
