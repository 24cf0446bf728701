"""07 ablation: prose, the claim checks and the metrics, each computed from a `compute.Results` only.

Every verdict applies one rule of `lab_utils.core.stats` to per-seed values (paired by seed where two variants are
compared), and its `rule` says which. Reference numbers come from the claim registry (`references.ablation`).
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from ...core import data, stats
from ...references import claim, for_section
from ...references.setting import NOT_STATED
from ...report import claims as claims_mod
from ...report.claims import ClaimCheck, Precondition
from ...report.fmt import count, fmt, mean_sd, num, values
from ...report.metrics import spread
from . import compute
from .compute import NAMES, Results, SeedRun

SECTION = "07_ablation"
CHANCE = data.CHANCE_ACCURACY
CHANCE_LOSS_DELTA = 0.01  # "does not learn": full-batch training loss within ln 10 +- 0.01 nats
REDUCTION_DELTA = 5.0  # "reduces lambda_max by 92 percent": within +- 5 percentage points
FLAT_LIMIT = 5e-5  # a loss range below this prints as 0.0000 at report 003's four decimals
SB, S, B, N = (NAMES[k] for k in ((True, True), (True, False), (False, True), (False, False)))


# ---- per-seed values --------------------------------------------------------------------------------------


def per_seed(res: Results, name: str, f: Callable[[SeedRun], float | None]) -> list[float | None]:
    """f of each seed's run of variant `name` (in seed order), None where f has no value."""
    out = []
    for r in res.runs[name]:
        v = f(r)
        out.append(None if v is None or not math.isfinite(v) else float(v))
    return out


def _log10(v: float | None) -> float | None:
    return math.log10(v) if v is not None and v > 0 else None


def acc(r: SeedRun) -> float | None:
    return r.final_test_acc


def acc_or_chance(r: SeedRun) -> float | None:
    """Test accuracy, with a diverged run at chance (its NaN outputs predict one class)."""
    return CHANCE if r.diverged else r.final_test_acc


def lam(r: SeedRun) -> float | None:
    """lambda_max by Lanczos where it converged, else None."""
    return r.hessian.lambda_max if r.hessian is not None else None


def lam_power(r: SeedRun) -> float | None:
    """lambda_max by the report's measure: the fixed number of power iterations."""
    return r.hessian.lambda_power if r.hessian is not None else None


def kappa_k(r: SeedRun) -> float | None:
    """kappa_k = lambda_1 / lambda_k of the converged top-k (`Hessian.condition_top_k`), else None."""
    return r.hessian.condition_top_k if r.hessian is not None else None


def ref_range(r: SeedRun) -> float | None:
    return r.ref_grid.loss_range if r.ref_grid is not None else None


def filter_range(r: SeedRun) -> float | None:
    return r.filter_grid.loss_range if r.filter_grid is not None else None


def log_ratio(res: Results, f, num_name: str, den_name: str) -> list[float | None]:
    """Per seed log10(f(num) / f(den)), None where either is missing or not positive."""
    a, b = per_seed(res, num_name, f), per_seed(res, den_name, f)
    return [None if x is None or y is None or x <= 0 or y <= 0 else math.log10(x / y) for x, y in zip(a, b)]


def reference_points() -> dict[str, dict[str, float]]:
    """Report 003's (test accuracy in percent, lambda_max, loss range) per probed variant, from the registry."""
    acc, lam = (
        claim("003.ablation.skip_bn_beats_bn_only").numbers,
        claim("003.ablation.skip_reduces_lambda_max").numbers,
    )
    rng = claim("003.ablation.skip_lowers_loss_range").numbers
    plain_acc = claim("003.ablation.plain_net_at_chance").numbers["acc_neither"]
    plain_lam = claim("003.ablation.plain_net_small_lambda").numbers["lambda_neither"]
    plain_rng = claim("003.ablation.plain_net_flat_landscape").numbers["range_neither"]
    return {
        "skip + BN": {"acc": acc["acc_skip_bn"], "lambda": lam["lambda_skip_bn"], "range": rng["range_skip_bn"]},
        "BN only": {"acc": acc["acc_bn_only"], "lambda": lam["lambda_bn_only"], "range": rng["range_bn_only"]},
        "neither": {"acc": plain_acc, "lambda": plain_lam, "range": plain_rng},
    }


# ---- our setting and the preconditions -------------------------------------------------------------------

KAPPA = "lambda_max / lambda_min"  # what check_condition bounds and measures: Lanczos at both ends


def ours(res: Results, names: Sequence[str], n_seeds: int | None = None, **measure) -> dict:
    """Our setting in the registry's keys, from the run's config, the recipe `compute.fit_kwargs` trains with and
    the models built: n_params of the first of `names` (the variants the claim is about), seeds the number of
    runs the verdict uses (`n_seeds`, default every seed), plus the claim's measure keys."""
    kw = compute.fit_kwargs(res.cfg)
    n = res.n_params.get(names[0])
    return {
        "model": res.model,
        "n_params": NOT_STATED if n is None else int(n),
        "data": compute.DATA_NAMES.get(compute.DATASET, compute.DATASET),
        "n_train": res.cfg.n_train,
        "n_test": res.cfg.n_test,
        "optimizer": kw["optimizer"],
        "lr": kw["lr"],
        "momentum": kw["momentum"],
        "weight_decay": kw["weight_decay"],
        "batch_size": kw["batch_size"],
        "scheduler": kw["scheduler"],
        "augment": kw["augment"],
        "epochs": kw["epochs"],
        "seeds": len(res.seeds) if n_seeds is None else int(n_seeds),
        **measure,
    }


def landscape_measure(res: Results) -> dict:
    """The reference-unit grid as run: points per axis, half-width and kind of directions (from the first probed
    run's grid; the profile's values when nothing was probed)."""
    g = next((r.ref_grid for runs in res.runs.values() for r in runs if r.ref_grid is not None), None)
    if g is None:
        return {
            "grid_steps": res.cfg.ref_grid_steps,
            "span": res.cfg.span,
            "directions": compute.DIRECTIONS["reference"],
        }
    c = np.asarray(g.coords, dtype=float)
    return {"grid_steps": int(len(c)), "span": float(np.max(np.abs(c))), "directions": compute.DIRECTIONS[g.units]}


def power_measure(res: Results) -> dict:
    """lambda_max as measured for the verdicts: power iteration with the HVP count the probed runs used."""
    hvps = sorted({r.hessian.power_hvps for runs in res.runs.values() for r in runs if r.hessian is not None})
    iters = hvps[0] if len(hvps) == 1 else res.cfg.power_iters
    return {"eigen_method": "power iteration", "power_iters": int(iters)}


def beyond_chance(res: Results, names: Sequence[str]) -> Precondition:
    """Every run of the variants `names` trained beyond chance: the 95 % Wilson interval of its test accuracy (k
    of the n_test test images right) lies above 10 % (a diverged run has no accuracy and fails)."""
    n_test = res.cfg.n_test
    ok, parts = True, []
    for name in names:
        a = per_seed(res, name, acc)
        lows = [None if v is None else stats.wilson_interval(round(v * n_test), n_test).lo for v in a]
        n_ok = sum(lo is not None and lo > CHANCE for lo in lows)
        ok = ok and n_ok == len(a) and len(a) > 0
        parts.append(f"{name} {n_ok} of {len(a)} runs")
    return Precondition(
        f"every run of {' and '.join(names)} trained beyond chance (the 95 % interval of its test accuracy on "
        f"{n_test:,} images lies above {100 * CHANCE:g} %): sharpness and landscapes are compared at trained points",
        ok,
        "; ".join(parts),
    )


# ---- claim checks -----------------------------------------------------------------------------------------


def check_skip_bn_beats_bn_only(res: Results) -> ClaimCheck:
    a, b = per_seed(res, SB, acc), per_seed(res, B, acc)
    iv = stats.paired_interval(a, b)
    return claims_mod.check(
        "003.ablation.skip_bn_beats_bn_only",
        stats.direction_verdict(iv, +1),
        rule="direction: holds when the 95 % interval of the per-seed test-accuracy difference (skip + BN − BN "
        "only) lies above 0, contradicted when it lies below 0",
        ours=f"difference {iv.pp()}; skip + BN {values([100 * v if v is not None else None for v in a], 4)} %, "
        f"BN only {values([100 * v if v is not None else None for v in b], 4)} %",
        reproduced={"acc_skip_bn": _pct(stats.mean(a)), "acc_bn_only": _pct(stats.mean(b))},
        setting=ours(res, (SB, B), iv.n),
        difference=iv,
        acc_skip_bn=a,
        acc_bn_only=b,
    )


def _pct(v: float | None) -> float | None:
    return None if v is None else 100 * v


def check_skip_only_diverges(res: Results) -> ClaimCheck:
    runs = res.runs[S]
    flags = [r.diverged for r in runs]
    eps = [r.diverged_at_epoch for r in runs]
    return claims_mod.check(
        "003.ablation.skip_only_diverges",
        stats.unanimous_verdict(flags),
        rule="unanimous: holds when the training loss of every seed's skip-only run became NaN/inf, contradicted "
        "when no seed's did",
        ours=f"{sum(flags)}/{len(flags)} seeds diverged"
        + (f" (epoch {', '.join(str(e) for e in eps if e is not None)})" if any(flags) else ""),
        setting=ours(res, (S,), len(flags)),
        diverged=flags,
        diverged_at_epoch=eps,
        diverged_at_step=[r.diverged_at_step for r in runs],
    )


def check_plain_net_at_chance(res: Results) -> ClaimCheck:
    a = per_seed(res, N, acc)
    train_loss = per_seed(res, N, lambda r: None if r.diverged else r.convergence.train_loss)
    iv = stats.mean_interval([None if v is None else v - data.CHANCE_LOSS for v in train_loss])
    iv_acc = stats.mean_interval([None if v is None else v - CHANCE for v in a])
    test_loss = per_seed(res, N, lambda r: r.final_test_loss)
    return claims_mod.check(
        "003.ablation.plain_net_at_chance",
        stats.equivalence_verdict(iv, CHANCE_LOSS_DELTA),
        rule=f"equivalence: the net has learned nothing when its full-batch training loss is that of the uniform "
        f"prediction, ln 10 = {data.CHANCE_LOSS:.4f}; holds when the 95 % interval of the per-seed loss − ln 10 "
        f"lies within ±{CHANCE_LOSS_DELTA:g} nats, contradicted when wholly outside",
        ours=f"training loss {values(train_loss, 5)}, minus ln 10 {iv.text(digits=2)}; test accuracy "
        f"{values([_pct(v) for v in a], 3)} % (minus chance {iv_acc.pp()}); test loss {values(test_loss, 4)}",
        reproduced={"acc_neither": _pct(stats.mean(a)), "loss_neither": stats.mean(train_loss)},
        setting=ours(res, (N,), iv.n),
        excess_loss=iv,
        excess_accuracy=iv_acc,
        acc_neither=a,
        train_loss=train_loss,
        test_loss=test_loss,
    )


def check_skip_more_critical(res: Results) -> ClaimCheck:
    s, b = per_seed(res, S, acc_or_chance), per_seed(res, B, acc_or_chance)
    iv = stats.paired_interval(s, b)
    ref = claim("003.ablation.skip_more_critical_than_bn").numbers
    return claims_mod.check(
        "003.ablation.skip_more_critical_than_bn",
        stats.direction_verdict(iv, +1),
        rule="direction: removing a component costs the accuracy it carried, so skips matter more when the net "
        "without BN (skip only) beats the net without skips (BN only); holds when the 95 % interval of the "
        "per-seed difference skip only − BN only lies above 0, contradicted when below (a diverged run counts "
        "at chance, 10 %)",
        ours=f"skip only − BN only {iv.pp()}. In report 003's own table removing the skips costs "
        f"{ref['acc_skip_bn'] - ref['acc_bn_only']:.2f} pp ({ref['acc_skip_bn']} → {ref['acc_bn_only']} %) "
        f"while removing BN diverges (NaN)",
        setting=ours(res, (S, B), iv.n),
        difference=iv,
        acc_skip_only=s,
        acc_bn_only=b,
    )


def check_skip_reduces_lambda(res: Results) -> ClaimCheck:
    lr = log_ratio(res, lam_power, B, SB)
    iv = stats.mean_interval(lr)
    a, b = per_seed(res, SB, lam_power), per_seed(res, B, lam_power)
    iv_l = stats.mean_interval(log_ratio(res, lam, B, SB))
    fold = None if iv.n == 0 else 10**iv.mean
    pm = power_measure(res)
    return claims_mod.check(
        "003.ablation.skip_reduces_lambda_max",
        stats.direction_verdict(iv, +1),
        rule=f"direction: holds when the 95 % interval of the per-seed log10(λmax BN only / λmax skip + BN) lies "
        f"above 0, contradicted when below (λmax by the report's {pm['power_iters']} power iterations; a "
        f"non-positive value is left out)",
        ours=f"λmax skip + BN {values(a, 4)}, BN only {values(b, 4)}; log10 ratio {iv.text()}"
        + (f", i.e. ×{fold:.3g}" if fold is not None else "")
        + f"; by converged Lanczos the log10 ratio is {iv_l.text()}",
        reproduced={"lambda_skip_bn": stats.mean(a), "lambda_bn_only": stats.mean(b), "fold": fold},
        setting=ours(res, (SB, B), iv.n, **pm),
        precondition=beyond_chance(res, (SB, B)),
        log10_ratio=iv,
        log10_ratio_lanczos=iv_l,
        lambda_skip_bn=a,
        lambda_bn_only=b,
    )


def check_lambda_reduction(res: Results) -> ClaimCheck:
    target = claim("003.ablation.lambda_reduction_92_percent").numbers["reduction_percent"]
    a, b = per_seed(res, SB, lam_power), per_seed(res, B, lam_power)
    pm = power_measure(res)
    red = [None if x is None or y is None or y <= 0 else 100 * (1 - x / y) for x, y in zip(a, b)]
    iv = stats.mean_interval([None if v is None else v - target for v in red])
    return claims_mod.check(
        "003.ablation.lambda_reduction_92_percent",
        stats.equivalence_verdict(iv, REDUCTION_DELTA),
        rule=f"equivalence: holds when the 95 % interval of the per-seed reduction 100 (1 − λmax skip + BN / λmax "
        f"BN only) minus {target:g} % lies within ±{REDUCTION_DELTA:g} pp, contradicted when wholly outside (λmax by "
        f"the report's {pm['power_iters']} power iterations)",
        ours=f"reduction {values(red, 3)} % per seed; minus {target:g}: {iv.text()} pp",
        reproduced={"reduction_percent": stats.mean(red)},
        setting=ours(res, (SB, B), iv.n, **pm),
        precondition=beyond_chance(res, (SB, B)),
        reduction_percent=red,
        minus_target=iv,
    )


def check_skip_lowers_range(res: Results) -> ClaimCheck:
    lr = log_ratio(res, ref_range, B, SB)
    iv = stats.mean_interval(lr)
    iv_f = stats.mean_interval(log_ratio(res, filter_range, B, SB))
    a, b = per_seed(res, SB, ref_range), per_seed(res, B, ref_range)
    return claims_mod.check(
        "003.ablation.skip_lowers_loss_range",
        stats.direction_verdict(iv, +1),
        rule="direction: holds when the 95 % interval of the per-seed log10(loss range BN only / skip + BN) on the "
        "reference-unit grid lies above 0, contradicted when below",
        ours=f"reference units: skip + BN {values(a)}, BN only {values(b)}, log10 ratio {iv.text()}; filter-normalized "
        f"log10 ratio {iv_f.text()}",
        reproduced={"range_skip_bn": stats.mean(a), "range_bn_only": stats.mean(b)},
        setting=ours(res, (SB, B), iv.n, **landscape_measure(res)),
        precondition=beyond_chance(res, (SB, B)),
        log10_ratio=iv,
        log10_ratio_filter=iv_f,
        range_skip_bn=a,
        range_bn_only=b,
    )


def check_plain_flat(res: Results) -> ClaimCheck:
    r = per_seed(res, N, ref_range)
    iv = stats.mean_interval(r)
    f = per_seed(res, N, filter_range)
    trained = per_seed(res, SB, ref_range)
    return claims_mod.check(
        "003.ablation.plain_net_flat_landscape",
        stats.direction_verdict(iv, -1, FLAT_LIMIT),
        rule=f"direction: on the reference-unit grid, holds when the 95 % interval of the plain net's loss range lies "
        f"below {FLAT_LIMIT:g} (what prints as 0.0000 at the report's four decimals), contradicted when above",
        ours=f"reference units {values(r)} per seed ({iv.text()}; skip + BN {values(trained)}); filter-normalized "
        f"{values(f)}",
        reproduced={"range_neither": stats.mean(r)},
        setting=ours(res, (N,), iv.n, **landscape_measure(res)),
        range_reference=iv,
        range_per_seed=r,
        range_filter=f,
    )


def check_plain_small_lambda(res: Results) -> ClaimCheck:
    lr = log_ratio(res, lam_power, N, SB)
    iv = stats.mean_interval(lr)
    n, sb = per_seed(res, N, lam_power), per_seed(res, SB, lam_power)
    pm = power_measure(res)
    return claims_mod.check(
        "003.ablation.plain_net_small_lambda",
        stats.direction_verdict(iv, -1),
        rule=f"direction: holds when the 95 % interval of the per-seed log10(λmax neither / λmax skip + BN) lies "
        f"below 0, contradicted when above (λmax by the report's {pm['power_iters']} power iterations; a "
        f"non-positive value is left out)",
        ours=f"λmax neither {values(n, 4)}, skip + BN {values(sb, 4)}; log10 ratio {iv.text()}",
        reproduced={"lambda_neither": stats.mean(n), "lambda_skip_bn": stats.mean(sb)},
        setting=ours(res, (N, SB), iv.n, **pm),
        precondition=beyond_chance(res, (SB,)),
        log10_ratio=iv,
        lambda_neither=n,
        lambda_skip_bn=sb,
    )


def _lambda_1(r: SeedRun) -> float | None:
    """The converged Lanczos lambda_1 when positive, else None."""
    h = r.hessian
    return h.top_k[0] if h is not None and h.lanczos_converged and h.top_k[0] > 0 else None


def ratio_upper(r: SeedRun) -> float | None:
    """An upper bound of lambda_min / lambda_max: min(lambda_k, Lanczos smallest Ritz value) / lambda_1 (both are >=
    lambda_min whether or not the smallest one converged), None without a converged positive lambda_1."""
    l1 = _lambda_1(r)
    if l1 is None:
        return None
    low = r.hessian.top_k[-1] if r.hessian.lambda_min is None else min(r.hessian.top_k[-1], r.hessian.lambda_min)
    return low / l1


def ratio_exact(r: SeedRun) -> float | None:
    """lambda_min / lambda_max from converged Lanczos at both ends, else None."""
    l1 = _lambda_1(r)
    if l1 is None or r.hessian.lambda_min is None or not r.hessian.lambda_min_converged:
        return None
    return r.hessian.lambda_min / l1


def check_condition(res: Results) -> ClaimCheck:
    nums = claim("003.ablation.condition_number_near_one").numbers
    limit = max(nums.values())
    names = (SB, B, N)
    up = {n: per_seed(res, n, ratio_upper) for n in names}
    ex = {n: per_seed(res, n, ratio_exact) for n in names}
    iv_up = {n: stats.mean_interval(v) for n, v in up.items()}
    iv_ex = {n: stats.mean_interval(v) for n, v in ex.items()}
    below = [n for n in names if stats.direction_verdict(iv_up[n], -1, 1 / limit) == stats.HOLDS]
    near = [n for n in names if None not in ex[n] and stats.direction_verdict(iv_ex[n], +1, 1 / limit) == stats.HOLDS]
    verdict = stats.CONTRADICTED if below else stats.HOLDS if len(near) == len(names) else stats.UNDECIDED
    parts = [f"{n} λmin/λmax ≤ {iv_up[n].text()}, measured {values(ex[n], 3)}" for n in names]
    return claims_mod.check(
        "003.ablation.condition_number_near_one",
        verdict,
        rule=f"bound and measure of λmin/λmax = 1/κ (Lanczos at both ends): contradicted when for some variant the "
        f"95 % interval of the per-seed upper bound min(λ{res.cfg.top_k}, smallest Ritz value)/λ1 lies below "
        f"1/{limit:g} (then κ > {limit:g} or λmin ≤ 0); holds when for every variant λmin converged in every seed "
        f"and the 95 % interval of λmin/λ1 lies above 1/{limit:g} (κ ≤ {limit:g}); else undecided",
        ours="; ".join(parts),
        setting=ours(res, names, min((iv.n for iv in iv_up.values()), default=0), kappa=KAPPA),
        ratio_upper=up,
        ratio_measured=ex,
        below=below,
    )


def factor_init(r: SeedRun) -> float | None:
    return r.grads.factor_init


def check_vanishing(res: Results) -> ClaimCheck:
    f = per_seed(res, N, factor_init)
    iv = stats.mean_interval([_log10(v) for v in f])
    f_sb = per_seed(res, SB, factor_init)
    fm = None if iv.n == 0 else 10**iv.mean
    return claims_mod.check(
        "003.ablation.vanishing_gradient",
        stats.direction_verdict(iv, -1),
        rule="direction: f is the per-layer factor of a least-squares fit of log10 ‖∂L/∂W_l‖ over the 19 "
        "convolutions at the initial weights (‖g_l‖ ∝ f^(L−l)); holds when the 95 % interval of the plain net's "
        "per-seed log10 f lies below 0 (gradients shrink towards the input), contradicted when above",
        ours=f"plain net f {values(f, 3)} per seed ({'f^20 = ' + format(fm**20, '.2g') if fm else 'no value'}); "
        f"skip + BN f {values(f_sb, 3)}",
        reproduced={"factor_per_layer": fm, "decay": None if fm is None else fm**20},
        setting=ours(res, (N,), iv.n),
        log10_factor=iv,
        factor_neither=f,
        factor_skip_bn=f_sb,
    )


def _points(res: Results) -> tuple[list[float], list[float]]:
    """(lambda_max by power iteration, test accuracy) of every probed run."""
    xs, ys = [], []
    for runs in res.runs.values():
        for r in runs:
            if lam_power(r) is not None and acc(r) is not None:
                xs.append(lam_power(r))
                ys.append(acc(r))
    return xs, ys


def report_own_correlation() -> stats.Correlation:
    """Pearson r of report 003's own three (lambda_max, test accuracy) points, from the registry."""
    a = claim("003.ablation.skip_bn_beats_bn_only").numbers
    l1 = claim("003.ablation.skip_reduces_lambda_max").numbers
    pn = claim("003.ablation.plain_net_at_chance").numbers
    pl = claim("003.ablation.plain_net_small_lambda").numbers
    return stats.correlation(
        [l1["lambda_skip_bn"], l1["lambda_bn_only"], pl["lambda_neither"]],
        [a["acc_skip_bn"], a["acc_bn_only"], pn["acc_neither"]],
        method="pearson",
    )


def check_lambda_predicts(res: Results) -> ClaimCheck:
    strong = claim("003.ablation.lambda_predicts_generalization").numbers["r"]
    xs, ys = _points(res)
    c = stats.correlation(xs, ys, method="pearson")
    v = stats.correlation_verdict(c, -1)
    if v == stats.HOLDS and not c.r < -strong:
        v = stats.UNDECIDED
    own = report_own_correlation()
    return claims_mod.check(
        "003.ablation.lambda_predicts_generalization",
        v,
        rule=f"correlation: Pearson r of λmax (the report's {power_measure(res)['power_iters']} power iterations) "
        f"against test accuracy over every probed run (variants × seeds); holds when r < −{strong:g} with "
        f"p < 0.05, contradicted when r > 0 with p < 0.05, else undecided",
        ours=f"r = {num(c.r, 3)} (p = {num(c.p, 2)}, n = {c.n}); report 003's own three points give "
        f"r = {own.r:+.2f} (n = 3)",
        reproduced={"r": None if not math.isfinite(c.r) else c.r},
        setting=ours(res, (SB, B, N), len(res.seeds), **power_measure(res)),
        precondition=beyond_chance(res, (SB, B)),
        pearson=c,
        report_own=own,
    )


def checks(res: Results) -> list[ClaimCheck]:
    """One check per registry claim of this section, in registry order."""
    by_id = {
        "003.ablation.skip_bn_beats_bn_only": check_skip_bn_beats_bn_only,
        "003.ablation.skip_only_diverges": check_skip_only_diverges,
        "003.ablation.plain_net_at_chance": check_plain_net_at_chance,
        "003.ablation.skip_more_critical_than_bn": check_skip_more_critical,
        "003.ablation.skip_reduces_lambda_max": check_skip_reduces_lambda,
        "003.ablation.lambda_reduction_92_percent": check_lambda_reduction,
        "003.ablation.skip_lowers_loss_range": check_skip_lowers_range,
        "003.ablation.plain_net_flat_landscape": check_plain_flat,
        "003.ablation.plain_net_small_lambda": check_plain_small_lambda,
        "003.ablation.condition_number_near_one": check_condition,
        "003.ablation.vanishing_gradient": check_vanishing,
        "003.ablation.lambda_predicts_generalization": check_lambda_predicts,
    }
    return [by_id[c.id](res) for c in for_section(SECTION)]


# ---- prose ------------------------------------------------------------------------------------------------


def _setting(claim_id: str) -> dict:
    return claim(claim_id).setting


OPTIMIZERS = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW"}
SCHEDULERS = {"cosine": "a cosine schedule to 0", "constant": "a constant learning rate"}
AUGMENTS = {None: "no augmentation", "crop_flip": "random crops (padding 4) and horizontal flips"}


def _recipe(s: dict) -> str:
    """An optimizer recipe in words from a setting dict (the registry's or ours)."""
    return (
        f"{OPTIMIZERS.get(s['optimizer'], s['optimizer'])} (momentum {s['momentum']:g}, weight decay "
        f"{s['weight_decay']:g}, learning rate {s['lr']:g}, {SCHEDULERS.get(s['scheduler'], s['scheduler'])}), "
        f"batch {s['batch_size']}"
    )


def _math(t: str) -> str:
    """A registry formula in symbols ("lambda_max / lambda_min" -> "λmax/λmin")."""
    return t.replace("lambda_max", "λmax").replace("lambda_min", "λmin").replace(" / ", "/")


def reference() -> str:
    """Report 003's setting and numbers, from the registry."""
    s = _setting("003.ablation.skip_reduces_lambda_max")
    g = _setting("003.ablation.plain_net_flat_landscape")
    kap = _setting("003.ablation.condition_number_near_one")
    a = claim("003.ablation.skip_bn_beats_bn_only").numbers
    pn = claim("003.ablation.plain_net_at_chance").numbers
    lm = claim("003.ablation.skip_reduces_lambda_max").numbers
    pl = claim("003.ablation.plain_net_small_lambda").numbers
    rg = claim("003.ablation.skip_lowers_loss_range").numbers
    pf = claim("003.ablation.plain_net_flat_landscape").numbers
    k = claim("003.ablation.condition_number_near_one").numbers
    times = "once each" if s["seeds"] == 1 else f"{s['seeds']} times each"
    return (
        f"**Report 003** trained the four variants of {s['model'].split(',')[0]} ({fmt(s['n_params'])} parameters) "
        f"{times} with {_recipe(s)}, {s['epochs']} epochs on all {s['n_train']:,} {s['data']} training images (data "
        f"augmentation not stated); it drew a {g['grid_steps']}×{g['grid_steps']} landscape on [−{g['span']:g}, "
        f"{g['span']:g}]² along two directions ({g['directions']}), took λmax from {s['power_iters']} "
        f"{s['eigen_method']} steps and κ = {_math(kap['kappa'])} (how λmin was found is not stated). Its table (skip + "
        f"BN / skip only / BN only / neither): test accuracy {a['acc_skip_bn']} % / NaN (diverged) / "
        f"{a['acc_bn_only']} % / {pn['acc_neither']:.2f} %; loss range {rg['range_skip_bn']:.4f} / – / "
        f"{rg['range_bn_only']:.4f} / {pf['range_neither']:.4f}; λmax {lm['lambda_skip_bn']} / – / "
        f"{lm['lambda_bn_only']} / {pl['lambda_neither']:.3f}; κ {k['kappa_skip_bn']:.2f} / – / "
        f"{k['kappa_bn_only']:.2f} / {k['kappa_neither']:.2f}."
    )


def scale(res: Results) -> str:
    """At which scale this run trains and probes, next to report 003's."""
    c, s = res.cfg, _setting("003.ablation.skip_reduces_lambda_max")
    g = _setting("003.ablation.plain_net_flat_landscape")
    o = ours(res, (SB,))
    small = c.n_train < s["n_train"] or c.epochs < s["epochs"]
    n_par = ", ".join(f"{name} {n:,}" for name, n in res.n_params.items())
    same_recipe = " (the report's recipe)" if _recipe(o) == _recipe(s) else ""
    return (
        f"**This run** ({len(res.seeds)} seeds: {', '.join(map(str, res.seeds))}; each seed its own initialization, "
        f"data order and probe directions) trains every variant of {o['model'].split(',')[0]} "
        + (f"({n_par} parameters) " if n_par else "")
        + f"with {_recipe(o)}{same_recipe}, on "
        f"{c.n_train:,} {o['data']} images for {count(c.epochs, 'epoch')} with "
        f"{AUGMENTS.get(o['augment'], o['augment'])} (report 003: {s['n_train']:,} images, {s['epochs']} epochs"
        f"{'' if same_recipe else ', ' + _recipe(s)}; it does not state augmentation, and we take the crops and flips of the usual ResNet-20 "
        f"CIFAR-10 recipe of He et al. 2016), and tests on {c.n_test:,} images. "
        f"Probes on the first {c.probe_images:,} training images (the report does not say which images it probed): "
        f"a {c.grid_steps}×{c.grid_steps} filter-normalized grid, a {c.ref_grid_steps}×{c.ref_grid_steps} grid "
        f"in the report's units (report: {g['grid_steps']}×{g['grid_steps']}) and a slice of {c.slice_steps} "
        f"points, all on [−{c.span:g}, {c.span:g}]; Hessian probes on the first "
        f"{min(c.hessian_images, c.probe_images):,}: {c.power_iters} power iterations (report: {s['power_iters']}), "
        f"which give the λmax of every verdict, and, as a check and for κ, at most {c.lanczos_steps} Lanczos steps "
        f"for the top {c.top_k} and as many for the smallest eigenvalue at tolerance {c.eig_tol:g}·‖H‖, and "
        f"{c.trace_samples} deflated Hutchinson probes for the trace."
        + (
            " At this reduced scale the accuracies are far below the report's and the trained points are early in "
            "training; what carries over are the comparisons between variants, which the verdicts below test, and "
            "the comparisons of sharpness and landscapes are tested only when both networks compared trained "
            "beyond chance."
            if small
            else ""
        )
    )


def convergence(res: Results) -> str:
    """The convergence record of every trained point, with its criterion."""
    rows, crit = [], None
    n_ok = n_all = 0
    for name, runs in res.runs.items():
        done = [r for r in runs if not r.diverged]
        if not done:
            rows.append(f"*{name}*: diverged in every seed (no trained point)")
            continue
        crit = done[0].convergence.criterion
        ok = sum(r.convergence.converged for r in done)
        n_ok, n_all = n_ok + ok, n_all + len(done)
        rows.append(
            f"*{name}*: full-batch training loss {values([r.convergence.train_loss for r in done], 3)}, "
            f"‖∇L‖ {values([r.convergence.grad_norm for r in done], 2)} ({ok}/{len(done)} converged)"
        )
    head = (
        f"**Are the trained points minima?** Each run records, after its last step, the full-batch training loss "
        f"and gradient norm on its {res.cfg.n_train:,} training images (eval-mode BN); a point counts as converged "
        f"when {crit or 'its full-batch gradient norm is small'}. "
    )
    if n_all and n_ok == n_all:
        tail = "Every trained point meets it."
    elif n_all and n_ok == 0:
        tail = (
            "**None of the trained points meets it**: λmax, the trace and the landscapes below describe where "
            "training stopped, not a minimum."
        )
    else:
        tail = f"{n_ok} of {n_all} trained points meet it; the others are where training stopped, not minima."
    return head + tail + " Per seed: " + "; ".join(rows) + "."


def probes_text(res: Results) -> str:
    """What the Hessian probes measured and how far to trust them (convergence flags, power vs Lanczos, trace SE)."""
    done = [r for runs in res.runs.values() for r in runs if r.hessian is not None]
    if not done:
        return "No variant was probed (every run diverged)."
    conv = [r for r in done if r.hessian.lanczos_converged]
    diffs = []
    for r in conv:
        p, l1 = r.hessian.lambda_power, r.hessian.top_k[0]
        diffs.append(f"{r.variant} seed {r.seed}: {p:.4g} vs {l1:.4g}")
    not_conv = [f"{r.variant} seed {r.seed}" for r in done if not r.hessian.lanczos_converged]
    tr = [f"{r.variant} seed {r.seed}: {r.hessian.trace:.4g} ± {r.hessian.trace_stderr:.2g}" for r in done]
    return (
        f"**Hessian probes** use eval-mode BN (the running statistics, as the landscapes do), on "
        f"{min(res.cfg.hessian_images, res.cfg.probe_images):,} training images. Lanczos reports convergence itself "
        f"(every one of the top-{res.cfg.top_k} Ritz residuals ≤ {res.cfg.eig_tol:g}·‖H‖): it converged in "
        f"{len(conv)} of {len(done)} probed runs"
        + (
            f"; not in {', '.join(not_conv)}, whose λmax is left out of every verdict (an unconverged Ritz value is "
            f"only a lower bound)"
            if not_conv
            else ""
        )
        + ". Power iteration with the report's fixed step count against converged Lanczos (λ_power vs λ_Lanczos): "
        + ("; ".join(diffs) if diffs else "no converged run to compare")
        + ". Trace (Lanczos-space trace plus deflated Hutchinson probes, ± standard error): "
        + "; ".join(tr)
        + "."
    )


def _lambda_min(r: SeedRun) -> float | None:
    return r.hessian.lambda_min if r.hessian is not None else None


def condition_text(res: Results) -> str:
    """The condition numbers, and what report 003's kappa of 1.00 means."""
    k = claim("003.ablation.condition_number_near_one").numbers
    parts, lows = [], []
    for name in (SB, B, N):
        parts.append(f"{name} {values(per_seed(res, name, kappa_k), 3)}")
        conv = sum(r.hessian.lambda_min_converged for r in res.runs[name] if r.hessian is not None)
        lows.append(f"{name} {values(per_seed(res, name, _lambda_min), 3)} ({conv} converged)")
    return (
        f"**Condition numbers.** Report 003 defines κ = λmax/λmin and lists {k['kappa_skip_bn']:.2f} / "
        f"{k['kappa_bn_only']:.2f} / {k['kappa_neither']:.2f}. A ratio of 1.00 would need every eigenvalue of the "
        f"Hessian to equal λmax (H = λI); a network Hessian has a bulk of eigenvalues near zero and, away from a "
        f"minimum, negative ones, so λmax/λmin is negative or huge. The report does not say how it estimated λmin; "
        f"a κ of 1.00 is what one gets when that estimate is the dominant eigenvalue found again (for example a "
        f"second unshifted power iteration). We take λmin from Lanczos run for the smallest eigenvalue (its Ritz "
        f"value is never below λmin, and equals it once converged): {'; '.join(lows)} per seed. We also report "
        f"**κ_k = λ1/λ{res.cfg.top_k}** over the top {res.cfg.top_k} Lanczos eigenvalues (how much slower "
        f"gradient descent at its stable step 2/λ1 moves along the eigenvector of λ{res.cfg.top_k} than along the "
        f"sharpest): {'; '.join(parts)} per seed. Since λmin ≤ λk, κ_k is a lower bound of λmax/λmin wherever "
        f"λmin > 0; the claim check uses both ends. (Section 08's condition number is κ = λmax/|λmin|.)"
    )


def landscape_text(res: Results) -> str:
    """Loss ranges in both direction units, and what the plain net's grids say."""
    parts = []
    for name in (SB, B, N):
        n = res.n_params.get(name, 0)
        lin = per_seed(
            res,
            name,
            lambda r, n=n: None if r.diverged or not n else linear_range(r.convergence.grad_norm, n, res.cfg.span),
        )
        parts.append(
            f"*{name}* {values(per_seed(res, name, filter_range))} (filter) vs "
            f"{values(per_seed(res, name, ref_range))} (reference units; the gradient term alone: "
            f"{values(lin, 2)})"
        )
    return (
        "**Loss range in two units.** Filter-normalized directions move every filter by up to its own norm, so the "
        "grid spans changes of the order of the weights themselves; the reference-unit directions are unit vectors "
        f"in the {res.n_params.get(SB, 0):,}-dimensional parameter space: a step of 1 moves θ by a Euclidean distance "
        "of 1, a small fraction of ‖θ‖. Max − min of the training loss over each grid, per "
        "seed: " + "; ".join(parts) + ". Along unit directions the first-order term g·d dominates unless the point "
        "is a minimum: for a random unit d, E|g·d| = ‖g‖·√(2/(πn)), so the gradient alone spans about "
        "4·span·‖∇L‖·√(2/(πn)) over the square (‖∇L‖ from the convergence record). A landscape is called flat only "
        "from its own grid's range, in the units stated."
    )


def gradients_text(res: Results) -> str:
    """Per-layer gradient decay factors, at the initial weights and at the end."""
    parts = []
    for name in res.runs:
        fi = per_seed(res, name, factor_init)
        fe = per_seed(res, name, lambda r: r.grads.factor_end)
        parts.append(
            f"*{name}* {values(fi)} at the initial weights"
            + (f", {values(fe)} at the end" if any(v is not None for v in fe) else "")
        )
    return (
        "**Per-layer gradients.** At the initial weights: the gradient of the mean loss over the probe images at the "
        "initial weights (train-mode BN); at the end: the mean over the last training steps. f is the per-layer "
        "factor of a least-squares fit of log10 ‖∂L/∂W_l‖ over the 19 convolutions (f < 1: the gradient shrinks towards the input, f^20 the decay over 20 layers that report 003 "
        "puts at 0.9^20). Per seed: " + "; ".join(parts) + "."
    )


def linear_range(grad_norm: float, n_params: int, span: float) -> float:
    """The expected loss range over [-span, span]^2 from the gradient term alone along two random unit directions
    in n_params dimensions: 2 span (|g.d1| + |g.d2|) with E|g.d| = ||g|| sqrt(2 / (pi n))."""
    return 4 * span * grad_norm * math.sqrt(2 / (math.pi * n_params))


def summary(checks_: Sequence[ClaimCheck], seeds: Sequence[int]) -> str:
    """What the verdicts of report 003's claims rest on: the seeds, and how wide an interval they allow (the
    counts themselves come with the claim table, `claims.section`)."""
    n = len(seeds)
    width = ""
    if n > 1:
        t = stats.t_quantile(n)
        width = (
            f" With {n} seeds the half-width of a {stats.CONFIDENCE:.0%} t-interval of a mean is "
            f"{t / math.sqrt(n):.2g} sample standard deviations, so only effects that are large against the "
            f"seed-to-seed spread are decided."
        )
    return (
        f"The {len(checks_)} claims of report 003 are checked over the seeds {', '.join(map(str, seeds))}; "
        f"every verdict states its rule in the table." + width
    )


# ---- table and metrics ------------------------------------------------------------------------------------


def table(res: Results):
    """One row per variant: mean ± sample sd over seeds of our numbers, next to report 003's."""
    import pandas as pd

    ref = reference_points()
    rows = []
    for name, runs in res.runs.items():
        div = sum(r.diverged for r in runs)
        rp = ref.get(name, {})
        rows.append(
            {
                "variant": name,
                "diverged": f"{div}/{len(runs)}",
                "test acc %": mean_sd(per_seed(res, name, acc), 100, 4),
                "report acc %": fmt(rp.get("acc")) if rp else "NaN",
                "λmax Lanczos": mean_sd(per_seed(res, name, lam), digits=4),
                "Lanczos converged": f"{sum(r.hessian.lanczos_converged for r in runs if r.hessian)}/"
                f"{sum(r.hessian is not None for r in runs)}",
                "λmax power": mean_sd(
                    per_seed(res, name, lambda r: r.hessian.lambda_power if r.hessian else None), digits=4
                ),
                "report λmax": fmt(rp.get("lambda")),
                "trace": mean_sd(per_seed(res, name, lambda r: r.hessian.trace if r.hessian else None), digits=3),
                f"κ_k = λ1/λ{res.cfg.top_k}": mean_sd(per_seed(res, name, kappa_k)),
                "range (filter)": mean_sd(per_seed(res, name, filter_range), digits=3),
                "range (ref. units)": mean_sd(per_seed(res, name, ref_range), digits=3),
                "report range": "–" if not rp else f"{rp['range']:.4f}",
                "full-batch ‖∇L‖": mean_sd(
                    per_seed(res, name, lambda r: None if r.diverged else r.convergence.grad_norm), digits=3
                ),
            }
        )
    return pd.DataFrame(rows).set_index("variant")


def _run_record(r: SeedRun) -> dict:
    h = r.hessian
    return {
        "seed": r.seed,
        "test_acc": r.final_test_acc,
        "test_loss": r.final_test_loss,
        "diverged_at_epoch": r.diverged_at_epoch,
        "diverged_at_step": r.diverged_at_step,
        "steps": r.steps,
        "probed": r.probed,
        "train_loss_final": r.convergence.train_loss,
        "grad_norm_final": r.convergence.grad_norm,
        "converged": r.convergence.converged,
        "lambda_max_power": None if h is None else h.lambda_power,
        "power_hvps": None if h is None else h.power_hvps,
        "top_k": None if h is None else list(h.top_k),
        "lanczos_converged": None if h is None else h.lanczos_converged,
        "lanczos_hvps": None if h is None else h.lanczos_hvps,
        "trace": None if h is None else h.trace,
        "trace_stderr": None if h is None else h.trace_stderr,
        "condition_top_k": None if h is None else h.condition_top_k,
        "lambda_min": None if h is None else h.lambda_min,
        "lambda_min_converged": None if h is None else h.lambda_min_converged,
        "loss_range_filter": filter_range(r),
        "loss_range_reference": ref_range(r),
        "grad_factor_init": r.grads.factor_init,
        "grad_factor_end": r.grads.factor_end,
        "seconds": dict(r.seconds),
    }


def _lam_headline(res: Results, name: str) -> dict | str:
    """λmax over the seeds whose Lanczos converged, or why there is none (a short budget, as in smoke, may leave
    every run unconverged)."""
    s = spread(per_seed(res, name, lam))
    if s["n"]:
        return s
    probed = sum(r.probed for r in res.runs[name])
    return f"Lanczos not converged ({probed} probed)" if probed else "not probed"


def metrics(res: Results) -> dict:
    """metrics.json: per-variant means over seeds (the old keys) with every seed's record, the convergence records,
    and a headline of numbers for the index.

    The condition number here is kappa_k = lambda_1 / lambda_k over the top-k Lanczos eigenvalues, key
    "condition_top_k" (per variant and per seed); section 08's lambda_max / |lambda_min| is "condition_extremes".
    Deprecated alias: the per-variant mean is also written under the old key "condition" (the same value), for
    one release; read "condition_top_k"."""
    variants = []
    for name, runs in res.runs.items():
        r0 = runs[0]
        kappa = stats.mean(per_seed(res, name, kappa_k))
        variants.append(
            {
                "name": name,
                "skip": r0.skip,
                "batchnorm": r0.batchnorm,
                "n_params": res.n_params.get(name),
                "n_diverged": sum(r.diverged for r in runs),
                "diverged_at_epoch": next((r.diverged_at_epoch for r in runs if r.diverged), None),
                "test_acc": stats.mean(per_seed(res, name, acc)),
                "lambda_max": stats.mean(per_seed(res, name, lam)),
                "lambda_max_power": stats.mean(
                    per_seed(res, name, lambda r: r.hessian.lambda_power if r.hessian else None)
                ),
                "trace": stats.mean(per_seed(res, name, lambda r: r.hessian.trace if r.hessian else None)),
                "condition_top_k": kappa,
                "condition": kappa,
                "loss_range": stats.mean(per_seed(res, name, filter_range)),
                "loss_range_reference": stats.mean(per_seed(res, name, ref_range)),
                "probed": any(r.probed for r in runs),
                "seeds": [_run_record(r) for r in runs],
            }
        )
    conv = [
        {
            "variant": r.variant,
            "seed": r.seed,
            "train_loss": r.convergence.train_loss,
            "grad_norm": r.convergence.grad_norm,
            "converged": r.convergence.converged,
            "criterion": r.convergence.criterion,
        }
        for runs in res.runs.values()
        for r in runs
    ]
    headline = {
        "test acc skip+BN": spread(per_seed(res, SB, acc), "%", 100),
        "test acc BN only": spread(per_seed(res, B, acc), "%", 100),
        "λmax skip+BN": _lam_headline(res, SB),
        "λmax BN only": _lam_headline(res, B),
        "skip only diverged (seeds)": sum(r.diverged for r in res.runs[S]),
    }
    return {"variants": variants, "convergence": conv, "grad_tol": res.cfg.grad_tol, "headline": headline}
