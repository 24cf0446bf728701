"""Notebook 04: the smoke run's metrics, the size families, and the criteria, figures and prose on hand-made
sweeps (no training): curves built to pass and to fail each criterion."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from small_nets import assert_claims_checked  # noqa: E402

from lab_utils import models, sections  # noqa: E402
from lab_utils.core.stats import CONTRADICTED, HOLDS, NOT_TESTED, UNDECIDED  # noqa: E402
from lab_utils.core.train import Convergence  # noqa: E402
from lab_utils.report import claims  # noqa: E402
from lab_utils.sections.capacity import compute, figures, text  # noqa: E402
from lab_utils.sections.capacity.profile import CHANNELS_001, PROFILES  # noqa: E402

NAME = "04_capacity"


# ---- the smoke run ------------------------------------------------------------------------------------------------


def test_smoke_metrics(smoke_run):
    m, section_dir = smoke_run(NAME)
    cfg = sections.profiles(NAME)["smoke"]
    assert_claims_checked(m, NAME, min_seeds=2)
    for key, n in (("cifar", cfg.cifar_n_models), ("mnist", cfg.mnist_n_models)):
        rows = m[key]["sizes"]
        assert len(rows) == n
        p = [r["n_params"] for r in rows]
        assert all(a < b for a, b in zip(p, p[1:]))
        for r in rows:
            assert r["seeds"] == m["seeds"] and len(r["test_acc"]) == cfg.n_seeds
            assert all(0 <= a <= 1 for a in r["train_acc"] + r["test_acc"])
            assert r["test_acc_sd"] is not None and r["test_acc_sd"] >= 0  # sample sd over 2 seeds
            assert len(r["convergence"]) == cfg.n_seeds
            for c in r["convergence"]:
                assert {"train_loss", "grad_norm", "converged", "criterion"} <= set(c)
    c = m["cifar"]["sizes"]
    assert (
        abs(np.log(c[0]["n_params"] / cfg.cifar_p_min)) < 0.1 and abs(np.log(c[-1]["n_params"] / cfg.cifar_p_max)) < 0.1
    )
    assert {p.stem for p in section_dir.glob("*.png")} == {"cifar", "mnist"}
    assert 3 <= len(m["headline"]) <= 5


# ---- families -----------------------------------------------------------------------------------------------------


def test_fc_family_is_log_spaced():
    specs = compute.fc_family("cifar10", (4, 8), 100_000, 500_000, 8)
    p = np.array([models.spec_n_params(s) for s in specs], dtype=float)
    assert np.all(np.diff(p) > 0)
    assert np.all(np.abs(np.log(p / np.geomspace(100_000, 500_000, 8))) < 0.01)
    assert all(s["channels"] == [4, 8] and s["in_channels"] == 3 for s in specs)
    with pytest.raises(ValueError):
        compute.fc_family("mnist", (4, 8), 1000, 1100, 10)  # too narrow: widths would repeat
    with pytest.raises(ValueError):
        compute.fc_family("mnist", (4, 8), 5000, 1000, 3)


def test_gap_family_is_report_001s_net():
    specs = compute.gap_family(CHANNELS_001)
    p = [models.spec_n_params(s) for s in specs]
    # conv3x3(c1)-pool-conv3x3(c2)-pool-GAP-FC(10): (8, 8) has 80 + 584 + 90 parameters, (128, 96) 112,938
    assert p[0] == 754 and p[-1] == 112_938 and p == sorted(p)
    assert len(specs) == 11 and compute.label(specs[0]) == "conv (8, 8), GAP"


def test_thirds_and_knee():
    assert text.thirds(10) == ([0, 1, 2], [3, 4, 5, 6], [7, 8, 9])
    assert text.thirds(3) == ([0], [1], [2])
    with pytest.raises(ValueError):
        text.thirds(2)
    assert text.knee_params() == 1e5  # the registry's 10^5
    sw = sweep([1_000, 10_000, 49_999, 50_000, 300_000], [[0.9] * 3] * 5)
    assert text.knee_index(sw, 1e5) == 3
    assert text.knee_index(sw, 1e7) is None


# ---- hand-made sweeps ---------------------------------------------------------------------------------------------


MNIST_FAMILY = compute.gap_family(CHANNELS_001)  # report 001's own family
P_MNIST11 = [models.spec_n_params(s) for s in MNIST_FAMILY]  # 754 ... 112,938; the knee (first >= 50,000): 56,970
CIFAR_FAMILY = compute.conv_fc_family("cifar10", (4, 12), 100_000, 500_000, 10)


def sweep(n_params, test_acc, *, train_acc=None, test_loss=None, train_loss=None, dataset="mnist") -> compute.Sweep:
    """A Sweep from per-size lists of per-seed values (train acc defaults to test acc + 5 pp), in the recipe of the
    dataset's report (reduced: 5,000 images, 5 epochs, 3 seeds) when it has the report's number of sizes."""
    test_acc = np.asarray(test_acc, dtype=float)
    train_acc = np.asarray(train_acc if train_acc is not None else np.minimum(test_acc + 0.05, 1.0))
    test_loss = np.asarray(test_loss if test_loss is not None else 1 - test_acc)
    train_loss = np.asarray(train_loss if train_loss is not None else 1 - train_acc)
    n_seeds = test_acc.shape[1]
    family = MNIST_FAMILY if dataset == "mnist" else CIFAR_FAMILY
    conv = [Convergence(0.1, 0.5, False, "full-batch ‖∇L‖ ≤ 0.01")] * n_seeds
    sizes = [
        compute.Size(
            f"size {i}",
            int(p),
            list(range(n_seeds)),
            list(train_acc[i]),
            list(test_acc[i]),
            list(train_loss[i]),
            list(test_loss[i]),
            conv,
            tuple(family[i]["channels"]) if len(family) == len(n_params) else (i + 1, i + 1),
        )
        for i, p in enumerate(n_params)
    ]
    words = compute.family_words(family, conv_count=dataset == "mnist")
    return compute.Sweep(dataset, "hand-made", 5000, 2000, 5, 128, 1e-3, sizes, words)


def noisy(curve, sd=0.002, n_seeds=3, seed=0):
    """Per-seed values around `curve` (one row per size)."""
    rng = np.random.default_rng(seed)
    return np.asarray(curve)[:, None] + rng.normal(0, sd, (len(curve), n_seeds))


P_MNIST = [750, 2_000, 5_000, 12_000, 30_000, 50_000, 80_000, 120_000, 200_000, 300_000]


@pytest.mark.parametrize(
    "curve, expected",
    [
        ([0.5, 0.7, 0.85, 0.92, 0.95, 0.97, 0.972, 0.971, 0.973, 0.972], HOLDS),  # rises, then flat
        ([0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.84, 0.88, 0.92, 0.96], CONTRADICTED),  # keeps rising past the knee
        ([0.9, 0.95, 0.97, 0.97, 0.97, 0.97, 0.95, 0.93, 0.9, 0.88], CONTRADICTED),  # falls after the knee
        ([0.97, 0.96, 0.95, 0.94, 0.93, 0.92, 0.92, 0.92, 0.92, 0.92], CONTRADICTED),  # never rose
    ],
)
def test_saturation_criterion_on_constructed_curves(curve, expected):
    verdict, ev = text.saturation(sweep(P_MNIST, noisy(curve)), 1e5)
    assert verdict == expected, ev
    assert ev["knee"] == 50_000


def test_saturation_is_undecided_when_seeds_disagree_or_nothing_follows_the_knee():
    flat = [0.5, 0.7, 0.85, 0.92, 0.95, 0.97, 0.972, 0.971, 0.973, 0.972]
    assert text.saturation(sweep(P_MNIST, noisy(flat, sd=0.03)), 1e5)[0] == UNDECIDED
    verdict, ev = text.saturation(sweep(P_MNIST[:6], noisy(flat[:6])), 1e5)
    assert verdict == UNDECIDED and ev["after_knee"] is None
    assert text.saturation(sweep(P_MNIST[:3], noisy(flat[:3])), 1e5)[0] == UNDECIDED  # no size reaches the knee


P_CIFAR = [100_000, 120_000, 150_000, 180_000, 220_000, 270_000, 330_000, 400_000, 450_000, 500_000]


CURVES_000 = {  # test acc, train acc, test loss, train loss per size
    # report 000's picture: underfit, a mid-range test optimum, overfitting at the large end
    "classical": (
        [0.40, 0.45, 0.50, 0.55, 0.57, 0.57, 0.56, 0.54, 0.53, 0.52],
        [0.45, 0.55, 0.65, 0.75, 0.85, 0.92, 0.96, 0.98, 0.99, 0.995],
        [1.7, 1.6, 1.5, 1.4, 1.35, 1.35, 1.45, 1.6, 1.7, 1.8],
        [0.55, 0.45, 0.35, 0.25, 0.15, 0.08, 0.04, 0.02, 0.01, 0.005],
    ),
    # its opposite: test keeps improving, training gets worse, the gap closes: every claim of report 000 fails
    "monotone": (
        [0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70, 0.75, 0.80, 0.85],
        [0.70, 0.70, 0.70, 0.70, 0.70, 0.68, 0.66, 0.64, 0.62, 0.60],
        [1.7, 1.6, 1.5, 1.4, 1.3, 1.2, 1.1, 1.0, 0.9, 0.8],
        [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.6, 0.7, 0.8, 0.9],
    ),
}


def cifar_case(case: str) -> compute.Sweep:
    """Per-seed noise around one picture, or ("mixed") seeds that disagree: two follow one picture, one the other."""
    if case in CURVES_000:
        te, tr, tl, trl = (noisy(c, 0.002 if i < 2 else 0.01) for i, c in enumerate(CURVES_000[case]))
    else:
        a, b = CURVES_000["classical"], CURVES_000["monotone"]
        te, tr, tl, trl = (
            np.stack([np.asarray(x), np.asarray(y), (np.asarray(x) + np.asarray(y)) / 2], axis=1) for x, y in zip(a, b)
        )
    return sweep(P_CIFAR, te, train_acc=tr, test_loss=tl, train_loss=trl, dataset="cifar10")


@pytest.mark.parametrize("case, expected", [("classical", HOLDS), ("monotone", CONTRADICTED), ("mixed", UNDECIDED)])
def test_report_000_criteria_on_constructed_sweeps(case, expected):
    got = {
        c.id: c.verdict
        for c in text.checks(compute.Results(PROFILES["quick"], cifar_case(case), sweep(P_MNIST, noisy([0.9] * 10))))
        if c.report == "000"
    }
    assert len(got) == 5 and set(got.values()) == {expected}, got


RISING_THEN_FLAT_11 = [0.5, 0.7, 0.85, 0.9, 0.93, 0.95, 0.96, 0.965, 0.97, 0.971, 0.972]


def test_report_001_checks():
    rising_then_flat = noisy(RISING_THEN_FLAT_11)
    loss_flat = noisy([1.5, 0.9, 0.5, 0.3, 0.2, 0.15, 0.12, 0.11, 0.1, 0.1, 0.1], 0.002)
    loss_rises = noisy([1.5, 0.9, 0.5, 0.3, 0.2, 0.15, 0.12, 0.11, 0.1, 0.15, 0.2], 0.002)
    for loss, overfit in ((loss_flat, HOLDS), (loss_rises, CONTRADICTED)):
        mn = sweep(P_MNIST11, rising_then_flat, test_loss=loss)
        got = {c.id: c for c in text.checks(compute.Results(PROFILES["quick"], cifar_case("classical"), mn))}
        assert {c.scope for c in got.values()} == {"reduced"}, {c.id: c.deviations for c in got.values()}
        assert got["001.capacity.train_improves"].verdict == HOLDS
        assert got["001.capacity.test_saturates"].verdict == HOLDS
        knee = np.log10(56_970)
        assert got["001.capacity.test_saturates"].reproduced["saturation_params_log10"] == pytest.approx(knee)
        assert got["001.capacity.no_overfitting"].verdict == overfit
    falling = sweep(P_MNIST11, noisy([0.9] * 11), train_acc=noisy(list(np.linspace(1.0, 0.5, 11))))
    got = {c.id: c.verdict for c in text.checks(compute.Results(PROFILES["quick"], cifar_case("classical"), falling))}
    assert got["001.capacity.train_improves"] == CONTRADICTED


def test_failed_preconditions_and_other_experiments_are_not_tested():
    """A family that did not train (000), sizes short of learning MNIST past the knee (001), or another family or
    recipe than the report's (scope "different") leave the claims not tested, the rule's verdict kept beside."""
    untrained = cifar_case("classical")
    untrained = compute.Sweep(
        *[getattr(untrained, f) for f in ("dataset", "family", "n_train", "n_test", "epochs", "batch_size", "lr")],
        [compute.Size(**{**s.__dict__, "test_acc": [0.1] * 3}) for s in untrained.sizes],
        untrained.model,
    )
    short = sweep(P_MNIST11, noisy([0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.88]))
    got = {c.id: c for c in text.checks(compute.Results(PROFILES["quick"], untrained, short))}
    for cid, c in got.items():
        if cid == "001.capacity.train_improves":
            assert c.verdict == HOLDS and c.precondition is None
        else:
            assert c.verdict == NOT_TESTED and "precondition" in c.not_tested_because, cid
    assert got["001.capacity.test_saturates"].rule_verdict == CONTRADICTED  # keeps rising past the knee
    other = sweep(P_MNIST, noisy([0.9] * 10))  # 10 sizes of another family
    got = {c.id: c for c in text.checks(compute.Results(PROFILES["quick"], cifar_case("classical"), other))}
    assert got["001.capacity.train_improves"].scope == "different"
    assert got["001.capacity.train_improves"].verdict == NOT_TESTED
    assert "n models" in got["001.capacity.train_improves"].not_tested_because


def test_family_words_follow_the_family():
    assert (
        compute.family_words(MNIST_FAMILY) == "CNN family, 2 convolutions, conv channels varied, global average pooling"
    )
    assert compute.family_words(CIFAR_FAMILY, conv_count=False) == "CNN family, conv channels and FC width varied"
    fc = compute.fc_family("cifar10", (4, 8), 100_000, 500_000, 10)
    assert compute.family_words(fc, conv_count=False) == "CNN family, FC width varied"
    p = [models.spec_n_params(s) for s in CIFAR_FAMILY]
    assert all(a < b for a, b in zip(p, p[1:])) and abs(p[0] / 1e5 - 1) < 0.02 and abs(p[-1] / 5e5 - 1) < 0.02
    assert len({s["channels"][0] for s in CIFAR_FAMILY}) > 1 and len({s["hidden"] for s in CIFAR_FAMILY}) > 1


def test_figures_prose_and_metrics_from_hand_made_sweeps():
    res = compute.Results(
        PROFILES["quick"],
        cifar_case("classical"),
        sweep(P_MNIST, noisy([0.5, 0.7, 0.85, 0.92, 0.95, 0.97, 0.972, 0.971, 0.973, 0.972])),
    )
    for fig in (figures.capacity(res.cifar, mark_thirds=True), figures.capacity(res.mnist, knee_params=1e5)):
        assert isinstance(fig, Figure) and len(fig.axes) == 3
    s = text.sweep_text(res.cifar)
    assert "100,000" in s and "0 of 30 end points" in s
    assert text.scale_table(res).count("\n") == 3
    assert "50,000" in text.criteria_text()
    cs = text.checks(res)
    assert len(cs) == 8 and "holds" in claims.table(cs) and "Of 8 claims" in text.verdict_summary(cs)
    m = text.metrics(res)
    assert 3 <= len(m["headline"]) <= 5
    assert m["cifar"]["sizes"][0]["test_acc_sd"] == pytest.approx(np.std(res.cifar.sizes[0].test_acc, ddof=1))
    assert m["headline"]["CIFAR params at best test acc"] in P_CIFAR[3:7]
