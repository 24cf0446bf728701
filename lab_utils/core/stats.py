"""Statistics over seeds and the three-way verdict rules every section states in its prose.

A reference claim is judged from numbers measured over several seeds, never from one run:

    holds         the evidence decides for the claim
    contradicted  the evidence decides against it
    undecided     the evidence does not decide (too few seeds, too much spread, an effect too small to see)

Rules (each returns the verdict string; the section says in its prose which rule it applies and why):

    direction_verdict(iv, +1, margin)   claim "effect > margin": holds when the interval's lower end is above
                                        margin, contradicted when its upper end is below it
    equivalence_verdict(iv, delta)      claim "no difference beyond delta": holds when the interval lies inside
                                        [-delta, delta], contradicted when it lies wholly outside it
    correlation_verdict(x, y, +1)       claim "x rises with y": holds when Spearman's rho has the claimed sign with
                                        p < alpha, contradicted when the opposite sign is significant
    unanimous_verdict(flags)            a yes/no outcome per seed: holds when every seed (at least two) says yes,
                                        contradicted when every seed says no, undecided when they disagree
    joint_verdict(verdicts)             a claim made of parts, each judged by one of the rules above: holds when
                                        every part holds, contradicted when any part is contradicted

Intervals are Student-t confidence intervals of the mean over seeds, with the sample standard deviation
(ddof = 1); with a single value the interval is unbounded, so nothing is decided from one seed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

HOLDS, CONTRADICTED, UNDECIDED = "holds", "contradicted", "undecided"
VERDICTS = (HOLDS, CONTRADICTED, UNDECIDED)
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    """mean, sample sd (ddof=1), n, and the `confidence` t-interval [lo, hi] of the mean of finite values."""

    mean: float
    sd: float
    n: int
    lo: float
    hi: float
    confidence: float = CONFIDENCE

    @property
    def half_width(self) -> float:
        return (self.hi - self.lo) / 2


    def text(self, scale: float = 1.0, unit: str = "", digits: int = 3, signed: bool = False) -> str:
        """The one way prose shows an interval: "12.3 pp (95 % CI 4.1 – 20.5 pp, n = 3)", values times `scale`
        in `digits` significant digits, `unit` after each ("" none, " pp", " %", " nats"), a sign on the mean
        when `signed` (differences)."""
        if self.n == 0:
            return "no finite value"
        m = f"{scale * self.mean:{'+' if signed else ''}.{digits}g}{unit}"
        if self.n == 1:
            return f"{m} (one value: no interval)"
        lo, hi = (f"{scale * v:.{digits}g}" for v in (self.lo, self.hi))
        return f"{m} ({100 * self.confidence:g} % CI {lo} – {hi}{unit}, n = {self.n})"

    def pp(self) -> str:
        """A signed interval of fractions (accuracy or error differences) in percentage points."""
        return self.text(100, " pp", signed=True)

    def __str__(self) -> str:
        return self.text()


def finite(values: Sequence[float | None]) -> np.ndarray:
    """The finite entries of `values` (None, NaN and inf dropped) as a float array."""
    a = np.asarray([np.nan if v is None else v for v in values], dtype=float)
    return a[np.isfinite(a)]


def mean_sd(values: Sequence[float | None]) -> tuple[float, float, int]:
    """Mean, sample standard deviation (ddof=1; NaN for n < 2) and count of the finite values."""
    a = finite(values)
    if not len(a):
        return math.nan, math.nan, 0
    return float(a.mean()), float(a.std(ddof=1)) if len(a) > 1 else math.nan, len(a)


def mean_interval(values: Sequence[float | None], confidence: float = CONFIDENCE) -> Interval:
    """The Student-t interval of the mean of the finite values (unbounded for n < 2)."""
    from scipy import stats

    m, sd, n = mean_sd(values)
    if n < 2:
        return Interval(m, sd, n, -math.inf, math.inf, confidence)
    h = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    return Interval(m, sd, n, m - h, m + h, confidence)


def paired_interval(a: Sequence[float | None], b: Sequence[float | None],
                    confidence: float = CONFIDENCE) -> Interval:
    """Interval of the mean per-seed difference a_i - b_i (pairs with a non-finite member are dropped)."""
    if len(a) != len(b):
        raise ValueError(f"paired values need equal lengths, got {len(a)} and {len(b)}")
    d = [x - y if x is not None and y is not None else None for x, y in zip(a, b)]
    return mean_interval(d, confidence)


def direction_verdict(iv: Interval, direction: int, margin: float = 0.0) -> str:
    """Claim: the effect lies beyond `margin` on the side of `direction` (+1: effect > margin, -1: effect <
    margin). holds when the whole interval is on the claimed side, contradicted when the whole interval is on the
    other side, undecided otherwise."""
    if direction not in (1, -1):
        raise ValueError(f"direction must be +1 or -1, got {direction!r}")
    if iv.n == 0:
        return UNDECIDED
    lo, hi = (iv.lo - margin, iv.hi - margin) if direction == 1 else (margin - iv.hi, margin - iv.lo)
    if lo > 0:
        return HOLDS
    if hi < 0:
        return CONTRADICTED
    return UNDECIDED


def equivalence_verdict(iv: Interval, delta: float) -> str:
    """Claim: no difference beyond ±delta. holds when the interval lies inside [-delta, delta], contradicted when it
    lies wholly outside (the difference is surely larger than delta), undecided otherwise."""
    if delta < 0:
        raise ValueError(f"delta must be >= 0, got {delta}")
    if iv.n == 0:
        return UNDECIDED
    if -delta <= iv.lo and iv.hi <= delta:
        return HOLDS
    if iv.lo > delta or iv.hi < -delta:
        return CONTRADICTED
    return UNDECIDED


@dataclass(frozen=True)
class Correlation:
    """A rank or linear correlation with its two-sided p-value over n finite pairs (NaN when undefined)."""

    method: str
    r: float
    p: float
    n: int



def correlation(x: Sequence[float | None], y: Sequence[float | None], method: str = "spearman") -> Correlation:
    """Spearman or Pearson correlation of the pairs where both values are finite; NaN (not an error) when fewer
    than 3 pairs remain or either side is constant."""
    from scipy import stats

    if method not in ("spearman", "pearson"):
        raise ValueError(f"method must be 'spearman' or 'pearson', got {method!r}")
    a = np.asarray([np.nan if v is None else v for v in x], dtype=float)
    b = np.asarray([np.nan if v is None else v for v in y], dtype=float)
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return Correlation(method, math.nan, math.nan, int(len(a)))
    res = (stats.spearmanr if method == "spearman" else stats.pearsonr)(a, b)
    return Correlation(method, float(res[0]), float(res[1]), int(len(a)))


def correlation_verdict(c: Correlation, direction: int, alpha: float = 0.05) -> str:
    """Claim: a correlation of sign `direction`. holds when r has that sign with p < alpha, contradicted when the
    opposite sign is significant, undecided otherwise (including an undefined correlation)."""
    if direction not in (1, -1):
        raise ValueError(f"direction must be +1 or -1, got {direction!r}")
    if not (math.isfinite(c.r) and math.isfinite(c.p)) or c.p >= alpha:
        return UNDECIDED
    return HOLDS if c.r * direction > 0 else CONTRADICTED


def unanimous_verdict(flags: Sequence[bool | None], min_n: int = 2) -> str:
    """Claim: a yes/no outcome. holds when every seed says yes, contradicted when every seed says no, undecided when
    they disagree or fewer than `min_n` seeds were measured (None entries are not measured)."""
    got = [bool(f) for f in flags if f is not None]
    if len(got) < min_n:
        return UNDECIDED
    if all(got):
        return HOLDS
    if not any(got):
        return CONTRADICTED
    return UNDECIDED


def joint_verdict(verdicts: Sequence[str]) -> str:
    """Claim: several parts at once (e.g. "rises, then stays flat"), each already judged by one of the rules above.
    holds when every part holds, contradicted when at least one part is contradicted, undecided otherwise (and for
    no parts at all)."""
    bad = [v for v in verdicts if v not in VERDICTS]
    if bad:
        raise ValueError(f"not verdicts: {bad}")
    if CONTRADICTED in verdicts:
        return CONTRADICTED
    if verdicts and all(v == HOLDS for v in verdicts):
        return HOLDS
    return UNDECIDED
