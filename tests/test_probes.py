"""Probes against dense float64 oracles on tiny nets (torch.func.hessian, torch.autograd.functional.jacobian)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from small_nets import conv_bn_net, data  # noqa: E402
from torch import nn
from torch.func import functional_call

from lab_utils.core.params import flatten, trainable, unflatten
from lab_utils.probes import (
    hessian_eigenvalues,
    hessian_spectrum,
    hessian_trace,
    jacobian_norm,
    loss_surface,
    normalize_direction,
    random_direction,
)

torch.set_num_threads(1)
LOSS = nn.functional.cross_entropy


def mean_loss(model: nn.Module, x, y) -> torch.Tensor:
    return LOSS(model(x), y)


def dense_hessian(model: nn.Module, x, y) -> torch.Tensor:
    """Hessian of the mean loss in eval mode (the probes' convention), as an n x n matrix."""
    training = model.training
    model.eval()
    names, ps = trainable(model)
    p0 = flatten([p.detach() for p in ps])
    f = lambda flat: LOSS(functional_call(model, dict(zip(names, unflatten(flat, ps))), (x,)), y)  # noqa: E731
    H = torch.func.hessian(f)(p0)
    model.train(training)
    return H


@pytest.fixture(scope="module")
def setup():
    m = conv_bn_net()
    x, y = data()
    H = dense_hessian(m, x, y)
    return m, x, y, H, torch.linalg.eigvalsh(H)


def snapshot(m: nn.Module):
    return (
        {k: v.clone() for k, v in m.state_dict(keep_vars=False).items()},
        [mod.training for mod in m.modules()],
        [p.requires_grad for p in m.parameters()],
        [(p.grad, None if p.grad is None else p.grad.clone()) for p in m.parameters()],
        [p.data_ptr() for p in m.parameters()],
    )


def assert_same(m: nn.Module, snap) -> None:
    sd, modes, flags, grads, ptrs = snap
    for k, v in m.state_dict().items():
        assert v.dtype == sd[k].dtype and torch.equal(v, sd[k]), k
    assert [mod.training for mod in m.modules()] == modes
    assert [p.requires_grad for p in m.parameters()] == flags
    for p, (g, gv) in zip(m.parameters(), grads):
        assert p.grad is g
        if g is not None:
            assert torch.equal(p.grad, gv)
    assert [p.data_ptr() for p in m.parameters()] == ptrs


@pytest.mark.parametrize("method", ["lanczos", "power"])
@pytest.mark.parametrize("which", ["largest", "smallest"])
@pytest.mark.parametrize("k", [1, 3])
def test_eigenvalues_match_dense(setup, method, which, k):
    m, x, y, H, ev = setup
    tol = 1e-10 if method == "lanczos" else 1e-7
    res = hessian_eigenvalues(
        m, LOSS, (x, y), k=k, which=which, method=method, tol=tol, max_iter=3000, return_vectors=True
    )
    vals, vecs = res.values, res.vectors
    assert res.converged
    ref = (ev.flip(0) if which == "largest" else ev)[:k].tolist()
    scale = ev.abs().max().item()
    assert len(vals) == k
    for got, want in zip(vals, ref):
        assert abs(got - want) <= 1e-6 * max(abs(want), 1e-2 * scale)
    for lam, v in zip(vals, vecs):
        assert v.shape == (H.shape[0],)
        assert (H @ v - lam * v).norm().item() <= 1e-3 * scale


def test_lanczos_beats_power_in_hvps(setup):
    m, x, y, *_ = setup
    il = hessian_eigenvalues(m, LOSS, (x, y), tol=1e-8, max_iter=3000)
    ip = hessian_eigenvalues(m, LOSS, (x, y), method="power", tol=1e-8, max_iter=3000)
    assert il.n_matvec < ip.n_matvec


def test_gap_bound_stops_earlier_and_stays_accurate(setup):
    m, x, y, _, ev = setup
    ir = hessian_eigenvalues(m, LOSS, (x, y), tol=1e-8)
    ig = hessian_eigenvalues(m, LOSS, (x, y), tol=1e-8, bound="gap")
    assert ig.n_matvec < ir.n_matvec
    assert ig.values[0] == pytest.approx(ev[-1].item(), rel=1e-6)


def test_nonconvergence_is_reported(setup):
    m, x, y, *_ = setup
    res = hessian_eigenvalues(m, LOSS, (x, y), method="power", which="smallest", tol=1e-12, max_iter=3)
    assert res.converged is False and max(res.residuals) > 1e-12


def test_trace_within_stderr(setup):
    m, x, y, H, _ = setup
    t = hessian_trace(m, LOSS, (x, y), n_samples=100, seed=3)
    tr, se = t.estimate, t.stderr
    assert t.n_hvp == 100 and t.n_samples == 100
    # Rademacher Hutchinson: Var(z^T H z) = 2 (||H||_F^2 - sum_i H_ii^2)
    se_true = math.sqrt(2 * ((H**2).sum() - (H.diagonal() ** 2).sum()).item() / 100)
    assert abs(tr - H.trace().item()) <= 4 * se_true
    assert 0.5 * se_true < se < 2 * se_true
    assert (
        hessian_trace(m, LOSS, (x, y), n_samples=5, seed=3).estimate
        != hessian_trace(m, LOSS, (x, y), n_samples=5, seed=4).estimate
    )


def test_spectrum_normalised_and_mean_is_trace_over_n(setup):
    m, x, y, H, ev = setup
    n, runs = H.shape[0], 40
    sp = hessian_spectrum(m, LOSS, (x, y), n_iter=25, n_runs=runs, seed=0)
    grid, dens, nodes = sp.grid, sp.density, sp.nodes
    assert grid.shape == dens.shape and np.all(dens >= 0)
    assert abs(np.trapezoid(dens, grid) - 1) < 1e-12
    se = math.sqrt(2 * ((H**2).sum() - (H.diagonal() ** 2).sum()).item() / runs) / n
    mean = np.trapezoid(grid * dens, grid)
    assert abs(mean - H.trace().item() / n) <= 4 * se + 1e-3 * ev.abs().max().item()
    for theta, w in nodes:  # quadrature weights sum to 1; extreme nodes approach the extreme eigenvalues
        assert abs(w.sum() - 1) < 1e-10
        assert ev[0] - 1e-8 <= theta.min() and theta.max() <= ev[-1] + 1e-8
    assert max(t.max() for t, _ in nodes) == pytest.approx(ev[-1].item(), rel=1e-6)


def test_filter_normalisation_exact(setup):
    m = setup[0]
    _, params = trainable(m)
    d = random_direction(params, "filter", torch.Generator().manual_seed(0))
    for di, p in zip(d, params):
        if p.dim() <= 1:
            assert torch.count_nonzero(di) == 0
        else:
            torch.testing.assert_close(
                di.reshape(len(di), -1).norm(dim=1), p.reshape(len(p), -1).norm(dim=1), rtol=1e-12, atol=0
            )
    d = random_direction(params, "layer", torch.Generator().manual_seed(0))
    for di, p in zip(d, params):
        assert (
            (torch.count_nonzero(di) == 0)
            if p.dim() <= 1
            else math.isclose(di.norm().item(), p.norm().item(), rel_tol=1e-12)
        )
    raw = [torch.randn_like(p) for p in params]
    assert all(torch.equal(a, b) for a, b in zip(normalize_direction(raw, params, None), raw))
    x, y = data(8)
    res = loss_surface(m, LOSS, (x, y), steps=3, dims=2, progress=False)
    for ds in res.directions:
        for di, p in zip(ds, params):
            if p.dim() > 1:
                torch.testing.assert_close(di.reshape(len(di), -1).norm(dim=1), p.reshape(len(p), -1).norm(dim=1))
    assert abs(res.cosine) < 0.5


@pytest.mark.filterwarnings("ignore:power iteration")
def test_model_left_bit_identical():
    m = conv_bn_net()  # train mode, BN with non-trivial running stats
    x, y = data()
    m[4].weight.grad = torch.randn_like(m[4].weight)
    m[0].bias.requires_grad_(False)
    snap = snapshot(m)
    probes = [
        lambda: hessian_eigenvalues(m, LOSS, (x, y), k=2, tol=1e-6),
        lambda: hessian_eigenvalues(m, LOSS, (x, y), which="smallest", method="power", max_iter=20),
        lambda: hessian_trace(m, LOSS, (x, y), n_samples=3),
        lambda: hessian_spectrum(m, LOSS, (x, y), n_iter=5, n_runs=2),
        lambda: loss_surface(m, LOSS, (x, y), steps=3, progress=False),
        lambda: loss_surface(m, LOSS, (x, y), steps=3, dims=1, normalization=None, progress=False),
        lambda: jacobian_norm(m, None, (x, y)),
        lambda: jacobian_norm(m, LOSS, (x, y), exact=False),
    ]
    for probe in probes:
        probe()
        assert_same(m, snap)
    with pytest.raises(ValueError):  # restored on errors too
        loss_surface(m, LOSS, (x, y), directions=[torch.zeros(3)], progress=False)
    assert_same(m, snap)


def test_frozen_params_are_not_probed(setup):
    m = conv_bn_net()
    x, y = data()
    for p in list(m.parameters())[:-2]:
        p.requires_grad_(False)
    names, ps = trainable(m)
    assert sum(p.numel() for p in ps) == 48 * 4 + 4
    H = dense_hessian(m, x, y)
    lam = hessian_eigenvalues(m, LOSS, (x, y), tol=1e-10).values[0]
    assert lam == pytest.approx(torch.linalg.eigvalsh(H)[-1].item(), rel=1e-8)


def test_jacobian_norm_matches_autograd(setup):
    m, x, y, _, _ = setup
    x, y = x[:12], y[:12]
    m.eval()
    ref = np.mean(
        [torch.autograd.functional.jacobian(lambda xi: torch.softmax(m(xi[None]), 1)[0], xi).norm().item() for xi in x]
    )
    m.train()
    assert jacobian_norm(m, None, (x, y), chunk=5) == pytest.approx(ref, rel=1e-10)
    assert jacobian_norm(m, None, [(x[:5], y[:5]), (x[5:], y[5:])]) == pytest.approx(ref, rel=1e-10)
    est = jacobian_norm(m, None, (x, y), exact=False, n_proj=400, seed=0)
    assert est == pytest.approx(ref, rel=0.1)  # per-sample rel. sd of the squared norm ~ sqrt(2/400)
    assert est != jacobian_norm(m, None, (x, y), exact=False, n_proj=400, seed=1)


def test_loss_surface_centre_and_given_direction(setup):
    m, x, y, _, _ = setup
    m.eval()
    with torch.no_grad():
        out = m(x)
    plain, acc = LOSS(out, y).item(), (out.argmax(1) == y).double().mean().item()
    m.train()
    res = loss_surface(m, LOSS, (x, y), steps=5, span=0.5, progress=False)
    assert res.coords[2] == 0.0 and np.array_equal(res.coords, -res.coords[::-1]) and res.coords[-1] == 0.5
    assert res.loss.shape == res.accuracy.shape == (5, 5)
    assert res.loss[2, 2] == pytest.approx(plain, rel=1e-12) and res.accuracy[2, 2] == pytest.approx(acc)
    assert np.all(np.isfinite(res.loss)) and res.loss.std() > 0
    # a given direction theta2 - theta1 is used as is: coordinate 1 evaluates theta2
    m2 = conv_bn_net()
    with torch.no_grad():
        for p in m2.parameters():
            p.add_(0.1 * torch.randn_like(p))
    delta = [p2.detach() - p1.detach() for p1, p2 in zip(m.parameters(), m2.parameters())]
    m2.load_state_dict(m.state_dict() | {k: v for k, v in m2.state_dict().items() if k in dict(m.named_parameters())})
    m2.eval()
    with torch.no_grad():
        want = LOSS(m2(x), y).item()
    r1 = loss_surface(m, LOSS, (x, y), steps=3, directions=[delta], progress=False)
    assert r1.loss.shape == (3,) and r1.loss[2] == pytest.approx(want, rel=1e-10)
    r2 = loss_surface(m, LOSS, (x, y), steps=3, directions=[flatten(delta), flatten(delta)], progress=False)
    assert r2.loss[2, 0] == pytest.approx(plain, rel=1e-10) and r2.loss[1, 2] == pytest.approx(want, rel=1e-10)
    reg = loss_surface(
        m, nn.functional.mse_loss, (x, torch.randn(len(x), 4, dtype=torch.float64)), steps=3, progress=False
    )
    assert reg.accuracy is None


def test_chunking_and_multiple_batches_agree(setup):
    m, x, y, _, _ = setup
    split = [(x[:13], y[:13]), (x[13:], y[13:])]  # unequal sizes: must be sample-weighted
    for batches, cs in [(split, 256), ((x, y), 7), (split, 5)]:
        assert hessian_eigenvalues(m, LOSS, batches, tol=1e-10, chunk_size=cs).values == pytest.approx(
            hessian_eigenvalues(m, LOSS, (x, y), tol=1e-10).values, rel=1e-9
        )
        assert hessian_trace(m, LOSS, batches, n_samples=4, chunk_size=cs).estimate == pytest.approx(
            hessian_trace(m, LOSS, (x, y), n_samples=4).estimate, rel=1e-9
        )
        np.testing.assert_allclose(
            loss_surface(m, LOSS, batches, steps=3, chunk_size=cs, progress=False).loss,
            loss_surface(m, LOSS, (x, y), steps=3, progress=False).loss,
            rtol=1e-10,
        )
    assert jacobian_norm(m, None, (x, y), chunk=7) == pytest.approx(jacobian_norm(m, None, (x, y)), rel=1e-12)


def test_hvp_methods_agree(setup):
    m, x, y, _, _ = setup
    a = hessian_eigenvalues(m, LOSS, (x, y), k=2, tol=1e-10, hvp_method="func")
    b = hessian_eigenvalues(m, LOSS, (x, y), k=2, tol=1e-10, hvp_method="double_backward")
    assert a.values == pytest.approx(b.values, rel=1e-9)


def test_float32_follows_model(setup):
    m, x, y, _, ev = setup
    m32 = conv_bn_net().float()
    lam = hessian_eigenvalues(m32, LOSS, (x, y), tol=1e-4).values[0]  # float64 inputs are cast to the model's dtype
    assert lam == pytest.approx(ev[-1].item(), rel=1e-3)
    assert isinstance(loss_surface(m32, LOSS, (x, y), steps=3, progress=False).loss[1, 1], float)


@pytest.mark.parametrize(
    "call",
    [
        lambda m, b: hessian_eigenvalues(m, LOSS, b, k=0),
        lambda m, b: hessian_eigenvalues(m, LOSS, b, which="middle"),
        lambda m, b: hessian_eigenvalues(m, LOSS, b, method="arnoldi"),
        lambda m, b: hessian_eigenvalues(m, LOSS, b, tol=0),
        lambda m, b: hessian_eigenvalues(m, LOSS, b, bound="exact"),
        lambda m, b: hessian_eigenvalues(m, LOSS, b, k=3, max_iter=2),
        lambda m, b: hessian_eigenvalues(m, LOSS, b, hvp_method="magic"),
        lambda m, b: hessian_trace(m, LOSS, b, n_samples=0),
        lambda m, b: hessian_spectrum(m, LOSS, b, n_iter=0),
        lambda m, b: loss_surface(m, LOSS, b, normalization="unit", progress=False),
        lambda m, b: loss_surface(m, LOSS, b, dims=3, progress=False),
        lambda m, b: loss_surface(m, LOSS, b, steps=0, progress=False),
        lambda m, b: jacobian_norm(m, LOSS, b, n_proj=0, exact=False),
        lambda m, b: jacobian_norm(m, LOSS, (b[0][:0], b[1][:0])),
        lambda m, b: hessian_trace(m, LOSS, [], n_samples=1),
        lambda m, b: hessian_trace(m, LOSS, b, chunk_size=0),
    ],
)
def test_bad_arguments_raise(call):
    with pytest.raises(ValueError):
        call(conv_bn_net(), data(8))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_matches_cpu(setup):
    m, x, y, _, ev = setup
    mc = conv_bn_net().cuda()
    assert hessian_eigenvalues(mc, LOSS, (x, y), tol=1e-10).values[0] == pytest.approx(ev[-1].item(), rel=1e-8)
    assert next(mc.parameters()).is_cuda


def test_power_iteration_is_not_fooled_by_a_flat_bulk():
    """A dominant negative eigenvalue forces the shifted pass; with a huge flat bulk every random vector has a
    tiny residual relative to the shift. The power method must still find lambda_max (here 0.9), not a bulk 0."""
    import warnings as _w

    from lab_utils.probes import linalg

    d = torch.zeros(2_000_000, dtype=torch.float64)
    d[0], d[1], d[2] = -1.13, 0.9, 0.5
    with _w.catch_warnings():
        _w.simplefilter("ignore")
        res = linalg.power_eigsh(
            lambda v: d * v,
            len(d),
            1,
            "largest",
            tol=1e-3,
            max_iter=400,
            gen=torch.Generator().manual_seed(0),
            dtype=torch.float64,
        )
    vals = res.values
    assert abs(vals[0] - 0.9) < 0.02, vals
