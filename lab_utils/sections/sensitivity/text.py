"""06 sensitivity: the claim checks, their prose and the metrics, computed from the results only.

Rules (core.stats), each on the sweep of the report that made the claim:
    a trend "y rises / falls with the batch size" (and "x and y are inversely related")
        Spearman's rho over every (batch size, seed) run of the sweep; holds when it has the claimed sign with
        p < 0.05, contradicted when the opposite sign is significant, undecided otherwise
    a U-shape "high at the small end, low at the claimed bottom, high again at the large end"
        per seed, the log ratio of each end's value to the mean of the log values at the claimed bottom batch
        sizes (the report's own bottom, so the bottom is not picked from our data); an arm rises when the 95 %
        interval of its log ratio over seeds lies above log(1 + U_RISE), and does not rise when it lies below;
        the U holds when both arms rise, is contradicted when either does not, undecided otherwise (an inverted U
        in accuracy is a U in the error rate)
    "the smallest batch gives the highest value"
        the same log-ratio interval of the smallest batch size against every other one; holds when all lie above
        0, contradicted when any lies below 0
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ...core import stats
from ...references import claim as registry_claim
from ...references import sensitivity as ref
from ...report.claims import ClaimCheck, Precondition, check
from ...report.fmt import num
from .compute import DATASET_NAMES, MEASURES, Results, Sweep, model_text

U_RISE = 0.05  # an arm of a U must rise by more than 5 % over the bottom
MEASURE_NAMES = {"jacobian": "softmax-Jacobian norm ‖∂p/∂x‖_F", "input_grad": "input-gradient norm ‖∂ℓ/∂x‖"}
TREND_RULE = (
    "Spearman's ρ over every (batch size, seed) run of the sweep; holds when it has the claimed sign "
    "with p < 0.05, contradicted when the opposite sign is significant, undecided otherwise"
)
U_RULE = (
    "per seed, log(value at each end / value at the claimed bottom, geometric mean over its batch sizes); "
    f"an arm rises when the 95 % interval over seeds lies above log {1 + U_RISE:g} (a rise of more than "
    f"{100 * U_RISE:g} %) and does not when it lies below; holds when both arms rise, contradicted when "
    "either does not, undecided otherwise"
)
HIGHEST_RULE = (
    "per seed, log(value at the smallest batch / value at each other batch size); holds when every "
    "95 % interval over seeds lies above 0, contradicted when any lies below 0, undecided otherwise"
)

# a net has trained when its test accuracy is at least this (our level: the reports give no accuracy for these
# sweeps; well beyond chance, 10 %, and below what every MNIST net of the reports' budgets reaches)
TRAINED_ACC = {"mnist": 0.85, "cifar10": 0.20}
# the measures in the words of each report's setting (report 002 says only "average gradient norm")
MEASURE_TEXT = {
    "000": {"jacobian": ref.JACOBIAN, "input_grad": ref.INPUT_GRAD},
    "001": {"jacobian": ref.JACOBIAN, "input_grad": ref.INPUT_GRAD},
    "002": {"jacobian": "average Jacobian norm", "input_grad": ref.GRADIENT},
}

# the claimed U-shapes: (left end, claimed bottom, right end) batch sizes
U_SHAPES = {"001": ((16,), (128, 256, 512), (1024,)), "002": ((5,), (125,), (1500,))}


# ---- our setting and the precondition -------------------------------------------------------------------------


def ours_setting(sweep: Sweep, measure: str | None = None) -> dict:
    """Our setting of a sweep in the registry's keys (`references.setting`), from the nets it trained: the model
    in words at the detail of the report (`compute.model_text`), its parameter count, data, recipe, budget, batch
    sizes, seeds and (for a sensitivity claim) the measure."""
    out = dict(
        model=model_text(sweep.spec, "layers" if sweep.report == "001" else "kind"),
        n_params=sweep.n_params,
        data=DATASET_NAMES.get(sweep.dataset, sweep.dataset),
        n_train=sweep.n_train,
        n_test=sweep.n_test,
        optimizer=sweep.optimizer,
        lr=sweep.lr,
        scheduler=sweep.scheduler,
        batch_size=list(sweep.batch_sizes),
        seeds=len(sweep.seeds),
    )
    out[sweep.budget] = sweep.budget_value
    if measure in MEASURES:
        out["sensitivity"] = MEASURE_TEXT[sweep.report][measure]
    elif measure == "sharpness":
        out["sharpness"] = "largest Hessian eigenvalue of the training loss (Lanczos)"
    return out


def trained(sweep: Sweep) -> Precondition:
    """Every net of the sweep trained: test accuracy at least TRAINED_ACC at every batch size and seed (a net the
    budget stopped near chance has the sensitivity of an untrained net, not of a batch size)."""
    level = TRAINED_ACC.get(sweep.dataset, 0.5)
    acc = sweep.values("test_acc")
    ok = np.isfinite(acc) & (acc >= level)
    worst = [
        (b, float(np.nanmin(acc[:, i])) if np.isfinite(acc[:, i]).any() else math.nan)
        for i, b in enumerate(sweep.batch_sizes)
    ]
    low = [f"batch {b}: {100 * a:.1f} %" for b, a in worst if not (a >= level)]
    return Precondition(
        f"every net trained: test accuracy ≥ {100 * level:.0f} % at every batch size and seed",
        bool(ok.all()),
        f"{int(ok.sum())} of {ok.size} nets" + (f"; lowest {', '.join(low)}" if low else ""),
    )


# ---- rules ---------------------------------------------------------------------------------------------------


def trend(sweep: Sweep, x: str, y: str) -> stats.Correlation:
    """Spearman correlation of two quantities over every run of a sweep ("batch_size" or a Trained field)."""
    xs = np.repeat([sweep.batch_sizes], len(sweep.seeds), axis=0) if x == "batch_size" else sweep.values(x)
    return stats.correlation(list(np.ravel(xs)), list(np.ravel(sweep.values(y))), "spearman")


def log_ratio(values: np.ndarray, sizes: Sequence[int], end: Sequence[int], bottom: Sequence[int]) -> stats.Interval:
    """Interval over seeds (rows of `values`, columns = `sizes`) of mean log value at `end` minus mean log value at
    `bottom`."""
    logv = np.log(np.where(values > 0, values, np.nan))
    col = lambda bs: [sizes.index(b) for b in bs]  # noqa: E731
    d = np.nanmean(logv[:, col(end)], axis=1) - np.nanmean(logv[:, col(bottom)], axis=1)
    return stats.mean_interval(list(d))


def u_verdict(
    values: np.ndarray, sizes: Sequence[int], left: Sequence[int], bottom: Sequence[int], right: Sequence[int]
) -> tuple[str, stats.Interval, stats.Interval]:
    """The U-shape rule (module docstring): (verdict, left-arm interval, right-arm interval)."""
    li, ri = log_ratio(values, sizes, left, bottom), log_ratio(values, sizes, right, bottom)
    margin = math.log(1 + U_RISE)
    v = stats.joint_verdict([stats.direction_verdict(li, +1, margin), stats.direction_verdict(ri, +1, margin)])
    return v, li, ri


def highest_verdict(values: np.ndarray, sizes: Sequence[int]) -> tuple[str, dict[int, stats.Interval]]:
    """ "The smallest batch size gives the highest value": (verdict, {other batch size: log-ratio interval})."""
    ivs = {b: log_ratio(values, sizes, [sizes[0]], [b]) for b in sizes[1:]}
    return stats.joint_verdict([stats.direction_verdict(iv, +1) for iv in ivs.values()]), ivs


def _ratio(iv: stats.Interval) -> str:
    """A log-ratio interval as a factor with its 95 % range."""
    if iv.n < 2:
        return "–" if iv.n == 0 else f"×{math.exp(iv.mean):.3g} (one seed)"
    return f"×{math.exp(iv.mean):.3g} [{math.exp(iv.lo):.3g}, {math.exp(iv.hi):.3g}]"


def _corr(c: stats.Correlation) -> str:
    if not math.isfinite(c.r):
        return f"ρ undefined (n = {c.n})"
    return f"ρ = {c.r:+.2f} (p = {c.p:.2g}, n = {c.n})"


def _u_check(claim_id: str, sweep: Sweep, key: str, label: str, error: bool = False) -> ClaimCheck:
    left, bottom, right = U_SHAPES[sweep.report]
    values = 1 - sweep.values(key) if error else sweep.values(key)
    v, li, ri = u_verdict(values, sweep.batch_sizes, left, bottom, right)
    where = str(bottom[0]) if len(bottom) == 1 else f"{bottom[0]}–{bottom[-1]}"
    text = f"{label}: batch {left[0]} / bottom (batch {where}) {_ratio(li)}; batch {right[0]} / bottom {_ratio(ri)}"
    evidence = dict(left_log_ratio=li, right_log_ratio=ri)
    if not error:  # the other sensitivity measure, judged by the same rule
        other = "jacobian" if key == "input_grad" else "input_grad"
        vo, lo, ro = u_verdict(sweep.values(other), sweep.batch_sizes, left, bottom, right)
        text += f"; with the {MEASURE_NAMES[other]} instead: {_ratio(lo)} and {_ratio(ro)} ({vo})"
        evidence.update(other_measure=other, other_verdict=vo, other_left=lo, other_right=ro)
    return check(
        claim_id,
        v,
        rule=U_RULE,
        ours=text,
        setting=ours_setting(sweep, None if error else key),
        precondition=trained(sweep),
        **evidence,
    )


def _trend_check(
    claim_id: str, sweep: Sweep, x: str, y: str, direction: int, label: str, other: str | None = None
) -> ClaimCheck:
    """A trend claim by the Spearman rule; with `other`, the same rule with the other sensitivity measure in place
    of the claim's one, as evidence."""
    c = trend(sweep, x, y)
    text = f"{label}: {_corr(c)}"
    evidence = dict(spearman=c)
    if other is not None:
        swap = lambda name: other if name in MEASURES else name  # noqa: E731
        co = trend(sweep, swap(x), swap(y))
        vo = stats.correlation_verdict(co, direction)
        text += f"; with the {MEASURE_NAMES[other]} instead: {_corr(co)} ({vo})"
        evidence.update(other_measure=other, other_spearman=co, other_verdict=vo)
    measure = next((k for k in (x, y) if k in MEASURES or k == "sharpness"), None)
    return check(
        claim_id,
        stats.correlation_verdict(c, direction),
        rule=TREND_RULE,
        ours=text,
        setting=ours_setting(sweep, measure),
        precondition=trained(sweep),
        **evidence,
    )


def checks(res: Results) -> list[ClaimCheck]:
    """One check per registry claim of the section, each on its own report's sweep."""
    s0, s1, s2 = res.sweeps["000"], res.sweeps["001"], res.sweeps["002"]
    out = [
        _trend_check("000.sensitivity.accuracy_falls", s0, "batch_size", "test_acc", -1, "test accuracy vs batch"),
        _trend_check(
            "000.sensitivity.sensitivity_rises",
            s0,
            "batch_size",
            "jacobian",
            +1,
            "softmax-Jacobian norm vs batch",
            other="input_grad",
        ),
        _trend_check(
            "000.sensitivity.inverse_relation",
            s0,
            "test_acc",
            "jacobian",
            -1,
            "test accuracy vs softmax-Jacobian norm",
            other="input_grad",
        ),
    ]
    if np.isfinite(s0.values("sharpness")).any():
        out.append(
            _trend_check(
                "000.sensitivity.large_batch_sharp",
                s0,
                "batch_size",
                "sharpness",
                +1,
                "λmax of the training loss vs batch",
            )
        )
    out += [
        _trend_check(
            "001.sensitivity.train_fit_rises",
            s1,
            "batch_size",
            "train_acc",
            +1,
            f"training accuracy vs batch at {s1.budget_value:,} steps",
        ),
        _u_check("001.sensitivity.test_peaks_mid", s1, "test_acc", "test error", error=True),
        _u_check("001.sensitivity.u_shape", s1, "input_grad", MEASURE_NAMES["input_grad"]),
        _trend_check(
            "001.sensitivity.low_sensitivity_generalizes",
            s1,
            "test_acc",
            "input_grad",
            -1,
            "test accuracy vs input-gradient norm",
            other="jacobian",
        ),
        _u_check("002.sensitivity.u_shape", s2, "input_grad", MEASURE_NAMES["input_grad"]),
    ]
    v, ivs = highest_verdict(s2.values("input_grad"), s2.batch_sizes)
    out.append(
        check(
            "002.sensitivity.highest_at_smallest",
            v,
            rule=HIGHEST_RULE,
            ours="input-gradient norm at batch 5 over "
            + "; ".join(f"batch {b}: {_ratio(iv)}" for b, iv in ivs.items()),
            setting=ours_setting(s2, "input_grad"),
            precondition=trained(s2),
            log_ratios={str(b): iv for b, iv in ivs.items()},
        )
    )
    return out


# ---- prose ------------------------------------------------------------------------------------------------------

_SETTING = {
    "000": "CIFAR-10, a CNN (architecture not given), batch 32–512; budget and optimizer not given",
    "001": "MNIST, a CNN of 3 conv blocks 32 → 64 → 128, global average pooling and a linear layer, Adam lr 1e-3, "
    "a fixed 6,000 steps, batch 16–1024",
    "002": "batch 5–1,500; data, net and budget not given",
}


def _budget(sw: Sweep) -> str:
    return f"{sw.budget_value:,} steps" if sw.budget == "steps" else f"{sw.budget_value} epochs"


def scale(res: Results) -> str:
    """What each sweep trains here, next to the report's own setting."""
    rows = []
    for r, sw in res.sweeps.items():
        passes = [x.epochs_seen for x in sw.runs]
        rows.append(
            f"- **{r}** ({_SETTING[r]}): {sw.model} ({sw.n_params:,} parameters) on {sw.n_train:,} "
            f"{sw.dataset.upper() if sw.dataset == 'mnist' else 'CIFAR-10'} training images, batch "
            f"{', '.join(map(str, sw.batch_sizes))}, {_budget(sw)} each ({min(passes):.3g} to "
            f"{max(passes):.3g} passes over the training images), {len(sw.seeds)} seeds"
        )
    sw = res.sweeps["001"]
    lr = (
        f"constant learning rate {sw.lr:g}"
        if sw.scheduler == "constant"
        else f"learning rate {sw.lr:g} decayed to 0 by a cosine schedule over each run"
    )
    s1 = res.sweeps["001"]
    report_steps = registry_claim("001.sensitivity.u_shape").setting["steps"]
    short = (
        f" Report 001's sweep trains the report's CNN with its optimizer, learning rate and batch sizes, but "
        f"{s1.budget_value:,} of its {report_steps:,} steps: its largest batch alone is 1,024 images a step, so on a "
        "CPU only a few steps fit this profile's time. Such nets have barely started to train; the claims on them "
        "are not tested (the precondition says why) and the `full` profile runs the report's steps."
        if s1.budget == "steps" and s1.budget_value < report_steps
        else ""
    )
    return (
        f"**This run.** Adam, {lr} (the reports state no schedule; the decay lets every run end at a settled "
        f"point); sensitivity on the first {res.probe_images:,} test images. Report 002 states neither data, net "
        "nor budget: its sweep gets MNIST, a fully connected net (the random-label nets of the same report are "
        "fully connected) and a fixed number of steps, as report 001. Report 000 states no budget; it gets the "
        "same number of epochs per batch size." + short + "\n\n" + "\n".join(rows)
    )


def convergence_note(res: Results) -> str:
    """Which runs ended at a minimum by the criterion, per sweep and batch size."""
    parts, total, ok = [], 0, 0
    for r, sw in res.sweeps.items():
        conv = sw.values("grad_norm")
        flags = np.asarray([[x.convergence.converged for x in sw.runs if x.batch_size == b] for b in sw.batch_sizes])
        total += flags.size
        ok += int(flags.sum())
        bad = [
            f"{b} ({int(f.sum())}/{f.size}, ‖∇L‖ up to {num(float(np.nanmax(conv[:, i])), 2)})"
            for i, (b, f) in enumerate(zip(sw.batch_sizes, flags))
            if not f.all()
        ]
        if bad:
            parts.append(f"sweep {r}, batch " + ", ".join(bad))
    head = (
        f"**Are the trained nets minima?** Every net's full-batch training loss and gradient norm were measured "
        f"at the end (eval mode); it counts as a minimum when {res.criterion}. {ok} of {total} nets meet it"
    )
    if not parts:
        return head + "."
    return (
        head + ". Not converged: " + "; ".join(parts) + ". Their sensitivity is that of a net the budget "
        "stopped, so a trend that runs through them mixes the batch size with how far training got."
    )


def measures_note(res: Results) -> str:
    """How the two sensitivity measures relate, per sweep."""
    parts = []
    for r, sw in res.sweeps.items():
        c = trend(sw, "jacobian", "input_grad")
        parts.append(f"{r}: {_corr(c)}")
    return (
        "**Two measures.** The softmax Jacobian asks how much the prediction moves under a nudge of the input; "
        "the input gradient of the loss asks how much the loss of the true class does. A confident correct "
        "prediction has both small; a confident wrong one has a small Jacobian but a large loss gradient. "
        "Their rank correlation over the runs of each sweep: " + "; ".join(parts) + "."
    )


def fit_note(res: Results) -> str:
    """Does sensitivity follow the batch size or how well each net fits its training set? Per sweep: the trend
    with the batch size and the rank correlation with the final training loss."""
    parts, same_sign = [], []
    for r, sw in res.sweeps.items():
        cb, cl = trend(sw, "batch_size", "input_grad"), trend(sw, "train_loss", "input_grad")
        cbl = trend(sw, "batch_size", "train_loss")
        parts.append(
            f"{r} ({_budget(sw)} per run): with the batch size {_corr(cb)}, with the final training loss "
            f"{_corr(cl)} (training loss with the batch size {_corr(cbl)})"
        )
        same_sign.append(cl.r < 0 if math.isfinite(cl.r) else None)
    out = "**Batch size or fit?** The input-gradient norm on test images, per sweep: " + "; ".join(parts) + "."
    if all(x is True for x in same_sign):
        out += (
            " In every sweep the nets that fit their training set more closely are the more sensitive ones, "
            "whichever way the batch size moves the fit: with a fixed number of steps a larger batch sees more "
            "data and fits better, with a fixed number of epochs it takes fewer steps and fits worse. Read "
            "against the batch size alone, the same mechanism gives opposite trends under the two budgets."
        )
    return out


def reading(checks_: Sequence[ClaimCheck]) -> str:
    """What the verdicts say per report, from the verdicts themselves, and the claim nobody made."""
    by_report: dict[str, list[str]] = {}
    for c in checks_:
        by_report.setdefault(c.report, []).append(f"{c.id.split('.')[-1].replace('_', ' ')} **{c.verdict}**")
    out = [f"report {r}: " + ", ".join(v) for r, v in sorted(by_report.items())]
    return (
        "**Reading the verdicts.** Each report on its own sweep: " + "; ".join(out) + ". 'Sensitivity falls as "
        "the batch size grows' is not tested: none of the three reports claims that; report 000 says sensitivity "
        "*rises* with the batch size, reports 001 and 002 describe a U."
    )


# ---- tables and metrics -------------------------------------------------------------------------------------

ROW_KEYS = ("test_acc", "train_acc", "train_loss", "grad_norm", "jacobian", "input_grad", "sharpness")


def sweep_rows(sw: Sweep) -> list[dict]:
    """One row per batch size: mean over seeds of accuracy, convergence record, both measures and λmax."""
    rows = []
    for i, b in enumerate(sw.batch_sizes):
        row = {"batch": b, "passes": float(np.mean([x.epochs_seen for x in sw.runs if x.batch_size == b]))}
        for k in ROW_KEYS:
            v = sw.values(k)[:, i]
            mean = float(np.mean(v[np.isfinite(v)])) if np.isfinite(v).any() else None
            row[k + (" %" if k.endswith("acc") else "")] = mean if mean is None or not k.endswith("acc") else 100 * mean
        row["converged"] = f"{sum(x.convergence.converged for x in sw.runs if x.batch_size == b)}/{len(sw.seeds)}"
        rows.append(row)
    return rows


def metrics(res: Results) -> dict:
    """The metrics.json entries besides seeds and claims: per sweep and batch size the per-seed values."""
    sweeps = {}
    for r, sw in res.sweeps.items():
        sweeps[r] = {
            "dataset": sw.dataset,
            "model": sw.model,
            "n_params": sw.n_params,
            "n_train": sw.n_train,
            "budget": sw.budget,
            "budget_value": sw.budget_value,
            "lr": sw.lr,
            "scheduler": sw.scheduler,
            "batch_sizes": sw.batch_sizes,
            "seeds": sw.seeds,
            "steps": sw.values("steps").tolist(),
            "converged": [[x.convergence.converged for x in sw.runs if x.seed == s] for s in sw.seeds],
            **{
                k: sw.values(k).tolist()
                for k in (
                    "test_acc",
                    "test_loss",
                    "train_acc",
                    "train_loss",
                    "grad_norm",
                    "jacobian",
                    "input_grad",
                    "sharpness",
                )
            },
        }
    s0, s1, s2 = res.sweeps["000"], res.sweeps["001"], res.sweeps["002"]
    left, bottom, right = U_SHAPES["001"]
    headline = {
        "000 Spearman ρ(batch, ‖∂p/∂x‖)": trend(s0, "batch_size", "jacobian").r,
        "001 ‖∂ℓ/∂x‖ batch 16 / 128–512": math.exp(
            log_ratio(s1.values("input_grad"), s1.batch_sizes, left, bottom).mean
        ),
        "001 ‖∂ℓ/∂x‖ batch 1024 / 128–512": math.exp(
            log_ratio(s1.values("input_grad"), s1.batch_sizes, right, bottom).mean
        ),
        "002 ‖∂ℓ/∂x‖ batch 5 / 125": math.exp(
            log_ratio(s2.values("input_grad"), s2.batch_sizes, U_SHAPES["002"][0], U_SHAPES["002"][1]).mean
        ),
        "nets converged (fraction)": float(
            np.mean([x.convergence.converged for sw in res.sweeps.values() for x in sw.runs])
        ),
    }
    return {
        "sweeps": sweeps,
        "convergence_criterion": res.criterion,
        "u_rise": U_RISE,
        "probe_images": res.probe_images,
        "headline": headline,
    }
