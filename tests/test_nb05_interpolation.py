"""05 interpolation: the smoke run's metrics, the verdict rules on constructed results (each way), figures and
prose from hand-made results, and the pieces the section relies on (the barrier, BN nets under weight matching)."""

import dataclasses
import math

import matplotlib
import numpy as np
import pytest
import torch
from small_nets import assert_claims_checked  # noqa: E402

from lab_utils import models, sections
from lab_utils.core.stats import CONTRADICTED, HOLDS, NOT_TESTED, UNDECIDED
from lab_utils.core.train import Convergence
from lab_utils.probes import connectivity
from lab_utils.report.metrics import headline_mean
from lab_utils.sections.interpolation import compute, figures, text

matplotlib.use("Agg")
NAME = "05_interpolation"


def test_smoke_metrics(smoke_run):
    m, section_dir = smoke_run(NAME)
    cfg = sections.profiles(NAME)["smoke"]
    assert_claims_checked(m, NAME, min_seeds=2)
    assert "‖∇L‖" in m["convergence_criterion"]
    grid = compute.alpha_grid(cfg.n_alphas, cfg.alpha_min, cfg.alpha_max).tolist()
    assert set(m["studies"]) == {"mnist", "mnist_bn", "cifar10"}
    for name, st in m["studies"].items():
        assert [p["seed"] for p in st["pairs"]] == m["seeds"]
        for p in st["pairs"]:
            for role in ("small", "large"):  # every end point has its convergence record
                e = p[role]
                assert e["train_loss"] > 0 and e["grad_norm"] >= 0 and isinstance(e["converged"], bool)
            assert p["small"]["seed"] != p["large"]["seed"]  # independent initialisations
            plain, aligned = p["paths"]["plain"], p["paths"]["aligned"]
            if name != "cifar10":
                assert plain["alphas"] == grid
            i0, i1 = plain["alphas"].index(0.0), plain["alphas"].index(1.0)
            for k in ("test_loss", "test_acc"):  # the aligned net is the same function: same end points
                for i in (i0, i1):
                    assert math.isclose(plain[k][i], aligned[k][i], rel_tol=1e-4, abs_tol=1e-6), (name, k, i)
            assert p["distance"]["aligned"] <= p["distance"]["plain"] + 1e-9
            assert ("stale" in p["paths"]) == st["batchnorm"]
        for path, values in st["loss_barrier"].items():
            assert len(values) == cfg.n_seeds and all(v is None or v >= 0 for v in values), (name, path)
    assert m["studies"]["mnist_bn"]["batchnorm"] and not m["studies"]["mnist"]["batchnorm"]
    assert 3 <= len(m["headline"]) <= 5
    for fig in ("training", "interpolation", "barrier", "extrapolation", "batchnorm", "cifar10"):
        assert (section_dir / f"{fig}.png").is_file(), fig


# ---- constructed results ----------------------------------------------------------------------------------------

ALPHAS = compute.alpha_grid(31, -1.0, 2.0)


CNN_SPEC = models.image_classifier_spec("cnn", "mnist", (32, 64), head=0, global_pool=True)


def _minimum(role, seed, loss=0.01, acc=0.98, converged=True):
    return compute.Minimum(
        role,
        64 if role == "small" else 1024,
        1e-3 if role == "small" else 1e-2,
        seed,
        6,
        100,
        Convergence(loss, 0.01, converged, "full-batch ‖∇L‖ ≤ 0.05"),
        0.05,
        acc,
        10.0,
        [1, 2],
        [0.1, loss],
        [0.9, acc],
    )


def _path(height, far_acc=(0.2, 0.2), entropy=None, end_loss=0.05, alphas=ALPHAS):
    """A loss bump of `height` over [0, 1] on flat ends, rising outside; accuracy dips with the bump and is
    `far_acc` at alpha = -1 and 2."""
    a = alphas
    bump = height * np.sin(np.pi * np.clip(a, 0, 1)) ** 2
    outside = np.where(a < 0, -a, np.where(a > 1, a - 1, 0.0))
    loss = end_loss + bump + 3 * outside
    acc = 0.98 - 0.5 * height * np.sin(np.pi * np.clip(a, 0, 1)) ** 2
    acc = np.where(a < 0, 0.98 + (far_acc[0] - 0.98) * -a, np.where(a > 1, 0.98 + (far_acc[1] - 0.98) * (a - 1), acc))
    ent = None if entropy is None else np.full_like(a, entropy)
    return compute.Path(a, loss, acc, loss, acc, ent)


def _study(heights, name="mnist", aligned_heights=None, far_acc=(0.2, 0.2), bn=False, stale_factor=0.8, ends=None):
    """Constructed pairs on report 001's net (MNIST) or a CNN on CIFAR-10 (alpha on [0, 1]); `ends(seed)` gives
    the two Minimum objects of a seed (default: converged, 98 % test accuracy)."""
    cifar = name == "cifar10"
    alphas = compute.alpha_grid(11, 0.0, 1.0) if cifar else ALPHAS
    spec = models.image_classifier_spec("cnn", "cifar10" if cifar else "mnist", (32, 64), head=0, global_pool=True)
    pairs = []
    for s, h in enumerate(heights):
        ha = (aligned_heights or [0.0] * len(heights))[s]
        ent = 1.0 if bn else None
        paths = {"plain": _path(h, far_acc, ent, alphas=alphas), "aligned": _path(ha, far_acc, ent, alphas=alphas)}
        if bn:
            paths["stale"] = _path(h * stale_factor, far_acc, 2.2, alphas=alphas)
        small, large = ends(s) if ends else (_minimum("small", s), _minimum("large", s + 10_000))
        pairs.append(compute.Pair(s, small, large, paths, {"plain": 10.0, "aligned": 8.0}))
    return compute.Study(
        name,
        "000" if cifar else "001",
        "cifar10" if cifar else "mnist",
        "CNN",
        models.spec_n_params(spec),
        bn,
        600,
        100,
        100,
        "cosine",
        pairs,
        spec,
    )


def _results(**studies):
    return compute.Results(studies, 0.05, 0.05, "full-batch ‖∇L‖ ≤ 0.05 and training loss ≤ 0.05")


def _verdict(res, cid):
    return _check(res, cid).verdict


def _check(res, cid):
    return {c.id: c for c in text.checks(res)}[cid]


def test_settings_are_computed_from_the_nets():
    res = _results(mnist=_study([1.0] * 3), cifar10=_study([1.0] * 3, "cifar10"))
    c = _check(res, "001.interpolation.double_well")
    assert c.setting["model"] == "CNN, convolutions 32-64, global average pooling, FC"
    assert c.setting["n_params"] == models.spec_n_params(CNN_SPEC) and c.setting["seeds"] == 3
    assert c.scope == "reduced" and {d["key"] for d in c.deviations} == {"n_train", "n_test", "seeds"}
    assert _check(res, "000.interpolation.barrier").scope == "reduced"
    # an MLP where report 001 trained its CNN: a different experiment
    mlp = dataclasses.replace(_study([1.0] * 3), spec=dict(kind="mlp", hidden=[128, 64], in_dim=784, out_dim=10))
    c = _check(_results(mnist=mlp), "001.interpolation.double_well")
    assert c.setting["model"] == "MLP, 2 hidden layers of 128-64 units" and c.scope == "different"
    assert c.verdict == NOT_TESTED and c.rule_verdict == HOLDS and "model" in c.not_tested_because


def test_report_000_needs_two_good_minima():
    def ends(loss, acc, converged):
        return lambda s: (
            _minimum("small", s, loss, acc, converged),
            _minimum("large", s + 10_000, loss, acc, converged),
        )

    mn = _study([1.0] * 3)
    for loss, acc, conv, tested in (
        (0.01, 0.98, True, True),  # converged, accurate: tested
        (0.75, 0.38, False, False),  # neither converged nor accurate (the quick profile's MLP): not tested
        (0.01, 0.45, True, False),  # converged on its training set, but no good CIFAR-10 minimum
        (0.40, 0.70, False, False),  # accurate but not a minimum by the criterion
    ):
        res = _results(
            mnist=mn, cifar10=_study([1.0, 1.1, 0.9], "cifar10", [0.8, 0.9, 1.0], ends=ends(loss, acc, conv))
        )
        for cid in ("000.interpolation.barrier", "000.interpolation.separate_basins"):
            c = _check(res, cid)
            assert c.precondition["met"] is tested and c.rule_verdict == HOLDS, (loss, acc, conv, cid)
            assert c.verdict == (HOLDS if tested else NOT_TESTED), (loss, acc, conv, cid)
    assert "not tested" in text.cifar_text(res) and "not a check of the report" in text.cifar_text(res)


def test_report_001_needs_trained_ends():
    low = _study([1.0] * 3, ends=lambda s: (_minimum("small", s), _minimum("large", s + 10_000, 0.5, 0.85, False)))
    for cid in ("001.interpolation.double_well", "001.interpolation.collapse_below_0"):
        c = _check(_results(mnist=low), cid)
        assert c.verdict == NOT_TESTED and not c.precondition["met"] and "85" in c.precondition["detail"]
    # convergence by the full-batch criterion is not required by report 001: only the accuracy
    ok = _study([1.0] * 3, ends=lambda s: (_minimum("small", s), _minimum("large", s + 10_000, 0.2, 0.97, False)))
    assert _verdict(_results(mnist=ok), "001.interpolation.double_well") == HOLDS


def test_barrier_is_the_one_definition():
    a = np.array([0.0, 0.5, 1.0])
    assert connectivity.barrier([0.0, 1.5, 1.0], a) == pytest.approx(1.0)  # 1.5 over the line's 0.5
    assert text.loss_barriers(_study([0.5, 0.5, 0.5])) == pytest.approx([0.5, 0.5, 0.5], abs=1e-9)


def test_barrier_rule_goes_each_way():
    assert _verdict(_results(mnist=_study([1.0, 1.2, 0.9])), "001.interpolation.double_well") == HOLDS
    assert _verdict(_results(mnist=_study([0.0, 0.01, 0.005])), "001.interpolation.double_well") == CONTRADICTED
    assert _verdict(_results(mnist=_study([0.0, 1.5, 0.02])), "001.interpolation.double_well") == UNDECIDED
    one = _results(mnist=_study([1.0]))  # one seed never decides
    assert _verdict(one, "001.interpolation.double_well") == UNDECIDED


def test_side_rule_goes_each_way_and_per_side():
    collapsed = _results(mnist=_study([1.0] * 3, far_acc=(0.15, 0.9)))
    assert _verdict(collapsed, "001.interpolation.collapse_below_0") == HOLDS
    assert _verdict(collapsed, "001.interpolation.collapse_above_1") == CONTRADICTED
    mixed = _study([1.0] * 3, far_acc=(0.15, 0.15))
    p = mixed.pairs[0]
    path = p.paths["plain"]
    kept = np.where(path.alphas > 1, 0.9, path.test_acc)  # one seed keeps its accuracy beyond alpha = 1
    mixed.pairs[0] = compute.Pair(
        p.seed,
        p.small,
        p.large,
        {**p.paths, "plain": compute.Path(path.alphas, path.train_loss, path.train_acc, path.test_loss, kept)},
        p.distance,
    )
    assert _verdict(_results(mnist=mixed), "001.interpolation.collapse_above_1") == UNDECIDED


def test_cifar_rules_and_separate_basins():
    res = _results(mnist=_study([1.0] * 3), cifar10=_study([1.0, 1.1, 0.9], "cifar10", [0.8, 0.9, 1.0]))
    assert _verdict(res, "000.interpolation.barrier") == HOLDS
    assert _verdict(res, "000.interpolation.separate_basins") == HOLDS
    res = _results(mnist=_study([1.0] * 3), cifar10=_study([1.0, 1.1, 0.9], "cifar10", [0.0, 0.0, 0.01]))
    assert _verdict(res, "000.interpolation.separate_basins") == CONTRADICTED
    res = _results(mnist=_study([1.0] * 3), cifar10=_study([1.0, 1.1, 0.9], "cifar10", [0.0, 0.1, 0.02]))
    assert _verdict(res, "000.interpolation.separate_basins") == UNDECIDED  # aligned error barriers 0-5 pp
    assert {c.id for c in text.checks(_results(mnist=_study([1.0] * 3)))} == {
        "001.interpolation.double_well",
        "001.interpolation.collapse_below_0",
        "001.interpolation.collapse_above_1",
    }


def test_figures_and_prose_from_constructed_results():
    res = _results(
        mnist=_study([1.0, 1.2, 0.9]),
        mnist_bn=_study([1.0, 1.1, 0.8], "mnist_bn", bn=True),
        cifar10=_study([0.5, 0.6, 0.4], "cifar10", [0.1, 0.1, 0.1]),
    )
    assert res.bn is res.studies["mnist_bn"]
    for fig in (
        figures.training(res),
        figures.paths(res.studies["mnist"]),
        figures.barriers(res),
        figures.extrapolation(res.studies["mnist"]),
        figures.batchnorm(res.bn),
        figures.paths(res.studies["cifar10"]),
    ):
        assert fig.axes
        matplotlib.pyplot.close(fig)
    for prose in (
        text.scale(res),
        text.minima_note(res),
        text.barrier_text(res),
        text.outside_text(res),
        text.bn_text(res),
        text.cifar_text(res),
    ):
        assert prose.startswith("**")
    assert "3 of 3" not in text.minima_note(res) and "18 of 18 end points meet it." in text.minima_note(res)
    m = text.metrics(res)
    assert 3 <= len(m["headline"]) <= 5 and all(
        isinstance(headline_mean(v), (int, float)) for v in m["headline"].values()
    )


def test_bn_text_reads_the_difference():
    st = _study([1.0, 1.1, 0.9], "mnist_bn", bn=True)  # stale = 0.8 x recomputed: recomputing raises the barrier
    prose = text.bn_text(_results(mnist=_study([1.0] * 3), mnist_bn=st))
    assert "**higher**" in prose and "confident" in prose
    st = _study([0.5, 0.55, 0.45], "mnist_bn", bn=True, stale_factor=1.5)  # recomputing lowers it, far from chance
    prose = text.bn_text(_results(mnist=_study([1.0] * 3), mnist_bn=st))
    assert "**lower**" in prose and "confident" not in prose and "higher entropy of the stale net" in prose


def test_unconverged_end_points_are_named():
    st = _study([1.0] * 3)
    p = st.pairs[1]
    bad = compute.Minimum("large", 1024, 1e-2, 10_001, 6, 36, Convergence(0.3, 0.4, False, "c"), 0.3, 0.9, 20.0)
    st.pairs[1] = compute.Pair(p.seed, p.small, bad, p.paths, p.distance)
    note = text.minima_note(_results(mnist=st))
    assert "5 of 6" in note and "mnist batch 1024: 2 of 3" in note


# ---- pieces -------------------------------------------------------------------------------------------------------


def test_alpha_grid_contains_the_end_points():
    for prof in ("quick", "full"):
        cfg = sections.profiles(NAME)[prof]
        grid = compute.alpha_grid(cfg.n_alphas, cfg.alpha_min, cfg.alpha_max)
        assert grid[0] == -1.0 and grid[-1] == 2.0 and 0.0 in grid and 1.0 in grid and np.all(np.diff(grid) > 0)
        assert cfg.n_seeds >= 3 and cfg.batch_small == 64 and cfg.batch_large == 1024


def test_bn_mlp_weight_matching_keeps_the_function():
    spec = dict(kind="mlp", hidden=[6, 5], in_dim=4, out_dim=3, batchnorm=True)
    torch.manual_seed(0)
    m1, m2 = models.build(spec), models.build(spec)
    x = torch.randn(32, 4)
    for m in (m1, m2):
        m.train()
        m(x)  # non-trivial running statistics
        m.eval()
    sd2 = connectivity.random_permutation(spec, m2.state_dict(), seed=3)
    aligned = connectivity.weight_match(spec, m1.state_dict(), sd2)
    m3 = models.build(spec).eval()
    m3.load_state_dict(aligned)
    assert torch.allclose(m3(x), m2(x), atol=1e-5)
    assert any(isinstance(layer, torch.nn.BatchNorm1d) for layer in m3)
