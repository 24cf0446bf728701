"""Notebook 05 in the smoke profile: its metrics, and the experiment helpers."""
import math

import numpy as np

from lab_utils import sections
from lab_utils.sections.interpolation import compute as interpolation

NAME = "05_interpolation"


def test_smoke_metrics(smoke_run):
    m, section_dir = smoke_run(NAME)
    cfg = sections.profiles(NAME)["smoke"]
    alphas = interpolation.alpha_grid(cfg)
    for key in ("interpolation", "interpolation_aligned"):
        path = m[key]
        assert set(path) == {"alphas", "train_loss", "test_loss", "train_acc", "test_acc"}
        assert path["alphas"] == alphas.tolist()
        assert all(len(v) == len(alphas) for v in path.values())
        for k in ("train_loss", "test_loss"):  # a loss is finite and positive, or null where it overflowed
            assert all(v is None or (math.isfinite(v) and v > 0) for v in path[k])
        for k in ("train_acc", "test_acc"):
            assert all(v is None or 0 <= v <= 1 for v in path[k])
    plain, aligned = m["interpolation"], m["interpolation_aligned"]
    i0, i1 = plain["alphas"].index(0.0), plain["alphas"].index(1.0)
    # the aligned net computes the same function: identical end points
    for k in ("train_loss", "test_loss", "train_acc", "test_acc"):
        for i in (i0, i1):
            assert math.isclose(plain[k][i], aligned[k][i], rel_tol=1e-4, abs_tol=1e-6), (k, i)
    assert set(m["barrier"]) == {"plain", "aligned"}
    for which in ("plain", "aligned"):
        assert m["barrier"][which] is not None and m["barrier"][which] >= 0
    assert m["distance"]["aligned"] <= m["distance"]["plain"] + 1e-9
    assert m["bn_recomputed"] is cfg.batchnorm
    for r in m["minima"]:
        assert 0.3 < r["test_acc"] <= 1.0  # learnt something in the smoke epoch
    assert len(m["headline"]) >= 3
    for name in ("training", "interpolation", "barrier"):
        assert (section_dir / f"{name}.png").is_file()
    assert cfg.bn_study and (section_dir / "batchnorm.png").is_file()
    study = m["bn_study"]
    assert set(study["barrier"]) == set(interpolation.BN_VARIANTS)
    assert all(b is not None and b >= 0 for b in study["barrier"].values())
    paths = study["paths"]
    # stale and recomputed statistics differ along the path (the recomputed ones use other images)
    assert paths["interpolated statistics"]["train_loss"] != paths["recomputed statistics"]["train_loss"]
    if cfg.batchnorm:  # the main nets are the BN nets: the same recomputed path
        assert paths["recomputed statistics"]["train_loss"] == plain["train_loss"]


def test_alpha_grid_contains_the_end_points():
    cfg = sections.profiles(NAME)["quick"]
    grid = interpolation.alpha_grid(cfg)
    assert len(grid) >= 31 and grid[0] == -1.0 and grid[-1] == 2.0
    assert 0.0 in grid and 1.0 in grid
    assert np.all(np.diff(grid) > 0)
    full = sections.profiles(NAME)["full"]
    assert len(interpolation.alpha_grid(full)) >= 101
