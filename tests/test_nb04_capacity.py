"""Notebook 04 in the smoke profile: its metrics, and the capacity helpers."""
import math

import numpy as np
import pytest

from lab_utils import models, sections
from lab_utils.sections.capacity import compute as capacity

NAME = "04_capacity"


def test_smoke_metrics(smoke_run):
    m, section_dir = smoke_run(NAME)
    cfg = sections.profiles(NAME)["smoke"]
    rows = m["capacity"]
    assert len(rows) == cfg.n_models
    p = [r["n_params"] for r in rows]
    assert all(a < b for a, b in zip(p, p[1:])), "n_params strictly increasing"
    # log-spaced: every step's ratio within a factor 2 of the nominal (p_max/p_min)^(1/(n-1))
    nominal = (cfg.p_max / cfg.p_min) ** (1 / (cfg.n_models - 1))
    for a, b in zip(p, p[1:]):
        assert nominal / 2 < b / a < nominal * 2
    assert abs(math.log(p[0] / cfg.p_min)) < math.log(2) and abs(math.log(p[-1] / cfg.p_max)) < math.log(1.3)
    for r in rows:
        assert r["n_runs"] + r["n_diverged"] == cfg.n_seeds
        for k in ("train_acc", "test_acc"):
            assert 0 <= r[k] <= 1 and r[f"{k}_std"] >= 0
        for k in ("train_loss", "test_loss"):
            assert math.isfinite(r[k]) and r[k] >= 0
    assert max(r["test_acc"] for r in rows) > 0.2  # the larger nets learn something in smoke (chance is 0.1)
    assert len(m["runs"]) == cfg.n_models * cfg.n_seeds
    assert len({r["seed"] for r in m["runs"]}) == cfg.n_seeds
    assert m["headline"]["double-descent bump"] in ("yes", "no")
    assert (section_dir / "capacity.png").exists()


def test_family_parameter_count_grows_strictly():
    counts = [models.spec_n_params(capacity.family_spec(w)) for w in range(1, 200)]
    assert all(a < b for a, b in zip(counts, counts[1:]))
    s = capacity.family_spec(64, "cifar10")
    assert s["in_channels"] == 3 and s["image_size"] == 32 and s["channels"] == [8, 16] and s["hidden"] == 64


def test_size_specs_are_log_spaced():
    specs = capacity.size_specs(1000, 300_000, 10)
    p = np.array([models.spec_n_params(s) for s in specs], dtype=float)
    target = np.geomspace(1000, 300_000, 10)
    assert np.all(np.diff(p) > 0)
    assert np.all(np.abs(np.log(p / target)) < 0.15)  # each within ~15% of its log-spaced budget
    with pytest.raises(ValueError):
        capacity.size_specs(1000, 1100, 10)  # too narrow: widths would repeat


def test_aggregate_mean_std_and_divergence():
    runs = [dict(n_params=10, width=1, train_acc=0.5, test_acc=0.4, train_loss=1.0, test_loss=2.0),
            dict(n_params=10, width=1, train_acc=0.7, test_acc=0.6, train_loss=3.0, test_loss=4.0),
            dict(n_params=5, width=0, train_acc=0.2, test_acc=0.1, train_loss=2.0, test_loss=2.5),
            dict(n_params=5, width=0, train_acc=float("nan"), test_acc=float("nan"), train_loss=float("nan"),
                 test_loss=float("nan"))]
    rows = capacity.aggregate(runs)
    assert [r["n_params"] for r in rows] == [5, 10]
    small, big = rows
    assert small["n_runs"] == 1 and small["n_diverged"] == 1 and small["train_acc"] == 0.2
    assert big["train_acc"] == pytest.approx(0.6) and big["train_acc_std"] == pytest.approx(0.1)
    assert big["test_loss"] == pytest.approx(3.0) and big["gap_loss"] == pytest.approx(1.0)
    assert big["gap_acc"] == pytest.approx(0.1)  # 0.6 - 0.5


def test_find_bump():
    # falls, rises by 3 pp, falls again: a bump at index 3
    err = [0.30, 0.10, 0.08, 0.11, 0.07, 0.06]
    assert capacity.find_bump(err, 0.01) == (2, 3, 5)
    assert capacity.find_bump(err, 0.05) is None             # below tolerance: no bump
    assert capacity.find_bump([0.3, 0.2, 0.1, 0.05], 0.0) is None   # monotone
    assert capacity.find_bump([0.3, 0.2, 0.25, 0.3], 0.01) is None  # rises but never falls again (U shape)
    assert capacity.find_bump(err, [0.01, 0.01, 0.01, 0.05, 0.01, 0.01]) is None  # per-point tolerance


def test_interpolation_threshold_and_tolerance():
    rows = [dict(n_params=p, train_acc=a, test_acc=0.9, test_acc_std=s)
            for p, a, s in ((1, 0.5, 0.0), (2, 0.991, 0.02), (3, 1.0, None))]
    assert capacity.interpolation_threshold(rows) == 2
    assert capacity.interpolation_threshold(rows, 1.0) == 3
    tol = capacity.bump_tolerance(rows, n_test=10_000)
    assert tol[0] == pytest.approx(0.006)          # 2·sqrt(0.09/10000) = 0.006 > 0.005
    assert tol[1] == pytest.approx(0.04)           # two seed stds
