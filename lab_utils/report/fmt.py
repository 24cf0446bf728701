"""Number formatting for prose, tables and the index: one look everywhere."""
from __future__ import annotations

import math
from typing import Any


def fmt(v: Any) -> str:
    """A number in 4 significant digits (scientific when tiny or huge), ints with thousands separators; None as an
    en dash; anything else as str()."""
    if v is None:
        return "–"
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if not math.isfinite(v):
        return str(v)
    return f"{v:.3e}" if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e5) else f"{v:.4g}"


def num(v: float | None, digits: int = 4) -> str:
    """`v` in `digits` significant digits, "–" for None or NaN."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{v:.{digits}g}"


def pct(v: float | None, digits: int = 2) -> str:
    """A fraction in [0, 1] as a percentage with `digits` decimals ("97.88 %"), "–" for None or NaN."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{100 * v:.{digits}f} %"
