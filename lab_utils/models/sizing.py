"""Parameter counts and sizes: matching widths to a budget, log-spaced families."""

from __future__ import annotations

import math
from typing import Callable

from ..core.params import n_trainable as count_params  # noqa: F401  (the models' name for it)


def match_width(
    make_spec: Callable[[int], dict], budget: int, n_params: Callable[[dict], int], lo: int = 1, hi: int = 1 << 14
) -> int:
    """The integer width w whose model `make_spec(w)` has the parameter count closest to `budget`.

    The count must grow with w (true for any of our families); found by bisection, then the nearer neighbour.
    `n_params(spec)` counts a spec's parameters (e.g. `registry.spec_n_params`, or a closed form)."""
    n = lambda w: n_params(make_spec(w))  # noqa: E731
    if n(lo) >= budget:
        return lo
    while lo + 1 < hi:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if n(mid) < budget else (lo, mid)
    return min((lo, hi), key=lambda w: (abs(n(w) - budget), w))


def log_widths(lo: int, hi: int, n: int) -> list[int]:
    """`n` distinct integers from lo to hi, spaced evenly in log scale (fewer when rounding merges some)."""
    return sorted({round(math.exp(math.log(lo) + i * (math.log(hi) - math.log(lo)) / max(n - 1, 1))) for i in range(n)})
