"""02 optimization: the smoke run's metrics, figures and text on hand-made results, and every verdict rule on
constructed cases that hold, contradict or stay undecided."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest
import torch

from lab_utils import models, references
from lab_utils.core import stats, train
from lab_utils.core.params import flat_params
from lab_utils.probes.trajectories import pca2
from lab_utils.references import setting as settings
from lab_utils.report.metrics import headline_mean
from lab_utils.sections.optimization import compute, figures, text
from lab_utils.sections.optimization.compute import MinimalRatio, PCAView, Results, Trajectories
from lab_utils.sections.optimization.profile import PROFILES

matplotlib.use("Agg")
NAME = "02_optimization"
H, C, U, NT = stats.HOLDS, stats.CONTRADICTED, stats.UNDECIDED, stats.NOT_TESTED


# ---- the smoke run ----------------------------------------------------------------------------------------


def test_smoke_metrics(smoke_run):
    from small_nets import assert_claims_checked

    m, section_dir = smoke_run(NAME)
    assert_claims_checked(m, NAME)
    assert m["seeds"] == [0, 1, 2]
    assert m["seeds_minimal_ratio"] == list(range(6))
    ids = {c["id"] for c in m["claims"]}
    assert ids == {c.id for c in references.for_section(NAME)}, "every registered claim is checked in smoke"
    for c in m["claims"]:
        assert c["verdict"] in stats.VERDICTS and c["evidence"]
        assert references.claim(c["id"]).report == c["report"]
    # convergence records: every trajectory end point and every critical point
    for part in ("sine", "mnist"):
        recs = m["trajectory_convergence"][part]
        assert len(recs) == 3
        for r in recs:
            assert set(r) == {"train_loss", "grad_norm", "converged", "criterion"} and "‖∇L‖" in r["criterion"]
            assert r["converged"] == (r["grad_norm"] <= float(r["criterion"].split("≤")[1]))
    conv = m["minimal_ratio_convergence"]
    assert conv["runs"] == 6 and "1e-06" in conv["criterion"]
    rows = m["minimal_ratio"]
    assert len(rows) == 6 and conv["converged"] == sum(r["converged"] for r in rows)
    for r in rows:
        assert r["converged"] == (r["grad_norm"] <= 1e-6)
        assert r["n_pos"] + r["n_neg"] + r["n_zero"] == models.spec_n_params(compute.mlp_spec(2, 4, "tanh"))
        assert r["kind"] in ("minimum", "saddle", "ambiguous", "not converged")
        assert r["kind"] != "not converged" or not r["converged"]
        assert 0 <= r["ratio_sampling"] <= 1 and 0 <= r["adam_sampling"] <= 1
        assert r["distance"] >= 0 and r["newton_steps"] >= 0
    for key in ("whole", "first_layer"):
        f = m["pca_explained_variance"][key]
        assert len(f) == 2 and f[0] >= f[1] >= 0 and sum(f) <= 1 + 1e-9
    assert 3 <= len(m["headline"]) <= 5
    for fig in (
        "pca_trajectories",
        "run_spreads",
        "gradient_norms",
        "pca_trajectories_mnist",
        "gradient_norms_mnist",
        "minimal_ratio",
    ):
        assert (section_dir / f"{fig}.png").exists()


# ---- hand-made results ------------------------------------------------------------------------------------


def make_traj(
    R=4,
    S=6,
    *,
    end_over_start=0.5,
    rho_sign=+1,
    jump=0.3,
    band=0.01,
    first_share=0.005,
    early=(0.9, 0.5),
    acc=(0.97, 0.975, 0.972, 0.968),
    pair=0.3,
    trend=True,
    recipe=None,
    seed=0,
) -> Trajectories:
    """A trajectory experiment whose per-run statistics are set by the arguments (noise from `seed`): `pair` the
    end pair ratio, `trend` a per-epoch fall of the minibatch loss (and of the gradient norm with rho_sign +1, a
    rise with -1), `recipe` our setting (default: report 001's DeepCNN on 768 images, S - 1 epochs, R runs)."""
    rng = np.random.default_rng(seed)
    loss = np.geomspace(1.0, 1e-2, S)[None] * np.exp(0.05 * rng.normal(size=(R, S)))
    grad = loss**rho_sign * 3
    spe, epochs = 10, list(range(S))
    T = spe * (S - 1)
    step = np.ones((R, T))
    for e in range(1, S - 1):  # a jump of `jump` (log10) at every epoch start
        step[:, e * spe : (e + 1) * spe] = 10 ** (jump * np.linspace(1, 0, spe))[None]
    step *= np.exp(0.01 * rng.normal(size=(R, T)))
    level = np.repeat(np.geomspace(1.0, 1e-2, S - 1), spe)[None] if trend else np.ones((1, T))
    step_loss = level * np.exp(0.01 * rng.normal(size=(R, T)))
    step_grad = step * level**rho_sign
    if recipe is None:
        recipe = deep_cnn_recipe(R, S - 1)
    wn = 10 * (1 + band * np.linspace(0, 1, S))[None] * np.ones((R, 1))
    start = 5 + 0.1 * rng.normal(size=R)
    view = PCAView(rng.normal(size=(R * S, 2)), np.array([0.6, 0.2]), np.array([0.9, 0.05]))
    conv = [
        train.Convergence(float(loss[i, -1]), float(grad[i, -1]), False, "full-batch ‖∇L‖ ≤ 0.001") for i in range(R)
    ]
    return Trajectories(
        label="toy",
        model="toy net",
        loss_name="MSE",
        seeds=list(range(R)),
        snapshot_epochs=epochs,
        steps_per_epoch=spe,
        n_params=1000,
        first_layer_params=10,
        n_train=100,
        loss=loss,
        grad_norm=grad,
        weight_norm=wn,
        step_loss=step_loss,
        step_grad_norm=step_grad,
        whole=view,
        first_layer=view,
        start_spread=start,
        end_spread=start * end_over_start * np.exp(0.02 * rng.normal(size=R)),
        first_layer_share=first_share * np.exp(0.05 * rng.normal(size=R)),
        first_layer_early=early[0] + 0.01 * rng.normal(size=R),
        rest_early=early[1] + 0.01 * rng.normal(size=R),
        test_metric=np.array(acc[:R]),
        test_metric_name="test accuracy",
        convergence=conv,
        spread=np.stack([start] * S, 1),
        pair_ratio=np.concatenate([np.ones((R, S - 1)), pair * np.exp(0.02 * rng.normal(size=(R, 1)))], 1),
        snapshot_test=np.tile(np.array(acc[:R])[:, None], (1, S)),
        grad_tol=1e-3,
        recipe=recipe,
    )


def deep_cnn_recipe(R=4, epochs=5, n_train=768) -> dict:
    cfg = PROFILES["quick"]
    spec = compute.mnist_spec(cfg)
    fit = dict(optimizer="adam", lr=1e-3, batch_size=128, epochs=epochs, snapshot_every=1)
    return compute.trajectory_recipe(spec, models.spec_n_params(spec), n_train, 1000, "MNIST", R, fit)


def sine_recipe(R=4, epochs=5, width=32) -> dict:
    fit = dict(optimizer="adam", lr=1e-3, batch_size=32, epochs=epochs, snapshot_every=1)
    spec = compute.mlp_spec(2, width)
    return compute.trajectory_recipe(spec, models.spec_n_params(spec), 200, 500, "sin(2πx)", R, fit)


def make_ratio(kinds_of_runs=None, mse=None, sampling=None, converged=None, P=6) -> MinimalRatio:
    """Minimal-ratio runs with constructed spectra: "min" (all eigenvalues > 0), "saddle" (one clearly negative),
    "ambiguous" (one eigenvalue -1e-9 of the largest: negative at the tightest tolerance only)."""
    R = len(kinds_of_runs or mse or sampling or converged or [0] * 10)
    kinds_of_runs = kinds_of_runs or ("min",) * R
    base = np.geomspace(1e-3, 10.0, P)
    eig = []
    for k in kinds_of_runs:
        e = base.copy()
        if k == "saddle":
            e[0] = -0.5
        if k == "ambiguous":
            e[0] = -1e-8
        eig.append(np.sort(e))
    mse = np.geomspace(1e-4, 1e-3, R) if mse is None else np.asarray(mse, dtype=float)
    sampling = np.ones(R) if sampling is None else np.asarray(sampling, dtype=float)
    converged = np.ones(R, dtype=bool) if converged is None else np.asarray(converged)
    return MinimalRatio(
        model="toy",
        seeds=list(range(R)),
        n_params=P,
        n_points=64,
        target_variance=0.5,
        weight_decay=1e-4,
        adam_steps=10,
        grad_tol=1e-6,
        zero_tol=1e-8,
        zero_tols=(1e-10, 1e-8, 1e-6, 1e-4),
        n_neighbours=100,
        radius=1e-3,
        adam_mse=mse * 2,
        adam_grad_norm=np.full(R, 1e-3),
        adam_sampling=np.full(R, 0.5),
        mse=mse,
        objective=mse + 1e-3,
        grad_norm=np.where(converged, 1e-8, 1e-3),
        converged=converged,
        n_iter=np.full(R, 20),
        distance=np.full(R, 0.5),
        theta_norm=np.full(R, 5.0),
        eigenvalues=np.array(eig),
        sampling=sampling,
        solver_grad_norms=[[1e-3, 1e-5, 1e-8]] * R,
        recipe=compute.ratio_recipe(PROFILES["quick"], P),
    )


def results(sine=None, mnist="default", ratio=None) -> Results:
    return Results(
        sine or make_traj(recipe=sine_recipe()), make_traj() if mnist == "default" else mnist, ratio or make_ratio()
    )


def rule_verdict(checks, claim_id):
    """The rule's own verdict (kept when the check is not tested: the minimal-ratio claims are never the reports'
    experiment)."""
    (c,) = [c for c in checks if c.id == claim_id]
    return c.rule_verdict


def verdict(checks, claim_id):
    (c,) = [c for c in checks if c.id == claim_id]
    return c.verdict


def test_figures_and_text_from_hand_made_results():
    res = results()
    for fig in (
        figures.pca(res.sine),
        figures.spreads(res.sine),
        figures.gradients(res.sine),
        figures.minimal_ratio(res.ratio),
    ):
        assert isinstance(fig, matplotlib.figure.Figure)
        matplotlib.pyplot.close(fig)
    for s in (text.setting(res), text.trajectories_text(res.sine), text.gradient_text(res.mnist), text.ratio_text(res)):
        assert isinstance(s, str) and len(s) > 100
    checks = text.checks(res)
    assert {c.id for c in checks} == {c.id for c in references.for_section(NAME)}
    for v in {c.verdict for c in checks}:  # every verdict that occurs lists its claims
        ids = [c.id for c in checks if c.verdict == v]
        assert (f"{v.capitalize()}: " + ", ".join(f"`{i}`" for i in ids) + ".") in text.summary(checks)
    m = text.metrics(res)
    assert 3 <= len(m["headline"]) <= 5 and all(
        isinstance(headline_mean(v), (int, float)) for v in m["headline"].values()
    )
    assert len(m["minimal_ratio"]) == 10
    rows = text.minima_table(res)
    assert sum(r["runs"] for r in rows) == 10


def test_without_mnist_only_the_other_claims_are_checked():
    checks = text.checks(results(mnist=None))
    assert {c.id.split(".")[0] for c in checks} == {"000", "001"}
    assert all(c.id.split(".")[1] == "minimal_ratio" for c in checks if c.id.startswith("001"))


def test_prose_follows_the_numbers():
    closer = text.trajectories_text(make_traj(pair=0.3))
    apart = text.trajectories_text(make_traj(pair=1.0))
    assert "moved towards a common region" in closer and "did not move towards a common region" in apart


# ---- verdict rules on constructed cases -------------------------------------------------------------------


@pytest.mark.parametrize("pair, expected", [(0.3, H), (1.0, C), (2.0, C), (0.7, U)])
def test_common_region_rule(pair, expected):
    """Squared end separation against independent moves: holds below 0.5, contradicted above 0.9, else undecided;
    the end spread against the start spread does not enter (it is the same in every case here)."""
    acc = (0.985, 0.99, 0.988, 0.986)  # report 001's accuracy level, its precondition
    res = results(sine=make_traj(pair=pair, recipe=sine_recipe()), mnist=make_traj(pair=pair, acc=acc))
    checks = text.checks(res)
    assert verdict(checks, "000.trajectories.common_region") == expected
    assert verdict(checks, "001.trajectories.end_clustering") == expected


def test_region_rule_undecided_when_runs_disagree():
    tr = make_traj(pair=0.3)
    mixed = Trajectories(
        **{**tr.__dict__, "pair_ratio": np.concatenate([tr.pair_ratio[:, :-1], [[0.1], [3.0], [0.1], [3.0]]], 1)}
    )
    assert text.region_verdict(stats.mean_interval(text.pair_log_ratio(mixed))) == U


def test_pair_ratios_on_constructed_runs():
    """Every run has ratio 1 at initialisation; runs that all end at one point have ratio 0; independent orthogonal moves of equal length ratio 1; runs that
    move apart along their start differences more than 1."""
    starts = [torch.tensor([1.0, 0, 0, 0]), torch.tensor([0, 1.0, 0, 0]), torch.tensor([0, 0, 1.0, 0])]
    same_end = [torch.stack([s, torch.tensor([0, 0, 0, 5.0])]) for s in starts]
    assert compute.pair_ratios(same_end)[:, -1] == pytest.approx([0.0] * 3, abs=1e-12)
    assert compute.pair_ratios(same_end)[:, 0] == pytest.approx([1.0] * 3)
    ortho = [
        torch.stack([torch.cat([s, torch.zeros(3)]), torch.cat([s, torch.eye(3)[i]])]) for i, s in enumerate(starts)
    ]
    assert compute.pair_ratios(ortho)[:, -1] == pytest.approx([1.0] * 3)
    apart = [torch.stack([s, 3 * s]) for s in starts]
    assert np.all(compute.pair_ratios(apart)[:, -1] > 1)


def test_preconditions_make_claims_not_tested():
    """Report 001's accuracy level for its clustering claim, a trained net for the other MNIST claims, a trained
    sine MLP for report 000's: the rule's verdict is kept beside 'not tested'."""
    low = make_traj(pair=0.3, acc=(0.95, 0.96, 0.955, 0.96))  # trained, below 98 %
    checks = text.checks(results(mnist=low))
    (c,) = [c for c in checks if c.id == "001.trajectories.end_clustering"]
    assert c.verdict == NT and c.rule_verdict == H and "98" in c.not_tested_because
    assert verdict(checks, "001.trajectories.early_layers_settle") == H
    chance = make_traj(acc=(0.11, 0.1, 0.12, 0.09), trend=False)
    checks = text.checks(results(mnist=chance))
    for cid in (
        "001.trajectories.later_layers_vary_most",
        "002.trajectories.distinct_but_equally_good",
        "001.gradient.falls_with_loss",
        "002.gradient.falls_with_loss",
    ):
        assert verdict(checks, cid) == NT
    assert verdict(checks, "002.gradient.sawtooth") == H  # no precondition
    flat = make_traj(recipe=sine_recipe())
    flat = Trajectories(**{**flat.__dict__, "loss": np.ones_like(flat.loss)})
    assert verdict(text.checks(results(sine=flat)), "000.trajectories.common_region") == NT


def test_scopes_of_our_settings():
    """Report 001's DeepCNN on fewer images is 'reduced'; another CNN is 'different' (not tested); report 002's
    claims are read at its 8 epochs of our 9; the minimal ratio is never the reports' experiment."""
    checks = text.checks(results(mnist=make_traj(S=10, R=4, acc=(0.985, 0.99, 0.988, 0.986), pair=0.3, trend=False)))
    by = {c.id: c for c in checks}
    assert by["001.trajectories.end_clustering"].scope == settings.REDUCED
    assert {d["key"] for d in by["001.trajectories.end_clustering"].deviations} == {"n_train", "n_test", "seeds"}
    c2 = by["002.gradient.sawtooth"]
    assert c2.scope == settings.REDUCED and c2.setting["epochs"] == 8 and c2.verdict == H
    assert by["002.weight_norm.narrow_band"].setting["snapshot_every_epochs"] == 3
    assert by["000.trajectories.common_region"].scope == settings.REDUCED
    for c in checks:
        if ".minimal_ratio." in c.id:
            assert c.scope == settings.DIFFERENT and c.verdict == NT
    small = deep_cnn_recipe(4, 5)
    small = {**small, "model": compute.model_text(models.cnn_spec("mnist", [4, 8], 0)), "n_params": 2954}
    checks = text.checks(results(mnist=make_traj(recipe=small, trend=False)))
    assert all(c.verdict == NT for c in checks if c.id.startswith("001.trajectories"))
    assert verdict(checks, "002.gradient.sawtooth") == H  # report 002 does not say which CNN


def test_at_epoch_cuts_every_series():
    tr = make_traj(S=10)
    cut = compute.at_epoch(tr, 8)
    assert cut.snapshot_epochs == list(range(9)) and cut.loss.shape[1] == 9 and cut.step_loss.shape[1] == 80
    assert cut.recipe["epochs"] == 8 and cut.recipe["steps"] == 80
    assert cut.end_spread == pytest.approx(tr.spread[:, 8]) and len(cut.convergence) == 4
    assert compute.at_epoch(tr, 9) is tr
    with pytest.raises(ValueError):
        compute.at_epoch(tr, 11)


def test_model_text():
    assert (
        compute.model_text(compute.mlp_spec(2, 32))
        == references.claim("000.trajectories.common_region").setting["model"]
    )
    deep = compute.mnist_spec(PROFILES["quick"])
    assert compute.model_text(deep) == references.claim("001.trajectories.end_clustering").setting["model"]
    assert models.spec_n_params(deep) == 112_970
    assert compute.model_text(compute.mnist_spec(PROFILES["smoke"])) != compute.model_text(deep)


@pytest.mark.parametrize("sign, expected", [(+1, H), (-1, C)])
def test_gradient_falls_with_loss_rule(sign, expected):
    res = results(sine=make_traj(rho_sign=sign, recipe=sine_recipe()), mnist=make_traj(rho_sign=sign))
    checks = text.checks(res)
    for cid in ("000.gradient.falls_with_loss", "001.gradient.falls_with_loss", "002.gradient.falls_with_loss"):
        assert verdict(checks, cid) == expected


def test_gradient_rule_undecided_without_a_relation():
    tr = make_traj(recipe=sine_recipe())
    rng = np.random.default_rng(1)
    noisy = Trajectories(**{**tr.__dict__, "step_grad_norm": np.exp(rng.normal(size=tr.step_loss.shape))})
    assert verdict(text.checks(results(sine=noisy)), "000.gradient.falls_with_loss") == U


@pytest.mark.parametrize("jump, expected", [(0.3, H), (-0.3, C), (0.0, U)])
def test_sawtooth_rule(jump, expected):
    assert verdict(text.checks(results(mnist=make_traj(jump=jump, trend=False))), "002.gradient.sawtooth") == expected


@pytest.mark.parametrize("band, expected", [(0.01, H), (0.2, C)])
def test_narrow_band_rule(band, expected):
    assert verdict(text.checks(results(mnist=make_traj(S=10, band=band))), "002.weight_norm.narrow_band") == expected


@pytest.mark.parametrize("share, expected", [(0.002, H), (0.05, C)])  # the first layer holds 1 % of the parameters
def test_later_layers_rule(share, expected):
    checks = text.checks(results(mnist=make_traj(first_share=share)))
    assert verdict(checks, "001.trajectories.later_layers_vary_most") == expected


@pytest.mark.parametrize("early, expected", [((0.9, 0.5), H), ((0.5, 0.9), C), ((0.7, 0.7), U)])
def test_early_layers_rule(early, expected):
    assert (
        verdict(text.checks(results(mnist=make_traj(early=early))), "001.trajectories.early_layers_settle") == expected
    )


@pytest.mark.parametrize(
    "acc, expected", [((0.97, 0.975, 0.972, 0.968), H), ((0.97, 0.972, 0.971, 0.92), U), ((0.90, 0.93, 0.96, 0.99), C)]
)
def test_equally_good_rule(acc, expected):
    checks = text.checks(results(mnist=make_traj(acc=acc)))
    assert verdict(checks, "002.trajectories.distinct_but_equally_good") == expected


def test_minimal_ratio_share_rules():
    assert rule_verdict(text.checks(results(ratio=make_ratio(("min",) * 20))), "000.minimal_ratio.mostly_one") == H
    assert rule_verdict(text.checks(results(ratio=make_ratio(("saddle",) * 20))), "000.minimal_ratio.mostly_one") == C
    assert (
        rule_verdict(text.checks(results(ratio=make_ratio(("min", "saddle") * 5))), "000.minimal_ratio.mostly_one") == U
    )
    # a sampling ratio below 1 is not "1.0" even at a strict minimum; ambiguous indices are not strict minima
    assert (
        rule_verdict(text.checks(results(ratio=make_ratio(sampling=[0.99] * 10))), "000.minimal_ratio.mostly_one") == C
    )
    assert (
        rule_verdict(text.checks(results(ratio=make_ratio(("ambiguous",) * 20))), "000.minimal_ratio.mostly_one") == C
    )
    # 001: high ratio and low loss (MSE <= 1 % of Var y = 0.005)
    high = text.checks(results(ratio=make_ratio(mse=[1e-4] * 10)))
    assert rule_verdict(high, "001.minimal_ratio.mostly_high_low_loss") == H
    lossy = text.checks(results(ratio=make_ratio(mse=[0.1] * 10)))
    assert rule_verdict(lossy, "001.minimal_ratio.mostly_high_low_loss") == C


def test_unconverged_runs_are_left_out_of_the_shares():
    r = make_ratio(("saddle",) * 10 + ("min",) * 10, converged=[False] * 10 + [True] * 10)
    c = [c for c in text.checks(results(ratio=r)) if c.id == "000.minimal_ratio.mostly_one"][0]
    assert c.rule_verdict == H and c.evidence["n"] == 10 and c.evidence["n_runs"] == 20


def test_minima_differ_rule():
    worse = make_ratio(mse=[1e-4] * 15 + [5e-4] * 5)
    same = make_ratio(mse=[1e-4] * 80)
    few = make_ratio(mse=[1e-4] * 8)
    assert rule_verdict(text.checks(results(ratio=worse)), "001.minimal_ratio.minima_differ") == H
    assert rule_verdict(text.checks(results(ratio=same)), "001.minimal_ratio.minima_differ") == C
    assert rule_verdict(text.checks(results(ratio=few)), "001.minimal_ratio.minima_differ") == U


def test_no_correlation_rule():
    n = 60
    mse = np.geomspace(1e-4, 1e-2, n)
    rng = np.random.default_rng(0)
    unrelated = make_ratio(mse=list(mse), sampling=list(rng.uniform(0.5, 1, n)))
    related = make_ratio(mse=list(mse), sampling=list(np.linspace(1, 0.4, n)))
    constant = make_ratio(mse=list(mse), sampling=[1.0] * n)
    key = "000.minimal_ratio.no_loss_correlation"
    assert rule_verdict(text.checks(results(ratio=unrelated)), key) == H
    assert rule_verdict(text.checks(results(ratio=related)), key) == C
    assert rule_verdict(text.checks(results(ratio=constant)), key) == U


# ---- the interval helpers and derived quantities ----------------------------------------------------------


def test_wilson_interval_known_values():
    iv = text.wilson_interval(0, 100)
    assert iv.lo == 0 and iv.hi == pytest.approx(0.0370, abs=1e-4)
    iv = text.wilson_interval(50, 100)
    assert iv.mean == 0.5 and iv.lo == pytest.approx(0.4038, abs=1e-4) and iv.hi == pytest.approx(0.5962, abs=1e-4)
    assert text.wilson_interval(0, 0).n == 0


def test_correlation_interval():
    c = stats.Correlation("spearman", 0.5, 0.0, 103)
    iv = text.correlation_interval(c)
    se = math.sqrt((1 + 0.125) / 100)
    assert iv.lo == pytest.approx(math.tanh(math.atanh(0.5) - 1.959964 * se), abs=1e-6)
    assert iv.lo < 0.5 < iv.hi < 1
    assert text.correlation_interval(stats.Correlation("spearman", math.nan, math.nan, 50)).n == 0


def test_kind_of_point_and_hessian_ratio():
    r = make_ratio(("min", "saddle", "ambiguous", "min"), converged=[True, True, True, False])
    assert list(compute.kind_of_point(r)) == ["minimum", "saddle", "ambiguous", "not converged"]
    ratio = compute.hessian_ratio(r)
    assert ratio[0] == 1.0 and ratio[1] == pytest.approx(5 / 6)
    assert compute.hessian_ratio(r, 1e-10)[2] == pytest.approx(5 / 6) and compute.hessian_ratio(r, 1e-6)[2] == 1.0


def test_sawtooth_jump_and_band_width_values():
    tr = make_traj(jump=0.3, trend=False)
    assert np.mean(text.sawtooth_jump(tr)) == pytest.approx(0.3, abs=0.05)
    assert text.band_width(make_traj(band=0.1)) == pytest.approx([0.08 / 1.06] * 4, rel=0.01)


# ---- compute pieces against exact answers -----------------------------------------------------------------


def test_pca_known_answer():
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    a = np.array([-3.0, 3.0, -3.0, 3.0, 0, 0])
    b = np.array([1.0, 1.0, -1.0, -1.0, 0, 0])
    c = np.array([0, 0, 0, 0, 0.1, -0.1])
    X = 7.0 + np.outer(a, q[0]) + np.outer(b, q[1]) + np.outer(c, q[2])
    p = pca2(torch.tensor(X))
    total = (a**2).sum() + (b**2).sum() + (c**2).sum()
    assert p.ratio == pytest.approx([(a**2).sum() / total, (b**2).sum() / total], rel=1e-10)
    assert np.abs(p.coords[:, 0]) == pytest.approx(np.abs(a), abs=1e-10)


def test_first_layer_slice():
    for spec in (compute.mlp_spec(2, 5), models.cnn_spec("mnist", [4, 8], 0)):
        model = models.build(spec)
        first = next(iter(model.children()))
        sl = compute.first_layer_slice(model)
        assert torch.equal(flat_params(model)[sl], torch.cat([first.weight.reshape(-1), first.bias]).detach())


def test_penalised_objective():
    f = compute.penalised(lambda th: th.sum(), 0.5)
    th = torch.tensor([1.0, 2.0], dtype=torch.float64)
    assert float(f(th)) == pytest.approx(3 + 0.25 * 5)
    assert compute.penalised(torch.sum, 0.0) is torch.sum
