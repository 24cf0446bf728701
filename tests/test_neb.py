"""lab_utils.probes.paths: NEB and Bezier curves on an analytic 2-D landscape with a known saddle, and on a tiny
network (end points fixed, BN re-estimated, model untouched)."""

import copy

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from lab_utils import models
from lab_utils.core.params import flat_params
from lab_utils.probes import connectivity
from lab_utils.probes import paths as paths_neb


def curved_valley(p):
    """Minima at (+-1, 0) (loss 0); the minimum-energy path follows the valley y = 1 - x^2 with loss (x^2-1)^2,
    so the saddle is (0, 1) with height exactly 1; the straight line between the minima peaks at (0, 0): 6."""
    x, y = p[0], p[1]
    return (x**2 - 1) ** 2 + 5 * (y - (1 - x**2)) ** 2


def grad_fn(p, it):
    q = p.detach().clone().requires_grad_(True)
    loss = curved_valley(q)
    (g,) = torch.autograd.grad(loss, q)
    return float(loss.detach()), g


A = torch.tensor([-1.0, 0.0], dtype=torch.float64)
B = torch.tensor([1.0, 0.0], dtype=torch.float64)


def test_linear_path_max_is_6():
    assert max(float(curved_valley(p)) for p in paths_neb.linear_points(A, B, 41)) == pytest.approx(6.0)


def test_neb_finds_saddle_height():
    out = paths_neb.neb(grad_fn, A, B, n_nodes=5, iters=300, lr=0.01, spring=1.0, momentum=0.8)
    nodes = out["nodes"]
    assert nodes.shape == (7, 2)
    torch.testing.assert_close(nodes[0], A)
    torch.testing.assert_close(nodes[-1], B)
    node_losses = [float(curved_valley(p)) for p in nodes]
    assert max(node_losses) == pytest.approx(1.0, abs=1e-3)  # the middle node sits on the saddle
    torch.testing.assert_close(nodes[3], torch.tensor([0.0, 1.0], dtype=torch.float64), atol=1e-3, rtol=0)
    pts, s = paths_neb.chain_points(nodes, per_segment=4)
    assert s[0] == 0 and s[-1] == pytest.approx(1.0) and np.all(np.diff(s) > 0)
    assert 1.0 - 1e-3 < max(float(curved_valley(p)) for p in pts) < 1.3  # chords cut the curved valley a little
    # nodes stay evenly spaced (springs)
    seg = (nodes[1:] - nodes[:-1]).norm(dim=1)
    assert float(seg.max() / seg.min()) < 1.1


def test_neb_climbing_image_on_asymmetric_landscape():
    def tilted(p):
        return curved_valley(p) + 0.3 * p[0]  # saddle moves off x = 0; find it by 1-D minimisation of the valley

    def g(p, it):
        q = p.detach().clone().requires_grad_(True)
        loss = tilted(q)
        return float(loss.detach()), torch.autograd.grad(loss, q)[0]

    xs = np.linspace(-0.5, 0.5, 200001)
    saddle = ((xs**2 - 1) ** 2 + 0.3 * xs).max()  # along the valley floor y = 1 - x^2
    a = torch.tensor([-1.0, 0.0], dtype=torch.float64)
    b = torch.tensor([1.0, 0.0], dtype=torch.float64)
    out = paths_neb.neb(g, a, b, n_nodes=5, iters=400, lr=0.01, spring=1.0, momentum=0.8, climbing=True)
    top = max(float(tilted(p)) for p in out["nodes"][1:-1])
    assert top == pytest.approx(saddle, abs=2e-3)


def test_bezier_keeps_end_points_and_lowers_the_barrier():
    def loss_fn(p, step):
        return curved_valley(p)

    out = paths_neb.train_bezier(loss_fn, A, B, steps=600, lr=0.01, momentum=0.9, seed=0)
    theta = out["theta"]
    torch.testing.assert_close(paths_neb.bezier(A, theta, B, 0.0), A)
    torch.testing.assert_close(paths_neb.bezier(A, theta, B, 1.0), B)
    curve_max = max(float(curved_valley(paths_neb.bezier(A, theta, B, t))) for t in np.linspace(0, 1, 101))
    assert curve_max < 2.0  # straight line: 6; the best quadratic curve gets close to the valley (>= 1)
    assert curve_max >= 1.0 - 1e-9  # cannot beat the saddle
    assert 0 < out["ts"][0] < 1 and len(out["losses"]) == 600 and out["diverged_at"] is None


def test_bezier_steps_are_the_training_loops():
    """train_bezier's step is core.train.optimizer_step on make_optimizer's SGD: the same numbers as that loop
    written out, and a NaN loss stops it before the step (as in fit)."""
    from lab_utils.core.train import make_optimizer

    def loss_fn(p, step):
        return curved_valley(p) * (1 + 0.1 * step)

    out = paths_neb.train_bezier(loss_fn, A, B, steps=25, lr=0.01, momentum=0.9, seed=3)
    theta = (0.5 * (A + B)).detach().requires_grad_(True)
    opt = make_optimizer([theta], "sgd", 0.01, 0.9)
    gen = torch.Generator().manual_seed(3)
    for step in range(25):
        t = float(torch.rand((), generator=gen))
        loss = loss_fn(paths_neb.bezier(A, theta, B, t), step)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        assert out["ts"][step] == t and out["losses"][step] == float(loss.detach())
    assert torch.equal(out["theta"], theta.detach())
    cos = paths_neb.train_bezier(loss_fn, A, B, steps=25, lr=0.01, scheduler="cosine", seed=3)
    assert not torch.equal(cos["theta"], out["theta"]) and cos["ts"] == out["ts"]

    def bad(p, step):
        return curved_valley(p) * (float("nan") if step == 4 else 1.0)

    stopped = paths_neb.train_bezier(bad, A, B, steps=10, lr=0.01, seed=0)
    assert stopped["diverged_at"] == 4 and len(stopped["losses"]) == 4 and torch.isfinite(stopped["theta"]).all()


def _tiny_net_and_data():
    torch.manual_seed(0)
    spec = dict(kind="cnn", channels=[4], hidden=8, in_channels=1, image_size=8, n_classes=3, batchnorm=True)
    m1, m2 = models.build(spec), models.build(spec)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 1, 8, 8, generator=g)
    y = torch.randint(0, 3, (64,), generator=g)
    return m1.eval(), m2.eval(), x, y


def test_network_paths_end_points_and_model_untouched():
    m1, m2, x, y = _tiny_net_and_data()
    before = copy.deepcopy(m1.state_dict())
    w0, w1 = flat_params(m1), flat_params(m2)
    net = paths_neb.NetLoss(m1, F.cross_entropy, (x, y), batch_size=16, seed=0)
    xb, yb = net.batch(5)
    assert len(xb) == 16 and torch.equal(net.batch(5)[0], xb)
    out = paths_neb.neb(net.loss_and_grad, w0, w1, n_nodes=5, iters=3, lr=0.05)
    assert out["nodes"].shape[0] == 7 and out["diverged_at"] is None
    assert torch.equal(out["nodes"][0], w0) and torch.equal(out["nodes"][-1], w1)
    bz = paths_neb.train_bezier(net, w0, w1, steps=5, lr=0.05)
    assert torch.equal(paths_neb.bezier(w0, bz["theta"], w1, 0.0), w0)
    ev = connectivity.evaluate_points(
        m1, F.cross_entropy, (x, y), [w0, paths_neb.bezier(w0, bz["theta"], w1, 0.5), w1], bn_inputs=x
    )
    assert ev.loss.shape == (3,) and np.all(np.isfinite(ev.loss))
    for k, v in m1.state_dict().items():
        assert torch.equal(v, before[k])
    # at w0 with BN re-estimated on x, the loss equals an eval pass of a copy whose BN stats come from x
    from lab_utils.probes.connectivity import recompute_bn

    ref = recompute_bn(copy.deepcopy(m1), x)
    assert ev.loss[0] == pytest.approx(float(F.cross_entropy(ref(x), y).detach()), rel=1e-5)


def test_peak_rise():
    assert connectivity.peak_rise([0.1, 0.5, 0.2]) == pytest.approx(0.3)
    assert connectivity.peak_rise([0.1, float("nan"), 0.2]) == float("inf")


def test_neb_stops_on_divergence():
    def bad(p, it):
        return (float("nan") if it == 2 else 0.0), torch.zeros_like(p)

    out = paths_neb.neb(bad, A, B, n_nodes=5, iters=10)
    assert out["diverged_at"] == 2 and torch.isfinite(out["nodes"]).all()
