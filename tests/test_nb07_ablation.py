"""Notebook 07 in the smoke profile (its metrics), its figures and text on hand-made results, and every verdict rule
it applies on constructed cases that hold, are contradicted and stay undecided."""

from __future__ import annotations

import json
import math

import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")

from small_nets import assert_claims_checked  # noqa: E402

from lab_utils import models, references, sections  # noqa: E402
from lab_utils.core import data, stats, train  # noqa: E402
from lab_utils.probes import grid_coords  # noqa: E402
from lab_utils.references import setting as settings  # noqa: E402
from lab_utils.report.metrics import (
    headline_mean,
    to_jsonable,  # noqa: E402
)
from lab_utils.sections.ablation import compute, figures, text  # noqa: E402

NAME = "07_ablation"
CFG = sections.profiles(NAME)["smoke"]
WEIGHTS = tuple(n for n, p in models.build(compute.spec(True, True)).named_parameters() if p.dim() >= 2)
SB, S, B, N = "skip + BN", "skip only", "BN only", "neither"
HOLDS, CONTRADICTED, UNDECIDED = stats.HOLDS, stats.CONTRADICTED, stats.UNDECIDED


# ---- the smoke run ----------------------------------------------------------------------------------------


def test_smoke_metrics(smoke_run):
    m, section_dir = smoke_run(NAME)
    assert m["seeds"] == [0, 1] and len(m["seeds"]) == CFG.n_seeds
    assert_claims_checked(m, NAME)
    ids = {c.id for c in references.for_section(NAME)}
    assert {c["id"] for c in m["claims"]} == ids and len(ids) >= 10
    for c in m["claims"]:
        assert c["verdict"] in stats.VERDICTS and c["report"] == "003"
        assert c["rule"] and c["ours"]
    vs = m["variants"]
    assert [v["name"] for v in vs] == [SB, S, B, N]
    for v in vs:
        assert len(v["seeds"]) == 2
        for r in v["seeds"]:
            if r["diverged_at_epoch"] is not None:
                assert r["probed"] is False and r["test_acc"] is None and r["lambda_max_power"] is None
                assert r["loss_range_filter"] is None and r["loss_range_reference"] is None
                continue
            assert r["probed"] is True and 0.0 <= r["test_acc"] <= 1.0
            assert isinstance(r["lanczos_converged"], bool) and len(r["top_k"]) == CFG.top_k
            assert r["top_k"] == sorted(r["top_k"], reverse=True)
            assert r["trace_stderr"] is None or r["trace_stderr"] >= 0  # None: inf in JSON
            assert r["loss_range_filter"] >= 0 and r["loss_range_reference"] >= 0
            assert r["grad_norm_final"] >= 0 and isinstance(r["converged"], bool)
    conv = m["convergence"]
    assert len(conv) == 4 * 2
    for c in conv:
        assert set(c) >= {"variant", "seed", "train_loss", "grad_norm", "converged", "criterion"}
        assert "‖∇L‖" in c["criterion"]
    assert set(m["headline"]) == {
        "test acc skip+BN",
        "test acc BN only",
        "λmax skip+BN",
        "λmax BN only",
        "skip only diverged (seeds)",
    }
    for fig in (
        "training",
        "layer_gradients",
        "landscape_contours",
        "landscape_surfaces",
        "landscape_slice",
        "landscape_reference_units",
        "loss_ranges",
        "hessian_top_eigenvalues",
        "sharpness_vs_accuracy",
    ):
        assert (section_dir / f"{fig}.png").is_file(), fig


# ---- hand-made results ------------------------------------------------------------------------------------


def _grid(units: str, rng: float, base: float = 2.0, steps: int = 3) -> compute.Grid:
    c = grid_coords(steps, 1.0)
    pattern = np.add.outer(c**2, c**2) / 2  # 0 at the centre, 1 at the corners
    return compute.Grid(units, c, base + rng * pattern, None, 0.01)


def seed_run(
    name: str,
    seed: int,
    *,
    acc: float = 0.5,
    top_k=(10.0, 5.0),
    converged: bool = True,
    ref_range: float = 1e-3,
    filter_range: float = 1.0,
    factor: float = 1.0,
    diverged: bool = False,
    grad_norm: float = 0.5,
    train_loss: float = 1.0,
    lambda_min: float | None = None,
    lambda_min_converged: bool = False,
    ref_steps: int = 10,
) -> compute.SeedRun:
    skip, bn = next(k for k, v in compute.NAMES.items() if v == name)
    depth = np.arange(len(WEIGHTS))
    init = 0.5 * factor ** (len(WEIGHTS) - 2 - depth)  # geometric over depth, the classifier last
    grads = compute.LayerGrads(WEIGHTS, init, None if diverged else init / 2)
    conv = train.Convergence(
        math.nan if diverged else train_loss,
        math.nan if diverged else grad_norm,
        (not diverged) and grad_norm <= CFG.grad_tol,
        f"full-batch ‖∇L‖ ≤ {CFG.grad_tol:g}",
    )
    common = dict(
        variant=name, skip=skip, batchnorm=bn, seed=seed, epochs=[1, 2], steps=8, convergence=conv, grads=grads
    )
    if diverged:
        return compute.SeedRun(
            **common,
            train_loss=[math.nan],
            test_loss=[math.nan],
            test_acc=[math.nan],
            diverged_at_epoch=1,
            diverged_at_step=2,
        )
    h = compute.Hessian(
        float(top_k[0]) * 0.99,
        5,
        False,
        list(top_k),
        converged,
        7,
        3 * top_k[0],
        1.5,
        9,
        lambda_min=lambda_min,
        lambda_min_converged=lambda_min_converged,
    )
    return compute.SeedRun(
        **common,
        train_loss=[2.0, 1.5],
        test_loss=[2.1, 1.8],
        test_acc=[acc / 2, acc],
        diverged_at_epoch=None,
        diverged_at_step=None,
        filter_grid=_grid("filter", filter_range),
        ref_grid=_grid("reference", ref_range, steps=ref_steps),
        slice=compute.Slice(grid_coords(5, 1.0), 2.0 + filter_range * grid_coords(5, 1.0) ** 2),
        hessian=h,
    )


def results(spec: dict[str, list[dict]]) -> compute.Results:
    """Results with one SeedRun per (variant, seed) from keyword dicts; unspecified variants get defaults."""
    seeds = [0, 1]
    runs = {}
    for name in (SB, S, B, N):
        kws = spec.get(name, [{} for _ in seeds])
        runs[name] = [seed_run(name, s, **kw) for s, kw in zip(seeds, kws)]
    return compute.Results(CFG, seeds, runs, {n: 269_722 for n in (SB, S, B, N)})


def baseline(**over) -> dict[str, list[dict]]:
    """A run where report 003's picture holds: skip+BN best, skip only diverged, BN only sharper, plain at chance."""
    spec = {
        SB: [
            dict(acc=0.850, top_k=(7.0, 3.0), ref_range=5e-4, factor=1.0),
            dict(acc=0.852, top_k=(7.1, 3.1), ref_range=5.1e-4, factor=1.01),
        ],
        S: [dict(diverged=True), dict(diverged=True)],
        B: [
            dict(acc=0.840, top_k=(90.0, 40.0), ref_range=2.4e-3),
            dict(acc=0.841, top_k=(91.0, 40.0), ref_range=2.5e-3),
        ],
        N: [
            dict(acc=0.100, top_k=(0.10, 0.05), ref_range=1e-6, filter_range=4e3, factor=0.9, train_loss=2.3025),
            dict(acc=0.1001, top_k=(0.101, 0.05), ref_range=1.1e-6, filter_range=5e3, factor=0.905, train_loss=2.3027),
        ],
    }
    spec.update(over)
    return spec


def verdicts(res: compute.Results) -> dict[str, str]:
    return {c.id.split(".")[-1]: c.verdict for c in text.checks(res)}


def test_every_registry_claim_is_checked_once_with_a_valid_verdict():
    cs = text.checks(results(baseline()))
    assert [c.id for c in cs] == [c.id for c in references.for_section(NAME)]
    for c in cs:
        assert c.verdict in stats.VERDICTS
        assert set(c.reproduced) <= set(references.claim(c.id).numbers)
    json.dumps(to_jsonable([c.__dict__ for c in cs]))


def test_report_picture_holds_where_the_numbers_say_so():
    v = verdicts(results(baseline()))
    for k in (
        "skip_bn_beats_bn_only",
        "skip_only_diverges",
        "plain_net_at_chance",
        "skip_reduces_lambda_max",
        "skip_lowers_loss_range",
        "plain_net_flat_landscape",
        "plain_net_small_lambda",
        "vanishing_gradient",
    ):
        assert v[k] == HOLDS, k
    assert v["skip_more_critical_than_bn"] == CONTRADICTED  # the diverged skip-only net counts at chance
    assert v["lambda_reduction_92_percent"] == HOLDS  # 1 - 7 / 90 = 92.2 %
    assert v["condition_number_near_one"] == CONTRADICTED  # lambda_2 / lambda_1 ~ 0.43 < 1 / 1.05


def test_reversed_numbers_contradict():
    spec = baseline(
        **{
            SB: [
                dict(acc=0.80, top_k=(90.0, 40.0), ref_range=3e-3),
                dict(acc=0.801, top_k=(91.0, 40.0), ref_range=3.1e-3),
            ],
            B: [dict(acc=0.85, top_k=(7.0, 3.0), ref_range=5e-4), dict(acc=0.851, top_k=(7.1, 3.0), ref_range=5e-4)],
            S: [dict(acc=0.90), dict(acc=0.901)],
            N: [
                dict(acc=0.40, top_k=(300.0, 100.0), ref_range=1e-2, factor=1.2, train_loss=1.6),
                dict(acc=0.41, top_k=(301.0, 100.0), ref_range=1.1e-2, factor=1.21, train_loss=1.61),
            ],
        }
    )
    v = verdicts(results(spec))
    for k in (
        "skip_bn_beats_bn_only",
        "skip_only_diverges",
        "plain_net_at_chance",
        "skip_reduces_lambda_max",
        "lambda_reduction_92_percent",
        "skip_lowers_loss_range",
        "plain_net_flat_landscape",
        "plain_net_small_lambda",
        "vanishing_gradient",
    ):
        assert v[k] == CONTRADICTED, k
    assert v["skip_more_critical_than_bn"] == HOLDS  # the skip-only net trains and beats BN only


def test_noisy_or_missing_evidence_stays_undecided():
    spec = baseline(
        **{
            SB: [
                dict(acc=0.80, top_k=(7.0, 6.99), ref_range=5e-4),
                dict(acc=0.90, top_k=(70.0, 69.99), converged=False),
            ],
            B: [dict(acc=0.85, top_k=(9.0, 8.99), ref_range=1e-3), dict(acc=0.84, top_k=(9.0, 8.99), ref_range=1e-4)],
            S: [dict(diverged=True), dict(acc=0.3)],
            N: [
                dict(acc=0.10, top_k=(0.1, 0.0999), ref_range=1e-6, factor=0.8, train_loss=2.3026),
                dict(acc=0.25, top_k=(0.1, 0.0999), ref_range=1e-3, factor=1.2, train_loss=2.1),
            ],
        }
    )
    v = verdicts(results(spec))
    for k in (
        "skip_bn_beats_bn_only",
        "skip_only_diverges",
        "plain_net_at_chance",
        "skip_reduces_lambda_max",
        "lambda_reduction_92_percent",
        "skip_lowers_loss_range",
        "plain_net_flat_landscape",
        "plain_net_small_lambda",
        "condition_number_near_one",
        "vanishing_gradient",
        "lambda_predicts_generalization",
    ):
        assert v[k] == UNDECIDED, k


def test_unconverged_lanczos_is_left_out():
    spec = baseline(**{SB: [dict(top_k=(7.0, 3.0), converged=False), dict(top_k=(7.1, 3.1), converged=False)]})
    res = results(spec)
    assert all(r.hessian.lambda_max is None and r.hessian.condition_top_k is None for r in res.runs[SB])
    v = verdicts(res)
    # the lambda_max verdicts use the report's measure (power iteration); Lanczos only enters the condition check
    assert v["skip_reduces_lambda_max"] == HOLDS and v["plain_net_small_lambda"] == HOLDS
    assert text.metrics(res)["headline"]["λmax skip+BN"] == "Lanczos not converged (2 probed)"


def test_setting_of_ours_is_computed_and_scoped():
    cs = {c.id.split(".")[-1]: c for c in text.checks(results(baseline()))}
    for c in cs.values():
        assert c.scope == settings.REDUCED, (c.id, c.deviations)  # only images, epochs and seeds are cut
        assert c.setting["model"] == "ResNet-20, skip connections and batch norm each on or off"
        assert c.setting["optimizer"] == "sgd" and c.setting["batch_size"] == CFG.batch_size
    assert cs["skip_lowers_loss_range"].setting["grid_steps"] == 10
    assert cs["skip_reduces_lambda_max"].setting["power_iters"] == 5
    # a coarser grid than the report's is another measure: not tested, the rule's verdict kept
    coarse = baseline(**{n: [dict(ref_steps=5, **kw) for kw in baseline()[n]] for n in (SB, B, N)})
    c = {c.id.split(".")[-1]: c for c in text.checks(results(coarse))}["skip_lowers_loss_range"]
    assert c.scope == settings.DIFFERENT and c.verdict == stats.NOT_TESTED and c.rule_verdict == HOLDS
    assert "grid steps 10 in the report, 5 here" in c.not_tested_because
    assert compute.model_text([compute.spec(True, True)]) != c.setting["model"]


def test_sharpness_comparisons_need_trained_nets():
    at_chance = baseline(**{B: [dict(acc=0.10, top_k=(90.0, 40.0)), dict(acc=0.11, top_k=(91.0, 40.0))]})
    cs = {c.id.split(".")[-1]: c for c in text.checks(results(at_chance))}
    for k in ("skip_reduces_lambda_max", "lambda_reduction_92_percent", "skip_lowers_loss_range"):
        assert cs[k].verdict == stats.NOT_TESTED and "beyond chance" in cs[k].not_tested_because, k
        assert cs[k].rule_verdict != stats.NOT_TESTED
    assert cs["skip_bn_beats_bn_only"].verdict == HOLDS  # an accuracy comparison presumes nothing
    assert cs["plain_net_small_lambda"].verdict == HOLDS  # needs only skip + BN trained


def test_correlation_rule_needs_strength_and_sign():
    def spec_for(pairs):
        it = iter(pairs)
        return baseline(
            **{n: [dict(acc=a, top_k=(lam, lam / 2)) for a, lam in (next(it), next(it))] for n in (SB, B, N)}
        )

    falling = [(0.90, 1.0), (0.80, 2.0), (0.70, 3.0), (0.60, 4.0), (0.50, 5.0), (0.40, 6.0)]
    assert verdicts(results(spec_for(falling)))["lambda_predicts_generalization"] == HOLDS
    rising = [(0.40, 1.0), (0.50, 2.0), (0.60, 3.0), (0.70, 4.0), (0.80, 5.0), (0.90, 6.0)]
    assert verdicts(results(spec_for(rising)))["lambda_predicts_generalization"] == CONTRADICTED
    # report 003's own three points: the flat plain net is the worst, so r comes out positive
    assert text.report_own_correlation().r > 0


def test_condition_rule_holds_only_on_a_measured_lambda_min():
    near_one = {n: [dict(top_k=(10.0, 9.99)), dict(top_k=(10.0, 9.995))] for n in (SB, B, N)}
    # the top-k alone only bound lambda_min from above: undecided
    assert verdicts(results(baseline(**near_one)))["condition_number_near_one"] == UNDECIDED
    spread = dict(near_one, **{B: [dict(top_k=(10.0, 2.0)), dict(top_k=(10.0, 2.1))]})
    assert verdicts(results(baseline(**spread)))["condition_number_near_one"] == CONTRADICTED
    measured = {
        n: [
            dict(top_k=(10.0, 9.99), lambda_min=9.98, lambda_min_converged=True),
            dict(top_k=(10.0, 9.995), lambda_min=9.985, lambda_min_converged=True),
        ]
        for n in (SB, B, N)
    }
    assert verdicts(results(baseline(**measured)))["condition_number_near_one"] == HOLDS
    unconverged = dict(measured, **{N: [dict(top_k=(10.0, 9.99), lambda_min=9.98), dict(top_k=(10.0, 9.99))]})
    assert verdicts(results(baseline(**unconverged)))["condition_number_near_one"] == UNDECIDED
    # a negative smallest Ritz value bounds lambda_min below 0 even unconverged: kappa is not near 1
    saddle = dict(
        near_one, **{N: [dict(top_k=(10.0, 9.99), lambda_min=-1.0), dict(top_k=(10.0, 9.99), lambda_min=-2.0)]}
    )
    assert verdicts(results(baseline(**saddle)))["condition_number_near_one"] == CONTRADICTED


# ---- prose, table, metrics, figures on hand-made results --------------------------------------------------


def test_prose_follows_the_numbers():
    res = results(baseline())
    conv = text.convergence(res)
    assert "None of the trained points meets it" in conv and "0/2 converged" in conv
    good = baseline(**{n: [dict(grad_norm=0.01), dict(grad_norm=0.02)] for n in (SB, B, N)})
    assert "Every trained point meets it" in text.convergence(results(good))
    assert "eval-mode BN" in text.probes_text(res) and "converged in 6 of 6" in text.probes_text(res)
    assert "2 seeds" in text.scale(res) and f"{CFG.n_train:,}" in text.scale(res)
    assert "0.9" in text.gradients_text(res) and "λ1/λ2" in text.condition_text(res)
    ref = text.reference()
    for v in (85.05, 84.51, 90.58, 6.96):
        assert str(v) in ref
    cs = text.checks(res)
    s = text.summary(cs, res.seeds)
    assert f"The {len(cs)} claims" in s and "With 2 seeds" in s and "0, 1" in s and " hold" not in s
    tab = text.table(res)
    assert list(tab.index) == [SB, S, B, N] and tab.loc[S, "diverged"] == "2/2"


def test_metrics_are_plain_numbers():
    m = text.metrics(results(baseline()))
    assert len(m["headline"]) == 5
    for v in m["headline"].values():
        assert isinstance(headline_mean(v), (int, float))
    assert m["headline"]["skip only diverged (seeds)"] == 2
    assert m["headline"]["λmax BN only"]["mean"] == pytest.approx(90.5) and m["headline"]["λmax BN only"]["n"] == 2
    assert m["headline"]["test acc BN only"]["unit"] == "%" and 50 < m["headline"]["test acc BN only"]["mean"] < 100
    assert [v["name"] for v in m["variants"]] == [SB, S, B, N]
    assert len(m["convergence"]) == 8
    json.dumps(to_jsonable(m))


@pytest.mark.parametrize(
    "fig", ["training", "surfaces", "slices", "loss_ranges", "eigenvalues", "layer_gradients", "sharpness_vs_accuracy"]
)
def test_figures_draw_from_results_only(fig):
    import matplotlib.pyplot as plt

    f = getattr(figures, fig)(results(baseline()))
    assert isinstance(f, plt.Figure) and f.axes
    plt.close(f)


@pytest.mark.parametrize("units", ["filter", "reference"])
def test_landscapes_have_one_panel_per_variant_and_seed(units):
    import matplotlib.pyplot as plt

    f = figures.landscapes(results(baseline()), units)
    texts = [t.get_text() for ax in f.axes for t in ax.texts]
    assert sum("not probed" in t for t in texts) == 2  # skip only, both seeds
    assert len([ax for ax in f.axes if ax.get_title()]) == 6
    plt.close(f)


def test_interactive_surfaces_are_the_first_seeds_probed_grids():
    from lab_utils.report import interactive

    res = results(baseline())
    grids = figures.surface_grids(res)
    assert len(grids) == 3 and not any(S in k for k in grids)  # skip only diverged: no grid
    fig = interactive.surfaces_figure(grids, log_z=True)
    assert len(fig["data"]) == 3
    name, (x, y, z) = next(iter(grids.items()))
    g = res.runs[SB][0].filter_grid
    assert name == f"{SB}, seed {res.runs[SB][0].seed}" and np.array_equal(z, g.loss)
    assert np.allclose(np.array(fig["data"][0]["z"], dtype=float).T, np.log10(g.loss), rtol=1e-4)


def test_reference_points_come_from_the_registry():
    pts = text.reference_points()
    assert pts[SB]["lambda"] == references.claim("003.ablation.skip_reduces_lambda_max").numbers["lambda_skip_bn"]
    assert pts[N]["range"] == 0.0 and pts[B]["acc"] == 84.51


# ---- computation helpers ----------------------------------------------------------------------------------


def test_decay_factor_recovers_a_geometric_profile():
    assert compute.decay_factor(0.9 ** (18 - np.arange(19))) == pytest.approx(0.9)
    assert compute.decay_factor(np.full(19, 3.0)) == pytest.approx(1.0)
    assert compute.decay_factor(np.array([1.0, 0.0, 2.0])) is None
    g = compute.LayerGrads(WEIGHTS, np.r_[0.9 ** (18 - np.arange(19)), 50.0], None)
    assert g.factor_init == pytest.approx(0.9) and g.factor_end is None  # the classifier is not in the fit


def test_layer_grads_from_a_history():
    m = models.build(compute.spec(False, False))
    names = [n for n, p in m.named_parameters()]
    steps = [{n: float(i + 1) for n in names} for i in range(15)]
    init = np.arange(1.0, 21.0)
    g = compute.layer_grads(m, {"layer_grad_norm": steps, "diverged_at_epoch": None}, init)
    assert g.names == WEIGHTS and len(g.names) == 20
    assert np.all(g.init == init) and np.allclose(g.end, np.mean(np.arange(6, 16)))
    g = compute.layer_grads(m, {"layer_grad_norm": steps, "diverged_at_epoch": 1}, init)
    assert g.end is None


def test_init_gradients_are_those_of_the_trained_runs_initial_weights():
    x, y = torch.randn(8, 3, 32, 32), torch.arange(8) % 10
    g = compute.init_gradients(compute.spec(False, False), 5, [(x[:4], y[:4]), (x[4:], y[4:])], torch.device("cpu"))
    torch.manual_seed(5)
    m = models.build(compute.spec(False, False))
    loss = torch.nn.functional.cross_entropy(m(x), y)  # no BN: the mean over both halves is the full mean
    ref = torch.autograd.grad(loss, [p for n, p in m.named_parameters() if n in WEIGHTS])
    assert np.allclose(g, [float(r.norm()) for r in ref], rtol=1e-4)


def test_reference_directions_are_orthonormal_unit_vectors():
    m = models.build(compute.spec(True, True))
    d1, d2 = compute.reference_directions(m, seed=3)
    n = sum(p.numel() for p in m.parameters())
    assert d1.numel() == n and d2.numel() == n
    assert float(d1.norm()) == pytest.approx(1.0, abs=1e-5) and float(d2.norm()) == pytest.approx(1.0, abs=1e-5)
    assert abs(float(d1 @ d2)) < 1e-5
    e1, _ = compute.reference_directions(m, seed=4)
    assert not torch.allclose(d1, e1)


def test_probe_batches_take_the_first_images_in_chunks():
    x, y = torch.arange(10.0).view(10, 1), torch.arange(10)
    split = data.Split(x, y, x, y)
    b = compute.probe_batches(split, 7, 3)
    assert [len(xb) for xb, _ in b] == [3, 3, 1]
    assert torch.equal(torch.cat([yb for _, yb in b]), torch.arange(7))


def test_weights_digest_sees_parameters_and_bn_buffers():
    torch.manual_seed(0)
    m = models.build(compute.spec(True, True))
    d0 = compute.weights_digest(m)
    bn = next(mod for mod in m.modules() if isinstance(mod, torch.nn.BatchNorm2d))
    bn.running_mean += 1.0
    d1 = compute.weights_digest(m)
    assert d1 != d0
    with torch.no_grad():
        next(m.parameters())[0].mul_(2.0)
    assert compute.weights_digest(m) != d1


def test_variant_models_have_the_switches():
    counts = {k: models.spec_n_params(compute.spec(*k)) for k in compute.VARIANTS}
    assert counts[(True, True)] == counts[(False, True)]  # skips add no parameters (option A)
    assert counts[(True, False)] == counts[(False, False)]
    assert [compute.variant_name(*k) for k in compute.VARIANTS] == [SB, S, B, N]


def test_seed_run_properties():
    r = seed_run(SB, 0, acc=0.7)
    assert r.final_test_acc == 0.7 and r.probed and not r.diverged
    d = seed_run(S, 0, diverged=True)
    assert d.final_test_acc is None and not d.probed and d.diverged
    assert seed_run(SB, 0, converged=False).hessian.lambda_max is None
