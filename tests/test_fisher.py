"""lab_utils.probes.noise.fisher_top_eigenvalue against the Gauss-Newton matrix built densely from the logits'
Jacobian on a tiny model (float64)."""

import torch
from torch.func import functional_call, jacrev
from torch.nn import functional as F

from lab_utils import models
from lab_utils.core.params import flat_params, param_dict
from lab_utils.probes import noise


def test_fisher_top_eigenvalue_is_the_gauss_newton_top_eigenvalue():
    torch.manual_seed(0)
    m = models.build(dict(kind="mlp", depth=1, width=6, in_dim=4, out_dim=3, act="tanh")).double()
    x = torch.randn(7, 4, dtype=torch.float64)
    theta = flat_params(m).detach()
    before = {k: v.clone() for k, v in m.state_dict().items()}

    def logits(t):
        return functional_call(m, param_dict(m, t), (x,))

    J = jacrev(logits)(theta)  # (n, K, p)
    p = torch.softmax(logits(theta), dim=1)  # (n, K)
    A = torch.diag_embed(p) - p.unsqueeze(2) * p.unsqueeze(1)
    ggn = torch.einsum("nkp,nkl,nlq->pq", J, A, J) / len(x)
    exact = float(torch.linalg.eigvalsh(ggn)[-1])
    assert exact > 0
    y = torch.zeros(len(x), dtype=torch.long)  # not used: the labels are drawn from the model
    got = noise.fisher_top_eigenvalue(m, F.cross_entropy, (x, y), chunk_size=5)
    assert abs(got - exact) < 1e-9 * exact
    split = noise.fisher_top_eigenvalue(m, F.cross_entropy, [(x[:3], y[:3]), (x[3:], y[3:])], chunk_size=5)
    assert abs(split - exact) < 1e-9 * exact
    for k, v in m.state_dict().items():
        assert torch.equal(v, before[k])
