"""Notebook 08 in the smoke profile (its metrics), and the section's figures, text and verdict rules on
hand-made results objects: cases that hold, contradict and stay undecided."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest
from small_nets import assert_claims_checked

from lab_utils import models, references, sections
from lab_utils.core import stats
from lab_utils.references import setting as settings_mod
from lab_utils.report.metrics import headline_mean
from lab_utils.sections.optimizer_probes import compute, figures, text
from lab_utils.sections.optimizer_probes.compute import OPTIMIZERS, PAIRS, Curvature, Endpoint, Path, Results, Subspace

matplotlib.use("Agg")
NAME = "08_optimizer_probes"
SEEDS = [0, 1, 2]


# ---- hand-made results ----------------------------------------------------------------------------------------


def curv(opt, seed, lam=10.0, lam_min=-1.0, ratio=0.5, fisher=0.8, err=0.01):
    a = [-1.0, -0.5, 0.0, 0.5, 1.0]
    return Curvature(
        opt,
        seed,
        [lam, lam / 2, lam / 3],
        lam_min,
        err,
        True,
        50,
        5.0,
        0.5,
        [0.0, 1.0, 2.0],
        [0.1, 0.5, 0.4],
        ratio * lam,
        1.0,
        fisher * lam,
        0.01,
        1.0,
        0.01,
        a,
        [0.01 + 0.5 * lam * x * x for x in a],
        [0.01 + 1e-3 * x * x for x in a],
    )


def endpoint(opt, seed, acc=0.5, first=0.2, control=False, converged=True):
    return Endpoint(
        opt,
        seed,
        compute.model_seed(seed, opt, control),
        control,
        [1, 2, 3],
        [1.0, 0.1, 0.01],
        [1.5, 1.2, 1.1],
        [first, 0.4, acc],
        0.01 if converged else 0.9,
        0.01 if converged else 2.0,
        converged,
        "full-batch ‖∇L‖ ≤ 0.1 and training loss ≤ 0.05",
        300,
    )


def path(a, b, seed, lin=1.0, neb=0.5, bez=0.4, lowest="inside", control=False):
    """A path whose line, NEB and Bezier barriers are `lin`, `neb`, `bez` and whose line minimum lies beyond the
    end ("end"), at the start ("start") or beyond the start ("before")."""
    alpha = [-0.5, 0.0, 0.5, 1.0, 1.5]
    outside = {"end": (0.5, 0.05), "start": (0.5, 0.5), "before": (0.05, 0.5), "inside": (0.5, 0.5)}[lowest]
    lin_loss = [outside[0], 0.1, 0.1 + lin, 0.1, outside[1]]
    return Path(
        a,
        b,
        seed,
        control,
        10.0,
        alpha,
        lin_loss,
        [0.0, 0.5, 1.0],
        [0.1, 0.1 + neb, 0.1],
        None,
        None if control else [0.0, 0.5, 1.0],
        None if control else [0.1, 0.1 + bez, 0.1],
    )


def subspace(seed, accs=(0.11, 0.2, 0.4), dims=(15, 100, 1000), baseline=0.4):
    d90 = next((d for d, a in zip(dims, accs) if a >= 0.9 * baseline), None)
    return Subspace(
        seed,
        list(dims),
        list(accs),
        ["dense"] * len(dims),
        baseline,
        0.9 * baseline,
        d90,
        None if d90 is None else float(d90),
        20_000,
        5,
        512,
    )


def settings():
    cfg = sections.profiles(NAME)["smoke"]
    out = {k: getattr(cfg, k) for k in compute.SETTING_KEYS}
    out["n_params"] = 20_000
    return out


FULL_PARAMS = models.spec_n_params(compute.cnn_spec(sections.profiles(NAME)["full"]))


def recipe(n_seeds: int = 3):
    """Our setting as the full profile gives it: report 004's experiment over n_seeds seeds (scope "reduced")."""
    return compute.recipe(sections.profiles(NAME)["full"], FULL_PARAMS, 50_000, n_seeds)


def results(lam=None, ratio=None, acc=None, lam_min=None, paths=None, subs=None, converged=True):
    """Results over SEEDS with per-optimizer values (one number, the same for every seed, plus a small per-seed
    jitter so that the intervals have a spread)."""
    lam = lam or {"SGD": 100.0, "SGD+momentum": 30.0, "AdamW": 200.0}
    ratio = ratio or {"SGD": 2.0, "SGD+momentum": 3.0, "AdamW": 1.5}
    acc = acc or {"SGD": 0.6, "SGD+momentum": 0.7, "AdamW": 0.75}
    lam_min = lam_min or {o: -3.0 for o in OPTIMIZERS}
    jit = {0: 1.0, 1: 1.02, 2: 0.98}
    cv = [curv(o, s, lam[o] * jit[s], lam_min[o] * jit[s], ratio[o] * jit[s]) for o in OPTIMIZERS for s in SEEDS]
    eps = [
        endpoint(
            o, s, acc[o] + 0.005 * (s - 1), {"SGD": 0.3, "SGD+momentum": 0.35, "AdamW": 0.45}[o], converged=converged
        )
        for o in OPTIMIZERS
        for s in SEEDS
    ]
    eps += [endpoint("SGD+momentum", s, control=True) for s in SEEDS]
    if paths is None:
        paths = [
            path(a, b, s, neb=0.3 + 0.2 * i + 0.01 * s, bez=0.35 + 0.2 * i + 0.01 * s, lowest=low)
            for s in SEEDS
            for i, ((a, b), low) in enumerate(zip(PAIRS, ("end", "start", "start")))
        ]
        paths += [path("SGD", "SGD+momentum", s, lin=0.01, neb=0.0, control=True) for s in SEEDS]
    subs = subs if subs is not None else [subspace(s) for s in SEEDS]
    return Results(SEEDS, settings(), eps, cv, paths, subs, recipe())


def verdicts(res) -> dict[str, str]:
    return {c.id: c.verdict for c in text.checks(res)}


# ---- the smoke run ------------------------------------------------------------------------------------------------


def test_smoke_metrics(smoke_run):
    m, section_dir = smoke_run(NAME)
    cfg = sections.profiles(NAME)["smoke"]
    assert m["seeds"] == [0, 1] == list(range(cfg.n_seeds))
    ids = {c.id for c in references.for_section(NAME)}
    assert {c["id"] for c in m["claims"]} == ids, "every registered claim of 08 is checked"
    for c in m["claims"]:
        assert c["verdict"] in stats.VERDICTS and c["report"] == "004"
    assert_claims_checked(m, NAME, min_seeds=2)
    # the smoke CNN is not report 004's: every claim is "not tested", the rule's verdict kept beside it
    assert all(c["scope"] == settings_mod.DIFFERENT and c["verdict"] == stats.NOT_TESTED for c in m["claims"])
    assert all(c["setting"]["n_params"] == m["settings"]["n_params"] for c in m["claims"])
    conv = m["convergence"]
    assert len(conv) == 4 * len(m["seeds"])  # three optimizers and the control, per seed
    for r in conv:
        assert {"train_loss", "grad_norm", "converged", "criterion"} <= set(r)
        assert math.isfinite(r["train_loss"]) and r["grad_norm"] >= 0 and isinstance(r["converged"], bool)
    seeds = {(r["optimizer"], r["model_seed"]) for r in conv if not r["control"]}
    assert len({s for _, s in seeds}) == len(seeds), "no two end points share an initialisation"
    for o in m["optimizers"]:
        assert len(o["lambda_max"]) == len(m["seeds"])
        for lmax, lmin, kappa, err in zip(o["lambda_max"], o["lambda_min"], o["condition_extremes"], o["lambda_err"]):
            assert lmin <= lmax
            if abs(lmin) > err:
                assert kappa == pytest.approx(lmax / abs(lmin), rel=1e-9)  # condition_extremes
            else:
                assert kappa is None
        for r, c, lmax in zip(o["noise_ratio"], o["lambda_c"], o["lambda_max"]):
            assert r == pytest.approx(c / lmax, rel=1e-9)
    pairs = [(p["start"], p["end"]) for p in m["paths"] if not p["control"]]
    assert pairs == [pair for _ in m["seeds"] for pair in PAIRS]
    assert all(p["linear_barrier"] >= 0 and p["distance"] > 0 for p in m["paths"])
    assert all(p["bezier_barrier"] is None for p in m["paths"] if p["control"])
    for s in m["intrinsic_dim"]:
        assert s["d_int90"] is None or s["d_int90"] in s["dims"]
        assert s["d_int90_label"] == (f"> {max(s['dims'])}" if s["d_int90"] is None else str(s["d_int90"]))
    assert 3 <= len(m["headline"]) <= 5
    for png in ("training", "curvature", "spectra", "eigen_lines", "intrinsic_dimension", "paths"):
        assert (section_dir / f"{png}.png").stat().st_size > 1000


# ---- profiles and seeds -----------------------------------------------------------------------------------------


def test_profiles_follow_the_brief_and_the_report():
    for prof in ("smoke", "quick", "full"):
        cfg = sections.profiles(NAME)[prof]
        assert cfg.n_seeds >= 2 and cfg.neb_nodes >= 5
        alphas = compute.line_alphas(cfg)
        assert alphas[0] < 0 and alphas[-1] > 1.325  # the line reaches beyond both end points
        assert 0.0 in alphas and 1.0 in alphas
    full = sections.profiles(NAME)["full"]
    ref = references.claim("004.accuracy.sgd_lowest").setting
    assert ref["n_params"].matches(FULL_PARAMS) and compute.model_text(full) == ref["model"]
    assert len(full.channels) == 3 and full.channels[0] == 64  # 3 conv layers, 64 base filters
    assert (full.epochs, full.batch_size, full.lr_sgd, full.wd_sgd, full.n_train) == (12, 128, 0.01, 5e-4, 50_000)
    assert 15 in full.sub_dims and 15 in sections.profiles(NAME)["quick"].sub_dims


@pytest.mark.parametrize("prof", ["quick", "full"])
def test_quick_and_full_run_the_reports_experiment_only_smaller(prof):
    """The report's model, optimizers, learning rate, batch size: only images, epochs and seeds are cut."""
    cfg = sections.profiles(NAME)[prof]
    n_params = models.spec_n_params(compute.cnn_spec(cfg))
    ours = compute.recipe(cfg, n_params, cfg.n_train, cfg.n_seeds)
    assert cfg.n_seeds >= 3
    for c in references.for_section(NAME):
        mine = text.subspace_setting(ours, cfg.sub_dims, cfg.n_seeds) if ".intrinsic." in c.id else ours
        devs = settings_mod.deviations(c.setting, mine)
        assert settings_mod.scope(devs) in (settings_mod.REPORT, settings_mod.REDUCED), (c.id, devs)
        assert {d.key for d in devs} <= {"n_train", "epochs", "seeds"}, (c.id, devs)


def test_another_model_or_optimizer_is_a_different_experiment():
    cfg = sections.profiles(NAME)["smoke"]
    ours = compute.recipe(cfg, models.spec_n_params(compute.cnn_spec(cfg)), cfg.n_train, 2)
    assert ours["model"] == "CNN, 2 conv layers, 4 base filters"
    devs = settings_mod.deviations(references.claim("004.accuracy.sgd_lowest").setting, ours)
    assert {"model", "n_params", "lr_sgd", "batch_size"} <= {d.key for d in devs}
    assert settings_mod.scope(devs) == settings_mod.DIFFERENT
    res = results()
    res.setting = {**res.setting, "lr_sgd": 0.1}
    assert set(verdicts(res).values()) == {stats.NOT_TESTED}
    assert all(c.rule_verdict != stats.NOT_TESTED for c in text.checks(res))


def test_end_points_have_independent_starts_and_the_control_shares_one():
    seeds = [compute.model_seed(s, o) for s in range(3) for o in OPTIMIZERS]
    assert len(set(seeds)) == len(seeds)
    for s in range(3):
        assert compute.model_seed(s, "SGD+momentum", control=True) == compute.model_seed(s, "SGD")


def test_pairs_are_the_reports_order():
    assert PAIRS == (("SGD", "SGD+momentum"), ("SGD+momentum", "AdamW"), ("AdamW", "SGD"))
    nums = references.claim("004.neb.sgd_sgd_momentum_most_connected").numbers
    assert nums["path_loss_sgd_to_sgd_momentum"] == 3.263 and nums["path_loss_sgd_momentum_to_adamw"] == 4.667
    assert nums["path_loss_adamw_to_sgd"] == 4.708
    # our NEB maximum of each ordered pair lands under that pair's key
    ps = [path(a, b, s, neb=0.1 * (i + 1)) for s in SEEDS for i, (a, b) in enumerate(PAIRS)]
    check = next(c for c in text.checks(results(paths=ps)) if c.id == "004.neb.sgd_sgd_momentum_most_connected")
    assert check.reproduced["path_loss_sgd_to_sgd_momentum"] == pytest.approx(0.2)
    assert check.reproduced["path_loss_sgd_momentum_to_adamw"] == pytest.approx(0.3)
    assert check.reproduced["path_loss_adamw_to_sgd"] == pytest.approx(0.4)


# ---- verdict rules on constructed cases ------------------------------------------------------------------------


def test_every_registered_claim_is_checked_and_the_report_like_case_holds():
    res = results()
    v = verdicts(res)
    assert set(v) == {c.id for c in references.for_section(NAME)}
    for cid in (
        "004.accuracy.sgd_lowest",
        "004.accuracy.adamw_best",
        "004.training.adamw_fastest_early",
        "004.curvature.momentum_flattest",
        "004.curvature.adamw_sharpest",
        "004.curvature.indefinite",
        "004.noise.ratio_above_one",
        "004.noise.adamw_lowest",
        "004.interpolation.sgd_to_sgd_momentum_min_beyond",
        "004.interpolation.sgd_momentum_to_adamw_min_at_start",
        "004.interpolation.adamw_to_sgd_min_at_start",
        "004.neb.barriers_separate_minima",
        "004.neb.sgd_sgd_momentum_most_connected",
    ):
        assert v[cid] == stats.HOLDS, cid
    assert v["004.noise.sgd_highest"] == stats.CONTRADICTED  # SGD+momentum's ratio is the highest here, as in 004


def test_sharpness_verdicts_hold_contradict_and_stay_undecided():
    flat = {"SGD": 100.0, "SGD+momentum": 30.0, "AdamW": 200.0}
    assert verdicts(results(lam=flat))["004.curvature.momentum_flattest"] == stats.HOLDS
    sharp = {"SGD": 100.0, "SGD+momentum": 300.0, "AdamW": 200.0}
    assert verdicts(results(lam=sharp))["004.curvature.momentum_flattest"] == stats.CONTRADICTED
    assert verdicts(results(lam=sharp))["004.curvature.adamw_sharpest"] == stats.CONTRADICTED
    res = results(lam={"SGD": 100.0, "SGD+momentum": 100.0, "AdamW": 100.0})  # ties: jitter only, same per seed
    res.curvature[:] = [
        curv(c.optimizer, c.seed, 100.0 * (1 + 0.1 * ((c.seed + OPTIMIZERS.index(c.optimizer)) % 3)))
        for c in res.curvature
    ]
    assert verdicts(res)["004.curvature.momentum_flattest"] == stats.UNDECIDED


def test_one_seed_decides_nothing():
    res = results()
    one = Results(
        [0],
        res.settings,
        [e for e in res.endpoints if e.seed == 0],
        [c for c in res.curvature if c.seed == 0],
        [p for p in res.paths if p.seed == 0],
        [s for s in res.subspace if s.seed == 0],
    )
    one.setting = recipe(1)
    v = verdicts(one)
    for cid in (
        "004.curvature.momentum_flattest",
        "004.accuracy.sgd_lowest",
        "004.noise.ratio_above_one",
        "004.curvature.indefinite",
        "004.interpolation.sgd_to_sgd_momentum_min_beyond",
    ):
        assert v[cid] == stats.UNDECIDED, cid


def test_noise_ratio_above_one_needs_every_optimizer():
    assert verdicts(results(ratio={o: 2.0 for o in OPTIMIZERS}))["004.noise.ratio_above_one"] == stats.HOLDS
    some_below = {"SGD": 2.0, "SGD+momentum": 0.5, "AdamW": 2.0}
    assert verdicts(results(ratio=some_below))["004.noise.ratio_above_one"] == stats.CONTRADICTED
    res = results(ratio={o: 1.0 for o in OPTIMIZERS})  # around 1: the intervals straddle it
    res.curvature[:] = [curv(c.optimizer, c.seed, ratio=(0.8, 1.0, 1.25)[c.seed]) for c in res.curvature]
    assert verdicts(res)["004.noise.ratio_above_one"] == stats.UNDECIDED


def test_indefinite_and_condition():
    assert verdicts(results())["004.curvature.indefinite"] == stats.HOLDS
    pos = results(lam_min={o: 0.5 for o in OPTIMIZERS})  # positive beyond the error bound (0.01)
    assert verdicts(pos)["004.curvature.indefinite"] == stats.CONTRADICTED
    one_convex = results(lam_min={"SGD": -3.0, "SGD+momentum": 0.5, "AdamW": -3.0})  # in every seed
    assert verdicts(one_convex)["004.curvature.indefinite"] == stats.CONTRADICTED
    mixed = results()  # one seed's SGD+momentum end point with a resolved positive λmin
    mixed.curvature[:] = [
        curv(c.optimizer, c.seed, lam_min=0.5 if (c.optimizer, c.seed) == ("SGD+momentum", 0) else -3.0)
        for c in mixed.curvature
    ]
    assert verdicts(mixed)["004.curvature.indefinite"] == stats.UNDECIDED
    # a λmin within its error bound of 0 (sign unresolved) at one end point: not tested, whatever the others say
    unresolved = results()
    unresolved.curvature[:] = [
        curv(c.optimizer, c.seed, lam_min=1e-4 if (c.optimizer, c.seed) == ("AdamW", 2) else -3.0)
        for c in unresolved.curvature
    ]
    assert unresolved.curvature[-1].condition_extremes is None
    ch = {c.id: c for c in text.checks(unresolved)}
    for cid in ("004.curvature.indefinite", "004.curvature.condition_order"):
        assert ch[cid].verdict == stats.NOT_TESTED and "sign of λmin" in ch[cid].not_tested_because
        assert "resolved at 8 of 9" in ch[cid].precondition["detail"]
    assert ch["004.curvature.indefinite"].rule_verdict == stats.UNDECIDED  # kept: 2 seeds say yes, 1 no
    assert verdicts(results(lam_min={o: 1e-4 for o in OPTIMIZERS}))["004.curvature.indefinite"] == stats.NOT_TESTED
    c = curv("SGD", 0, lam=20.0, lam_min=-4.0)
    assert c.condition_extremes == pytest.approx(5.0)
    ordered = results(lam={"SGD": 100.0, "SGD+momentum": 30.0, "AdamW": 300.0}, lam_min={o: -3.0 for o in OPTIMIZERS})
    assert verdicts(ordered)["004.curvature.condition_order"] == stats.HOLDS
    reversed_ = results(lam={"SGD": 100.0, "SGD+momentum": 300.0, "AdamW": 30.0})
    assert verdicts(reversed_)["004.curvature.condition_order"] == stats.CONTRADICTED


def test_interpolation_minimum_beyond_the_end_or_at_the_start():
    beyond = [path(a, b, s, lowest="end") for s in SEEDS for a, b in PAIRS]
    v = verdicts(results(paths=beyond))
    assert v["004.interpolation.sgd_to_sgd_momentum_min_beyond"] == stats.HOLDS
    assert v["004.interpolation.sgd_momentum_to_adamw_min_at_start"] == stats.CONTRADICTED
    start = [path(a, b, s, lowest="start") for s in SEEDS for a, b in PAIRS]
    v = verdicts(results(paths=start))
    assert v["004.interpolation.sgd_to_sgd_momentum_min_beyond"] == stats.CONTRADICTED
    assert v["004.interpolation.sgd_momentum_to_adamw_min_at_start"] == stats.HOLDS
    mixed = [path(a, b, s, lowest="end" if s else "start") for s in SEEDS for a, b in PAIRS]
    assert verdicts(results(paths=mixed))["004.interpolation.sgd_to_sgd_momentum_min_beyond"] == stats.UNDECIDED
    flat = [path(a, b, s, lin=0.0, lowest="start") for s in SEEDS for a, b in PAIRS]  # no barrier towards SGD
    assert verdicts(results(paths=flat))["004.interpolation.adamw_to_sgd_min_at_start"] == stats.CONTRADICTED


def test_barrier_verdicts():
    low = [path(a, b, s, neb=0.5, bez=0.01 + 0.001 * s) for s in SEEDS for a, b in PAIRS]  # Bezier finds a way
    assert verdicts(results(paths=low))["004.neb.barriers_separate_minima"] == stats.CONTRADICTED
    high = [path(a, b, s, neb=1.0 + 0.01 * s, bez=1.2 + 0.01 * s) for s in SEEDS for a, b in PAIRS]
    assert verdicts(results(paths=high))["004.neb.barriers_separate_minima"] == stats.HOLDS
    # only the two pairs with AdamW count: a low SGD→SGD+momentum barrier (the report's "smooth connection") holds
    adamw_apart = [
        path(a, b, s, neb=(0.01 if i == 0 else 1.0) + 0.001 * s, bez=(0.02 if i == 0 else 1.2) + 0.001 * s)
        for s in SEEDS
        for i, (a, b) in enumerate(PAIRS)
    ]
    assert verdicts(results(paths=adamw_apart))["004.neb.barriers_separate_minima"] == stats.HOLDS
    one_low = [
        path(a, b, s, neb=(0.01 if i == 2 else 1.0) + 0.001 * s, bez=9.0)
        for s in SEEDS
        for i, (a, b) in enumerate(PAIRS)
    ]
    assert verdicts(results(paths=one_low))["004.neb.barriers_separate_minima"] == stats.CONTRADICTED
    around = [path(a, b, s, neb=(0.02, 0.1, 0.4)[s], bez=1.0) for s in SEEDS for a, b in PAIRS]
    assert verdicts(results(paths=around))["004.neb.barriers_separate_minima"] == stats.UNDECIDED
    worst_first = [
        path(a, b, s, neb=(2.0 if i == 0 else 0.5) + 0.01 * s, bez=9.0) for s in SEEDS for i, (a, b) in enumerate(PAIRS)
    ]
    assert verdicts(results(paths=worst_first))["004.neb.sgd_sgd_momentum_most_connected"] == stats.CONTRADICTED
    assert path("SGD", "AdamW", 0, neb=0.5, bez=0.2).best_barrier == pytest.approx(0.2)
    assert path("SGD", "AdamW", 0, neb=0.5, control=True).best_barrier == pytest.approx(0.5)


def test_intrinsic_dimension_at_the_edge_is_a_bound_not_a_value():
    edge = [subspace(s, accs=(0.1, 0.12, 0.2)) for s in SEEDS]  # nothing reaches 90 % of 0.4
    res = results(subs=edge)
    assert all(s.d_int90 is None for s in edge)
    assert "d_int90 > 1,000" in text.intrinsic_text(edge)
    m = text.metrics(res)
    assert m["headline"]["d_int90 (grid)"] == "> 1,000"
    assert all(r["d_int90"] is None and r["d_int90_label"] == "> 1000" for r in m["intrinsic_dim"])
    v = verdicts(res)
    assert v["004.intrinsic.full_space_needed"] == stats.NOT_TESTED  # the grid stops far below half the parameters
    assert v["004.intrinsic.d15_near_chance"] == stats.HOLDS
    reached = results()
    assert verdicts(reached)["004.intrinsic.full_space_needed"] == stats.NOT_TESTED  # the same short grid
    assert text.metrics(reached)["headline"]["d_int90 (grid)"] == 1000.0
    big = (15, 1000, FULL_PARAMS // 2 + 1)  # a grid reaching half the parameter count
    none = results(subs=[subspace(s, accs=(0.1, 0.15, 0.3), dims=big) for s in SEEDS])
    assert verdicts(none)["004.intrinsic.full_space_needed"] == stats.HOLDS
    every = results(subs=[subspace(s, accs=(0.1, 0.38, 0.4), dims=big) for s in SEEDS])
    assert verdicts(every)["004.intrinsic.full_space_needed"] == stats.CONTRADICTED
    some = results(subs=[subspace(s, accs=(0.1, 0.15, 0.4 if s else 0.3), dims=big) for s in SEEDS])
    assert verdicts(some)["004.intrinsic.full_space_needed"] == stats.UNDECIDED
    far = results(subs=[subspace(s, accs=(0.35 + 0.01 * s, 0.38, 0.4)) for s in SEEDS])
    assert verdicts(far)["004.intrinsic.d15_near_chance"] == stats.CONTRADICTED


def test_accuracy_verdicts():
    assert verdicts(results())["004.accuracy.sgd_lowest"] == stats.HOLDS
    best_sgd = {"SGD": 0.8, "SGD+momentum": 0.7, "AdamW": 0.6}
    v = verdicts(results(acc=best_sgd))
    assert v["004.accuracy.sgd_lowest"] == stats.CONTRADICTED and v["004.accuracy.adamw_best"] == stats.CONTRADICTED
    tie = {"SGD": 0.6, "SGD+momentum": 0.7, "AdamW": 0.7}
    res = results(acc=tie)
    res.endpoints[:] = [
        endpoint(
            e.optimizer,
            e.seed,
            e.final_acc + (0.01 * (e.seed - 1) if e.optimizer == "AdamW" else 0.0),
            control=e.control,
        )
        for e in res.endpoints
    ]
    assert verdicts(res)["004.accuracy.adamw_best"] == stats.UNDECIDED


# ---- figures and text on hand-made results -------------------------------------------------------------------------


def test_figures_draw_from_results_only(tmp_path):
    res = results()
    figs = {
        "training": figures.training(res.endpoints),
        "curvature": figures.curvature(res.curvature),
        "spectra": figures.spectra(res.curvature),
        "eigen_lines": figures.eigen_lines(res.curvature),
        "intrinsic": figures.intrinsic(res.subspace),
        "paths": figures.paths(res.paths),
        "edge": figures.intrinsic([subspace(s, accs=(0.1, 0.12, 0.2)) for s in SEEDS]),
    }
    for name, fig in figs.items():
        fig.savefig(tmp_path / f"{name}.png")
        assert (tmp_path / f"{name}.png").stat().st_size > 1000
    assert len(figs["paths"].axes) == len(PAIRS) + 1  # the control has its own panel
    no_control = [p for p in res.paths if not p.control]  # the quick profile trains no control
    assert len(figures.paths(no_control).axes) == len(PAIRS)
    assert "Control" not in text.paths_text(no_control)
    import matplotlib.pyplot as plt

    plt.close("all")


def test_text_states_the_numbers_and_the_failures():
    res = results()
    conv = text.convergence_text(res.endpoints, res.settings)
    assert "All 9 end points meet it" in conv
    bad = results(converged=False)
    conv = text.convergence_text(bad.endpoints, bad.settings)
    assert "0 of 9 end points meet it" in conv and "not converged" in conv
    assert "not converged" in text.verdict_intro(bad)
    assert "control" in text.paths_text(res.paths).lower() and "removes most of the barrier" in text.paths_text(
        res.paths
    )
    noise = text.noise_text(res.curvature, res.settings)
    assert "λ_F/λ_H" in noise and "above 1" in noise
    low = results(ratio={o: 0.3 for o in OPTIMIZERS})
    assert "below 1" in text.noise_text(low.curvature, low.settings)
    rows = text.curvature_table(res.curvature, res.endpoints)
    assert [r["optimizer"] for r in rows] == list(OPTIMIZERS)
    assert rows[1]["ref λmin"] == -2.01 and rows[1]["ref κ"] == 18.74 and rows[2]["ref λ_C/λ_H"] == 1.52
    assert len(text.endpoint_table(res.endpoints)) == len(res.endpoints)
    assert "tr(H)/p" in text.lines_text(res.curvature, res.settings)
    assert str(res.settings["n_params"]) in text.setting(res.settings, res.seeds).replace(",", "")


def test_metrics_carry_convergence_and_a_numeric_headline():
    m = text.metrics(results())
    assert len(m["convergence"]) == 12 and all("criterion" in r for r in m["convergence"])
    for label, v in m["headline"].items():
        v = headline_mean(v)
        assert isinstance(v, (int, float)) and math.isfinite(v), label
    assert m["headline"]["λmax SGD+momentum ÷ min(SGD, AdamW)"]["mean"] == pytest.approx(0.3, rel=0.05)
    assert np.isclose(
        m["headline"]["noise ratio λ_C/λ_H (all end points)"]["mean"], np.mean([2.0, 3.0, 1.5]), rtol=0.05
    )


def test_untrained_end_points_leave_the_probe_claims_untested():
    res = results(acc={o: 0.12 for o in OPTIMIZERS})  # within 5 points of chance
    ch = {c.id: c for c in text.checks(res)}
    for cid in ("004.curvature.momentum_flattest", "004.noise.adamw_lowest", "004.neb.barriers_separate_minima"):
        assert ch[cid].verdict == stats.NOT_TESTED and "beyond chance" in ch[cid].not_tested_because, cid
        assert ch[cid].rule_verdict == stats.HOLDS, cid
    assert ch["004.accuracy.sgd_lowest"].verdict != stats.NOT_TESTED  # the accuracy claims presume no training level
