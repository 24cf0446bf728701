"""lab_utils.probes.connectivity: interpolation, exact BN re-estimation, barriers and weight matching."""

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from lab_utils import models
from lab_utils.core.data import Split
from lab_utils.probes import connectivity as cn

CNN_BN = dict(kind="cnn", channels=[4, 6, 5], hidden=7, image_size=8, kernel=3, pool_every=2, batchnorm=True)
CNN = dict(kind="cnn", channels=[3, 5], hidden=6, image_size=8, kernel=3, batchnorm=False)
CNN_NOHID = dict(kind="cnn", channels=[3, 4], hidden=0, image_size=8, kernel=3, batchnorm=True)
MLP = dict(kind="mlp", depth=3, width=9, in_dim=5, out_dim=3, act="tanh")
SPECS = [CNN_BN, CNN, CNN_NOHID, MLP]


def _model(spec, seed):
    torch.manual_seed(seed)
    m = models.build(spec).double()
    # non-trivial BN affine parameters and running statistics
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, cn.BN_TYPES):
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.normal_()
                mod.running_mean.normal_()
                mod.running_var.uniform_(0.5, 2.0)
    return m.eval()


def _inputs(spec, n=16, seed=1):
    g = torch.Generator().manual_seed(seed)
    shape = (n, spec["in_dim"]) if spec["kind"] == "mlp" else (n, 1, spec["image_size"], spec["image_size"])
    return torch.randn(*shape, generator=g, dtype=torch.float64)


@pytest.mark.parametrize("spec", SPECS, ids=["cnn_bn", "cnn", "cnn_nohidden", "mlp"])
def test_random_permutation_is_the_same_function_and_matching_undoes_it(spec):
    m = _model(spec, 0)
    sd = m.state_dict()
    sd_perm, perms = cn.random_permutation(m, sd, seed=3, return_perms=True)
    assert any(not torch.equal(p, torch.arange(len(p))) for p in perms.values())
    assert cn.state_distance(sd, sd_perm) > 0.1  # it really moved weights
    x = _inputs(spec)
    out = m(x)
    m2 = _model(spec, 0)
    m2.load_state_dict(sd_perm)
    torch.testing.assert_close(m2(x), out, rtol=1e-12, atol=1e-12)
    # weight matching recovers the original weights exactly
    aligned = cn.weight_match(m, sd, sd_perm)
    assert cn.state_distance(sd, aligned) == 0.0
    for k in sd:
        assert torch.equal(sd[k], aligned[k]), k


@pytest.mark.parametrize("spec", SPECS, ids=["cnn_bn", "cnn", "cnn_nohidden", "mlp"])
def test_weight_match_of_independent_nets_is_a_pure_permutation_closer_to_the_target(spec):
    a, b = _model(spec, 0), _model(spec, 1)
    sd_a, sd_b = a.state_dict(), b.state_dict()
    aligned, perms = cn.weight_match(a, sd_a, sd_b, return_perms=True)
    for name, p in perms.items():  # each is a permutation of its layer's units
        assert sorted(p.tolist()) == list(range(len(p))), name
    x = _inputs(spec)
    b2 = _model(spec, 5)
    b2.load_state_dict(aligned)
    torch.testing.assert_close(b2(x), b(x), rtol=1e-10, atol=1e-12)
    assert cn.state_distance(sd_a, aligned, a) <= cn.state_distance(sd_a, sd_b, a) + 1e-12
    # the same multiset of values per entry: nothing but re-indexing
    for k in sd_b:
        assert torch.equal(torch.sort(sd_b[k].flatten())[0], torch.sort(aligned[k].flatten())[0]), k


def test_weight_match_maximises_the_inner_product_on_a_one_hidden_layer_mlp():
    """With one hidden layer weight matching is a single assignment problem: compare with brute force."""
    import itertools

    spec = dict(kind="mlp", depth=1, width=5, in_dim=3, out_dim=2)
    a, b = _model(spec, 0), _model(spec, 1)
    sd_a, sd_b = a.state_dict(), b.state_dict()
    sizes, axes = cn.permutation_spec(a)
    best = max(
        itertools.permutations(range(5)),
        key=lambda p: -cn.state_distance(sd_a, cn.apply_permutation(axes, {"P0": torch.tensor(p)}, sd_b)),
    )
    aligned = cn.weight_match(a, sd_a, sd_b)
    brute = cn.apply_permutation(axes, {"P0": torch.tensor(best)}, sd_b)
    assert cn.state_distance(aligned, brute) == 0.0


def test_interpolation_endpoints_and_midpoint():
    a, b = _model(CNN_BN, 0), _model(CNN_BN, 1)
    sd_a, sd_b = a.state_dict(), b.state_dict()
    for k, v in cn.interpolate_state(sd_a, sd_b, 0.0).items():
        assert torch.equal(v, sd_a[k])
    for k, v in cn.interpolate_state(sd_a, sd_b, 1.0).items():
        if v.is_floating_point():
            torch.testing.assert_close(v, sd_b[k], rtol=0, atol=1e-15)
    mid = cn.interpolate_state(sd_a, sd_b, 0.5)
    torch.testing.assert_close(mid["0.weight"], (sd_a["0.weight"] + sd_b["0.weight"]) / 2)
    ext = cn.interpolate_state(sd_a, sd_b, -1.0)
    torch.testing.assert_close(ext["0.weight"], 2 * sd_a["0.weight"] - sd_b["0.weight"])


def test_recompute_bn_equals_direct_statistics():
    m = _model(CNN_BN, 0)
    x = _inputs(CNN_BN, n=37, seed=4)
    cn.recompute_bn(m, x, batch_size=10)  # uneven chunks
    assert not m.training
    # direct computation, layer by layer in eval mode with the new statistics
    bns = [mod for mod in m if isinstance(mod, cn.BN_TYPES)]
    h = x
    seen = 0
    for mod in m:
        if isinstance(mod, cn.BN_TYPES):
            mean = h.mean(dim=(0, 2, 3))
            var = h.var(dim=(0, 2, 3), unbiased=True)
            torch.testing.assert_close(mod.running_mean, mean, rtol=1e-10, atol=1e-12)
            torch.testing.assert_close(mod.running_var, var, rtol=1e-10, atol=1e-12)
            seen += 1
        h = mod(h)
    assert seen == len(bns) == 3
    # after recomputation the eval-mode output of the first BN layer is standardised over x
    z = m[1](m[0](x))
    torch.testing.assert_close(z.mean(dim=(0, 2, 3)), m[1].bias.detach(), rtol=0, atol=1e-10)


def test_recompute_bn_on_one_batch_matches_train_mode_batch_statistics():
    """For the first BN layer the recomputed stats are exactly what one train-mode pass with momentum None stores."""
    m = _model(CNN_BN, 0)
    x = _inputs(CNN_BN, n=20, seed=2)
    ref = _model(CNN_BN, 0)
    for mod in ref.modules():
        if isinstance(mod, cn.BN_TYPES):
            mod.reset_running_stats()
            mod.momentum = None
    ref.train()
    with torch.no_grad():
        ref(x)
    cn.recompute_bn(m, x, batch_size=7)
    torch.testing.assert_close(m[1].running_mean, ref[1].running_mean, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(m[1].running_var, ref[1].running_var, rtol=1e-10, atol=1e-12)


def _toy_split(spec, n=64):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 1, 8, 8, generator=g)
    y = torch.randint(0, 10, (n,), generator=g)
    return Split(x, y, x[:32].clone(), y[:32].clone(), {"toy": True})


@pytest.mark.parametrize("bn_recompute", [False, True])
def test_evaluate_points_reproduces_the_end_points(bn_recompute):
    from lab_utils.core.train import evaluate

    spec = dict(CNN_BN)
    split = _toy_split(spec)
    torch.manual_seed(0)
    a, b = models.build(spec).eval(), models.build(spec).eval()
    if bn_recompute:  # end points with BN statistics of the same data, as the path recomputes them
        cn.recompute_bn(a, split.x_train)
        cn.recompute_bn(b, split.x_train)
    sd_a, sd_b = a.state_dict(), b.state_dict()
    alphas = [-1.0, 0.0, 0.5, 1.0, 2.0]
    points = [cn.interpolate_state(sd_a, sd_b, t) for t in alphas]
    path = cn.evaluate_points(
        a,
        F.cross_entropy,
        {"train": (split.x_train, split.y_train), "test": (split.x_test, split.y_test)},
        points,
        bn_inputs=split.x_train if bn_recompute else None,
    )
    assert set(path) == {"train", "test"}
    assert all(len(v.loss) == len(alphas) and len(v.acc) == len(alphas) for v in path.values())
    for i, m in ((1, a), (3, b)):
        tl, ta = evaluate(m, split.x_train, split.y_train)
        vl, va = evaluate(m, split.x_test, split.y_test)
        assert path["train"].loss[i] == pytest.approx(tl, rel=1e-5)
        assert path["test"].loss[i] == pytest.approx(vl, rel=1e-5)
        assert path["train"].acc[i] == pytest.approx(ta)
        assert path["test"].acc[i] == pytest.approx(va)
    flat = [torch.cat([p.detach().reshape(-1) for p in m.parameters()]) for m in (a, b)]
    by_flat = cn.evaluate_points(a, F.cross_entropy, (split.x_train, split.y_train), flat, bn_inputs=split.x_train)
    if bn_recompute:  # flat points keep the model's buffers; with re-estimation both ways agree exactly
        assert by_flat.loss[1] == pytest.approx(path["train"].loss[3], rel=1e-5)
    halves = [(split.x_train[:20], split.y_train[:20]), (split.x_train[20:], split.y_train[20:])]
    by_halves = cn.evaluate_points(a, F.cross_entropy, halves, flat, bn_inputs=split.x_train)
    np.testing.assert_array_equal(by_halves.loss, by_flat.loss)  # the pairs are one data set
    assert torch.equal(a.state_dict()["0.weight"], sd_a["0.weight"])  # template untouched


def test_barrier_definition():
    alphas = np.linspace(-1, 2, 31)
    # a straight line has no barrier; a bump of height 1 at alpha = 0.5 on top of it has barrier 1
    line = 1 + 2 * alphas
    assert cn.barrier(line, alphas) == pytest.approx(0.0, abs=1e-12)
    bump = line + np.where(np.abs(alphas - 0.5) < 1e-9, 1.0, 0.0)
    assert cn.barrier(bump, alphas) == pytest.approx(1.0)
    # points outside [0, 1] do not count, even when huge
    outside = line + np.where(alphas > 1.5, 100.0, 0.0)
    assert cn.barrier(outside, alphas) == pytest.approx(0.0, abs=1e-12)
    assert cn.barrier([0.0, 3.0, 1.0]) == pytest.approx(2.5)
    assert cn.barrier([0.0, np.nan, 1.0]) == float("inf")
    with pytest.raises(ValueError):
        cn.barrier([1.0, 2.0], [0.2, 0.8])


def test_unsupported_layers_are_refused():
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LayerNorm(4), torch.nn.Linear(4, 2))
    with pytest.raises(ValueError):
        cn.permutation_spec(model)
