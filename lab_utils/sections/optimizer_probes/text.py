"""08 optimizer probes: prose, tables, claim checks and metrics, computed from `compute.Results` only.

Every verdict comes from a rule of `lab_utils.core.stats` applied to per-seed values (never to one run):
comparisons between optimizers use the per-seed difference (of logs, for positive scale quantities such as
eigenvalues), `direction_verdict` on its 95 % t-interval; yes/no outcomes per seed use `unanimous_verdict`. A claim
about every optimizer or every pair holds when each part holds and is contradicted when any part is
contradicted (`joint_verdict`).
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from ...core import stats
from ...core.data import CHANCE_ACCURACY
from ...references import claim
from ...report import claims as claim_checks
from ...report.fmt import mean_sd, num
from ...report.metrics import spread
from .compute import CONTROL_PAIR, OPTIMIZERS, PAIRS, Curvature, Endpoint, Path, Results, Subspace

BARRIER_MARGIN = 0.1  # loss units: a barrier counts as one when it exceeds this
NEAR_END = 0.1  # |alpha_min| <= NEAR_END: the line's minimum sits at its start
NEAR_CHANCE = 0.10  # accuracy within 10 points of chance counts as "near chance"
NEAR_ZERO = 0.05  # spectral mass within +- 5 % of lambda_max around 0 counts as "the bulk"
TRAINED_MARGIN = 0.05  # an end point trained beyond chance: test accuracy above chance + 5 points
REF = {"SGD": "sgd", "SGD+momentum": "sgd_momentum", "AdamW": "adamw"}
PAIR_REF = {
    ("SGD", "SGD+momentum"): "sgd_to_sgd_momentum",
    ("SGD+momentum", "AdamW"): "sgd_momentum_to_adamw",
    ("AdamW", "SGD"): "adamw_to_sgd",
}
CONDITION_DEFINITION = (
    "κ = λmax / abs(λmin) (`probes.condition_extremes`, metrics key condition_extremes), λmin "
    "the algebraically smallest Hessian eigenvalue: report 004's condition number. Not 07's "
    "κ_k = λ1/λk (`condition_top_k`). Left "
    "out where abs(λmin) is within its Lanczos error bound (its sign unresolved)"
)
BARRIER_DEFINITION = (
    "barrier = max over t in [0, 1] of L(t) − [(1 − t) L(0) + t L(1)] "
    "(`probes.connectivity.barrier`, as in 05); peak rise = max L − the higher end loss "
    "(`peak_rise`)"
)


# ---- per-seed values ------------------------------------------------------------------------------------------


def _seeds(items) -> list[int]:
    return sorted({x.seed for x in items})


def per_seed(
    curvature: Sequence[Curvature], opt: str, get: Callable, seeds: Sequence[int] | None = None
) -> list[float | None]:
    """`get(c)` for the `Curvature` of optimizer `opt`, one value per seed (None where missing or not finite)."""
    out = []
    for s in _seeds(curvature) if seeds is None else seeds:
        c = next((c for c in curvature if (c.optimizer, c.seed) == (opt, s)), None)
        v = None if c is None else get(c)
        out.append(None if v is None or not math.isfinite(v) else float(v))
    return out


def acc_per_seed(
    endpoints: Sequence[Endpoint], opt: str, first: bool = False, seeds: Sequence[int] | None = None
) -> list[float | None]:
    """Test accuracy (fraction) at the end, or after the first epoch, of optimizer `opt` per seed (no controls)."""
    out = []
    for s in _seeds(endpoints) if seeds is None else seeds:
        e = next((e for e in endpoints if (e.optimizer, e.seed, e.control) == (opt, s, False)), None)
        out.append(None if e is None else (e.first_epoch_acc if first else e.final_acc))
    return out


def path_per_seed(
    paths: Sequence[Path], a: str, b: str, get: Callable, control: bool = False, seeds: Sequence[int] | None = None
) -> list[float | None]:
    """`get(p)` for the path a -> b (control or not), one value per seed."""
    out = []
    for s in _seeds(paths) if seeds is None else seeds:
        p = next((p for p in paths if (p.start, p.end, p.seed, p.control) == (a, b, s, control)), None)
        v = None if p is None else get(p)
        out.append(None if v is None or not math.isfinite(v) else float(v))
    return out


def _log(v):
    return None if v is None or v <= 0 else math.log(v)


def _diff(a: Sequence, b: Sequence) -> list[float | None]:
    return [None if x is None or y is None else x - y for x, y in zip(a, b)]


def _extreme(rows: Sequence[Sequence], f=min) -> list[float | None]:
    """Per seed, f over the given per-seed lists (None when a value is missing)."""
    return [None if any(v is None for v in vals) else f(vals) for vals in zip(*rows)]


def _iv(iv: stats.Interval) -> dict:
    return dict(mean=iv.mean, sd=iv.sd, n=iv.n, lo=iv.lo, hi=iv.hi)


def _not_minima(res: Results) -> list[Endpoint]:
    return [e for e in res.endpoints if not e.converged]


def _minima_note(res: Results) -> str:
    bad = [e for e in _not_minima(res) if not e.control]
    if not bad:
        return ""
    return f" ({len(bad)} of {sum(not e.control for e in res.endpoints)} end points not converged: read with care)"


def ours(res: Results, **over) -> dict:
    """Our setting of a claim: the run's (`compute.recipe`) with the claim's own keys over it."""
    return {**res.setting, **over}


def signs_resolved(res: Results) -> claim_checks.Precondition:
    """The sign of every end point's λmin is known (`Curvature.sign_resolved`), at all three optimizers of every
    seed."""
    cv = [c for c in res.curvature if c.seed in res.seeds]
    n_ok = sum(c.sign_resolved for c in cv)
    want = len(OPTIMIZERS) * len(res.seeds)
    return claim_checks.Precondition(
        "the sign of λmin resolved at every end point (λmin below minus its Lanczos error bound, or above it "
        "with the Lanczos run converged)",
        len(cv) == want and n_ok == want,
        f"resolved at {n_ok} of {want} end points",
    )


def trained(res: Results) -> claim_checks.Precondition:
    """Every end point (no control) trained beyond chance: its test accuracy above chance + TRAINED_MARGIN."""
    main = [e for e in res.endpoints if not e.control and e.seed in res.seeds]
    bar = CHANCE_ACCURACY + TRAINED_MARGIN
    ok = [e.final_acc is not None and e.final_acc > bar for e in main]
    want = len(OPTIMIZERS) * len(res.seeds)
    return claim_checks.Precondition(
        f"every end point trained beyond chance (test accuracy above {100 * bar:.0f} %)",
        len(main) == want and all(ok),
        f"{sum(ok)} of {want} end points above it",
    )


def grid_reaches_half(res: Results) -> claim_checks.Precondition:
    """The subspace grid reaches half the parameter count, so "no d reaches the threshold" can be read as "the
    full space is needed"."""
    d_max = max((s.d_max for s in res.subspace), default=0)
    n_params = res.setting.get("n_params") or res.settings.get("n_params", 0)
    return claim_checks.Precondition(
        "the subspace grid reaches half the parameter count",
        bool(res.subspace) and d_max >= n_params / 2,
        f"largest d {d_max:,} of {n_params:,} parameters",
    )


def both(*pres: claim_checks.Precondition) -> claim_checks.Precondition:
    """Preconditions that must all be met, as one."""
    return claim_checks.Precondition(
        "; ".join(p.text for p in pres), all(p.met for p in pres), "; ".join(p.detail for p in pres if p.detail)
    )


# ---- the claim checks -----------------------------------------------------------------------------------------

RULE_LOWER = (
    "holds when the 95 % t-interval over seeds of the per-seed difference lies below 0, contradicted "
    "when it lies above 0"
)
RULE_HIGHER = (
    "holds when the 95 % t-interval over seeds of the per-seed difference lies above 0, contradicted "
    "when it lies below 0"
)


def _compare(values: list, direction: int) -> tuple[str, stats.Interval]:
    iv = stats.mean_interval(values)
    return stats.direction_verdict(iv, direction), iv


def _acc_checks(res: Results) -> list:
    acc = {o: acc_per_seed(res.endpoints, o, seeds=res.seeds) for o in OPTIMIZERS}
    pp = {o: [None if v is None else 100 * v for v in acc[o]] for o in OPTIMIZERS}
    out = []
    d = _diff(pp["SGD"], _extreme([pp["SGD+momentum"], pp["AdamW"]], max))
    v, iv = _compare(d, -1)
    out.append(
        claim_checks.check(
            "004.accuracy.sgd_lowest",
            v,
            setting=ours(res),
            rule="test accuracy of SGD minus the better of the other two, in points; " + RULE_LOWER,
            ours=f"SGD {mean_sd(pp['SGD'])} %, SGD+momentum {mean_sd(pp['SGD+momentum'])} %, "
            f"AdamW {mean_sd(pp['AdamW'])} %; difference {iv} points",
            reproduced={
                "acc_sgd": stats.mean(pp["SGD"]),
                "acc_sgd_momentum": stats.mean(pp["SGD+momentum"]),
                "acc_adamw": stats.mean(pp["AdamW"]),
            },
            per_seed=pp,
            difference=_iv(iv),
        )
    )
    d = _diff(pp["AdamW"], _extreme([pp["SGD"], pp["SGD+momentum"]], max))
    v, iv = _compare(d, +1)
    out.append(
        claim_checks.check(
            "004.accuracy.adamw_best",
            v,
            setting=ours(res),
            rule="test accuracy of AdamW minus the better of the other two, in points; " + RULE_HIGHER,
            ours=f"AdamW {mean_sd(pp['AdamW'])} %, SGD+momentum {mean_sd(pp['SGD+momentum'])} %; difference {iv} points",
            reproduced={"acc_adamw": stats.mean(pp["AdamW"]), "acc_sgd_momentum": stats.mean(pp["SGD+momentum"])},
            per_seed=pp,
            difference=_iv(iv),
        )
    )
    first = {
        o: [None if v is None else 100 * v for v in acc_per_seed(res.endpoints, o, True, res.seeds)] for o in OPTIMIZERS
    }
    v, iv = _compare(_diff(first["AdamW"], first["SGD"]), +1)
    out.append(
        claim_checks.check(
            "004.training.adamw_fastest_early",
            v,
            setting=ours(res),
            rule="test accuracy after the first epoch, AdamW minus SGD, in points; " + RULE_HIGHER,
            ours=f"after epoch 1: AdamW {mean_sd(first['AdamW'])} %, SGD {mean_sd(first['SGD'])} %; difference {iv} points",
            reproduced={"acc_epoch0_adamw": stats.mean(first["AdamW"]), "acc_epoch0_sgd": stats.mean(first["SGD"])},
            per_seed=first,
            difference=_iv(iv),
        )
    )
    return out


def _curvature_checks(res: Results) -> list:
    lam = {o: per_seed(res.curvature, o, seeds=res.seeds, get=lambda c: c.lambda_max) for o in OPTIMIZERS}
    lmin = {o: per_seed(res.curvature, o, seeds=res.seeds, get=lambda c: c.lambda_min) for o in OPTIMIZERS}
    kappa = {o: per_seed(res.curvature, o, seeds=res.seeds, get=lambda c: c.condition_extremes) for o in OPTIMIZERS}
    log = {o: [_log(v) for v in lam[o]] for o in OPTIMIZERS}
    note = _minima_note(res)
    desc = ", ".join(f"{o} {mean_sd(lam[o])}" for o in OPTIMIZERS)
    out = []
    v, iv = _compare(_diff(log["SGD+momentum"], _extreme([log["SGD"], log["AdamW"]], min)), -1)
    out.append(
        claim_checks.check(
            "004.curvature.momentum_flattest",
            v,
            setting=ours(res),
            precondition=trained(res),
            rule="ln λmax(SGD+momentum) − ln of the smaller λmax of the other two, per seed; " + RULE_LOWER,
            ours=f"λmax {desc}; log ratio {iv}{note}",
            reproduced={f"lambda_max_{REF[o]}": stats.mean(lam[o]) for o in OPTIMIZERS},
            per_seed=lam,
            log_ratio=_iv(iv),
        )
    )
    v, iv = _compare(_diff(log["AdamW"], _extreme([log["SGD"], log["SGD+momentum"]], max)), +1)
    out.append(
        claim_checks.check(
            "004.curvature.adamw_sharpest",
            v,
            setting=ours(res),
            precondition=trained(res),
            rule="ln λmax(AdamW) − ln of the larger λmax of the other two, per seed; " + RULE_HIGHER,
            ours=f"λmax {desc}; log ratio {iv}{note}",
            reproduced={"lambda_max_adamw": stats.mean(lam["AdamW"]), "lambda_max_sgd": stats.mean(lam["SGD"])},
            per_seed=lam,
            log_ratio=_iv(iv),
        )
    )
    negative = {s: [c.lambda_min < -c.lambda_err for c in res.curvature if c.seed == s] for s in res.seeds}
    flags = [all(f) if len(f) == len(OPTIMIZERS) else None for f in negative.values()]
    n_neg = sum(sum(f) for f in negative.values())
    out.append(
        claim_checks.check(
            "004.curvature.indefinite",
            stats.unanimous_verdict(flags),
            setting=ours(res),
            precondition=both(trained(res), signs_resolved(res)),
            rule="per seed: do all three end points have λmin below −(its Lanczos error bound)? Holds when every seed "
            "says yes, contradicted when every seed says no, undecided otherwise",
            ours="λmin "
            + ", ".join(f"{o} {mean_sd(lmin[o])}" for o in OPTIMIZERS)
            + f"; negative beyond its error bound at {n_neg} of {len(res.curvature)} end points{note}",
            reproduced={f"lambda_min_{REF[o]}": stats.mean(lmin[o]) for o in OPTIMIZERS},
            per_seed=lmin,
            flags=flags,
        )
    )
    lk = {o: [_log(v) for v in kappa[o]] for o in OPTIMIZERS}
    v1, iv1 = _compare(_diff(lk["SGD+momentum"], _extreme([lk["SGD"], lk["AdamW"]], min)), -1)
    v2, iv2 = _compare(_diff(lk["AdamW"], _extreme([lk["SGD"], lk["SGD+momentum"]], max)), +1)
    out.append(
        claim_checks.check(
            "004.curvature.condition_order",
            stats.joint_verdict([v1, v2]),
            setting=ours(res),
            precondition=both(trained(res), signs_resolved(res)),
            rule="two parts, each on per-seed log ratios of κ = λmax / abs(λmin): SGD+momentum below the smaller of the "
            "others, AdamW above the larger; holds when both 95 % t-intervals lie on the claimed side of 0, "
            "contradicted when either lies on the other side",
            ours="κ "
            + ", ".join(f"{o} {mean_sd(kappa[o])}" for o in OPTIMIZERS)
            + f"; SGD+momentum log ratio {iv1} ({v1}), AdamW log ratio {iv2} ({v2}){note}",
            reproduced={f"condition_extremes_{REF[o]}": stats.mean(kappa[o]) for o in OPTIMIZERS},
            per_seed=kappa,
            momentum_log_ratio=_iv(iv1),
            adamw_log_ratio=_iv(iv2),
        )
    )
    return out


def _noise_checks(res: Results) -> list:
    ratio = {o: per_seed(res.curvature, o, seeds=res.seeds, get=lambda c: c.noise_ratio) for o in OPTIMIZERS}
    log = {o: [_log(v) for v in ratio[o]] for o in OPTIMIZERS}
    desc = ", ".join(f"{o} {mean_sd(ratio[o])}" for o in OPTIMIZERS)
    rep = {f"ratio_{REF[o]}": stats.mean(ratio[o]) for o in OPTIMIZERS}
    out = []
    parts = {o: stats.direction_verdict(stats.mean_interval(log[o]), +1) for o in OPTIMIZERS}
    out.append(
        claim_checks.check(
            "004.noise.ratio_above_one",
            stats.joint_verdict(list(parts.values())),
            setting=ours(res),
            precondition=trained(res),
            rule="per optimizer, ln(λ_C/λ_H) over seeds; holds when every optimizer's 95 % t-interval lies above 0, "
            "contradicted when any lies below 0",
            ours=f"λ_C/λ_H {desc}; per optimizer: " + ", ".join(f"{o} {v}" for o, v in parts.items()),
            reproduced=rep,
            per_seed=ratio,
            parts=parts,
        )
    )
    v, iv = _compare(_diff(log["AdamW"], _extreme([log["SGD"], log["SGD+momentum"]], min)), -1)
    out.append(
        claim_checks.check(
            "004.noise.adamw_lowest",
            v,
            setting=ours(res),
            precondition=trained(res),
            rule="ln ratio(AdamW) − ln of the smaller ratio of the other two, per seed; " + RULE_LOWER,
            ours=f"λ_C/λ_H {desc}; log ratio {iv}",
            reproduced=rep,
            per_seed=ratio,
            log_ratio=_iv(iv),
        )
    )
    v, iv = _compare(_diff(log["SGD"], _extreme([log["SGD+momentum"], log["AdamW"]], max)), +1)
    out.append(
        claim_checks.check(
            "004.noise.sgd_highest",
            v,
            setting=ours(res),
            precondition=trained(res),
            rule="ln ratio(SGD) − ln of the larger ratio of the other two, per seed; " + RULE_HIGHER,
            ours=f"λ_C/λ_H {desc}; log ratio {iv} (report 004's own numbers put SGD+momentum above SGD)",
            reproduced={"ratio_sgd": rep["ratio_sgd"], "ratio_sgd_momentum": rep["ratio_sgd_momentum"]},
            per_seed=ratio,
            log_ratio=_iv(iv),
        )
    )
    return out


def subspace_acc(res: Results, d: int) -> list[float | None]:
    """Per seed, the subspace-trained test accuracy at dimension d (None when d is not on the grid)."""
    out = []
    for s in res.seeds:
        sub = next((x for x in res.subspace if x.seed == s), None)
        out.append(sub.acc[sub.dims.index(d)] if sub is not None and d in sub.dims else None)
    return out


def subspace_setting(setting: dict, dims: Sequence[int], n_seeds: int) -> dict:
    """Our setting of the intrinsic-dimension claims: the run's, with the images the subspaces train on (at most
    the full runs'), the number of subspace seeds and the claim's dimension where it is on our grid."""
    d = claim("004.intrinsic.d15_near_chance").numbers["d"]
    return {
        **setting,
        "n_train": min(setting.get("n_train", 0), setting.get("subspace_n_train", 0)),
        "seeds": n_seeds,
        "subspace_dim": d if d in dims else "not on the grid",
    }


def _intrinsic_checks(res: Results) -> list:
    d15 = claim("004.intrinsic.d15_near_chance").numbers["d"]
    acc = subspace_acc(res, d15)
    excess = [None if a is None else a - CHANCE_ACCURACY for a in acc]
    iv = stats.mean_interval(excess)
    base = [s.baseline_acc for s in res.subspace]
    dims = sorted({d for s in res.subspace for d in s.dims})
    sub_setting = subspace_setting(res.setting, dims, len(res.subspace))
    out = [
        claim_checks.check(
            "004.intrinsic.d15_near_chance",
            stats.equivalence_verdict(iv, NEAR_CHANCE),
            setting=sub_setting,
            rule=f"accuracy at d = {d15} minus chance (10 %), per seed; holds when its 95 % t-interval lies within "
            f"±{100 * NEAR_CHANCE:.0f} points, contradicted when it lies wholly outside",
            ours=f"d = {d15}: {mean_sd([None if a is None else 100 * a for a in acc])} %, full model "
            f"{mean_sd([100 * b for b in base])} %; excess over chance {iv}",
            reproduced={"acc_d15": 100 * stats.mean(acc), "acc_full": 100 * stats.mean(base)},
            per_seed=acc,
            excess=_iv(iv),
        )
    ]
    reached = [s.d_int90 is not None for s in res.subspace]
    d_max = max((s.d_max for s in res.subspace), default=0)
    n_params = res.setting.get("n_params") or res.settings.get("n_params", 0)
    u = stats.unanimous_verdict(reached)
    v = {stats.HOLDS: stats.CONTRADICTED, stats.CONTRADICTED: stats.HOLDS}.get(u, stats.UNDECIDED)
    out.append(
        claim_checks.check(
            "004.intrinsic.full_space_needed",
            v,
            setting=sub_setting,
            precondition=grid_reaches_half(res),
            rule=f"per seed: does a subspace on the grid (d ≤ {d_max:,}, of {n_params:,} parameters) reach 90 % of "
            "the full model's accuracy? Contradicted when every seed finds one, holds when no seed does, undecided "
            "otherwise",
            ours="d_int90 " + ", ".join(_d90(s) for s in res.subspace),
            reproduced={"acc_d15": 100 * stats.mean(acc)},
            d_int90=[s.d_int90 for s in res.subspace],
            d_max=d_max,
            n_params=n_params,
        )
    )
    return out


def _d90(sub) -> str:
    return f"> {sub.d_max:,} (seed {sub.seed})" if sub.d_int90 is None else f"{sub.d_int90:,} (seed {sub.seed})"


def _path_checks(res: Results) -> list:
    out = []
    a, b = PAIRS[0]
    amin = path_per_seed(res.paths, a, b, seeds=res.seeds, get=lambda p: p.alpha_min)
    out.append(
        claim_checks.check(
            "004.interpolation.sgd_to_sgd_momentum_min_beyond",
            stats.unanimous_verdict([None if x is None else x > 1 for x in amin]),
            setting=ours(res),
            precondition=trained(res),
            rule="per seed: the lowest loss on the line lies at α > 1; holds when every seed says so, contradicted "
            "when none does",
            ours=f"α of the lowest loss {', '.join(num(x, 3) for x in amin)} (per seed)",
            reproduced={"alpha_min": stats.mean(amin)},
            alpha_min=amin,
        )
    )
    for (a, b), cid in (
        (PAIRS[1], "004.interpolation.sgd_momentum_to_adamw_min_at_start"),
        (PAIRS[2], "004.interpolation.adamw_to_sgd_min_at_start"),
    ):
        amin = path_per_seed(res.paths, a, b, seeds=res.seeds, get=lambda p: p.alpha_min)
        lin = path_per_seed(res.paths, a, b, seeds=res.seeds, get=lambda p: p.linear_barrier)
        with_barrier = cid.endswith("adamw_to_sgd_min_at_start")
        flags = [
            None if x is None else (abs(x) <= NEAR_END and (not with_barrier or (bb or 0) > BARRIER_MARGIN))
            for x, bb in zip(amin, lin)
        ]
        extra = f" and the line's barrier exceeds {BARRIER_MARGIN}" if with_barrier else ""
        out.append(
            claim_checks.check(
                cid,
                stats.unanimous_verdict(flags),
                setting=ours(res),
                precondition=trained(res),
                rule=f"per seed: the lowest loss on the line lies within abs(α) ≤ {NEAR_END} of its start{extra}; holds "
                "when every seed says so, contradicted when none does",
                ours=f"α of the lowest loss {', '.join(num(x, 3) for x in amin)}; line barrier "
                f"{', '.join(num(x, 3) for x in lin)} (per seed)",
                reproduced={"alpha_min": stats.mean(amin)},
                alpha_min=amin,
                linear_barrier=lin,
            )
        )
    best = {pair: path_per_seed(res.paths, *pair, seeds=res.seeds, get=lambda p: p.best_barrier) for pair in PAIRS}
    neb_max = {
        f"path_loss_{PAIR_REF[pair]}": stats.mean(
            path_per_seed(res.paths, *pair, seeds=res.seeds, get=lambda p: p.neb_max_loss)
        )
        for pair in PAIRS
    }
    adamw = [pair for pair in PAIRS if "AdamW" in pair]  # the two pairs with AdamW's end point
    parts = {pair: stats.direction_verdict(stats.mean_interval(best[pair]), +1, BARRIER_MARGIN) for pair in adamw}
    out.append(
        claim_checks.check(
            "004.neb.barriers_separate_minima",
            stats.joint_verdict(list(parts.values())),
            setting=ours(res),
            precondition=trained(res),
            rule=f"per pair with AdamW (SGD+momentum→AdamW, AdamW→SGD), the lower barrier of the NEB and Bezier "
            f"paths, over seeds; holds when both pairs' 95 % t-intervals lie above {BARRIER_MARGIN}, contradicted "
            "when either lies below it (a found path only bounds the lowest barrier from above)",
            ours="; ".join(
                f"{p[0]}→{p[1]}: barrier {mean_sd(best[p])} ({parts[p]}), NEB maximum loss "
                f"{num(neb_max[f'path_loss_{PAIR_REF[p]}'], 3)}"
                for p in adamw
            ),
            reproduced={f"path_loss_{PAIR_REF[p]}": neb_max[f"path_loss_{PAIR_REF[p]}"] for p in adamw},
            best_barrier={f"{p[0]}→{p[1]}": best[p] for p in adamw},
            parts={f"{p[0]}→{p[1]}": v for p, v in parts.items()},
        )
    )
    d = _diff(best[PAIRS[0]], _extreme([best[PAIRS[1]], best[PAIRS[2]]], min))
    v, iv = _compare(d, -1)
    out.append(
        claim_checks.check(
            "004.neb.sgd_sgd_momentum_most_connected",
            v,
            setting=ours(res),
            precondition=trained(res),
            rule="per seed, the SGD→SGD+momentum relaxed barrier minus the lower of the two AdamW pairs' (each the "
            "lower of NEB and Bezier); " + RULE_LOWER,
            ours=f"difference {iv}",
            reproduced=neb_max,
            difference=_iv(iv),
        )
    )
    return out


def checks(res: Results) -> list:
    """The claim checks of report 004, in registry order."""
    return _acc_checks(res) + _curvature_checks(res) + _noise_checks(res) + _intrinsic_checks(res) + _path_checks(res)


# ---- prose -----------------------------------------------------------------------------------------------------


def report_setting_text() -> str:
    """Report 004's setting in words, from the claim registry's structured setting (`references.optimizer_probes`)."""
    ref = claim("004.accuracy.sgd_lowest").setting
    lanczos = claim("004.curvature.momentum_flattest").setting
    line = claim("004.interpolation.sgd_to_sgd_momentum_min_beyond").setting
    neb = claim("004.neb.barriers_separate_minima").setting
    sub = claim("004.intrinsic.d15_near_chance").setting
    return (
        f"{ref['model']} ({fmt_setting(ref['n_params'])} parameters) on {ref['data']} "
        f"({ref['n_train']:,} training images), {ref['epochs']} epochs at batch {ref['batch_size']}, "
        f"{count_runs(ref['seeds'])} per optimizer; SGD at lr {ref['lr_sgd']:g}, momentum {ref['momentum_sgd']:g}, "
        f"weight decay {ref['weight_decay_sgd']:g}, the only configuration it gives (SGD+Momentum's and AdamW's "
        f"learning rate, momentum and weight decay are not stated, nor is a learning-rate schedule, augmentation or "
        f"the images its validation accuracy is measured on); Lanczos with k = {lanczos['lanczos_k']}, "
        f"{line['path_points']} points on the straight line, AutoNEB with {neb['neb_nodes']} nodes, a "
        f"{sub['subspace_dim']}-dimensional subspace"
    )


def fmt_setting(v) -> str:
    """A registry value in words: an approximate number as "about 183,000"."""
    return str(v) if not isinstance(v, (int, float)) else f"{v:,}"


def count_runs(n: int) -> str:
    return "one run" if n == 1 else f"{n} runs"


def setting(settings: dict, seeds: Sequence[int]) -> str:
    """Our setting next to report 004's (from the registry's structured setting), from the profile's settings."""
    s = settings
    return (
        f"**Our setting.** A CNN with conv widths {tuple(s['channels'])} (a 2×2 max-pool after each), BatchNorm and "
        f"a {s['hidden']}-unit head ({s['n_params']:,} parameters), trained for {s['epochs']} epochs (batch "
        f"{s['batch_size']}, {s['scheduler']} learning rate, no augmentation) on {s['n_train']:,} CIFAR-10 "
        f"training images and tested on {s['n_test']:,} test images: SGD at lr {s['lr_sgd']:g} (no momentum), SGD "
        f"with momentum 0.9 at lr {s['lr_sgdm']:g} (both with weight decay {s['wd_sgd']:g}), AdamW at lr "
        f"{s['lr_adamw']:g} (weight decay {s['wd_adamw']:g}). {len(seeds)} seeds ({', '.join(map(str, seeds))}); "
        f"each optimizer of each seed starts from its own initialisation and sees its own minibatch order. "
        f"**Report 004's setting:** {report_setting_text()}. Where the report leaves a choice open the values above "
        f"are ours: the {s['scheduler']} learning rate (the configuration the report shows lists no schedule), "
        f"SGD+Momentum's momentum and learning rate, AdamW's learning rate and weight decay."
    )


def convergence_text(endpoints: Sequence[Endpoint], settings: dict) -> str:
    """Which end points are minima by the profile's criterion, with the numbers of those that are not."""
    main = [e for e in endpoints if not e.control]
    ctl = [e for e in endpoints if e.control]
    bad = [e for e in main if not e.converged]
    crit = main[0].criterion if main else "–"
    txt = (
        f"**Are the end points minima?** Criterion: {crit}, over all {settings['n_train']:,} training images, "
        f"BatchNorm in eval mode. "
    )
    if not bad:
        txt += f"All {len(main)} end points meet it"
    else:
        txt += (
            f"{len(main) - len(bad)} of {len(main)} end points meet it; **not converged**: "
            + ", ".join(
                f"{e.optimizer} seed {e.seed} (loss {num(e.train_loss_final, 3)}, ‖∇L‖ {num(e.grad_norm, 3)})"
                for e in bad
            )
            + ": the probes there describe a point on the way down, not a minimum"
        )
    if ctl:
        txt += f"; the control runs: {sum(e.converged for e in ctl)} of {len(ctl)}"
    return txt + "."


def endpoint_table(endpoints: Sequence[Endpoint]) -> list[dict]:
    """One row per trained end point: its convergence record and test accuracy."""
    return [
        {
            "optimizer": e.optimizer,
            "seed": e.seed,
            "control": e.control,
            "torch seed": e.model_seed,
            "steps": e.steps,
            "train loss (full batch)": e.train_loss_final,
            "‖∇L‖ (full batch)": e.grad_norm,
            "converged": e.converged,
            "test acc %": None if e.final_acc is None else 100 * e.final_acc,
        }
        for e in endpoints
    ]


def curvature_table(curvature: Sequence[Curvature], endpoints: Sequence[Endpoint]) -> list[dict]:
    """One row per optimizer: mean ± sd over seeds of the probes, with report 004's numbers beside."""
    rows = []
    for o in OPTIMIZERS:

        def g(f, o=o):
            return mean_sd(per_seed(curvature, o, f))

        rows.append(
            {
                "optimizer": o,
                "test acc %": mean_sd([None if a is None else 100 * a for a in acc_per_seed(endpoints, o)]),
                "ref acc %": claim("004.accuracy.sgd_lowest").numbers[f"acc_{REF[o]}"],
                "λ1": g(lambda c: c.lambda_top[0]),
                "ref λmax": claim("004.curvature.momentum_flattest").numbers[f"lambda_max_{REF[o]}"],
                "λ2": g(lambda c: c.lambda_top[1]),
                "λ3": g(lambda c: c.lambda_top[2]),
                "λmin": g(lambda c: c.lambda_min),
                "ref λmin": claim("004.curvature.indefinite").numbers[f"lambda_min_{REF[o]}"],
                "κ = λmax / abs(λmin)": g(lambda c: c.condition_extremes),
                "ref κ": claim("004.curvature.condition_order").numbers[f"condition_extremes_{REF[o]}"],
                "tr H": g(lambda c: c.trace),
                "λ_C": g(lambda c: c.lambda_c),
                "λ_F (Fisher)": g(lambda c: c.lambda_fisher),
                "λ_C/λ_H": g(lambda c: c.noise_ratio),
                "ref λ_C/λ_H": claim("004.noise.ratio_above_one").numbers[f"ratio_{REF[o]}"],
                "Lanczos converged": f"{sum(bool(c.converged) for c in curvature if c.optimizer == o)} of "
                f"{sum(c.optimizer == o for c in curvature)}",
            }
        )
    return rows


def noise_text(curvature: Sequence[Curvature], settings: dict) -> str:
    """Why lambda_C / lambda_H is what it is, from the numbers: C (true labels) against the Fisher F (labels drawn
    from the model), which equals the Gauss-Newton part of H for softmax cross-entropy."""
    cv = list(curvature)
    if not cv:
        return ""
    r_c = [c.noise_ratio for c in cv]
    r_f = [c.fisher_ratio for c in cv]
    c_f = [c.lambda_c / c.lambda_fisher if c.lambda_fisher > 0 else None for c in cv]
    m_c, m_f, m_cf = stats.mean(r_c), stats.mean(r_f), stats.mean(c_f)
    n_f, n_p = settings.get("n_fisher"), settings.get("n_probe")
    where = "the same probe images" if n_f == n_p else f"the first {n_f} of the {n_p} probe images"
    txt = (
        f"**Reading the noise ratio.** Over the {len(cv)} end points λ_C/λ_H = {mean_sd(r_c)} (mean ± sd). The "
        f'argument "near a minimum C ≈ Fisher ≈ Gauss–Newton part of H, so λ_C/λ_H ≈ 1" has two links, '
        f"and "
        f"we measure both with λ_F, the top eigenvalue of the Fisher matrix "
        f"F = (1/n) Σ_i Σ_y p_i(y) ∇log p_i(y) "
        f"∇log p_i(y)ᵀ (labels drawn from the model itself), computed exactly on {where}: for softmax "
        f"cross-entropy F *is* the Gauss–Newton part of H. "
    )
    if math.isfinite(m_f):
        txt += f"Gauss–Newton against H: λ_F/λ_H = {mean_sd(r_f)}, " + (
            "close to 1: the rest of H is small here. " if 0.5 <= m_f <= 2 else "not close to 1. "
        )
    if math.isfinite(m_cf):
        txt += (
            f"True labels against the model's: λ_C/λ_F = {mean_sd(c_f)}, at a probe loss of "
            f"{mean_sd([c.probe_loss for c in cv])} (probe accuracy {mean_sd([100 * c.probe_acc for c in cv])} %). "
            f"Per sample, C weighs the logits' Jacobian by the squared error (p − y)(p − y)ᵀ, F by the "
            f"predictive covariance diag(p) − ppᵀ; where the model gives its label probability 1 − ε the "
            f"first "
            f"is of order ε², the second of order ε, so at a minimum that fits its training data λ_C/λ_F "
            f"should "
            f"fall well below 1, and C ≈ F only while the labels look like draws from the model. "
            + (
                "Our λ_C/λ_F is below 1, as that predicts. "
                if m_cf < 1
                else "Our λ_C/λ_F is not below 1, so that reading does not apply here. "
            )
        )
    if math.isfinite(m_c):
        txt += (
            f"So our ratio is {'above' if m_c > 1 else 'below'} 1 ({num(m_c, 3)} on average). Report 004's "
            f"2.77 / 3.60 / 1.52 come from end points at 64–72 % validation accuracy after 12 epochs, and the "
            f"report does not say whether its C is per sample or per minibatch (a factor of the batch size)."
        )
    return txt


def spectra_text(curvature: Sequence[Curvature]) -> str:
    """How much of the SLQ spectral mass lies near zero, relative to lambda_max."""
    cv = list(curvature)
    if not cv:
        return ""
    near = []
    for c in cv:
        g, d = np.asarray(c.slq_grid), np.asarray(c.slq_density)
        sel = np.abs(g) <= NEAR_ZERO * c.lambda_max
        near.append(float(np.trapezoid(np.where(sel, d, 0.0), g)))
    m = stats.mean(near)
    return (
        f"A fraction {mean_sd(near)} of the spectral mass (mean ± sd over the {len(cv)} end points) lies within "
        f"±{100 * NEAR_ZERO:.0f} % of λmax around zero"
        + (
            ": the bulk near zero and a few outliers of Sagun et al. and Ghorbani et al.; the outliers are the "
            "directions the next probe follows."
            if m >= 0.5
            else ": most of the mass is away from zero at this scale, not the usual bulk-and-outliers picture."
        )
    )


def lines_text(curvature: Sequence[Curvature], settings: dict) -> str:
    """How much faster the loss rises along the top eigenvector than along a random direction."""
    cv = list(curvature)
    if not cv:
        return ""
    mid = len(cv[0].line_coords) // 2
    rise_top = [c.line_top[-1] - c.line_top[mid] for c in cv]
    rise_rand = [c.line_random[-1] - c.line_random[mid] for c in cv]
    p = settings.get("n_params") or 1
    return (
        f"A step of length {num(cv[0].line_coords[-1], 3)} along the top eigenvector raises the loss by "
        f"{mean_sd(rise_top)}, along a random direction of the same length by {mean_sd(rise_rand)} (all end "
        f"points, mean ± sd). A random direction sees about the average curvature tr(H)/p = "
        f"{mean_sd([c.trace / p for c in cv])} instead of λmax = {mean_sd([c.lambda_max for c in cv])}"
        + (
            ": sharpness is a property of a handful of directions."
            if stats.mean(rise_top) > 10 * abs(stats.mean(rise_rand))
            else ": here the two rises are within a factor 10 of each other."
        )
    )


def intrinsic_text(subspaces: Sequence[Subspace]) -> str:
    """d_int90 per seed ("> d_max" where no d on the grid reaches the threshold)."""
    subs = list(subspaces)
    if not subs:
        return ""
    s0 = subs[0]
    parts = "; ".join(
        f"seed {s.seed}: "
        + (
            f"d_int90 = {s.d_int90:,} on the grid (log-interpolated {num(s.d_int90_interp, 3)})"
            if s.d_int90 is not None
            else f"d_int90 > {s.d_max:,} (no d on the grid reaches the threshold)"
        )
        for s in subs
    )
    reached = sum(s.d_int90 is not None for s in subs)
    return (
        f"Subspace runs: {s0.epochs} epochs on {s0.n_train:,} images; the threshold is 90 % of the best "
        f"full-parameter end point of the same seed ({mean_sd([100 * s.baseline_acc for s in subs])} %). {parts}. "
        f"{reached} of {len(subs)} seeds reach it within d ≤ {max(s.d_max for s in subs):,} of {s0.n_params:,} "
        f"parameters. Li et al. (2018) report d_int90 ≈ 2,900 for a CIFAR-10 LeNet trained to convergence on "
        f"all of CIFAR-10; ours is measured at a much smaller scale and is not comparable with it."
    )


def paths_text(paths: Sequence[Path]) -> str:
    """Barriers per pair (mean ± sd over seeds) and the same-start control against independent starts."""
    rows = []
    for a, b in PAIRS:

        def g(f, a=a, b=b):
            return mean_sd(path_per_seed(paths, a, b, f))

        rows.append(
            f"{a} → {b}: distance {g(lambda p: p.distance)}, barrier on the line "
            f"{g(lambda p: p.linear_barrier)}, NEB {g(lambda p: p.neb_barrier)}, Bezier "
            f"{g(lambda p: p.bezier_barrier)}; NEB maximum loss {g(lambda p: p.neb_max_loss)}"
        )
    txt = "**Barriers** (" + BARRIER_DEFINITION + "; training loss, mean ± sd over seeds): " + "; ".join(rows) + ". "
    a, b = CONTROL_PAIR
    ctl = path_per_seed(paths, a, b, lambda p: p.linear_barrier, control=True)
    ind = path_per_seed(paths, a, b, lambda p: p.linear_barrier)
    if any(v is not None for v in ctl):
        txt += (
            f"**Control**: {a} and {b} trained from one initialisation and one minibatch order are "
            f"{mean_sd(path_per_seed(paths, a, b, lambda p: p.distance, control=True))} apart, with a barrier on "
            f"the line of {mean_sd(ctl)} and along the NEB of "
            f"{mean_sd(path_per_seed(paths, a, b, lambda p: p.neb_barrier, control=True))}, against "
            f"{mean_sd(ind)} on the line from independent starts. "
        )
        m_c, m_i = stats.mean(ctl), stats.mean(ind)
        if math.isfinite(m_c) and math.isfinite(m_i):
            ratio = f"ratio {num(m_c / m_i, 2)}" if m_i > 0 else "no barrier either way"
            txt += (
                f"The shared start removes most of the barrier ({ratio}): end points that share their "
                f"initialisation and data order are not evidence about the connectivity of independently "
                f"found minima."
                if m_c < 0.5 * m_i
                else f"The shared start does not remove the barrier here ({ratio})."
            )
    return txt


def verdict_intro(res: Results) -> str:
    """How the verdicts are decided, with this run's seed count."""
    n = len(res.seeds)
    width = (
        f"with {n} seeds the interval's half-width is {stats.t_quantile(n):.2f} standard errors, so only large, "
        f"consistent effects are decided"
        if n > 1
        else "one seed gives no interval, so nothing is decided"
    )
    return (
        f"Each claim of report 004 is checked on per-seed values over {n} seeds with 95 % Student-t intervals "
        f"(sample sd; {width}). Comparisons between optimizers use per-seed differences, of "
        f"logarithms for eigenvalues, condition numbers and ratios; a claim about every optimizer or every pair "
        f"holds when each part holds and is contradicted when any part is. The rule of each claim is in the "
        f"table." + _minima_note(res)
    )


# ---- metrics -----------------------------------------------------------------------------------------------------


def metrics(res: Results) -> dict:
    """metrics.json: settings, convergence records, per-seed probe values, paths, intrinsic dimension, headline.

    The condition number here is kappa = lambda_max / |lambda_min| from the two ends of the spectrum, key
    "condition_extremes" (per optimizer, per seed; its definition under "condition_definition"); section 07's
    lambda_1 / lambda_k is "condition_top_k". Deprecated alias: the same per-seed list is also written under the
    old key "condition", for one release; read "condition_extremes"."""
    main = [e for e in res.endpoints if not e.control]
    cv = res.curvature

    def g(o, f):
        return per_seed(cv, o, f, res.seeds)

    lam = {o: g(o, lambda c: c.lambda_max) for o in OPTIMIZERS}
    kappa = {o: g(o, lambda c: c.condition_extremes) for o in OPTIMIZERS}
    rel = [
        None if a is None or b is None else a / b
        for a, b in zip(lam["SGD+momentum"], _extreme([lam["SGD"], lam["AdamW"]], min))
    ]
    d90 = [s.d_int90 for s in res.subspace]
    if res.subspace and all(d is not None for d in d90):
        d_head = float(np.mean(d90))
    elif res.subspace:
        missed = sum(d is None for d in d90)
        d_head = f"> {max(s.d_max for s in res.subspace):,}" + (
            f" ({missed} of {len(d90)} seeds)" if missed < len(d90) else ""
        )
    else:
        d_head = None
    return {
        "settings": res.settings,
        "convergence": [
            dict(
                optimizer=e.optimizer,
                seed=e.seed,
                control=e.control,
                model_seed=e.model_seed,
                train_loss=e.train_loss_final,
                grad_norm=e.grad_norm,
                converged=e.converged,
                criterion=e.criterion,
                steps=e.steps,
            )
            for e in res.endpoints
        ],
        "optimizers": [
            dict(
                name=o,
                seeds=res.seeds,
                test_acc=acc_per_seed(res.endpoints, o, seeds=res.seeds),
                first_epoch_acc=acc_per_seed(res.endpoints, o, True, res.seeds),
                lambda_max=lam[o],
                lambda_2=g(o, lambda c: c.lambda_top[1]),
                lambda_3=g(o, lambda c: c.lambda_top[2]),
                lambda_min=g(o, lambda c: c.lambda_min),
                lambda_err=g(o, lambda c: c.lambda_err),
                condition_extremes=kappa[o],
                condition=kappa[o],
                trace=g(o, lambda c: c.trace),
                lambda_c=g(o, lambda c: c.lambda_c),
                lambda_fisher=g(o, lambda c: c.lambda_fisher),
                noise_ratio=g(o, lambda c: c.noise_ratio),
                lanczos_converged=[c.converged for c in cv if c.optimizer == o],
            )
            for o in OPTIMIZERS
        ],
        "paths": [
            dict(
                start=p.start,
                end=p.end,
                seed=p.seed,
                control=p.control,
                distance=p.distance,
                linear_barrier=p.linear_barrier,
                neb_barrier=p.neb_barrier,
                bezier_barrier=p.bezier_barrier,
                best_barrier=p.best_barrier,
                neb_max_loss=p.neb_max_loss,
                neb_peak_rise=p.neb_peak_rise,
                alpha_min=p.alpha_min,
                neb_diverged_at=p.neb_diverged_at,
            )
            for p in res.paths
        ],
        "intrinsic_dim": [
            dict(
                seed=s.seed,
                dims=s.dims,
                acc=s.acc,
                kinds=s.kinds,
                baseline_acc=s.baseline_acc,
                threshold=s.threshold,
                d_int90=s.d_int90,
                d_int90_label=f"> {s.d_max}" if s.d_int90 is None else str(s.d_int90),
                d_int90_interp=s.d_int90_interp,
            )
            for s in res.subspace
        ],
        "condition_definition": CONDITION_DEFINITION,
        "barrier_definition": BARRIER_DEFINITION,
        "headline": {
            f"end points converged (of {len(main)})": sum(e.converged for e in main),
            "λmax SGD+momentum ÷ min(SGD, AdamW)": spread(rel),
            "noise ratio λ_C/λ_H (all end points)": spread([c.noise_ratio for c in cv]),
            "relaxed-path barrier, independent starts": spread(
                [p.best_barrier for p in res.paths if not p.control], "nats"
            ),
            "d_int90 (grid)": d_head,
        },
    }
