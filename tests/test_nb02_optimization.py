"""02 optimization: smoke metrics, and the experiment functions against exact answers."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from lab_utils import models
from lab_utils.core import train
from lab_utils.core.params import flat_params
from lab_utils.probes.critical import hessian_index, sampling_ratio
from lab_utils.probes.hessian import dense_hessian
from lab_utils.probes.trajectories import pca2
from lab_utils.sections.optimization import compute as opt

NAME = "02_optimization"


# ---- the smoke run ----------------------------------------------------------------------------------------

def test_smoke_metrics(smoke_run):
    m, section_dir = smoke_run(NAME)
    pev = m["pca_explained_variance"]
    assert set(pev) >= {"whole", "first_layer"}
    for key in ("whole", "first_layer"):
        f = pev[key]
        assert len(f) == 2 and all(0 <= v <= 1 for v in f)
        assert f[0] >= f[1] and sum(f) <= 1 + 1e-9
    assert isinstance(m["grad_norm_final"], float) and m["grad_norm_final"] > 0
    rows = m["minimal_ratio"]
    assert len(rows) == 4  # smoke: ratio_runs = 4
    for r in rows:
        assert {"loss", "ratio_hessian", "ratio_sampling"} <= set(r)
        assert r["loss"] is not None and r["loss"] >= 0
        assert 0 <= r["ratio_hessian"] <= 1 and 0 <= r["ratio_sampling"] <= 1
        assert r["n_pos"] + r["n_neg"] + r["n_zero"] == 2 * 16 + 16 * 17 + 17  # 2 x 16 MLP
        assert 0 <= r["ratio_sampling_symmetric"] <= 1
    # the ||grad L||^2 phase lowers the gradient norm of the runs
    assert np.median([r["grad_norm"] for r in rows]) < np.median([r["grad_norm_before"] for r in rows])
    mn = m["pca_explained_variance_mnist"]  # smoke: mnist_runs = 2
    assert len(mn["whole"]) == 2 and 0 < sum(mn["whole"]) <= 1 + 1e-9
    assert 3 <= len(m["headline"]) <= 5
    for fig in ("pca_trajectories", "pca_trajectories_mnist", "gradient_norms", "minimal_ratio"):
        assert (section_dir / f"{fig}.png").exists()


# ---- PCA --------------------------------------------------------------------------------------------------

def test_pca_known_answer():
    # points on a plane in R^5 with variances 9 : 1 along two orthogonal directions, plus a tiny third one
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    a = np.array([-3.0, 3.0, -3.0, 3.0, 0, 0])
    b = np.array([1.0, 1.0, -1.0, -1.0, 0, 0])
    c = np.array([0, 0, 0, 0, 0.1, -0.1])
    X = 7.0 + np.outer(a, q[0]) + np.outer(b, q[1]) + np.outer(c, q[2])
    p = pca2(torch.tensor(X))
    coords, ratio = p.coords, p.ratio
    total = (a**2).sum() + (b**2).sum() + (c**2).sum()
    assert ratio == pytest.approx([(a**2).sum() / total, (b**2).sum() / total], rel=1e-10)
    assert ratio.sum() <= 1
    assert np.abs(coords[:, 0]) == pytest.approx(np.abs(a), abs=1e-10)
    assert np.abs(coords[:, 1]) == pytest.approx(np.abs(b), abs=1e-10)


def test_pca_sums_below_one_on_random_trajectory():
    X = torch.randn(30, 50, generator=torch.Generator().manual_seed(0)).cumsum(0)
    ratio = pca2(X).ratio
    assert 0 < ratio[1] <= ratio[0] and ratio.sum() < 1


def test_layer_slice_is_first_linear():
    spec = opt.mlp_spec(2, 5)
    model = models.build(spec)
    flat = flat_params(model)
    sl = opt.layer_slice(spec, 0)
    assert torch.equal(flat[sl], torch.cat([model[0].weight.reshape(-1), model[0].bias]).detach())


# ---- minimal ratio on quadratics --------------------------------------------------------------------------

def quadratic(eigs, seed=0):
    """f(theta) = 1/2 (theta - c)^T Q diag(eigs) Q^T (theta - c), its Hessian has eigenvalues `eigs`."""
    g = torch.Generator().manual_seed(seed)
    n = len(eigs)
    q, _ = torch.linalg.qr(torch.randn(n, n, generator=g, dtype=torch.float64))
    A = q @ torch.diag(torch.tensor(eigs, dtype=torch.float64)) @ q.T
    c = torch.randn(n, generator=g, dtype=torch.float64)
    return (lambda th: 0.5 * (th - c) @ A @ (th - c)), c


@pytest.mark.parametrize("eigs, expected", [
    ([1.0, 2.0, 3.0, 4.0], 1.0),
    ([-1.0, -2.0, -0.5], 0.0),
    ([5.0, 1.0, 0.3, -2.0], 0.75),
    ([3.0, -1.0, 0.0, 0.0, 0.0], 0.5),  # zero eigenvalues are left out
])
def test_hessian_ratio_exact_on_quadratic(eigs, expected):
    f, c = quadratic(eigs)
    H = dense_hessian(f, c.clone())
    e = torch.linalg.eigvalsh(H)
    assert e == pytest.approx(sorted(eigs), abs=1e-10)
    out = hessian_index(e)
    assert out.ratio == pytest.approx(expected)
    assert out.n_zero == sum(1 for v in eigs if v == 0)


@pytest.mark.parametrize("eigs, expected", [
    ([1.0, 2.0, 3.0], 1.0),
    ([-1.0, -4.0], 0.0),
    ([1.0, -1.0], 0.5),
    ([3.0, -1.0], 2 / 3),  # P(3 u1^2 > u2^2) = (2/pi) atan(sqrt 3) = 2/3, while the Hessian ratio is 1/2
])
def test_sampling_ratio_on_quadratic(eigs, expected):
    f, c = quadratic(eigs, seed=1)
    r = sampling_ratio(f, c.clone(), radius=1e-3, n_samples=20_000, seed=0)
    assert r == pytest.approx(expected, abs=0.015)


def test_sampling_ratio_agrees_with_hessian_on_symmetric_spectrum():
    eigs = [2.0, 1.0, 0.5, -0.5, -1.0, -2.0]
    f, c = quadratic(eigs, seed=2)
    h = hessian_index(torch.linalg.eigvalsh(dense_hessian(f, c.clone()))).ratio
    s = sampling_ratio(f, c.clone(), radius=1e-2, n_samples=20_000, seed=3)
    assert h == 0.5 and s == pytest.approx(h, abs=0.015)


def test_flat_loss_fn_matches_model():
    spec = opt.mlp_spec(2, 6)
    split = opt.sine_data(20, "cpu")
    torch.manual_seed(0)
    model = models.build(spec)
    f = opt.flat_loss_fn(spec, split.x_train, split.y_train)
    expected, _ = train.evaluate(model, split.x_train, split.y_train, F.mse_loss)
    assert float(f(flat_params(model).double())) == pytest.approx(expected, rel=1e-5)


# ---- the ||grad L||^2 phase ---------------------------------------------------------------------------------

def _toy_models(n, width=8, seed=0):
    spec = opt.mlp_spec(2, width)
    out = []
    for i in range(n):
        torch.manual_seed(seed + i)
        out.append(models.build(spec))
    return spec, out


def test_gradnorm_descent_lowers_gradient_norm():
    split = opt.sine_data(32, "cpu")
    spec, (model,) = _toy_models(1)
    f = opt.flat_loss_fn(spec, split.x_train, split.y_train)
    before = float(torch.func.grad(f)(flat_params(model).double()).norm())
    norms = opt.gradnorm_descent_loop(model, split.x_train, split.y_train, steps=300, lr=1e-2)
    after = float(torch.func.grad(f)(flat_params(model).double()).norm())
    assert norms[0] == pytest.approx(before, rel=1e-4) and norms[-1] == pytest.approx(after, rel=1e-3)
    assert after < 0.1 * before


def test_vmap_matches_loop():
    split = opt.sine_data(32, "cpu")
    _, nets = _toy_models(3, width=8)
    loop = [copy.deepcopy(n) for n in nets]
    states, norms = opt.gradnorm_descent_vmap(nets, split.x_train, split.y_train, steps=60, lr=0.1)
    n_not_last = 0
    for n, s, row in zip(loop, states, norms):
        curve = opt.gradnorm_descent_loop(n, split.x_train, split.y_train, steps=60, lr=0.1)
        for k, v in n.state_dict().items():
            torch.testing.assert_close(s[k], v, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(row, curve, rtol=1e-4, atol=1e-6)
        # both end at the iterate with the smallest gradient norm, not at the last one
        loss = torch.nn.functional.mse_loss(n(split.x_train), split.y_train)
        gnorm = float(torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, list(n.parameters()))]).norm())
        assert gnorm == pytest.approx(min(curve), rel=1e-4)
        n_not_last += int(np.argmin(curve) != len(curve) - 1)
    assert n_not_last >= 1, "make the test exercise the best-iterate choice (raise lr)"
    # the input models are left untouched
    torch.manual_seed(0)
    assert torch.equal(flat_params(nets[0]), flat_params(models.build(opt.mlp_spec(2, 8))))


def test_adam_update_matches_torch():
    p = torch.randn(7, generator=torch.Generator().manual_seed(0))
    q = p.clone().requires_grad_(True)
    o = torch.optim.Adam([q], lr=0.01)
    m, v = torch.zeros(7), torch.zeros(7)
    for t in range(1, 6):
        q.grad = torch.sin(3 * q.detach()) + t
        o.step()
        p, m, v = opt.adam_update(p, torch.sin(3 * p) + t, m, v, t, 0.01)
        torch.testing.assert_close(p, q.detach())


def test_agreement_signs():
    rows = [dict(loss=10.0 ** -k, ratio_hessian=0.5 + 0.1 * k, ratio_sampling=0.6 + 0.08 * k) for k in range(5)]
    a = opt.agreement(rows)
    assert a["spearman_loss_hessian"] == pytest.approx(-1) and a["spearman_loss_sampling"] == pytest.approx(-1)
    assert a["pearson_h_s"] == pytest.approx(1)
    assert a["mean_abs_diff"] == pytest.approx(np.mean([abs(0.1 - 0.02 * k) for k in range(5)]))
