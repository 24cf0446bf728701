"""models.ensemble: training K members at once through `train.fit` is training each one on its own."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from lab_utils import models
from lab_utils.core import data, params, train
from lab_utils.models.ensemble import Ensemble, summed

SPEC = {"kind": "mlp", "depth": 2, "width": 5, "in_dim": 1, "out_dim": 1, "act": "tanh"}


def members(seeds):
    out = []
    for s in seeds:
        torch.manual_seed(s)
        out.append(models.build(SPEC))
    return out


def test_forward_stacks_the_members_outputs():
    ms = members([0, 1, 2])
    x = torch.linspace(-1, 1, 7).view(-1, 1)
    out = Ensemble(ms)(x)
    assert out.shape == (3, 7, 1)
    for i, m in enumerate(ms):
        torch.testing.assert_close(out[i], m(x))
    torch.testing.assert_close(summed(F.mse_loss)(out, x), sum(F.mse_loss(m(x), x) for m in ms))


def test_ensemble_training_equals_training_each_member():
    split = data.function("sin2pi", n_train=32, n_test=16)
    ens = Ensemble(members([0, 1, 2]))
    kw = dict(
        epochs=40,
        lr=1e-2,
        optimizer="adam",
        weight_decay=1e-4,
        batch_size=32,
        scheduler="cosine",
        eval_every=40,
        progress_bar=False,
    )
    train.fit(ens, split, loss_fn=summed(F.mse_loss), **kw)
    for i, m in enumerate(members([0, 1, 2])):
        train.fit(m, split, loss_fn=F.mse_loss, **kw)
        trained = ens.member(i)
        assert type(trained) is type(m)
        torch.testing.assert_close(params.flat_params(trained), params.flat_params(m), rtol=1e-5, atol=1e-6)
