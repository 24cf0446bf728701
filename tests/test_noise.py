"""lab_utils.probes.noise against exact answers on tiny models: per-sample gradients vs a loop of single-sample
backward passes, and the top eigenvalue of the gradient covariance vs a dense covariance built explicitly."""

import torch
from torch.nn import functional as F

from lab_utils import models
from lab_utils.probes import linalg, noise


def _tiny_cnn():
    torch.manual_seed(0)
    m = models.build(dict(kind="cnn", channels=[3], hidden=5, in_channels=1, image_size=6, n_classes=3, batchnorm=True))
    # non-trivial BN running stats, so eval mode differs from the initial identity
    with torch.no_grad():
        m.train()
        m(torch.randn(32, 1, 6, 6) * 2 + 1)
    return m.eval()


def _data(n=20, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, 6, 6, generator=g), torch.randint(0, 3, (n,), generator=g)


def test_per_sample_grads_match_loop_of_single_backward():
    m = _tiny_cnn()
    x, y = _data()
    before = {k: v.clone() for k, v in m.state_dict().items()}
    G = noise.per_sample_grads(m, F.cross_entropy, (x, y), chunk_size=7)
    rows = []
    for i in range(len(x)):
        m.zero_grad()
        F.cross_entropy(m(x[i : i + 1]), y[i : i + 1]).backward()
        rows.append(torch.cat([p.grad.reshape(-1) for p in m.parameters()]))
    ref = torch.stack(rows)
    assert G.shape == (len(x), models.count_params(m))
    torch.testing.assert_close(G, ref, rtol=1e-5, atol=1e-6)
    assert not m.training
    for k, v in m.state_dict().items():
        assert torch.equal(v, before[k])


def test_covariance_top_eigenvalue_matches_dense_covariance():
    m = _tiny_cnn()
    x, y = _data(30)
    G = noise.per_sample_grads(m, F.cross_entropy, (x, y)).double()
    g_bar = G.mean(0)
    C = sum(torch.outer(g - g_bar, g - g_bar) for g in G) / len(G)  # dense, by the definition
    exact = float(torch.linalg.eigvalsh(C)[-1])
    assert exact > 0
    assert abs(noise.covariance_top_eigenvalue(G, "gram") - exact) < 1e-9 * exact
    assert abs(noise.covariance_top_eigenvalue(G, "lanczos", tol=1e-12, max_iter=200) - exact) < 1e-6 * exact
    # the chunked matvec is C v
    v = torch.randn(G.shape[1], dtype=torch.float64)
    torch.testing.assert_close(noise.covariance_matvec(G, chunk_size=4)(v), C @ v)
    stats = noise.gradient_noise(m, F.cross_entropy, (x, y))
    assert abs(stats.lambda_c - exact) < 1e-4 * exact  # float32 G
    assert abs(stats.trace_c - float(torch.trace(C))) < 1e-4 * float(torch.trace(C))
    assert abs(stats.grad_norm - float(g_bar.norm())) < 1e-5


def test_batches_are_the_samples_in_order():
    m = _tiny_cnn()
    x, y = _data(13)
    one = noise.per_sample_grads(m, F.cross_entropy, (x, y), chunk_size=4)
    split = noise.per_sample_grads(m, F.cross_entropy, [(x[:5], y[:5]), (x[5:], y[5:])], chunk_size=4)
    torch.testing.assert_close(split, one, rtol=1e-6, atol=1e-7)
    a = noise.gradient_noise(m, F.cross_entropy, (x, y))
    b = noise.gradient_noise(m, F.cross_entropy, [(x[:5], y[:5]), (x[5:], y[5:])])
    assert abs(a.lambda_c - b.lambda_c) < 1e-5 * a.lambda_c and a.n == b.n == 13


def test_lanczos_top_on_known_spectrum():
    torch.manual_seed(3)
    Q, _ = torch.linalg.qr(torch.randn(50, 50, dtype=torch.float64))
    evals = torch.linspace(-2.0, 7.0, 50, dtype=torch.float64)
    A = Q @ torch.diag(evals) @ Q.T
    res = linalg.eigsh(lambda v: A @ v, 50, 1, "largest", tol=1e-12, max_iter=50, dtype=torch.float64)
    assert abs(res.values[0] - 7.0) < 1e-8 and res.n_matvec <= 50 and res.converged


def test_noise_ratio():
    assert noise.noise_ratio(3.0, 1.5) == 2.0
    assert noise.noise_ratio(1.0, 0.0) != noise.noise_ratio(1.0, 0.0)  # NaN
