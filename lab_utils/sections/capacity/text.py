"""04 capacity: prose, claim checks and metrics, computed from the results objects of `compute` only.

Two criteria, both on per-seed values and both able to fail:

  thirds (report 000)   the sizes are split by rank into a low, a middle and a high third; per seed, each third's
                        mean is compared (e.g. "test accuracy peaks mid-range": middle above low and above high)
  knee (report 001)     "improves up to P parameters, then saturates": per seed, the test accuracy at the first
                        size >= P/2 (the knee) minus that at the smallest size is above 0, and the largest minus the
                        knee lies within +-ACC_TOL (equivalence); it fails when the accuracy keeps rising past the
                        knee, falls there, or never rose

Each check carries our setting (`setting_of`, from the sweep as trained), so its scope against the report's is
computed. Preconditions: report 000's claims read a trained family (every run beyond chance: test accuracy at least
TRAINED_ACC); report 001's saturation and no-overfitting claims read sizes that finished learning MNIST (every
run from the knee up at a test accuracy of at least SATURATED_ACC), since a budget cut short keeps the accuracy
rising past the knee whatever the capacity does.
"""

from __future__ import annotations

import math

import numpy as np

from ...core import stats
from ...references import claim
from ...references import setting as settings
from ...report import claims
from ...report.claims import ClaimCheck
from ...report.fmt import num, pct
from ...report.metrics import spread
from .compute import Results, Sweep

NAMES = {"cifar10": "CIFAR-10", "mnist": "MNIST"}
ACC_TOL = 0.01  # "saturates", "plateaus": a change of at most 1 percentage point of accuracy
LOSS_TOL = 0.02  # "the test loss does not rise": by at most 0.02 nats
TRAINED_ACC = 0.2  # twice chance (10 classes)
SATURATED_ACC = 0.9  # an MNIST CNN that has learned the task (report 001 gives no accuracies)


# ---- helpers -----------------------------------------------------------------------------------------------------


def thirds(n: int) -> tuple[list[int], list[int], list[int]]:
    """Indices of the low, middle and high third of `n` sizes ordered by parameter count (n >= 3; the middle takes
    the remainder: 10 -> 3 / 4 / 3)."""
    if n < 3:
        raise ValueError(f"need at least 3 sizes, got {n}")
    k = n // 3
    return list(range(k)), list(range(k, n - k)), list(range(n - k, n))


def group_mean(sw: Sweep, key: str, idx: list[int]) -> np.ndarray:
    """Per seed: the mean of `key` over the sizes `idx`."""
    return sw.values(key)[idx].mean(axis=0)


def knee_index(sw: Sweep, knee_params: float) -> int | None:
    """The first size with at least knee_params / 2 parameters (None when there is none)."""
    return next((i for i, n in enumerate(sw.n_params) if n >= knee_params / 2), None)


def knee_params() -> float:
    return 10.0 ** claim("001.capacity.test_saturates").numbers["saturation_params_log10"]


def n_converged(sw: Sweep) -> tuple[int, int]:
    flags = [c.converged for s in sw.sizes for c in s.convergence]
    return sum(flags), len(flags)


def setting_of(sw: Sweep) -> dict:
    """Our setting of one sweep in the registry's keys, computed from the sizes as trained."""
    out = {
        "model": sw.model,
        "n_params": [sw.n_params[0], sw.n_params[-1]],
        "n_models": len(sw.sizes),
        "data": NAMES[sw.dataset],
        "n_train": sw.n_train,
        "n_test": sw.n_test,
        "optimizer": "adam",
        "lr": sw.lr,
        "batch_size": sw.batch_size,
        "scheduler": "constant",
        "epochs": sw.epochs,
        "seeds": len(sw.sizes[0].seeds),
        "measure": "final train and test accuracy and loss per size",
    }
    if sw.dataset == "mnist":
        out["conv_channels"] = [list(s.channels) for s in sw.sizes]
    return out


def trained_precondition(sw: Sweep, level: float = TRAINED_ACC) -> claims.Precondition:
    """Every run of every size at a test accuracy of at least `level`."""
    low = float(np.min(sw.values("test_acc")))
    return claims.Precondition(
        f"every run trained beyond chance: test accuracy at least {100 * level:g} %",
        bool(low >= level),
        f"lowest {100 * low:.1f} %",
    )


def saturated_precondition(sw: Sweep, knee_at: float, level: float = SATURATED_ACC) -> claims.Precondition:
    """Every run of every size from the knee up at a test accuracy of at least `level`."""
    k = knee_index(sw, knee_at)
    acc = sw.values("test_acc")[k:] if k is not None else np.array([np.nan])
    low = float(np.min(acc))
    return claims.Precondition(
        f"the sizes from the knee up have learned the task: test accuracy at least {100 * level:g} % in every run",
        bool(low >= level),
        f"lowest {100 * low:.1f} %" if math.isfinite(low) else "no knee",
    )


# ---- prose -------------------------------------------------------------------------------------------------------


def _setting_words(st: dict) -> str:
    def v(key: str, unit: str = "") -> str:
        x = st.get(key, "not stated")
        if isinstance(x, (list, tuple)) and key == "n_params":
            return " – ".join(f"{y:,}" if isinstance(y, int) else str(settings.plain(y)) for y in x)
        if key == "conv_channels":
            return f"conv channels {tuple(x[0])} to {tuple(x[-1])}"
        return (f"{x:,}" if isinstance(x, int) else f"{x:g}" if isinstance(x, float) else str(x)) + unit

    sizes = f"{v('n_models')} sizes" + "".join(
        f", {v(k)}{' parameters' if k == 'n_params' else ''}" for k in ("n_params", "conv_channels") if k in st
    )
    runs = st.get("seeds")
    return (
        f"{v('model')}; {sizes}; {v('data')}, {v('n_train')} training / {v('n_test')} test images; optimizer "
        f"{v('optimizer')}, lr {v('lr')}, batch {v('batch_size')}, {v('epochs')} epochs; "
        + ("one run per size" if runs == 1 else f"{v('seeds')} runs per size")
    )


def scale_table(res: Results) -> str:
    """Markdown: each report's own setting next to this run's, both from the structured settings."""
    rows = ["| | the report's setting | this run |", "|---|---|---|"]
    for name, cid, sw in (
        ("000: CIFAR-10", "000.capacity.test_peaks_mid", res.cifar),
        ("001: MNIST", "001.capacity.test_saturates", res.mnist),
    ):
        rows.append(
            f"| {name} | {_setting_words(claim(cid).setting)} | {_setting_words(setting_of(sw))} ({sw.family}) |"
        )
    return "\n".join(rows)


def sweep_text(sw: Sweep) -> str:
    """The sweep's numbers in a sentence: where test accuracy is best, what the largest size does."""
    te, tr = sw.values("test_acc").mean(axis=1), sw.values("train_acc").mean(axis=1)
    tl = sw.values("test_loss").mean(axis=1)
    b, lmin = int(np.argmax(te)), int(np.argmin(tl))
    conv, total = n_converged(sw)
    return (
        f"Mean over seeds: the training accuracy goes from {pct(tr[0], 1)} at {sw.n_params[0]:,} parameters to "
        f"{pct(tr[-1], 1)} at {sw.n_params[-1]:,}; the test accuracy from {pct(te[0], 1)} to {pct(te[-1], 1)}, with "
        f"its highest mean {pct(te[b], 1)} at {sw.n_params[b]:,} parameters; the test loss is lowest "
        + (
            f"({num(tl[lmin])}) at the largest size. "
            if lmin == len(tl) - 1
            else f"({num(tl[lmin])}) at {sw.n_params[lmin]:,} parameters and {num(tl[-1])} at the largest size. "
        )
        + f"The curves are taken after a fixed budget of {sw.epochs} epochs, whether or not training has converged: "
        f"{conv} of {total} end points meet the minimum criterion ({sw.sizes[0].convergence[0].criterion}), so "
        + (
            "every point is a minimum by that criterion."
            if conv == total
            else "the curves describe what this budget reaches, not the minima of each size."
        )
    )


def criteria_text() -> str:
    p = knee_params()
    return (
        "**How the claims are judged.** Report 000's claims compare parts of the size range: the sizes are split by "
        "rank into a low, a middle and a high third, and each seed's mean over a third is compared with the others "
        "(for 'test accuracy peaks mid-range': the middle third above the low one *and* above the high one). "
        f"Report 001's 'improves up to ~{p:,.0f} parameters, then saturates' uses a knee: the first size with at "
        f"least {p / 2:,.0f} parameters. It holds when, per seed, the test accuracy rises from the smallest size to "
        f"the knee (interval above 0) and changes by at most ±{100 * ACC_TOL:.0f} pp from the knee to the largest size "
        "(interval inside that band); it is contradicted when the accuracy surely keeps rising, or falls, by more "
        "than that past the knee, or surely did not rise before it. Every interval is the 95 % Student-t interval "
        "over seeds (sample sd); parts are joined so that a claim holds only when all of its parts hold."
    )


# ---- claim checks: report 000 ------------------------------------------------------------------------------------

# claim id -> its parts: (metric, third, minus third, claimed sign of the difference, margin). A part holds when
# the 95 % interval of the per-seed difference lies beyond the margin on the claimed side (stats.direction_verdict).
PARTS_000 = {
    "000.capacity.small_underfit": [("train_acc", "middle", "low", +1, 0.0), ("test_acc", "middle", "low", +1, 0.0)],
    "000.capacity.test_peaks_mid": [("test_acc", "middle", "low", +1, 0.0), ("test_acc", "middle", "high", +1, 0.0)],
    "000.capacity.train_keeps_improving": [("train_loss", "middle", "high", +1, 0.0)],
    "000.capacity.overfits_large": [
        ("test_loss", "high", "middle", +1, 0.0),
        ("test_acc", "high", "middle", -1, ACC_TOL),
    ],
    "000.capacity.gap_grows": [("gap_acc", "high", "low", +1, 0.0)],
}
WORDS = {
    "train_acc": "train acc",
    "test_acc": "test acc",
    "train_loss": "train loss",
    "test_loss": "test loss",
    "gap_acc": "accuracy gap (train − test)",
}


def _is_acc(metric: str) -> bool:
    return metric.endswith("acc")


def _part_text(metric: str, a: str, b: str, sign: int, margin: float) -> str:
    bound = f"{100 * margin:+.0f} pp" if _is_acc(metric) and margin else f"{margin:g}"
    return f"{WORDS[metric]} ({a} − {b}) {'>' if sign > 0 else '<'} {bound}"


def third_differences(sw: Sweep, parts) -> list[tuple[str, stats.Interval]]:
    """(verdict, interval) of each part: per seed, the mean of `metric` over one third minus over another."""
    idx = dict(zip(("low", "middle", "high"), thirds(len(sw.sizes))))
    out = []
    for metric, a, b, sign, margin in parts:
        iv = stats.mean_interval(list(group_mean(sw, metric, idx[a]) - group_mean(sw, metric, idx[b])))
        out.append((stats.direction_verdict(iv, sign, margin), iv))
    return out


def _check_000(sw: Sweep) -> list[ClaimCheck]:
    idx = dict(zip(("low", "middle", "high"), thirds(len(sw.sizes))))
    groups = {g: [sw.n_params[i] for i in ii] for g, ii in idx.items()}
    rep = {"n_models": len(sw.sizes), "params_min": sw.n_params[0], "params_max": sw.n_params[-1], "epochs": sw.epochs}
    out = []
    for cid, parts in PARTS_000.items():
        judged = third_differences(sw, parts)
        ours = "; ".join(
            f"{WORDS[m]} {a} − {b} {iv.pp() if _is_acc(m) else iv.text(unit=' nats')}"
            for (m, a, b, _, _), (_, iv) in zip(parts, judged)
        )
        rule = (
            "direction" + (" per part, joint" if len(parts) > 1 else "") + ": holds when the 95 % interval of "
            "the per-seed difference of third means lies on the claimed side of its bound for "
            + ("every part" if len(parts) > 1 else "the claim")
            + " ("
            + "; ".join(_part_text(*p) for p in parts)
            + "), contradicted when "
            + ("any part's" if len(parts) > 1 else "it")
            + " lies on the other side"
        )
        out.append(
            claims.check(
                cid,
                stats.joint_verdict([v for v, _ in judged]),
                rule=rule,
                ours=ours,
                reproduced=rep,
                setting=setting_of(sw),
                precondition=trained_precondition(sw),
                parts=[{"part": _part_text(*p), "verdict": v, "interval": iv} for p, (v, iv) in zip(parts, judged)],
                groups=groups,
            )
        )
    return out


# ---- claim checks: report 001 ------------------------------------------------------------------------------------


def saturation(sw: Sweep, knee_at: float, tol: float = ACC_TOL) -> tuple[str, dict]:
    """The knee criterion on the test accuracy (module docstring): (verdict, evidence)."""
    k = knee_index(sw, knee_at)
    acc = sw.values("test_acc")
    if k is None:
        return stats.UNDECIDED, {"knee": None, "why": f"no size with at least {knee_at / 2:,.0f} parameters"}
    rise = stats.mean_interval(list(acc[k] - acc[0]))
    parts = [stats.direction_verdict(rise, +1)]
    ev = {"knee": sw.n_params[k], "rise_to_knee": rise}
    if k < len(sw.sizes) - 1:
        flat = stats.mean_interval(list(acc[-1] - acc[k]))
        parts.append(stats.equivalence_verdict(flat, tol))
        ev["after_knee"] = flat
    else:
        parts.append(stats.UNDECIDED)
        ev["after_knee"] = None
        ev["why"] = "the knee is the largest size: nothing to saturate after it"
    ev["parts"] = parts
    return stats.joint_verdict(parts), ev


def _check_001(sw: Sweep) -> list[ClaimCheck]:
    p = knee_params()
    rep = {"n_models": len(sw.sizes), "epochs": sw.epochs}
    logp = [math.log10(n) for n, s in zip(sw.n_params, sw.sizes) for _ in s.seeds]
    rho_acc = stats.correlation(logp, list(sw.values("train_acc").ravel()))
    rho_loss = stats.correlation(logp, list(sw.values("train_loss").ravel()))
    out = [
        claims.check(
            "001.capacity.train_improves",
            stats.correlation_verdict(rho_acc, +1),
            rule="correlation: holds when Spearman's ρ between log parameter count and training accuracy over all "
            "(size, seed) runs is positive with p < 0.05, contradicted when it is significantly negative",
            ours=f"ρ(train acc) = {num(rho_acc.r, 3)} (p = {num(rho_acc.p, 2)}, n = {rho_acc.n}); ρ(train loss) = "
            f"{num(rho_loss.r, 3)}",
            reproduced=rep,
            setting=setting_of(sw),
            spearman_train_acc=rho_acc,
            spearman_train_loss=rho_loss,
        )
    ]

    verdict, ev = saturation(sw, p)
    k = ev["knee"]
    if k is None or ev["after_knee"] is None:
        ours = ev["why"]
    else:
        ours = (
            f"knee at {k:,} params: test acc knee − smallest {ev['rise_to_knee'].pp()}; largest − knee "
            f"{ev['after_knee'].pp()}"
        )
    out.append(
        claims.check(
            "001.capacity.test_saturates",
            verdict,
            rule=f"knee (joint): holds when the 95 % interval of the per-seed test accuracy at the knee (first size ≥ "
            f"{p / 2:,.0f} parameters) minus the smallest size lies above 0, and that of the largest size minus the "
            f"knee lies within ±{100 * ACC_TOL:.0f} pp; contradicted when either part is",
            ours=ours,
            reproduced={**rep, "saturation_params_log10": math.log10(k) if k else None},
            setting=setting_of(sw),
            precondition=saturated_precondition(sw, p),
            **ev,
        )
    )

    ki = knee_index(sw, p)
    if ki is None or ki == len(sw.sizes) - 1:
        out.append(
            claims.check(
                "001.capacity.no_overfitting",
                stats.UNDECIDED,
                rule="needs a size beyond the knee",
                ours=ev.get("why", "no knee"),
                setting=setting_of(sw),
            )
        )
        return out
    loss = sw.values("test_loss")
    iv = stats.mean_interval(list(loss[-1] - loss[ki]))
    out.append(
        claims.check(
            "001.capacity.no_overfitting",
            stats.direction_verdict(iv, -1, LOSS_TOL),
            rule=f"direction: holds when the 95 % interval of the per-seed test loss of the largest size minus the knee "
            f"lies below +{LOSS_TOL:g} nats (no rise), contradicted when it lies above",
            ours=f"test loss largest − knee ({sw.n_params[ki]:,} params) {iv.text(unit=' nats')}",
            reproduced=rep,
            setting=setting_of(sw),
            precondition=saturated_precondition(sw, p),
            test_loss_largest_minus_knee=iv,
            knee=sw.n_params[ki],
        )
    )
    return out


def checks(res: Results) -> list[ClaimCheck]:
    """Every registry claim of this section, each on its own report's sweep."""
    return _check_000(res.cifar) + _check_001(res.mnist)


def verdict_summary(checks_: list[ClaimCheck]) -> str:
    c = claims.counts(checks_)
    by = {r: [x for x in checks_ if x.report == r] for r in ("000", "001")}
    parts = [f"report {r}: " + ", ".join(f"{x.id.split('.')[-1]} {x.verdict}" for x in xs) for r, xs in by.items()]
    return (
        f"Of {len(checks_)} claims, {c['holds']} hold, {c['contradicted']} are contradicted, "
        f"{c['undecided']} are undecided and {c['not tested']} are not tested at this scale ({'; '.join(parts)}). "
        "Each report is judged on its own "
        "sweep: report 000's overfitting reading and report 001's saturation reading are not tested against each "
        "other's data."
    )


# ---- metrics -----------------------------------------------------------------------------------------------------


def _rows(sw: Sweep) -> list[dict]:
    out = []
    for s in sw.sizes:
        row = {"label": s.label, "n_params": s.n_params, "seeds": s.seeds}
        for k in ("train_acc", "test_acc", "train_loss", "test_loss"):
            m, sd, _ = stats.mean_sd(getattr(s, k))
            row.update({k: getattr(s, k), f"{k}_mean": m, f"{k}_sd": sd})
        row["convergence"] = s.convergence
        out.append(row)
    return out


def metrics(res: Results) -> dict:
    """metrics.json content besides what write_metrics adds: per-size per-seed values with means and sample sds,
    and the headline."""
    c, m = res.cifar, res.mnist
    te_c = c.values("test_acc").mean(axis=1)
    b = int(np.argmax(te_c))
    return {
        "cifar": {"family": c.family, "n_train": c.n_train, "epochs": c.epochs, "sizes": _rows(c)},
        "mnist": {"family": m.family, "n_train": m.n_train, "epochs": m.epochs, "sizes": _rows(m)},
        "acc_tol": ACC_TOL,
        "loss_tol": LOSS_TOL,
        "knee_params": knee_params(),
        "headline": {
            "CIFAR best test acc (by mean)": spread(c.values("test_acc")[b], "%", 100),
            "CIFAR params at best test acc": c.n_params[b],
            "CIFAR test loss largest − lowest (means)": float(
                c.values("test_loss").mean(axis=1)[-1] - c.values("test_loss").mean(axis=1).min()
            ),
            "MNIST test acc smallest": spread(m.values("test_acc")[0], "%", 100),
            "MNIST test acc largest": spread(m.values("test_acc")[-1], "%", 100),
        },
    }
