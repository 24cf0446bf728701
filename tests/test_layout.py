"""core.layout: conv nets train and evaluate in channels_last with the values of the default layout (up to float
rounding), the model leaves fit/evaluate with its own contiguous tensors, and the MLP path is untouched."""

import io

import pytest
import torch
from torch.nn import functional as F

from lab_utils import models
from lab_utils.core import data, layout, train
from lab_utils.core.params import flat_params


def images(n: int = 64, n_test: int = 48, seed: int = 0) -> data.Split:
    g = torch.Generator().manual_seed(seed)
    return data.Split(
        torch.randn(n, 3, 32, 32, generator=g),
        torch.randint(0, 10, (n,), generator=g),
        torch.randn(n_test, 3, 32, 32, generator=g),
        torch.randint(0, 10, (n_test,), generator=g),
        {"name": "random images", "seed": seed},
    )


def contiguous_only(monkeypatch) -> None:
    """The default layout everywhere: the rule with no channels_last device."""
    monkeypatch.setattr(layout, "CHANNELS_LAST_DEVICES", ())


def train_resnet(split: data.Split) -> tuple[torch.nn.Module, dict]:
    torch.manual_seed(0)
    m = models.resnet20()
    # plain SGD at a small lr: with momentum 0.9 at lr 0.02 the rounding difference grows to 1e-4 in 8 steps
    h = train.fit(
        m,
        split,
        epochs=2,
        lr=0.01,
        optimizer="sgd",
        batch_size=16,
        augment="crop_flip",
        track_step_loss=True,
        record_final=True,
        progress_bar=False,
    )
    return m, h


def test_rule():
    x4, x2 = torch.zeros(2, 3, 32, 32), torch.zeros(2, 784)
    assert layout.memory_format(models.resnet20(), x4) is torch.channels_last
    assert layout.memory_format(models.cnn(in_channels=3, image_size=32), x4) is torch.channels_last
    assert layout.memory_format(models.mlp(1, 8, 784, 10), x2) is torch.contiguous_format
    assert layout.memory_format(models.mlp(1, 8), torch.zeros(5, 1)) is torch.contiguous_format
    assert layout.memory_format(models.resnet20(), x4.to("meta")) is torch.contiguous_format  # not a measured device
    assert layout.memory_format(models.resnet20().double(), x4.double()) is torch.contiguous_format  # slower there
    assert layout.to_format(x2, torch.channels_last) is x2
    assert layout.to_format(x4, torch.contiguous_format) is x4
    assert layout.to_format(x4, torch.channels_last).is_contiguous(memory_format=torch.channels_last)
    # one channel: NCHW strides count as channels_last too, but only true NHWC strides make the conv run NHWC
    assert layout.to_format(torch.zeros(2, 1, 28, 28), torch.channels_last).stride() == (784, 1, 28, 1)
    m = models.build(models.cnn_spec("mnist", [4, 8], 16))
    with layout.formatted(m, torch.channels_last):
        assert m[0].weight.stride() == (9, 1, 3, 1) and m[3].weight.stride() == (36, 1, 12, 4)
    assert m[0].weight.stride() == (9, 9, 3, 1)


def test_resnet_channels_last_trains_like_contiguous(monkeypatch):
    split = images()
    fast, h_fast = train_resnet(split)
    again, h_again = train_resnet(split)  # channels_last is deterministic too: cached runs stay reproducible
    assert h_again["step_loss"] == h_fast["step_loss"] and torch.equal(flat_params(again), flat_params(fast))
    contiguous_only(monkeypatch)
    ref, h_ref = train_resnet(split)
    assert h_fast["steps"] == h_ref["steps"] == 8
    assert h_fast["step_loss"] == pytest.approx(h_ref["step_loss"], rel=1e-4)
    for k in ("train_loss", "test_loss"):
        assert h_fast[k] == pytest.approx(h_ref[k], rel=1e-4)
    assert h_fast["final"]["grad_norm"] == pytest.approx(h_ref["final"]["grad_norm"], rel=1e-3)
    # Norm-wise, not per entry: a ReLU input within rounding of 0 (BN's channels_last kernel rounds ~10x more than
    # the NCHW one, still ~5e-7) flips its mask in one layout only and moves a few gradient entries by O(1); over
    # these 8 steps that made ||diff|| 3e-5 of ||theta|| and 1 % of the update, the largest entry 7e-5.
    torch.manual_seed(0)
    init = flat_params(models.resnet20())
    a, b = flat_params(fast), flat_params(ref)
    assert (a - b).norm() <= 1e-4 * b.norm() and (a - b).norm() <= 0.05 * (b - init).norm()
    for name, buf in ref.state_dict().items():  # BN running statistics too
        assert torch.allclose(fast.state_dict()[name].double(), buf.double(), rtol=1e-3, atol=1e-4), name


def test_fit_returns_the_models_own_tensors():
    torch.manual_seed(0)
    m = models.resnet20()
    params = list(m.parameters())
    ptrs = [p.data_ptr() for p in params]
    alias = m.conv1.weight.data  # an alias made before fit sees the trained values
    h = train.fit(
        m, images(32, 16), epochs=1, lr=0.05, optimizer="sgd", batch_size=16, snapshot_every=1, progress_bar=False
    )
    assert list(m.parameters()) == params and [p.data_ptr() for p in params] == ptrs
    assert all(p.is_contiguous() for p in m.parameters()) and all(b.is_contiguous() for b in m.buffers())
    assert all(p.grad is None or p.grad.stride() == p.stride() for p in m.parameters())
    assert torch.equal(alias, m.conv1.weight)
    theta = flat_params(m)
    assert torch.equal(theta, torch.nn.utils.parameters_to_vector(m.parameters()))
    assert torch.equal(h["snapshots"][-1], theta) and not torch.equal(h["snapshots"][0], theta)
    buf = io.BytesIO()
    torch.save({k: v.cpu() for k, v in m.state_dict().items()}, buf)
    fresh = models.resnet20()
    fresh.load_state_dict(torch.load(io.BytesIO(buf.getvalue()), weights_only=True))
    x = images(8, 8, seed=1).x_test
    assert torch.equal(fresh.eval()(x), m.eval()(x))


def test_fit_restores_the_layout_when_interrupted():
    m = models.resnet20()

    def stop(epoch, model, hist):
        assert model.conv1.weight.is_contiguous(memory_format=torch.channels_last)  # during fit
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train.fit(m, images(16, 16), epochs=2, lr=0.01, batch_size=16, on_epoch=stop, progress_bar=False)
    assert all(p.is_contiguous() for p in m.parameters())


def test_evaluate_and_full_batch_agree(monkeypatch):
    torch.manual_seed(0)
    m = models.build(models.cnn_spec("mnist", [8, 16], 32, batchnorm=True))
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(100, 1, 28, 28, generator=g), torch.randint(0, 10, (100,), generator=g)
    m(x)  # move BN statistics off their init
    ptr = m[0].weight.data_ptr()
    loss, acc = train.evaluate(m, x, y, batch_size=32)
    fb = train.full_batch(m, x, y, batch_size=32)
    assert m[0].weight.data_ptr() == ptr and m[0].weight.is_contiguous() and m.training
    contiguous_only(monkeypatch)
    ref_loss, ref_acc = train.evaluate(m, x, y, batch_size=32)
    ref_fb = train.full_batch(m, x, y, batch_size=32)
    assert loss == pytest.approx(ref_loss, rel=1e-5) and acc == ref_acc
    assert fb.train_loss == pytest.approx(ref_fb.train_loss, rel=1e-5)
    assert fb.grad_norm == pytest.approx(ref_fb.grad_norm, rel=1e-4)


def test_mlp_path_is_the_plain_loop_bit_for_bit():
    """fit on an MLP is exactly the bare Adam loop over the same minibatches (no layout step in between)."""
    g = torch.Generator().manual_seed(0)
    split = data.Split(
        torch.randn(96, 20, generator=g),
        torch.randint(0, 3, (96,), generator=g),
        torch.randn(32, 20, generator=g),
        torch.randint(0, 3, (32,), generator=g),
        {},
    )
    torch.manual_seed(0)
    m = models.mlp(2, 16, 20, 3)
    ref = models.mlp(2, 16, 20, 3)
    ref.load_state_dict(m.state_dict())
    train.fit(m, split, epochs=2, lr=1e-2, batch_size=32, seed=5, eval_train=False, progress_bar=False)
    opt = torch.optim.Adam(ref.parameters(), lr=1e-2)
    gen = torch.Generator().manual_seed(5)
    ref.train()
    for _ in range(2):
        for xb, yb in data.minibatches(split.x_train, split.y_train, 32, generator=gen):
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(ref(xb), yb).backward()
            opt.step()
    assert all(torch.equal(a, b) for a, b in zip(m.parameters(), ref.parameters(), strict=True))
