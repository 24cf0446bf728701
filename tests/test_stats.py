"""The verdict rules and intervals on constructed cases: each rule must say holds, contradicted and undecided
exactly where its definition says."""
import math

import numpy as np
import pytest
from scipy import stats as sps

from lab_utils.core import stats
from lab_utils.core.stats import CONTRADICTED, HOLDS, UNDECIDED


def test_mean_interval_is_the_student_t_interval():
    v = [1.0, 2.0, 4.0]
    iv = stats.mean_interval(v)
    m, sd = np.mean(v), np.std(v, ddof=1)
    h = sps.t.ppf(0.975, 2) * sd / math.sqrt(3)
    assert (iv.mean, iv.sd, iv.n) == pytest.approx((m, sd, 3))
    assert (iv.lo, iv.hi) == pytest.approx((m - h, m + h))
    assert str(iv) == f"{m:.3g} (95 % CI {m - h:.3g} – {m + h:.3g}, n = 3)"
    assert iv.pp() == f"+{100 * m:.3g} pp (95 % CI {100 * (m - h):.3g} – {100 * (m + h):.3g} pp, n = 3)"
    assert stats.mean_interval([0.5]).text(100, " %") == "50 % (one value: no interval)"
    assert str(stats.mean_interval([])) == "no finite value"


def test_one_seed_decides_nothing():
    iv = stats.mean_interval([5.0, None, float("nan")])
    assert iv.n == 1 and iv.lo == -math.inf and iv.hi == math.inf
    assert stats.direction_verdict(iv, +1) == UNDECIDED
    assert stats.equivalence_verdict(iv, 1.0) == UNDECIDED
    assert stats.unanimous_verdict([True]) == UNDECIDED


@pytest.mark.parametrize("values, direction, margin, expected", [
    ([1.0, 1.1, 0.9, 1.05], +1, 0.0, HOLDS),          # clearly above 0
    ([1.0, 1.1, 0.9, 1.05], -1, 0.0, CONTRADICTED),   # the claim said below 0
    ([1.0, 1.1, 0.9, 1.05], +1, 2.0, CONTRADICTED),   # surely not above 2
    ([1.0, 1.1, 0.9, 1.05], +1, 1.0, UNDECIDED),      # straddles the margin
    ([-1.0, 1.0, 0.5], +1, 0.0, UNDECIDED),           # spread too wide
    ([-3.0, -3.1, -2.9], -1, 0.0, HOLDS),
])
def test_direction_verdict(values, direction, margin, expected):
    assert stats.direction_verdict(stats.mean_interval(values), direction, margin) == expected


@pytest.mark.parametrize("values, delta, expected", [
    ([0.01, -0.02, 0.0, 0.01], 0.1, HOLDS),
    ([1.0, 1.1, 0.9], 0.1, CONTRADICTED),
    ([0.05, 0.2, -0.1], 0.1, UNDECIDED),
])
def test_equivalence_verdict(values, delta, expected):
    assert stats.equivalence_verdict(stats.mean_interval(values), delta) == expected


def test_paired_interval_drops_incomplete_pairs():
    iv = stats.paired_interval([3.0, 4.0, None, 5.0], [1.0, 1.5, 2.0, 3.5])
    assert iv.n == 3 and iv.mean == pytest.approx((2 + 2.5 + 1.5) / 3)
    with pytest.raises(ValueError):
        stats.paired_interval([1.0], [1.0, 2.0])


def test_correlation_and_its_verdict():
    x = np.arange(12.0)
    rising = stats.correlation(x, x ** 2)
    assert rising.r == pytest.approx(1.0) and rising.p < 1e-6 and rising.n == 12
    assert stats.correlation_verdict(rising, +1) == HOLDS
    assert stats.correlation_verdict(rising, -1) == CONTRADICTED
    noise = stats.correlation(x, np.random.default_rng(0).normal(size=12))
    assert stats.correlation_verdict(noise, +1) == UNDECIDED  # p >= 0.05 for this draw
    assert noise.p >= 0.05
    flat = stats.correlation([1, 2, None, 4], [3, 3, 3, 3])
    assert math.isnan(flat.r) and stats.correlation_verdict(flat, +1) == UNDECIDED
    p = stats.correlation(x, 2 * x + 1, "pearson")
    assert p.method == "pearson" and p.r == pytest.approx(1.0)


def test_unanimous_verdict():
    assert stats.unanimous_verdict([True, True, None]) == HOLDS
    assert stats.unanimous_verdict([False, False]) == CONTRADICTED
    assert stats.unanimous_verdict([True, False, True]) == UNDECIDED


def test_joint_verdict():
    assert stats.joint_verdict([HOLDS, HOLDS]) == HOLDS
    assert stats.joint_verdict([HOLDS, UNDECIDED]) == UNDECIDED
    assert stats.joint_verdict([HOLDS, CONTRADICTED, UNDECIDED]) == CONTRADICTED
    assert stats.joint_verdict([]) == UNDECIDED
    with pytest.raises(ValueError):
        stats.joint_verdict(["maybe"])


def test_bad_arguments():
    with pytest.raises(ValueError):
        stats.direction_verdict(stats.mean_interval([1, 2]), 0)
    with pytest.raises(ValueError):
        stats.equivalence_verdict(stats.mean_interval([1, 2]), -1)
    with pytest.raises(ValueError):
        stats.correlation([1, 2, 3], [1, 2, 3], "kendall")
