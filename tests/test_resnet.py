"""ResNet-20 (option-A shortcuts): parameter counts derived by hand, the four skip x BN variants."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lab_utils.models import build, count_params, resnet20

VARIANTS = [(True, True), (True, False), (False, True), (False, False)]


def hand_count(batchnorm: bool, num_classes: int = 10) -> int:
    """conv1 3->16; per stage 6 convs 3x3 (the first takes the previous width); BN has 2 params per channel;
    without BN every conv has a bias instead; option-A shortcuts have no parameters; fc 64 -> classes."""
    convs = [(3, 16)] + [(16, 16)] * 6 + [(16, 32)] + [(32, 32)] * 5 + [(32, 64)] + [(64, 64)] * 5
    weights = sum(9 * a * b for a, b in convs)
    per_channel = sum(b for _, b in convs)
    return weights + (2 * per_channel if batchnorm else per_channel) + 64 * num_classes + num_classes


def test_param_counts():
    assert hand_count(True) == 269_722 and hand_count(False) == 269_034
    assert count_params(resnet20()) == 269_722
    assert count_params(resnet20(batchnorm=False)) == 269_034
    assert count_params(resnet20(skip=False)) == 269_722
    assert count_params(resnet20(num_classes=100)) == hand_count(True, 100)
    assert count_params(build({"kind": "resnet20", "skip": False})) == 269_722


@pytest.mark.parametrize("skip,bn", VARIANTS)
def test_variants_forward(skip, bn):
    torch.manual_seed(0)
    m = resnet20(skip=skip, batchnorm=bn)
    has_bn = any(isinstance(x, nn.modules.batchnorm._BatchNorm) for x in m.modules())
    assert has_bn == bn
    assert sum(isinstance(x, nn.Conv2d) for x in m.modules()) == 19  # + fc = 20 weighted layers
    out = m(torch.randn(2, 3, 32, 32))
    assert out.shape == (2, 10) and torch.isfinite(out).all()
    m.eval()
    assert m(torch.randn(2, 3, 32, 32)).shape == (2, 10)


@pytest.mark.parametrize("bn", [True, False])
def test_skip_changes_output_with_same_weights(bn):
    torch.manual_seed(0)
    a, b = resnet20(skip=True, batchnorm=bn), resnet20(skip=False, batchnorm=bn)
    b.load_state_dict(a.state_dict())
    x = torch.randn(2, 3, 32, 32)
    a.eval(), b.eval()
    assert not torch.allclose(a(x), b(x))
    for blk in b.modules():  # with skip=False no block adds its shortcut
        if hasattr(blk, "shortcut"):
            assert not blk.skip


def test_option_a_shortcut_is_parameter_free_subsample_and_pad():
    blk = resnet20().stage2[0]
    x = torch.randn(1, 16, 32, 32)
    s = blk.shortcut(x)
    assert s.shape == (1, 32, 16, 16)
    assert torch.equal(s[:, 8:24], x[:, :, ::2, ::2]) and s[:, :8].abs().sum() == 0 and s[:, 24:].abs().sum() == 0


def test_no_bn_plain_net_keeps_activation_scale():
    """Kaiming fan-in init: the plain no-BN net's logits stay O(1) (trainable); with skips they grow."""
    torch.manual_seed(0)
    x = torch.randn(64, 3, 32, 32)
    plain = resnet20(skip=False, batchnorm=False)(x).std().item()
    assert 1e-2 < plain < 1e2


def test_no_bn_trains_a_step():
    torch.manual_seed(0)
    m = resnet20(skip=False, batchnorm=False)
    x, y = torch.randn(32, 3, 32, 32), torch.randint(0, 10, (32,))
    opt = torch.optim.SGD(m.parameters(), lr=0.01)
    losses = []
    for _ in range(5):
        loss = nn.functional.cross_entropy(m(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert all(map(torch.isfinite, map(torch.tensor, losses))) and losses[-1] < losses[0]
