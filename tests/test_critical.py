"""probes.critical against exact answers: the solver on quadratics and functions with known critical points, the
index and its tolerance sweep on known spectra, the sampling ratio on quadratics."""

from __future__ import annotations

import math

import pytest
import torch

from lab_utils.probes.critical import (
    critical_point,
    critical_points,
    flat_loss,
    hessian_index,
    index_sweep,
    sampling_ratio,
)
from lab_utils.probes.hessian import dense_hessian


def quadratic(eigs, seed=0):
    """f(theta) = 1/2 (theta - c)^T A (theta - c) with A = Q diag(eigs) Q^T: its Hessian has eigenvalues `eigs`,
    its only critical point is c."""
    g = torch.Generator().manual_seed(seed)
    n = len(eigs)
    q, _ = torch.linalg.qr(torch.randn(n, n, generator=g, dtype=torch.float64))
    A = q @ torch.diag(torch.tensor(eigs, dtype=torch.float64)) @ q.T
    c = torch.randn(n, generator=g, dtype=torch.float64)

    def f(th):
        d = th - c
        return 0.5 * d @ (A @ d)

    return f, c


def rosenbrock(th):
    return (1 - th[0]) ** 2 + 100 * (th[1] - th[0] ** 2) ** 2


def double_well(th):
    """x^4/4 - x^2/2 + y^2/2: minima at (+-1, 0) (value -1/4), a saddle at (0, 0) whose stable manifold is x = 0."""
    return th[0] ** 4 / 4 - th[0] ** 2 / 2 + th[1] ** 2 / 2


def t(*v):
    return torch.tensor(v, dtype=torch.float64)


# ---- the solver -------------------------------------------------------------------------------------------


def test_positive_definite_quadratic_lands_on_its_centre():
    f, c = quadratic([10.0, 3.0, 1.0, 0.01, 1e-4])
    cp = critical_point(f, torch.zeros(5, dtype=torch.float64))
    assert cp.converged and cp.grad_norm <= 1e-6
    assert torch.allclose(cp.theta, c, atol=1e-6 / 1e-4)  # |theta - c| <= |g| / lambda_min
    assert cp.n_iter <= 15  # damped Newton: mu falls 4x per step, then pure Newton steps


def test_rosenbrock_minimum():
    cp = critical_point(rosenbrock, t(-1.2, 1.0), max_iter=300)
    assert cp.converged
    assert torch.allclose(cp.theta, t(1.0, 1.0), atol=1e-6)
    assert cp.loss < 1e-12


def test_record_is_consistent():
    th0 = t(-1.2, 1.0)
    cp = critical_point(rosenbrock, th0, max_iter=300)
    assert cp.grad_norms[0] == pytest.approx(float(torch.func.grad(rosenbrock)(th0).norm()))
    assert cp.losses[0] == pytest.approx(float(rosenbrock(th0)))
    assert cp.n_iter == len(cp.grad_norms) - 1 == len(cp.losses) - 1
    assert all(b <= a for a, b in zip(cp.losses, cp.losses[1:])), "the solver only descends"
    assert cp.grad_norm == cp.grad_norms[-1] and cp.loss == cp.losses[-1]
    assert cp.distance == pytest.approx(float((cp.theta - th0).norm()))
    assert "1e-06" in cp.criterion


def test_descends_away_from_a_saddle_to_a_minimum():
    cp = critical_point(double_well, t(0.01, 0.5))
    assert cp.converged
    assert torch.allclose(cp.theta, t(1.0, 0.0), atol=1e-6)
    idx = hessian_index(torch.linalg.eigvalsh(dense_hessian(double_well, cp.theta)))
    assert (idx.n_pos, idx.n_neg) == (2, 0) and idx.ratio == 1.0


def test_reaches_a_saddle_along_its_stable_manifold_and_the_index_says_so():
    cp = critical_point(double_well, t(0.0, 0.5))
    assert cp.converged
    assert torch.allclose(cp.theta, t(0.0, 0.0), atol=1e-6)
    idx = hessian_index(torch.linalg.eigvalsh(dense_hessian(double_well, cp.theta)))
    assert (idx.n_pos, idx.n_neg, idx.n_zero) == (1, 1, 0) and idx.ratio == 0.5


def test_degenerate_minima_on_a_curve():
    f = lambda th: (th[0] * th[1] - 1) ** 2  # noqa: E731  minima on xy = 1, Hessian rank 1 there
    cp = critical_point(f, t(0.5, 3.0))
    assert cp.converged
    assert float(cp.theta[0] * cp.theta[1]) == pytest.approx(1.0, abs=1e-6)
    e = torch.linalg.eigvalsh(dense_hessian(f, cp.theta))
    for idx in index_sweep(e, (1e-8, 1e-6, 1e-4)):
        assert (idx.n_pos, idx.n_neg, idx.n_zero) == (1, 0, 1)


def test_a_kink_is_reported_as_not_converged():
    f = lambda th: th[0].abs() + th[1] ** 2  # noqa: E731  minimum at a kink: |grad| = 1 arbitrarily close to it
    cp = critical_point(f, t(0.3, 0.2), max_iter=50)
    assert not cp.converged and cp.grad_norm >= 1.0
    assert cp.loss < float(f(t(0.3, 0.2)))


def test_stops_at_max_iter_unconverged():
    cp = critical_point(rosenbrock, t(-1.2, 1.0), max_iter=2)
    assert cp.n_iter == 2 and not cp.converged


def test_batched_equals_one_at_a_time():
    starts = torch.stack([t(-1.2, 1.0), t(0.01, 0.5), t(2.0, -1.0)])
    f = lambda th: rosenbrock(th) + double_well(th)  # noqa: E731
    batch = critical_points(f, starts, max_iter=300)
    for s, b in zip(starts, batch):
        one = critical_point(f, s, max_iter=300)
        assert b.converged == one.converged and b.n_iter == one.n_iter
        assert torch.allclose(b.theta, one.theta, atol=1e-10)
        assert b.grad_norms == pytest.approx(one.grad_norms, rel=1e-6, abs=1e-14)


def test_a_start_that_is_already_critical_takes_no_step():
    f, c = quadratic([1.0, -2.0])
    cp = critical_point(f, c.clone())
    assert cp.converged and cp.n_iter == 0 and cp.distance == 0.0


# ---- the index ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "eigs, expected",
    [
        ([1.0, 2.0, 3.0, 4.0], 1.0),
        ([-1.0, -2.0, -0.5], 0.0),
        ([5.0, 1.0, 0.3, -2.0], 0.75),
        ([3.0, -1.0, 0.0, 0.0, 0.0], 0.5),  # zero eigenvalues are left out
    ],
)
def test_hessian_ratio_exact_on_quadratic(eigs, expected):
    f, c = quadratic(eigs)
    e = torch.linalg.eigvalsh(dense_hessian(f, c.clone()))
    assert e == pytest.approx(sorted(eigs), abs=1e-10)
    out = hessian_index(e)
    assert out.ratio == pytest.approx(expected)
    assert out.n_zero == sum(1 for v in eigs if v == 0)


def test_sweep_counts_on_a_known_spectrum():
    e = t(5.0, 1.0, 1e-7, -1e-9, -2.0)  # max|lambda| = 5
    got = [(i.n_pos, i.n_neg, i.n_zero, i.rel_tol) for i in index_sweep(e, (1e-12, 1e-9, 1e-7, 1e-3))]
    assert got == [(3, 2, 0, 1e-12), (3, 1, 1, 1e-9), (2, 1, 2, 1e-7), (2, 1, 2, 1e-3)]
    assert math.isnan(hessian_index(torch.zeros(3)).ratio)


# ---- the sampling ratio -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "eigs, expected",
    [
        ([1.0, 2.0, 3.0], 1.0),
        ([-1.0, -4.0], 0.0),
        ([1.0, -1.0], 0.5),
        ([3.0, -1.0], 2 / 3),  # P(3 u1^2 > u2^2) = (2/pi) atan(sqrt 3) = 2/3, while the Hessian ratio is 1/2
    ],
)
def test_sampling_ratio_on_quadratic(eigs, expected):
    f, c = quadratic(eigs, seed=1)
    r = sampling_ratio(f, c.clone(), radius=1e-3, n_samples=20_000, seed=0)
    assert r == pytest.approx(expected, abs=0.015)


def test_symmetric_pairs_cancel_a_gradient():
    f, c = quadratic([1.0, 2.0, 3.0], seed=2)
    g = lambda th: f(th) + 1e-3 * th.sum()  # noqa: E731  a linear term: one-sided neighbours are ~half lower
    assert sampling_ratio(g, c.clone(), radius=1e-4, n_samples=4000, seed=0) < 0.7
    assert sampling_ratio(g, c.clone(), radius=1e-4, n_samples=4000, seed=0, symmetric=True) == 1.0


# ---- the loss as a function of the weights ------------------------------------------------------------------


def test_flat_loss_takes_the_probes_batches():
    from torch import nn
    from torch.nn import functional as F

    from lab_utils.core.params import flat_params

    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    x, y = torch.randn(10, 2), torch.randn(10, 1)
    theta = flat_params(m).double()
    with torch.no_grad():
        want = float(F.mse_loss(m.double()(x.double()), y.double()))
    assert float(flat_loss(m, F.mse_loss, (x, y))(theta).detach()) == pytest.approx(want, rel=1e-12)
    halves = flat_loss(m, F.mse_loss, [(x[:4], y[:4]), (x[4:], y[4:])])  # sample-weighted: all ten at once
    assert float(halves(theta).detach()) == pytest.approx(want, rel=1e-12)
