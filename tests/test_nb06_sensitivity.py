"""Notebook 06 in the smoke profile: its metrics, and the experiment helpers."""
import dataclasses
import math

import numpy as np
import pytest
import torch

from lab_utils import sections
from lab_utils.core import train
from lab_utils.sections.sensitivity import compute as sensitivity

NAME = "06_sensitivity"


def test_smoke_metrics(smoke_run):
    m, section_dir = smoke_run(NAME)
    cfg = sections.profiles(NAME)["smoke"]
    rows = m["sensitivity"]
    sizes = [r["batch_size"] for r in rows]
    assert sizes == sensitivity.batch_sizes(cfg) and len(sizes) >= 5 and sizes == sorted(set(sizes))
    for r in rows:
        assert set(r) >= {"batch_size", "lr", "steps", "test_acc", "test_loss", "jacobian_norm", "sharpness"}
        assert r["lr"] == pytest.approx(sensitivity.lr_for(cfg, r["batch_size"]))
        if cfg.mode == "steps":
            assert r["steps"] == cfg.steps
        else:
            assert r["steps"] == cfg.epochs * math.ceil(cfg.n_train / r["batch_size"])
        if r["diverged_at_epoch"] is None:
            assert 0 <= r["test_acc"] <= 1 and 0 <= r["train_acc"] <= 1
            assert math.isfinite(r["test_loss"]) and r["test_loss"] > 0
            assert r["jacobian_norm"] > 0 and math.isfinite(r["jacobian_norm"])
            assert math.isfinite(r["sharpness"])
            assert r["gap_loss"] == pytest.approx(r["test_loss"] - r["train_loss"])
    assert max(r["test_acc"] for r in rows) > 0.3  # well above chance
    for c in m["correlations"]:
        for k in ("pearson", "spearman"):
            assert c[k] is None or -1 - 1e-9 <= c[k] <= 1 + 1e-9
    assert {(c["x"], c["y"]) for c in m["correlations"]} >= {("jacobian_norm", "gap_loss"), ("sharpness", "gap_loss")}
    assert m["mode"] == cfg.mode and m["lr_scaling"] == cfg.lr_scaling
    assert 3 <= len(m["headline"]) <= 5
    for name in ("training", "vs_batch_size", "correlations"):
        assert (section_dir / f"{name}.png").is_file()


def test_batch_sizes_are_log_spaced_and_lr_scaling():
    cfg = sections.profiles(NAME)["quick"]
    sizes = sensitivity.batch_sizes(cfg)
    assert len(sizes) >= 5 and sizes[0] == cfg.batch_min and sizes[-1] == cfg.batch_max
    ratios = np.diff(np.log(sizes))
    assert ratios.max() - ratios.min() < 0.2  # evenly spaced in log up to integer rounding
    lin = dataclasses.replace(cfg, lr_scaling="linear", lr=0.1, base_batch=64)
    assert sensitivity.lr_for(lin, 256) == pytest.approx(0.4)
    sq = dataclasses.replace(cfg, lr_scaling="sqrt", lr=0.1, base_batch=64)
    assert sensitivity.lr_for(sq, 256) == pytest.approx(0.2)
    fixed = dataclasses.replace(cfg, lr_scaling="fixed", lr=0.1)
    assert sensitivity.lr_for(fixed, 1024) == 0.1


@pytest.mark.parametrize("bs", [5, 16, 100])
def test_fixed_steps_and_fixed_epochs_modes(bs):
    from lab_utils.core.data import Split

    cfg = dataclasses.replace(sections.profiles(NAME)["smoke"], mode="steps", steps=23)
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(60, 4, generator=g), torch.randint(0, 3, (60,), generator=g)
    split = Split(x, y, x[:10], y[:10], {})
    kw = sensitivity.fit_kwargs(cfg, bs, len(x))
    model = torch.nn.Linear(4, 3)
    hist = train.fit(model, split, progress_bar=False, **kw)
    assert hist["steps"] == 23
    cfg = dataclasses.replace(cfg, mode="epochs", epochs=2)
    kw = sensitivity.fit_kwargs(cfg, bs, len(x))
    hist = train.fit(torch.nn.Linear(4, 3), split, progress_bar=False, **kw)
    assert hist["steps"] == 2 * math.ceil(60 / bs)


def test_correlations_match_numpy_and_skip_nonfinite():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=8), rng.normal(size=8)
    rows = [dict(a=float(a), b=float(b)) for a, b in zip(x, y)]
    rows.append(dict(a=float("nan"), b=1.0))
    c = sensitivity.correlations(rows, pairs=(("a", "b"),))[0]
    assert c["n"] == 8
    assert c["pearson"] == pytest.approx(np.corrcoef(x, y)[0, 1])
    rx, ry = np.argsort(np.argsort(x)), np.argsort(np.argsort(y))
    assert c["spearman"] == pytest.approx(np.corrcoef(rx, ry)[0, 1])
    const = sensitivity.correlations([dict(a=1.0, b=float(i)) for i in range(5)], pairs=(("a", "b"),))[0]
    assert const["pearson"] is None and const["spearman"] is None
