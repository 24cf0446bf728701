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


def test_mean_and_quantiles():
    assert stats.mean([1.0, None, 3.0, float("nan"), float("inf")]) == 2.0  # finite values only
    assert math.isnan(stats.mean([])) and math.isnan(stats.mean([None, float("nan")]))  # none: NaN
    assert stats.t_quantile(3) == pytest.approx(4.302652729749462, rel=1e-12)  # t_{0.975, 2 dof}
    assert stats.t_quantile(3, 0.9) == pytest.approx(sps.t.ppf(0.95, 2), rel=1e-12)
    assert stats.t_quantile(1) == math.inf and stats.t_quantile(0) == math.inf
    assert stats.z_quantile() == 1.959963984540054


Z = 1.959963984540054  # the 95 % normal quantile, for the closed forms below


def test_wilson_interval_closed_form():
    # k = 0: centre = half-width = z^2 / (2 (n + z^2)), so [0, z^2 / (n + z^2)] = [0, 0.2775]
    iv = stats.wilson_interval(0, 10)
    assert (iv.mean, iv.sd, iv.n) == (0.0, 0.0, 10)
    assert iv.lo == pytest.approx(0.0, abs=1e-15) and iv.hi == pytest.approx(Z**2 / (10 + Z**2), rel=1e-12)
    assert iv.hi == pytest.approx(0.2775, abs=1e-4)
    # k = n / 2: centre 1/2, half-width z / (n + z^2) sqrt(n / 4 + z^2 / 4) -> [0.2366, 0.7634]
    iv = stats.wilson_interval(5, 10)
    half = Z / (10 + Z**2) * math.sqrt(2.5 + Z**2 / 4)
    assert (iv.mean, iv.sd) == (0.5, 0.5)
    assert (iv.lo, iv.hi) == pytest.approx((0.5 - half, 0.5 + half), rel=1e-12)
    assert (iv.lo, iv.hi) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    full = stats.wilson_interval(10, 10)  # the mirror image of k = 0
    assert full.hi == 1.0 and full.lo == pytest.approx(10 / (10 + Z**2), rel=1e-12)
    none = stats.wilson_interval(0, 0)
    assert none.n == 0 and math.isnan(none.mean) and (none.lo, none.hi) == (-math.inf, math.inf)
    assert stats.direction_verdict(stats.wilson_interval(9, 10), +1, 0.5) == HOLDS


def test_correlation_interval_by_hand():
    # Pearson r = 0.5, n = 28: atanh(0.5) = 0.549306, se = 1/sqrt(25) = 0.2, z se = 0.391993,
    # tanh(0.157313) = 0.156028 and tanh(0.941299) = 0.735818
    iv = stats.correlation_interval(stats.Correlation("pearson", 0.5, 0.0, 28))
    assert (iv.lo, iv.hi) == pytest.approx((0.156028, 0.735818), abs=1e-6)
    assert (iv.mean, iv.n) == (0.5, 28) and math.isnan(iv.sd)
    # Spearman: the Bonett-Wright se sqrt((1 + r^2 / 2) / (n - 3)) = sqrt(1.125 / 25) = 0.212132
    iv = stats.correlation_interval(stats.Correlation("spearman", 0.5, 0.0, 28))
    se = math.sqrt(1.125 / 25)
    assert (iv.lo, iv.hi) == pytest.approx(
        (math.tanh(math.atanh(0.5) - Z * se), math.tanh(math.atanh(0.5) + Z * se)), rel=1e-12
    )
    assert (iv.lo, iv.hi) == pytest.approx((0.132747, 0.746533), abs=1e-6)
    assert stats.correlation_interval(stats.Correlation("spearman", math.nan, math.nan, 50)).n == 0
    assert stats.correlation_interval(stats.Correlation("pearson", 0.9, 0.0, 3)).n == 0  # n < 4: no interval
    one = stats.correlation_interval(stats.Correlation("spearman", 1.0, 0.0, 10))  # clipped, still finite
    assert one.hi == pytest.approx(1.0) and one.lo < 1


def test_report_formatting_of_per_seed_values():
    from lab_utils.report import fmt

    assert fmt.values([0.12345, None, float("nan"), 2.0]) == "0.123, –, –, 2"
    assert fmt.mean_sd([1.0, 2.0, 3.0]) == "2 ± 1" and fmt.mean_sd([0.5], 100) == "50 (one seed)"
    assert fmt.mean_sd([None]) == "–"


def test_one_seed_decides_nothing():
    iv = stats.mean_interval([5.0, None, float("nan")])
    assert iv.n == 1 and iv.lo == -math.inf and iv.hi == math.inf
    assert stats.direction_verdict(iv, +1) == UNDECIDED
    assert stats.equivalence_verdict(iv, 1.0) == UNDECIDED
    assert stats.unanimous_verdict([True]) == UNDECIDED


@pytest.mark.parametrize(
    "values, direction, margin, expected",
    [
        ([1.0, 1.1, 0.9, 1.05], +1, 0.0, HOLDS),  # clearly above 0
        ([1.0, 1.1, 0.9, 1.05], -1, 0.0, CONTRADICTED),  # the claim said below 0
        ([1.0, 1.1, 0.9, 1.05], +1, 2.0, CONTRADICTED),  # surely not above 2
        ([1.0, 1.1, 0.9, 1.05], +1, 1.0, UNDECIDED),  # straddles the margin
        ([-1.0, 1.0, 0.5], +1, 0.0, UNDECIDED),  # spread too wide
        ([-3.0, -3.1, -2.9], -1, 0.0, HOLDS),
    ],
)
def test_direction_verdict(values, direction, margin, expected):
    assert stats.direction_verdict(stats.mean_interval(values), direction, margin) == expected


@pytest.mark.parametrize(
    "values, delta, expected",
    [
        ([0.01, -0.02, 0.0, 0.01], 0.1, HOLDS),
        ([1.0, 1.1, 0.9], 0.1, CONTRADICTED),
        ([0.05, 0.2, -0.1], 0.1, UNDECIDED),
    ],
)
def test_equivalence_verdict(values, delta, expected):
    assert stats.equivalence_verdict(stats.mean_interval(values), delta) == expected


def test_paired_interval_drops_incomplete_pairs():
    iv = stats.paired_interval([3.0, 4.0, None, 5.0], [1.0, 1.5, 2.0, 3.5])
    assert iv.n == 3 and iv.mean == pytest.approx((2 + 2.5 + 1.5) / 3)
    with pytest.raises(ValueError):
        stats.paired_interval([1.0], [1.0, 2.0])


def test_correlation_and_its_verdict():
    x = np.arange(12.0)
    rising = stats.correlation(x, x**2)
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


def test_count_agrees_with_its_number():
    from lab_utils.report.fmt import count

    assert count(1, "seed") == "1 seed" and count(3, "seed") == "3 seeds" and count(0, "epoch") == "0 epochs"
    assert count(2_000, "image") == "2,000 images" and count(2, "matrix", "matrices") == "2 matrices"
