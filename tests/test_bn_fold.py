"""BatchNorm folded into convolutions: the same eval-mode outputs and loss grids (float64, to rounding)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lab_utils.models import resnet20
from lab_utils.probes import loss_surface
from lab_utils.probes.bn_fold import FoldedBN, FoldError, fold_bn

torch.set_num_threads(1)
LOSS = nn.functional.cross_entropy


def with_bn_stats(m: nn.Module, shape, n_batches: int = 3) -> nn.Module:
    """Move every BN's running stats (and affine params) away from their init, float64, left in TRAIN mode."""
    m = m.double().train()
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, nn.BatchNorm2d):
                mod.weight.copy_(1 + 0.3 * torch.randn(mod.weight.shape, generator=g, dtype=torch.float64))
                mod.bias.copy_(0.2 * torch.randn(mod.bias.shape, generator=g, dtype=torch.float64))
        for _ in range(n_batches):
            m(torch.randn(16, *shape, generator=g, dtype=torch.float64) * 1.5 + 0.3)
    return m


def conv_bn_net() -> nn.Module:
    torch.manual_seed(0)
    return with_bn_stats(
        nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(), nn.Linear(48, 4)), (2, 6, 6)
    )


class SharedOutput(nn.Module):
    """conv -> BN, but the conv output is also used directly: must not be folded."""

    def __init__(self):
        super().__init__()
        self.conv, self.bn, self.fc = nn.Conv2d(2, 3, 3, bias=False), nn.BatchNorm2d(3), nn.Linear(96, 4)

    def forward(self, x):
        u = self.conv(x)
        return self.fc(torch.cat([self.bn(u), u], 1).flatten(1))


class Dynamic(SharedOutput):
    """Data-dependent control flow: torch.fx cannot trace it."""

    def forward(self, x):
        u = self.bn(self.conv(x))
        if u.sum() > 0:
            u = u * 1.0
        return self.fc(torch.cat([u, u], 1).flatten(1))


def test_fold_exact_resnet20():
    torch.manual_seed(0)
    m = with_bn_stats(resnet20(), (3, 32, 32))
    f = FoldedBN(m)
    assert len(f.pairs) == 19  # every BN of ResNet-20 follows a convolution
    x = torch.randn(8, 3, 32, 32, dtype=torch.float64)
    m.eval()
    torch.testing.assert_close(f.module(x), m(x), rtol=1e-12, atol=1e-12)
    folded_bns = {b for _, b in f.pairs}
    assert not any(node.target in folded_bns for node in f.module.graph.nodes)  # no BN left in the graph
    # refresh follows in-place weight changes (conv, BN affine and running stats)
    with torch.no_grad():
        m.conv1.weight.mul_(1.3)
        m.bn1.weight.add_(0.1)
        m.stage2[0].bn1.running_var.mul_(2.0)
    f.refresh()
    torch.testing.assert_close(f.module(x), m(x), rtol=1e-12, atol=1e-12)


def test_shared_conv_output_not_folded_and_untraceable_raises():
    torch.manual_seed(0)
    m = with_bn_stats(SharedOutput(), (2, 6, 6)).eval()
    f = FoldedBN(m)
    x = torch.randn(5, 2, 6, 6, dtype=torch.float64)
    assert f.pairs == []
    torch.testing.assert_close(f.module(x), m(x), rtol=0, atol=0)
    with pytest.raises(FoldError):
        FoldedBN(Dynamic().double())


@pytest.mark.parametrize("normalization", ["filter", None])
def test_loss_surface_folded_equals_unfolded(normalization):
    """Filter-normalised directions perturb the conv weights only; raw (None) ones also gamma and beta: both
    folded per grid point give the same losses and accuracies."""
    torch.manual_seed(0)
    for m, shape in [(conv_bn_net(), (2, 6, 6)), (with_bn_stats(resnet20(), (3, 32, 32)), (3, 32, 32))]:
        g = torch.Generator().manual_seed(1)
        x = torch.randn(12, *shape, generator=g, dtype=torch.float64)
        y = torch.randint(0, 4, (12,), generator=g)
        kw = dict(
            steps=3, span=0.5 if normalization else 0.05, normalization=normalization, progress=False, chunk_size=5
        )
        a = loss_surface(m, LOSS, (x, y), **kw)
        b = loss_surface(m, LOSS, (x, y), fold_bn=True, **kw)
        np.testing.assert_allclose(b.loss, a.loss, rtol=1e-10)
        np.testing.assert_array_equal(b.accuracy, a.accuracy)
        assert a.loss.std() > 0


def test_fold_fallback_warns_and_model_untouched():
    torch.manual_seed(0)
    m = with_bn_stats(Dynamic(), (2, 6, 6))
    x, y = torch.randn(6, 2, 6, 6, dtype=torch.float64), torch.randint(0, 4, (6,))
    sd = {k: v.clone() for k, v in m.state_dict().items()}
    with pytest.warns(RuntimeWarning, match="fold_bn"):
        b = loss_surface(m, LOSS, (x, y), steps=3, fold_bn=True, progress=False)
    np.testing.assert_array_equal(b.loss, loss_surface(m, LOSS, (x, y), steps=3, progress=False).loss)
    m2 = conv_bn_net()
    sd2 = {k: v.clone() for k, v in m2.state_dict().items()}
    loss_surface(
        m2, LOSS, (torch.randn(4, 2, 6, 6, dtype=torch.float64), torch.arange(4)), steps=3, fold_bn=True, progress=False
    )
    for mm, s in [(m, sd), (m2, sd2)]:
        assert all(torch.equal(v, s[k]) for k, v in mm.state_dict().items())
        assert mm.training
    assert isinstance(fold_bn(m2), nn.Module) and m2.training
