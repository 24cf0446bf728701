"""Number formatting for prose, tables and the index: one look everywhere.

fmt(v)                    a table cell: 4 significant digits, ints with separators, None as a dash
num(v, digits)            a number in prose, "–" for None or NaN
pct(v, digits)            a fraction as a percentage ("97.88 %")
values(vs, digits)        per-seed values, comma-separated ("0.12, 0.34, –")
mean_sd(vs, scale)        "mean ± sd" over seeds ("0.123 ± 0.045", "0.123 (one seed)", "–")
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from ..core import stats


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


def values(vals: Sequence[float | None], digits: int = 3) -> str:
    """Per-seed values, comma-separated, each in `digits` significant digits; "–" for None, NaN or inf."""
    return ", ".join("–" if v is None or not math.isfinite(v) else f"{v:.{digits}g}" for v in vals)


def mean_sd(vals: Sequence[float | None], scale: float = 1.0, digits: int = 3) -> str:
    """ "mean ± sd" of the finite values times `scale` (the mean in `digits`, the sample sd (ddof = 1) in 2
    significant digits), "mean (one seed)" for a single value, "–" for none."""
    m, sd, n = stats.mean_sd(vals)
    if not n:
        return "–"
    return f"{num(m * scale, digits)} ± {num(sd * scale, 2)}" if n > 1 else f"{num(m * scale, digits)} (one seed)"


def count(n: int, word: str, plural: str | None = None) -> str:
    """ "1 seed", "3 seeds", "1,000 images": `n` with thousands separators and the word in agreement with it
    (`plural` for irregular ones, else `word` + "s")."""
    return f"{n:,} {word if n == 1 else plural or word + 's'}"
