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
(ddof = 1); with a single value the interval is unbounded, so nothing is decided from one seed. Shares of runs get
a Wilson interval (`wilson_interval`) and correlations a Fisher-z interval (`correlation_interval`), as
`Interval`s, so that the same rules decide them.

The general statistics every section uses, one of each (values are taken as finite floats: None, NaN and inf are
left out; units are those of the values unless stated):

    finite(values), mean(values), mean_sd(values)    the finite values; their mean (NaN for none); mean, sd, n
    t_quantile(n), z_quantile()                      the two-sided Student-t / normal multipliers of an interval
    mean_interval, paired_interval                   t-intervals of a mean and of a mean per-seed difference
    wilson_interval(k, n), correlation_interval(c)   a share k / n; Spearman's or Pearson's r
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

HOLDS, CONTRADICTED, UNDECIDED = "holds", "contradicted", "undecided"
NOT_TESTED = "not tested"  # the run does not test the claim: another experiment, or a precondition failed
VERDICTS = (HOLDS, CONTRADICTED, UNDECIDED, NOT_TESTED)
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


def mean(values: Sequence[float | None]) -> float:
    """The mean of the finite values, in their units; NaN when there is none (empty input, or only None / NaN /
    inf), which metrics.json writes as null and `report.fmt.num` shows as a dash."""
    a = finite(values)
    return float(a.mean()) if len(a) else math.nan


def mean_sd(values: Sequence[float | None]) -> tuple[float, float, int]:
    """Mean, sample standard deviation (ddof=1; NaN for n < 2) and count of the finite values (mean NaN for none)."""
    a = finite(values)
    if not len(a):
        return math.nan, math.nan, 0
    return float(a.mean()), float(a.std(ddof=1)) if len(a) > 1 else math.nan, len(a)


def t_quantile(n: int, confidence: float = CONFIDENCE) -> float:
    """The two-sided Student-t multiplier of a mean of n values: the (1 + confidence) / 2 quantile of t with n - 1
    degrees of freedom (unitless: the interval's half-width in standard errors); inf for n < 2 (no interval)."""
    from scipy import stats

    return float(stats.t.ppf(0.5 + confidence / 2, n - 1)) if n >= 2 else math.inf


def z_quantile(confidence: float = CONFIDENCE) -> float:
    """The two-sided normal multiplier: the (1 + confidence) / 2 quantile of N(0, 1) (1.959963984540054 at 95 %)."""
    from scipy import stats

    return float(stats.norm.ppf(0.5 + confidence / 2))


def mean_interval(values: Sequence[float | None], confidence: float = CONFIDENCE) -> Interval:
    """The Student-t interval of the mean of the finite values (unbounded for n < 2; mean NaN for none)."""
    m, sd, n = mean_sd(values)
    if n < 2:
        return Interval(m, sd, n, -math.inf, math.inf, confidence)
    h = t_quantile(n, confidence) * sd / math.sqrt(n)
    return Interval(m, sd, n, m - h, m + h, confidence)


def paired_interval(a: Sequence[float | None], b: Sequence[float | None], confidence: float = CONFIDENCE) -> Interval:
    """Interval of the mean per-seed difference a_i - b_i (pairs with a non-finite member are dropped)."""
    if len(a) != len(b):
        raise ValueError(f"paired values need equal lengths, got {len(a)} and {len(b)}")
    d = [x - y if x is not None and y is not None else None for x, y in zip(a, b)]
    return mean_interval(d, confidence)


def wilson_interval(k: int, n: int, confidence: float = CONFIDENCE) -> Interval:
    """The Wilson score interval of a share k / n (k successes of n runs; a fraction in [0, 1]), defined at k = 0
    and k = n unlike the t-interval of 0/1 values: centre (k + z^2/2) / (n + z^2), half-width
    z / (n + z^2) * sqrt(k (n - k) / n + z^2 / 4), clipped to [0, 1], z = `z_quantile(confidence)`. mean is k / n
    and sd the binomial sd sqrt(p (1 - p)); n = 0 gives mean NaN and an unbounded interval."""
    if n == 0:
        return Interval(math.nan, math.nan, 0, -math.inf, math.inf, confidence)
    z = z_quantile(confidence)
    p = k / n
    centre = (k + z**2 / 2) / (n + z**2)
    half = z / (n + z**2) * math.sqrt(k * (n - k) / n + z**2 / 4)
    return Interval(p, math.sqrt(p * (1 - p)), n, max(0.0, centre - half), min(1.0, centre + half), confidence)


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


def correlation_interval(c: Correlation, confidence: float = CONFIDENCE) -> Interval:
    """The Fisher-z interval of a correlation (unitless, in [-1, 1]): tanh(atanh(r) -+ z se), z =
    `z_quantile(confidence)`, with se = 1 / sqrt(n - 3) for Pearson's r and the Bonett-Wright
    sqrt((1 + r^2 / 2) / (n - 3)) for Spearman's rho (r clipped to +-(1 - 1e-12) so that atanh is finite). sd is
    NaN; n = 0 (an unbounded interval) when the correlation is undefined or n < 4."""
    if not math.isfinite(c.r) or c.n < 4:
        return Interval(c.r, math.nan, 0, -math.inf, math.inf, confidence)
    r = max(-1 + 1e-12, min(1 - 1e-12, c.r))
    se = math.sqrt((1 + r**2 / 2 if c.method == "spearman" else 1.0) / (c.n - 3))
    z, half = math.atanh(r), z_quantile(confidence) * se
    return Interval(c.r, math.nan, c.n, math.tanh(z - half), math.tanh(z + half), confidence)


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
    holds when every part holds, contradicted when at least one part is contradicted, not tested when no part is
    contradicted and one is not tested, undecided otherwise (and for no parts at all)."""
    bad = [v for v in verdicts if v not in VERDICTS]
    if bad:
        raise ValueError(f"not verdicts: {bad}")
    if CONTRADICTED in verdicts:
        return CONTRADICTED
    if NOT_TESTED in verdicts:
        return NOT_TESTED
    if verdicts and all(v == HOLDS for v in verdicts):
        return HOLDS
    return UNDECIDED
