"""Result tables for display in a notebook."""
from __future__ import annotations

from typing import Sequence

from .fmt import fmt


def table(rows: Sequence[dict], columns: Sequence[str] | None = None):
    """A pandas DataFrame of `rows` (dicts) with numbers formatted by `fmt`, for display in a notebook."""
    import pandas as pd

    df = pd.DataFrame(list(rows))
    if columns:
        df = df[list(columns)]
    return df.map(fmt)
