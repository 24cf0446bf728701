import math

import pytest
import torch
from torch.nn import functional as F

from lab_utils import models
from lab_utils.core import data, train
from lab_utils.core.params import flat_params


def toy():
    return data.function("sinc", n_train=256, n_test=64)


def test_training_lowers_loss():
    torch.manual_seed(0)
    m = models.mlp(2, 32)
    before, _ = train.evaluate(m, toy().x_train, toy().y_train, F.mse_loss)
    h = train.fit(m, toy(), epochs=30, lr=1e-2, loss_fn=F.mse_loss, batch_size=64, progress_bar=False)
    assert h["train_loss"][-1] < 0.5 * before
    assert h["diverged_at_epoch"] is None and h["steps"] == 30 * 4
    assert len(h["epoch"]) == 30 and h["train_acc"][-1] is None


def test_classification_history_and_determinism():
    d = data.load("mnist", n_train=512, n_test=256, flatten=True)
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        m = models.mlp(1, 32, 784, 10)
        runs.append(train.fit(m, d, epochs=2, lr=1e-3, batch_size=64, seed=3, progress_bar=False))
    assert runs[0]["train_loss"] == runs[1]["train_loss"] and runs[0]["test_acc"] == runs[1]["test_acc"]
    assert 0.3 < runs[0]["test_acc"][-1] <= 1.0


def test_nan_is_recorded_not_raised():
    torch.manual_seed(0)
    m = models.mlp(2, 16)
    h = train.fit(m, toy(), epochs=5, lr=1e12, optimizer="sgd", loss_fn=F.mse_loss, progress_bar=False)
    assert h["diverged_at_epoch"] == 1 and h["diverged_at_step"] is not None
    assert math.isnan(h["train_loss"][-1]) and len(h["epoch"]) == 1


def test_max_steps_and_cosine_schedule():
    m = models.mlp(1, 8)
    h = train.fit(
        m,
        toy(),
        epochs=100,
        max_steps=10,
        lr=0.1,
        optimizer="sgd",
        scheduler="cosine",
        loss_fn=F.mse_loss,
        batch_size=64,
        progress_bar=False,
    )
    assert h["steps"] == 10 and h["epoch"][-1] == 3
    assert h["lr"][-1] == pytest.approx(0.0, abs=1e-12)


def test_snapshots_and_grad_norms():
    m = models.mlp(2, 8)
    h = train.fit(
        m,
        toy(),
        epochs=4,
        lr=1e-2,
        loss_fn=F.mse_loss,
        batch_size=128,
        snapshot_every=2,
        track_grad_norm=True,
        track_layer_grad_norms=True,
        progress_bar=False,
    )
    assert h["snapshot_epochs"] == [0, 2, 4]
    assert torch.equal(h["snapshots"][-1], flat_params(m).cpu())
    assert len(h["grad_norm"]) == h["steps"] == 8
    layer = h["layer_grad_norm"][0]
    assert math.isclose(math.sqrt(sum(v * v for v in layer.values())), h["grad_norm"][0], rel_tol=1e-5)


def test_evaluate_restores_mode_and_chunks():
    d = data.load("mnist", n_train=300, n_test=300)
    m = models.build(dict(kind="cnn", channels=[4], hidden=8, batchnorm=True)).train()
    a = train.evaluate(m, d.x_test, d.y_test, batch_size=64)
    b = train.evaluate(m, d.x_test, d.y_test, batch_size=1000)
    assert m.training
    assert a[0] == pytest.approx(b[0], rel=1e-5) and a[1] == b[1]


def test_bad_arguments():
    m = models.mlp(1, 4)
    with pytest.raises(ValueError, match="optimizer"):
        train.fit(m, toy(), epochs=1, lr=1, optimizer="lbfgs", loss_fn=F.mse_loss, progress_bar=False)
    with pytest.raises(ValueError, match="scheduler"):
        train.fit(m, toy(), epochs=1, lr=1, scheduler="step", loss_fn=F.mse_loss, progress_bar=False)
    with pytest.raises(ValueError, match="scheduler None"):  # one spelling: "constant", never None
        train.fit(m, toy(), epochs=1, lr=1, scheduler=None, loss_fn=F.mse_loss, progress_bar=False)


def test_constant_learning_rate_is_the_default_and_never_changes():
    h = train.fit(models.mlp(1, 4), toy(), epochs=3, lr=0.1, optimizer="sgd", loss_fn=F.mse_loss, progress_bar=False)
    assert h["lr"] == [0.1, 0.1, 0.1]


def test_step_loss_is_the_minibatch_loss():
    torch.manual_seed(0)
    m = models.mlp(1, 8)
    h = train.fit(
        m, toy(), epochs=2, lr=1e-2, loss_fn=F.mse_loss, batch_size=256, track_step_loss=True, progress_bar=False
    )
    assert len(h["step_loss"]) == h["steps"] == 2
    torch.manual_seed(0)
    fresh = models.mlp(1, 8)
    d = toy()
    order = torch.randperm(len(d.x_train), generator=torch.Generator().manual_seed(0))  # fit's first epoch order
    first = torch.nn.functional.mse_loss(fresh(d.x_train[order]), d.y_train[order])
    assert h["step_loss"][0] == pytest.approx(float(first.detach()), rel=1e-6)


def test_record_final_is_the_full_batch_loss_and_gradient():
    torch.manual_seed(0)
    m = models.build(dict(kind="mlp", depth=1, width=8))
    d = toy()
    h = train.fit(m, d, epochs=3, lr=1e-2, loss_fn=F.mse_loss, batch_size=64, record_final=True, progress_bar=False)
    loss = F.mse_loss(m(d.x_train), d.y_train)
    g = torch.autograd.grad(loss, list(m.parameters()))
    assert h["final"]["train_loss"] == pytest.approx(float(loss.detach()), rel=1e-5)
    assert h["final"]["grad_norm"] == pytest.approx(float(torch.cat([x.reshape(-1) for x in g]).norm()), rel=1e-4)
    c = train.convergence(h, grad_tol=10 * h["final"]["grad_norm"])
    assert c.converged and "‖∇L‖" in c.criterion
    assert not train.convergence(h, grad_tol=0.5 * h["final"]["grad_norm"]).converged
    assert not train.convergence(h, grad_tol=1e9, loss_tol=0.5 * h["final"]["train_loss"]).converged
    m.zero_grad(set_to_none=True)
    m.train()
    train.full_batch(m, d.x_train, d.y_train, F.mse_loss)
    assert all(p.grad is None for p in m.parameters()) and m.training  # no .grad written, mode restored


def test_convergence_needs_the_record():
    with pytest.raises(ValueError, match="record_final"):
        train.convergence({"diverged_at_epoch": None}, grad_tol=1.0)


def test_cosine_factor():
    assert train.cosine_factor(0, 10) == 1.0
    assert train.cosine_factor(5, 10) == pytest.approx(0.5)
    assert train.cosine_factor(10, 10) == pytest.approx(0.0) and train.cosine_factor(20, 10) == pytest.approx(0.0)
