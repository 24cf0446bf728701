"""lab_utils.subspace: projections against explicit matrices, z = 0 gives theta_0, identity-column subspaces
reproduce plain (masked) SGD exactly, and the d_int90 rule."""

import math

import numpy as np
import pytest
import torch
from scipy.linalg import hadamard
from torch.nn import functional as F

from lab_utils import models
from lab_utils.core import data, train
from lab_utils.core.params import flat_params
from lab_utils.probes import subspace


def fit_subspace(model, proj, split, **kw):
    """Train `model` inside the subspace of `proj` with `train.fit`, then write theta_0 + P z into it."""
    sub = subspace.SubspaceModel(model, proj)
    train.fit(sub, split, progress_bar=False, eval_train=False, **kw)
    return sub.load_into_base()


def test_fwht_is_hadamard_product():
    x = torch.randn(3, 16, dtype=torch.float64)
    torch.testing.assert_close(subspace.fwht(x), x @ torch.as_tensor(hadamard(16), dtype=torch.float64))


def test_fastfood_matches_explicit_formula_and_has_unit_columns():
    p, d = 64, 7  # L = 8 divides p: columns have norm exactly 1
    ff = subspace.FastfoodProjection(p, d, seed=3, dtype=torch.float64)
    P = subspace.materialize(ff).double()
    assert P.shape == (p, d)
    H = torch.as_tensor(hadamard(ff.L), dtype=torch.float64)
    blocks = []
    for b in range(ff.n_blocks):
        Pi = torch.eye(ff.L, dtype=torch.float64)[ff.perm[b]]  # (Pi x)_i = x[perm_i]
        V = ff.scale[b, 0].double() * H @ torch.diag(ff.G[b].double()) @ Pi @ H @ torch.diag(ff.B[b].double())
        blocks.append(V[:, :d])
    torch.testing.assert_close(P, torch.cat(blocks)[:p])
    torch.testing.assert_close(P.norm(dim=0), torch.ones(d, dtype=torch.float64))
    # nearly orthogonal columns in high dimension
    ff2 = subspace.FastfoodProjection(4096, 8, seed=0, dtype=torch.float64)
    gram = subspace.materialize(ff2).T @ subspace.materialize(ff2)
    assert (gram - torch.eye(8, dtype=torch.float64)).abs().max() < 0.2


def test_dense_projection_unit_columns_and_auto_choice():
    P = subspace.DenseProjection(500, 6, seed=1)
    torch.testing.assert_close(P.M.norm(dim=0), torch.ones(6))
    assert subspace.make_projection(1000, 10, max_dense_entries=10_000).kind == "dense"
    assert subspace.make_projection(1000, 11, max_dense_entries=10_000).kind == "fastfood"


def _tiny_split(n=96):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 5, generator=g)
    y = (x[:, 0] + x[:, 1] > 0).long() + (x[:, 2] > 1).long()
    return data.Split(x[:64], y[:64], x[64:], y[64:], dict(dataset="toy"))


SPEC = dict(kind="mlp", depth=2, width=6, in_dim=5, out_dim=3)


def test_z_zero_gives_theta0():
    torch.manual_seed(0)
    m = models.build(SPEC)
    x = torch.randn(10, 5)
    ref = m(x)
    sub = subspace.SubspaceModel(m, subspace.make_projection(models.count_params(m), 4, seed=0))
    assert [n for n, _ in sub.named_parameters()] == ["z"]  # theta_0 is not trained
    torch.testing.assert_close(sub(x), ref, rtol=0, atol=0)
    with torch.no_grad():
        sub.z.copy_(torch.randn(4))
    moved = sub(x)
    assert not torch.allclose(moved, ref)
    torch.testing.assert_close(sub.load_into_base()(x), moved)


def _twins():
    """Two identically initialised copies of SPEC and their parameter count."""
    torch.manual_seed(0)
    a = models.build(SPEC)
    torch.manual_seed(0)
    return a, models.build(SPEC), models.count_params(a)


def test_identity_columns_reproduce_plain_sgd():
    split = _tiny_split()
    full, sub_model, p = _twins()
    train.fit(full, split, epochs=2, lr=0.1, optimizer="sgd", batch_size=16, seed=5, progress_bar=False)
    fit_subspace(
        sub_model,
        subspace.ColumnSelection(p, range(p)),
        split,
        epochs=2,
        lr=0.1,
        optimizer="sgd",
        batch_size=16,
        seed=5,
    )
    torch.testing.assert_close(flat_params(sub_model), flat_params(full), rtol=1e-5, atol=1e-6)


def test_selected_columns_train_only_those_coordinates_like_masked_sgd():
    split = _tiny_split()
    ref, sub_model, p = _twins()
    idx = list(range(0, p, 3))
    mask = torch.zeros(p)
    mask[idx] = 1
    theta0 = flat_params(ref)
    # masked SGD on the full model, same minibatch order as fit(seed=2)
    gen = torch.Generator().manual_seed(2)
    for _ in range(2):
        for xb, yb in data.minibatches(split.x_train, split.y_train, 16, generator=gen):
            ref.zero_grad()
            F.cross_entropy(ref(xb), yb).backward()
            with torch.no_grad():
                i = 0
                for prm in ref.parameters():
                    k = prm.numel()
                    prm -= 0.1 * prm.grad * mask[i : i + k].view_as(prm)
                    i += k
    fit_subspace(
        sub_model, subspace.ColumnSelection(p, idx), split, epochs=2, lr=0.1, optimizer="sgd", batch_size=16, seed=2
    )
    got = flat_params(sub_model)
    torch.testing.assert_close(got, flat_params(ref), rtol=1e-5, atol=1e-6)
    frozen = mask == 0
    assert torch.equal(got[frozen], theta0[frozen])
    assert not torch.allclose(got[~frozen], theta0[~frozen])


def test_train_subspace_learns_with_fastfood():
    split = _tiny_split()
    res = subspace.train_subspace(SPEC, split, 20, seed=0, epochs=15, lr=0.05, batch_size=16, kind="fastfood")
    assert res["kind"] == "fastfood" and res["steps"] == 15 * 4
    assert math.isfinite(res["test_loss"]) and 0 <= res["test_acc"] <= 1
    assert res["train_loss"] < math.log(3)  # below chance-level cross-entropy


def test_d_int90_rule():
    r = subspace.d_int90([10, 100, 1000], [0.2, 0.5, 0.7], baseline=0.7)
    assert r["grid"] == 1000 and r["threshold"] == pytest.approx(0.63)
    assert r["interp"] == pytest.approx(math.exp(math.log(100) + (0.63 - 0.5) / 0.2 * math.log(10)))
    assert subspace.d_int90([10, 100], [0.1, 0.2], baseline=0.7)["grid"] is None
    assert subspace.d_int90([100, 10], [0.9, 0.8], baseline=0.7)["grid"] == 10
    assert np.isclose(subspace.d_int90([10, 100], [0.63, 0.9], baseline=0.7)["interp"], 10)


def test_scaled_lr_keeps_weight_space_step():
    assert subspace.scaled_lr(0.03, 1000) == pytest.approx(0.03)
    assert subspace.scaled_lr(0.03, 4000) == pytest.approx(0.015)
    assert subspace.scaled_lr(0.03, 10) == 0.1  # capped
    for d in (1000, 4000, 16000):
        assert subspace.scaled_lr(0.03, d) * math.sqrt(d) == pytest.approx(0.03 * math.sqrt(1000))
