"""Trace estimators (Hutchinson, Hutch++, Lanczos-deflated) and hessian_curvature's shared work, against the exact
trace of a tiny conv + BN net's dense float64 Hessian."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from small_nets import conv_bn_net, data  # noqa: E402
from torch import nn
from torch.func import functional_call

from lab_utils.core.params import flatten, trainable, unflatten
from lab_utils.probes import hessian_curvature, hessian_eigenvalues, hessian_spectrum, hessian_trace
from lab_utils.probes.trace import deflated_samples, hutchinson, hutchpp, lanczos_deflated

torch.set_num_threads(1)
LOSS = nn.functional.cross_entropy


@pytest.fixture(scope="module")
def setup():
    m = conv_bn_net()
    x, y = data()
    m.eval()
    names, ps = trainable(m)
    p0 = flatten([p.detach() for p in ps])
    f = lambda flat: LOSS(functional_call(m, dict(zip(names, unflatten(flat, ps))), (x,)), y)  # noqa: E731
    H = torch.func.hessian(f)(p0)
    m.train()
    return m, x, y, 0.5 * (H + H.T)


def spiked(n: int = 300, seed: int = 0) -> torch.Tensor:
    """A symmetric matrix like a trained net's Hessian: 8 large outliers (one negative) over a small indefinite bulk."""
    g = torch.Generator().manual_seed(seed)
    U = torch.linalg.qr(torch.randn(n, n, generator=g, dtype=torch.float64))[0]
    ev = 0.05 * torch.randn(n, generator=g, dtype=torch.float64) + 0.02
    ev[:8] = torch.tensor([90.0, 60, 40, 30, 20, 12, 8, -15])
    return (U * ev) @ U.T


def test_deflated_samples_identity():
    A = spiked(60)
    g = torch.Generator().manual_seed(1)
    Q = torch.linalg.qr(torch.randn(60, 7, generator=g, dtype=torch.float64))[0].T
    T = (Q @ A @ Q.T).numpy()
    Z = torch.randn(5, 60, generator=g, dtype=torch.float64)
    P = torch.eye(60, dtype=torch.float64) - Q.T @ Q
    want = ((Z @ P) @ A @ P * Z).sum(1).numpy()
    np.testing.assert_allclose(deflated_samples(Q, T, Z, Z @ A), want, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(deflated_samples(None, None, Z, Z @ A), ((Z @ A) * Z).sum(1).numpy(), rtol=1e-12)


@pytest.mark.parametrize("estimator", ["hutchinson", "hutch++", "lanczos"])
def test_unbiased_and_stderr_calibrated(estimator):
    """Over 60 seeds the estimates centre on the exact trace and the reported stderr matches their spread."""
    A = spiked()
    mv = lambda v: A @ v  # noqa: E731
    f = {
        "hutchinson": lambda g: hutchinson(mv, len(A), 30, g, torch.float64),
        "hutch++": lambda g: hutchpp(mv, len(A), 30, g, torch.float64),
        "lanczos": lambda g: lanczos_deflated(mv, len(A), 30, g, torch.float64),
    }[estimator]
    ts = [f(torch.Generator().manual_seed(s)) for s in range(60)]
    est = np.array([t.estimate for t in ts])
    se = np.array([t.stderr for t in ts])
    tr = A.trace().item()
    assert all(t.n_hvp == 30 for t in ts)
    assert abs(est.mean() - tr) <= 4 * est.std(ddof=1) / math.sqrt(len(est))
    z = (est - tr) / se
    assert 0.6 < z.std() < 1.6, z.std()


def test_deflation_beats_hutchinson_on_outliers():
    """At 30 products, Hutch++ and Lanczos deflation are far more accurate than Hutchinson when a few outliers
    carry ||A||_F (as on trained nets); Lanczos deflation (no products for Q^T A Q) beats Hutch++."""
    A = spiked()
    mv = lambda v: A @ v  # noqa: E731
    tr = A.trace().item()
    rms = {}
    for name, f in [("hutchinson", hutchinson), ("hutch++", hutchpp), ("lanczos", lanczos_deflated)]:
        err = [f(mv, len(A), 30, torch.Generator().manual_seed(s), torch.float64).estimate - tr for s in range(30)]
        rms[name] = float(np.sqrt(np.mean(np.square(err))))
    assert rms["hutch++"] < 0.2 * rms["hutchinson"], rms
    assert rms["lanczos"] < rms["hutch++"], rms


def test_full_subspace_is_exact(setup):
    m, x, y, H = setup
    n = len(H)
    for method in ("lanczos", "hutch++"):
        t = hessian_trace(m, LOSS, (x, y), n_samples=2 * n + 2, n_deflate=n, method=method, seed=0)
        assert t.estimate == pytest.approx(H.trace().item(), rel=1e-8, abs=1e-8 * H.abs().max().item())
        assert t.n_deflate <= n  # Lanczos stops early when its Krylov space is invariant (H is singular here)


@pytest.mark.parametrize("method", ["hutchinson", "hutch++", "lanczos"])
def test_hessian_trace_methods_within_stderr(setup, method):
    m, x, y, H = setup
    t = hessian_trace(m, LOSS, (x, y), n_samples=60, method=method, seed=3)
    assert t.method == method and t.n_hvp == 60
    assert abs(t.estimate - H.trace().item()) <= 4 * t.stderr
    assert math.isfinite(t.stderr) and t.stderr > 0


def test_hutchinson_default_unchanged(setup):
    """The default call is Hutchinson exactly as before: n_samples Rademacher probes, same estimates."""
    m, x, y, _ = setup
    t = hessian_trace(m, LOSS, (x, y), n_samples=5, seed=3)
    assert (t.method, t.n_samples, t.n_hvp, t.n_deflate) == ("hutchinson", 5, 5, 0)
    t2 = hessian_trace(m, LOSS, (x, y), n_samples=5, seed=3, method="hutchinson")
    assert t == t2


def test_curvature_shares_work(setup):
    m, x, y, H = setup
    ev = torch.linalg.eigvalsh(H)
    c = hessian_curvature(m, LOSS, (x, y), k=3, tol=1e-8, n_iter=10, n_runs=4, trace_samples=6, seed=0)
    alone = hessian_eigenvalues(m, LOSS, (x, y), k=3, tol=1e-8, seed=0)
    assert alone.n_matvec >= 10  # the eigen run is longer than n_iter: identical to hessian_eigenvalues
    assert c.eigen.values == alone.values and c.eigen.n_matvec == alone.n_matvec
    assert c.eigen.values == pytest.approx(ev.flip(0)[:3].tolist(), rel=1e-7)
    # HVP accounting: eigen run (doubles as SLQ run 1) + 3 SLQ runs + 6 extra trace probes, nothing else
    assert c.hvp_eigen == alone.n_matvec and c.hvp_spectrum == 3 * 10 and c.hvp_trace == 6
    assert c.n_hvp == c.hvp_eigen + c.hvp_spectrum + c.hvp_trace
    # the trace: exact on the eigen run's Krylov space + 3 + 6 deflated residual samples, within 4 stderr
    t = c.trace
    assert t.method == "lanczos" and t.n_deflate == alone.n_matvec and t.n_samples == 9
    assert abs(t.estimate - H.trace().item()) <= 4 * t.stderr
    sp = c.spectrum
    assert len(sp.nodes) == 4 and abs(np.trapezoid(sp.density, sp.grid) - 1) < 1e-12
    for theta, w in sp.nodes:
        assert abs(w.sum() - 1) < 1e-10 and ev[0] - 1e-8 <= theta.min() and theta.max() <= ev[-1] + 1e-8


def test_curvature_run_extends_to_n_iter(setup):
    m, x, y, H = setup
    c = hessian_curvature(m, LOSS, (x, y), k=1, tol=1e-2, n_iter=40, n_runs=2, trace_samples=0, seed=1)
    assert c.hvp_eigen < 40 and c.hvp_eigen + c.hvp_spectrum == 80 and c.hvp_trace == 0
    assert len(c.spectrum.nodes[0][0]) == 40 and c.trace.n_samples == 1 and c.trace.stderr == math.inf
    assert c.eigen.values[0] == pytest.approx(torch.linalg.eigvalsh(H)[-1].item(), rel=1e-6)
    none = hessian_curvature(m, LOSS, (x, y), k=1, n_runs=0, trace_samples=3)
    assert none.spectrum is None and none.hvp_spectrum == 0 and none.trace.n_samples == 3


def test_curvature_spectrum_matches_hessian_spectrum_form(setup):
    """The spectrum's mean is tr(H)/n up to the quadrature's sampling error, as for hessian_spectrum."""
    m, x, y, H = setup
    n = len(H)
    c = hessian_curvature(m, LOSS, (x, y), k=2, n_iter=25, n_runs=30, trace_samples=0, seed=0)
    ref = hessian_spectrum(m, LOSS, (x, y), n_iter=25, n_runs=30, seed=0)
    mean_c = np.trapezoid(c.spectrum.grid * c.spectrum.density, c.spectrum.grid)
    mean_r = np.trapezoid(ref.grid * ref.density, ref.grid)
    se = math.sqrt(2 * ((H**2).sum() - (H.diagonal() ** 2).sum()).item() / 30) / n
    scale = torch.linalg.eigvalsh(H).abs().max().item()
    for mean in (mean_c, mean_r):
        assert abs(mean - H.trace().item() / n) <= 4 * se + 1e-3 * scale


@pytest.mark.parametrize(
    "call",
    [
        lambda m, b: hessian_trace(m, LOSS, b, method="hutch+"),
        lambda m, b: hessian_trace(m, LOSS, b, n_samples=2, method="hutch++", n_deflate=1),
        lambda m, b: hessian_trace(m, LOSS, b, n_samples=3, method="lanczos", n_deflate=3),
        lambda m, b: hessian_curvature(m, LOSS, b, n_runs=-1),
        lambda m, b: hessian_curvature(m, LOSS, b, k=0),
    ],
)
def test_bad_arguments_raise(call):
    with pytest.raises(ValueError):
        call(conv_bn_net(), data(8))


def test_model_left_bit_identical():
    m = conv_bn_net()
    x, y = data()
    m[4].weight.grad = torch.randn_like(m[4].weight)
    m[0].bias.requires_grad_(False)
    sd = {k: v.clone() for k, v in m.state_dict().items()}
    modes = [mod.training for mod in m.modules()]
    for probe in [
        lambda: hessian_trace(m, LOSS, (x, y), n_samples=6, method="hutch++"),
        lambda: hessian_trace(m, LOSS, (x, y), n_samples=6, method="lanczos"),
        lambda: hessian_curvature(m, LOSS, (x, y), k=2, n_iter=5, n_runs=2, trace_samples=2),
    ]:
        probe()
        assert all(torch.equal(v, sd[k]) for k, v in m.state_dict().items())
        assert [mod.training for mod in m.modules()] == modes
        assert m[0].bias.requires_grad is False and m[0].weight.requires_grad is True
        assert m[0].weight.grad is None and m[4].weight.grad is not None
