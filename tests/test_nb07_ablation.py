"""Notebook 07 in the smoke profile (its metrics), and the ablation helpers against exact answers."""
import dataclasses
import math

import numpy as np
import pytest
import torch

from lab_utils import models, sections
from lab_utils.core import data
from lab_utils.probes import condition_top_k, grid_stats
from lab_utils.sections.ablation import compute as ablation

NAME = "07_ablation"


def test_smoke_metrics(smoke_run):
    m, section_dir = smoke_run(NAME)
    vs = m["variants"]
    converged = []
    assert len(vs) == 4
    assert {(v["skip"], v["batchnorm"]) for v in vs} == {(True, True), (True, False), (False, True), (False, False)}
    for v in vs:
        assert isinstance(v["skip"], bool) and isinstance(v["batchnorm"], bool)
        for k in ("test_acc", "diverged_at_epoch", "lambda_max", "trace", "loss_range", "lambda_max_power",
                  "lambda_max_lanczos", "top_k", "condition"):
            assert k in v, k
        if v["diverged_at_epoch"] is not None:
            assert isinstance(v["diverged_at_epoch"], int) and v["diverged_at_epoch"] >= 1
            assert v["test_acc"] is None and v["lambda_max"] is None and v["loss_range"] is None  # not probed
            assert v["probed"] is False
            continue
        assert 0.0 <= v["test_acc"] <= 1.0
        assert v["probed"] is True
        assert math.isfinite(v["lambda_max"]) and v["lambda_max"] == v["lambda_max_lanczos"]
        if v["lanczos_residual"] <= 0.04:  # Lanczos converged on lambda_1: power iteration must find the same
            converged.append(v["name"])
            assert abs(v["lambda_max_power"] - v["lambda_max_lanczos"]) <= 0.02 * abs(v["lambda_max_lanczos"])
            assert v["lambda_rel_diff"] <= 0.02
        cfg = sections.profiles(NAME)["smoke"]
        assert len(v["top_k"]) == cfg.top_k and v["top_k"] == sorted(v["top_k"], reverse=True)
        assert v["top_k"][0] == v["lambda_max_lanczos"]
        assert math.isfinite(v["trace"])
        assert v["loss_range"] >= 0 and v["loss_min"] > 0
        assert v["condition"] is None or v["condition"] >= 1
    assert converged, "Lanczos converged on no variant: the power/Lanczos agreement was not checked"
    for fig in ("training", "landscape_contours", "landscape_surfaces", "landscape_slice", "hessian_top_eigenvalues"):
        assert (section_dir / f"{fig}.png").is_file(), fig
    assert set(m["headline"]) >= {"acc skip+BN", "λmax skip+BN"}


def test_relative_difference():
    assert ablation.relative_difference(10.0, 9.0) == pytest.approx(0.1)
    assert ablation.relative_difference(-2.0, 2.0) == pytest.approx(2.0)
    assert ablation.relative_difference(0.0, 0.0) == 0.0
    assert ablation.relative_difference(None, 1.0) is None
    assert ablation.relative_difference(float("nan"), 1.0) is None


def test_condition_estimate():
    assert condition_top_k([8.0, 2.0, 4.0]) == pytest.approx(4.0)  # lambda_1 / lambda_k, any order
    assert condition_top_k([5.0]) is None                        # needs k >= 2
    assert condition_top_k([5.0, -1.0]) is None                  # not defined through 0


def test_grid_stats_ignores_nonfinite_points():
    g = np.array([[1.0, 2.0], [np.inf, 0.5]])
    s = dataclasses.asdict(grid_stats(g))
    assert s == dict(loss_min=0.5, loss_max=2.0, loss_range=1.5, n_nonfinite=1)
    assert grid_stats(np.full((2, 2), np.nan)).loss_range is None


def test_probe_batches_take_the_first_images_in_chunks():
    x, y = torch.arange(10.0).view(10, 1), torch.arange(10)
    split = data.Split(x, y, x, y)
    b = ablation.probe_batches(split, 7, 3)
    assert [len(xb) for xb, _ in b] == [3, 3, 1]
    assert torch.equal(torch.cat([yb for _, yb in b]), torch.arange(7))
    assert sum(len(xb) for xb, _ in ablation.probe_batches(split, 100, 4)) == 10


def test_weights_digest_sees_parameters_and_bn_buffers():
    torch.manual_seed(0)
    m = models.build(ablation.spec(True, True))
    d0 = ablation.weights_digest(m)
    assert ablation.weights_digest(m) == d0
    bn = next(mod for mod in m.modules() if isinstance(mod, torch.nn.BatchNorm2d))
    bn.running_mean += 1.0
    d1 = ablation.weights_digest(m)
    assert d1 != d0
    with torch.no_grad():
        next(m.parameters())[0].mul_(2.0)
    assert ablation.weights_digest(m) != d1


def test_variant_models_have_the_switches():
    counts = {k: models.spec_n_params(ablation.spec(*k)) for k in ablation.VARIANTS}
    assert counts[(True, True)] == counts[(False, True)]      # skips add no parameters (option A)
    assert counts[(True, False)] == counts[(False, False)]
    assert 0.26e6 < counts[(True, True)] < 0.28e6           # ResNet-20: ~0.27 M
    assert [ablation.variant_name(*k) for k in ablation.VARIANTS] == ["skip + BN", "skip only", "BN only", "neither"]


def _row(skip, bn, acc, lam, rng, dv=None):
    return dict(name=ablation.variant_name(skip, bn), skip=skip, batchnorm=bn, test_acc=acc, diverged_at_epoch=dv,
                lambda_max=lam, lambda_max_power=lam, lambda_max_lanczos=lam, lambda_rel_diff=None if lam is None else 0.0,
                trace=None if lam is None else 10 * lam, loss_range=rng, loss_min=None if rng is None else 2.3,
                condition=None, top_k=None)


def test_verdicts_follow_the_numbers():
    rows = [_row(True, True, 0.85, 7.0, 1.0), _row(True, False, None, None, None, dv=1),
            _row(False, True, 0.84, 90.0, 5.0), _row(False, False, 0.10, 0.1, 0.01)]
    text = "\n".join(ablation.verdicts(rows))
    assert "does not hold" not in text and text.count("**holds**") == 8
    rows[0]["test_acc"], rows[1]["diverged_at_epoch"], rows[1]["test_acc"] = 0.5, None, 0.3
    text = ablation.verdicts(rows)
    assert "**does not hold**" in text[0] and "BN only" in text[0]      # BN only is best now
    assert any("diverge" in t and "**does not hold**" in t for t in text)


def test_summary_rows_leave_a_diverged_variant_unprobed():
    hist_ok = {"test_acc": [0.3, 0.4], "diverged_at_epoch": None}
    hist_bad = {"test_acc": [float("nan")], "diverged_at_epoch": 1}
    trained = {"skip + BN": dict(skip=True, batchnorm=True, hist=hist_ok),
               "skip only": dict(skip=True, batchnorm=False, hist=hist_bad)}
    p = {"top_k": [5.0, 2.5], "lambda_max_power": 4.9, "trace": 12.0, "surface": torch.tensor([[1.0, 3.0], [2.0, 4.0]]),
         "lanczos_info": {"residuals": [1e-3, 1e-2], "n_hvp": 7}, "power_info": {"n_hvp": 5}}
    rows = ablation.summary_rows(trained, {"skip + BN": p, "skip only": None})
    assert rows[0]["test_acc"] == 0.4 and rows[0]["condition"] == 2.0 and rows[0]["loss_range"] == 3.0
    assert rows[0]["lambda_rel_diff"] == pytest.approx(0.02)
    assert rows[1]["test_acc"] is None and rows[1]["diverged_at_epoch"] == 1 and rows[1]["lambda_max"] is None


def test_verdicts_report_a_power_lanczos_disagreement():
    rows = [_row(True, True, 0.4, 70.0, 280.0), _row(True, False, None, None, None, dv=1),
            _row(False, True, 0.35, 68.0, 300.0), _row(False, False, 0.09, 0.178, 2000.0)]
    rows[3].update(lambda_max_power=0.091, lambda_rel_diff=ablation.relative_difference(0.091, 0.178),
                   lanczos_residual=3e-4, power_hvps=20)
    cfg = sections.profiles(NAME)["quick"]
    line = next(t for t in ablation.verdicts(rows, cfg) if "Power iteration and Lanczos" in t)
    assert "**holds** for skip + BN, BN only" in line
    assert "*neither* they do **not** agree" in line and "twice its step budget" in line
