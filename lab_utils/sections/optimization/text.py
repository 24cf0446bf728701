"""02 optimization: prose, the claim checks and the metrics, each computed from a `compute.Results` only.

Every verdict applies one rule of `lab_utils.core.stats` to per-seed (per-run) values and says which in its
`rule`. Shares of runs get a Wilson 95 % interval and correlations over runs a Fisher-z interval
(`core.stats.wilson_interval`, `correlation_interval`), both as `stats.Interval`s, so that the same direction /
equivalence rules decide them. Reference numbers come from the
claim registry (`references.optimization`).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ...core import stats
from ...core.stats import correlation_interval, wilson_interval
from ...references import claim
from ...report import claims as claims_mod
from ...report.claims import ClaimCheck
from ...report.fmt import count, num, pct, values
from ...report.metrics import spread
from . import compute
from .compute import MinimalRatio, Results, Trajectories

SECTION = "02_optimization"
HIGH_RATIO = 0.9  # "high minimal ratio" (report 001 gives no number)
WORSE = 2.0  # a minimum is "clearly worse" when its MSE is more than twice the best minimum's
FEW = 0.05  # "a few": contradicted only when the share's interval lies below 5 %
STRONG = 0.5  # "no strong correlation": |Spearman rho| below 0.5
NARROW = 0.05  # a "narrow band" of weight norms: (max - min) / mean at most 5 %
SAME_PP = 1.0  # "similarly good": within 1 percentage point of the runs' median test accuracy
FAR = 0.1  # the solver "went far" when it moved more than 10 % of |theta| from Adam's end point
# "towards a similar region": the runs' squared separation at the end against what independent displacements from
# the same starts would give (compute.pair_ratios). Holds when at most half of it is left, contradicted when more
# than nine tenths is
CLOSE, NOT_CLOSE = 0.5, 0.9
TRAINED_ACC = 0.90  # an MNIST net counts as trained at >= 90 % test accuracy
REPORT_ACC_001 = 0.98  # report 001: "98-99% test accuracy"
TRAINED_FALL = 10.0  # a sine MLP counts as trained when its full-batch training MSE fell at least tenfold
SNAPSHOT_EVERY_002 = 3  # report 002 saved the weights every 3 epochs


# ---- shares and per-run values ----------------------------------------------------------------------------


def _share(k: int, n: int, iv: stats.Interval) -> str:
    return f"{k}/{n} = {pct(k / n, 0) if n else '–'} (Wilson 95 % CI [{pct(iv.lo, 0)}, {pct(iv.hi, 0)}])"


def _floats(a) -> list[float | None]:
    return [None if v is None or not math.isfinite(float(v)) else float(v) for v in np.asarray(a, dtype=float)]


def _share_verdict(iv: stats.Interval, above: float) -> str:
    """Claim "the share exceeds `above`" (e.g. 0.5 for "most"): direction rule on the Wilson interval."""
    return stats.direction_verdict(iv, +1, above)


# ---- per-run values of the trajectory experiments ---------------------------------------------------------


def spread_log_ratio(tr: Trajectories) -> list[float | None]:
    """Per run log10(end spread / start spread): the runs' distances at the end against those at the start."""
    return _floats(np.log10(tr.end_spread / tr.start_spread))


def pair_log_ratio(tr: Trajectories) -> list[float | None]:
    """Per run log10 of the pair ratio at the last snapshot (`compute.pair_ratios`): below 0 when the runs end
    closer together than independent displacements from their starts would leave them, above 0 when farther."""
    return _floats(np.log10(tr.pair_ratio[:, -1]))


def binned_steps(a: np.ndarray, steps_per_epoch: int) -> np.ndarray:
    """(R, B) means of a per-step series (R, T) over each epoch's steps (over bins of T // 8 steps when the run has
    fewer than 4 epochs)."""
    T = a.shape[1]
    size = steps_per_epoch if T // max(steps_per_epoch, 1) >= 4 else max(1, T // 8)
    B = T // size
    return a[:, : B * size].reshape(a.shape[0], B, size).mean(2)


def step_loss_grad_spearman(tr: Trajectories) -> list[float | None]:
    """Per run Spearman rho between the minibatch loss and the minibatch gradient norm of every iteration (the
    series the reports plotted), each averaged over the steps of an epoch (`binned_steps`)."""
    L, G = binned_steps(tr.step_loss, tr.steps_per_epoch), binned_steps(tr.step_grad_norm, tr.steps_per_epoch)
    return [stats.correlation(L[i], G[i], "spearman").r for i in range(len(tr.seeds))]


def loss_grad_spearman(tr: Trajectories) -> list[float | None]:
    """Per run Spearman rho over the snapshots between the full-batch loss and the full-batch gradient norm."""
    return [stats.correlation(tr.loss[i], tr.grad_norm[i], "spearman").r for i in range(len(tr.seeds))]


def fall_factor(a: np.ndarray) -> np.ndarray:
    """Per run first / last value of a (R, S) series: how many times it fell."""
    return a[:, 0] / a[:, -1]


def sawtooth_jump(tr: Trajectories) -> list[float | None]:
    """Per run mean over epochs 2.. of (mean log10 minibatch gradient norm over the first tenth of the epoch's steps
    minus the same over the last tenth of the epoch before): > 0 when the norm jumps up at each epoch start."""
    spe, k = tr.steps_per_epoch, max(1, tr.steps_per_epoch // 10)
    out = []
    for g in np.log10(tr.step_grad_norm):
        n_ep = len(g) // spe
        jumps = [g[e * spe : e * spe + k].mean() - g[e * spe - k : e * spe].mean() for e in range(1, n_ep)]
        out.append(float(np.mean(jumps)) if jumps else None)
    return out


def band_snapshots(tr: Trajectories) -> tuple[list[int], int]:
    """The snapshots report 002's band is read on: every SNAPSHOT_EVERY_002 epochs after initialisation (all after
    initialisation when that leaves fewer than two), and the spacing used."""
    idx = [i for i, e in enumerate(tr.snapshot_epochs) if e > 0 and e % SNAPSHOT_EVERY_002 == 0]
    if len(idx) >= 2:
        return idx, SNAPSHOT_EVERY_002
    return list(range(1, len(tr.snapshot_epochs))), tr.snapshot_epochs[1] - tr.snapshot_epochs[0]


def band_width(tr: Trajectories) -> list[float]:
    """Per run (max - min) / mean of the weight norm over the band's snapshots (`band_snapshots`)."""
    w = tr.weight_norm[:, band_snapshots(tr)[0]]
    return [float(v) for v in (w.max(1) - w.min(1)) / w.mean(1)]


def first_layer_excess(tr: Trajectories) -> list[float | None]:
    """Per run log10(first layer's share of the squared displacement / its share of the parameters): below 0 when
    the first layer moves less per parameter than the network as a whole."""
    return _floats(np.log10(tr.first_layer_share / (tr.first_layer_params / tr.n_params)))


def converged_count(tr: Trajectories) -> int:
    return sum(c.converged for c in tr.convergence)


# ---- per-run values of the minimal-ratio experiment -------------------------------------------------------


def kinds(res: MinimalRatio) -> np.ndarray:
    return compute.kind_of_point(res)


def low_loss(res: MinimalRatio) -> np.ndarray:
    return res.mse <= compute.low_loss_line(res)


# ---- our settings and the preconditions ------------------------------------------------------------------


def ours(tr: Trajectories | MinimalRatio, **measure) -> dict:
    """Our setting for a claim: the run's recipe (built from the config and the model trained) and the keys of the
    claim's measure as this check reads them."""
    return {**tr.recipe, **measure}


def trained_sine(tr: Trajectories) -> claims_mod.Precondition:
    fall = fall_factor(tr.loss)
    k = int((fall >= TRAINED_FALL).sum())
    return claims_mod.Precondition(
        f"every run trained: its full-batch training loss fell at least {TRAINED_FALL:g}-fold from initialisation",
        k == len(fall),
        f"{k} of {len(fall)} runs; falls ×{values(fall, 3)}",
    )


def accuracy_level(tr: Trajectories, level: float, what: str, median: bool = False) -> claims_mod.Precondition:
    """Every run's (or the median run's) test accuracy at least `level`."""
    acc = np.asarray(tr.test_metric, dtype=float)
    ok = bool(np.nanmedian(acc) >= level) if median else bool(np.all(acc >= level))
    return claims_mod.Precondition(
        f"{'the median run' if median else 'every run'} {what}: test accuracy ≥ {level:.0%}",
        ok,
        f"test accuracy {values(100 * acc, 3)} %",
    )


def trained_mnist(tr: Trajectories) -> claims_mod.Precondition:
    return accuracy_level(tr, TRAINED_ACC, "trained")


def at_002(res: Results) -> Trajectories:
    """The MNIST runs read at report 002's epoch (or at the end of a shorter run)."""
    tr = res.mnist
    return compute.at_epoch(tr, max(e for e in tr.snapshot_epochs if e <= compute.EPOCHS_002))


# ---- claim checks: the sine MLP (report 000) --------------------------------------------------------------


def region_verdict(iv: stats.Interval) -> str:
    """Holds when the interval of the mean log10 pair ratio lies below log10 CLOSE, contradicted when it lies
    above log10 NOT_CLOSE, undecided otherwise (also when it is not defined)."""
    if not iv.n or not math.isfinite(iv.lo) or not math.isfinite(iv.hi):
        return stats.UNDECIDED
    if stats.direction_verdict(iv, -1, math.log10(CLOSE)) == stats.HOLDS:
        return stats.HOLDS
    if stats.direction_verdict(iv, +1, math.log10(NOT_CLOSE)) == stats.HOLDS:
        return stats.CONTRADICTED
    return stats.UNDECIDED


REGION_RULE = (
    "two-sided: per run, the mean over the other runs of its squared distance to them at the end divided by what "
    "independent displacements from the same starts would give (|θᵢ(0) − θⱼ(0)|² + |dᵢ|² + |dⱼ|², d = θ_end − θ(0)); "
    f"holds when the 95 % interval of the mean of log10 of that ratio lies below log10 {CLOSE:g} (the moves removed "
    f"at least half of the separation independent moves would leave), contradicted when it lies above log10 "
    f"{NOT_CLOSE:g} (they removed less than a tenth), undecided otherwise (the runs share partners, so the "
    "interval is if anything too narrow)"
)


def _spread_check(
    claim_id: str, tr: Trajectories, setting: dict, precondition, reproduced: dict | None = None, **extra
) -> ClaimCheck:
    lq = pair_log_ratio(tr)
    iv = stats.mean_interval(lq)
    return claims_mod.check(
        claim_id,
        region_verdict(iv),
        rule=REGION_RULE,
        ours=f"ratio ×{10**iv.mean:.3g} on average (log10 {iv.text()}); mean distance between runs "
        f"{num(float(tr.start_spread.mean()))} at the start, {num(float(tr.end_spread.mean()))} at the end "
        f"(‖θ_end‖ ≈ {num(float(tr.weight_norm[:, -1].mean()))}); {len(tr.seeds)} runs",
        reproduced=reproduced,
        setting=setting,
        precondition=precondition,
        log10_pair_ratio=iv,
        per_run=lq,
        start_spread=tr.start_spread,
        end_spread=tr.end_spread,
        converged=converged_count(tr),
        **extra,
    )


def _falls_check(claim_id: str, tr: Trajectories, precondition=None) -> ClaimCheck:
    """Reports 001 and 002 speak of nets that approach convergence (98-99 % test accuracy): on MNIST the check
    presumes a trained net, since a few dozen steps of a classifier from initialisation are the phase in which its
    gradient norm grows while the loss falls."""
    rho = step_loss_grad_spearman(tr)
    iv = stats.mean_interval(rho)
    fb = stats.mean_interval(loss_grad_spearman(tr))
    lf, gf = fall_factor(tr.loss), fall_factor(tr.grad_norm)
    gs = binned_steps(tr.step_grad_norm, tr.steps_per_epoch)
    return claims_mod.check(
        claim_id,
        stats.direction_verdict(iv, +1),
        rule="direction: holds when the 95 % interval of the per-seed Spearman ρ between the minibatch loss and the "
        "minibatch gradient norm of every iteration, each averaged over an epoch's steps, lies above 0, "
        "contradicted when it lies below 0",
        ours=f"ρ {iv.text()} over {gs.shape[1]} epoch means of {tr.step_loss.shape[1]} iterations; the minibatch "
        f"‖∇L‖ went from {num(float(np.median(gs[:, 0])), 3)} (first epoch) to {num(float(np.median(gs[:, -1])), 3)} "
        f"(last), medians over {len(tr.seeds)} seeds. Full batch at the snapshots: ρ {fb.text()}, loss ×"
        f"{num(float(np.median(1 / lf)), 3)} and ‖∇L‖ ×{num(float(np.median(1 / gf)), 3)} from initialisation to "
        f"the end",
        setting=ours(tr, grad_norm_every="iteration"),
        precondition=precondition,
        spearman=iv,
        per_seed=rho,
        spearman_full_batch=fb,
        loss_fall=lf,
        grad_norm_fall=gf,
    )


def check_common_region(res: Results) -> ClaimCheck:
    tr = res.sine
    return _spread_check("000.trajectories.common_region", tr, ours(tr), trained_sine(tr))


def check_gradient_000(res: Results) -> ClaimCheck:
    return _falls_check("000.gradient.falls_with_loss", res.sine)


# ---- claim checks: the MNIST CNN (reports 001, 002) -------------------------------------------------------


def check_end_clustering(res: Results) -> ClaimCheck:
    tr = res.mnist
    acc = 100 * tr.test_metric
    return _spread_check(
        "001.trajectories.end_clustering",
        tr,
        ours(tr),
        accuracy_level(tr, REPORT_ACC_001, "reached the report's accuracy", median=True),
        test_acc_percent=acc,
        reproduced={"test_acc_low": float(acc.min()), "test_acc_high": float(acc.max())},
    )


def check_later_layers(res: Results) -> ClaimCheck:
    tr = res.mnist
    ex = first_layer_excess(tr)
    iv = stats.mean_interval(ex)
    return claims_mod.check(
        "001.trajectories.later_layers_vary_most",
        stats.direction_verdict(iv, -1),
        rule="direction: holds when the 95 % interval of the per-seed log10(first layer's share of ‖θ_end − θ_0‖² / "
        "its share of the parameters) lies below 0 (layer 1 moves less per parameter than the rest), "
        "contradicted when it lies above 0",
        ours=f"layer 1 holds {pct(tr.first_layer_params / tr.n_params)} of the parameters and "
        f"{pct(float(np.mean(tr.first_layer_share)))} of the squared displacement (mean); log10 ratio {iv.text()}",
        setting=ours(tr),
        precondition=trained_mnist(tr),
        per_seed=ex,
        first_layer_share=tr.first_layer_share,
        param_share=tr.first_layer_params / tr.n_params,
    )


def check_early_layers(res: Results) -> ClaimCheck:
    tr = res.mnist
    iv = stats.paired_interval(_floats(tr.first_layer_early), _floats(tr.rest_early))
    e = tr.snapshot_epochs[1]
    return claims_mod.check(
        "001.trajectories.early_layers_settle",
        stats.direction_verdict(iv, +1),
        rule=f"direction: holds when the 95 % interval of the per-seed difference (fraction of its final displacement "
        f"that layer 1 had covered at epoch {e}) − (the same for all other parameters) lies above 0, "
        f"contradicted when it lies below 0",
        ours=f"at epoch {e}: layer 1 {values(tr.first_layer_early, 2)}, the rest {values(tr.rest_early, 2)}; "
        f"difference {iv.text()}",
        setting=ours(tr),
        precondition=trained_mnist(tr),
        difference=iv,
        first_layer=tr.first_layer_early,
        rest=tr.rest_early,
    )


def check_gradient_001(res: Results) -> ClaimCheck:
    return _falls_check("001.gradient.falls_with_loss", res.mnist, trained_mnist(res.mnist))


def check_distinct_good(res: Results) -> ClaimCheck:
    tr = at_002(res)
    acc = 100 * tr.test_metric
    flags = [bool(abs(a - np.median(acc)) <= SAME_PP) for a in acc]
    rel = tr.end_spread / tr.weight_norm[:, -1]
    return claims_mod.check(
        "002.trajectories.distinct_but_equally_good",
        stats.unanimous_verdict(flags),
        rule=f"unanimous: holds when every run's final test accuracy lies within ±{SAME_PP:g} pp of the runs' median "
        f"(their end points being distinct in weight space), contradicted when none does, undecided otherwise",
        ours=f"test accuracy {values(acc, 4)} % (median {np.median(acc):.2f} %, {sum(flags)}/{len(flags)} within "
        f"±{SAME_PP:g} pp); end points {num(float(rel.mean()), 2)} × ‖θ‖ apart on average; "
        f"{converged_count(tr)}/{len(tr.seeds)} end points converged ({tr.convergence[0].criterion}); at epoch "
        f"{tr.snapshot_epochs[-1]}",
        setting=ours(tr),
        precondition=trained_mnist(tr),
        within=flags,
        test_acc_percent=acc,
        end_spread_relative=rel,
        converged=converged_count(tr),
    )


def check_gradient_002(res: Results) -> ClaimCheck:
    tr = at_002(res)
    return _falls_check("002.gradient.falls_with_loss", tr, trained_mnist(tr))


def check_sawtooth(res: Results) -> ClaimCheck:
    tr = at_002(res)
    j = sawtooth_jump(tr)
    iv = stats.mean_interval(j)
    return claims_mod.check(
        "002.gradient.sawtooth",
        stats.direction_verdict(iv, +1),
        rule="direction: holds when the 95 % interval of the per-seed mean jump of log10 ‖∇L‖ (minibatch) from the "
        "last tenth of an epoch's steps to the first tenth of the next lies above 0, contradicted when below 0",
        ours=f"jump {iv.text()} (log10 units; ×{10**iv.mean:.3g}), {tr.steps_per_epoch} steps per epoch, reshuffled "
        f"every epoch; epochs 1–{tr.snapshot_epochs[-1]}",
        setting=ours(tr, grad_norm_every="iteration"),
        jump=iv,
        per_seed=j,
    )


def check_narrow_band(res: Results) -> ClaimCheck:
    tr = at_002(res)
    idx, every = band_snapshots(tr)
    w = band_width(tr)
    iv = stats.mean_interval(w)
    ref = claim("002.weight_norm.narrow_band").numbers
    ref_width = (ref["norm_high"] - ref["norm_low"]) / ((ref["norm_high"] + ref["norm_low"]) / 2)
    lo, hi = tr.weight_norm[:, idx].min(1), tr.weight_norm[:, idx].max(1)
    return claims_mod.check(
        "002.weight_norm.narrow_band",
        stats.direction_verdict(iv, -1, NARROW),
        rule=f"direction: holds when the 95 % interval of the per-seed relative width (max − min) / mean of ‖θ‖ over "
        f"the snapshots every {SNAPSHOT_EVERY_002} epochs after initialisation lies below {NARROW:.0%} (the report's "
        f"band is {ref_width:.1%} wide), contradicted when it lies above",
        ours=f"relative width {iv.text()}; ‖θ‖ from {num(float(lo.mean()))} to {num(float(hi.mean()))} (means over "
        f"seeds) at epochs {', '.join(str(tr.snapshot_epochs[i]) for i in idx)}, training loss there "
        f"{num(float(tr.loss[:, idx].min()))}–{num(float(tr.loss[:, idx].max()))}",
        reproduced={"norm_low": float(lo.mean()), "norm_high": float(hi.mean())},
        setting=ours(tr, snapshot_every_epochs=every),
        precondition=trained_mnist(tr),
        width=iv,
        per_seed=w,
    )


# ---- claim checks: the minimal ratio (reports 000, 001) ---------------------------------------------------


def _conv(res: MinimalRatio) -> str:
    k = int(res.converged.sum())
    return f"{k}/{len(res.converged)} runs converged ({_criterion(res)})"


def _criterion(res: MinimalRatio) -> str:
    return f"full-batch ‖∇L‖ ≤ {res.grad_tol:g}"


def check_mostly_one(res: Results) -> ClaimCheck:
    r = res.ratio
    ok = r.converged
    flags = (kinds(r) == "minimum") & (r.sampling == 1.0)
    k, n = int(flags[ok].sum()), int(ok.sum())
    iv = wilson_interval(k, n)
    return claims_mod.check(
        "000.minimal_ratio.mostly_one",
        _share_verdict(iv, 0.5),
        rule="direction: holds when the Wilson 95 % interval of the share of converged critical points that are strict "
        "minima (no negative Hessian eigenvalue at any tolerance of the sweep) *and* have every one of the "
        f"{r.n_neighbours} sampled neighbours higher (ratio 1.0) lies above 50 %, contradicted when it lies below",
        ours=f"{_share(k, n, iv)}; {_conv(r)}; sampling ratio 1.0 at {int((r.sampling[ok] == 1).sum())}, strict "
        f"minimum at {int((kinds(r)[ok] == 'minimum').sum())}",
        reproduced={"ratio": float(np.median(r.sampling[ok])) if n else None},
        setting=ours(r),
        share=iv,
        k=k,
        n=n,
        n_runs=len(r.converged),
    )


def check_no_correlation(res: Results) -> ClaimCheck:
    r = res.ratio
    ok = r.converged
    c = stats.correlation(r.mse[ok], r.sampling[ok], "spearman")
    ch = stats.correlation(r.mse[ok], compute.hessian_ratio(r)[ok], "spearman")
    iv = correlation_interval(c)
    constant = n_distinct = len(np.unique(r.sampling[ok]))
    verdict = stats.equivalence_verdict(iv, STRONG) if iv.n else stats.UNDECIDED
    why = (
        ""
        if iv.n
        else f" The sampling ratio takes {count(n_distinct, 'value')} over the converged runs, so its rank "
        f"correlation with the loss is not defined: nothing to decide."
    )
    return claims_mod.check(
        "000.minimal_ratio.no_loss_correlation",
        verdict,
        rule=f"equivalence: holds when the Fisher-z 95 % interval of Spearman ρ(training MSE, sampling ratio) over "
        f"the converged runs lies inside ±{STRONG:g}, contradicted when it lies wholly outside",
        ours=f"ρ {iv.text(digits=2) if iv.n else 'undefined'}; with the Hessian ratio ρ = {num(ch.r, 2)} (n = {ch.n}); "
        f"{_conv(r)}.{why}",
        spearman_sampling=iv,
        setting=ours(r),
        spearman_hessian=ch,
        distinct_ratios=constant,
    )


def check_mostly_high(res: Results) -> ClaimCheck:
    r = res.ratio
    ok = r.converged
    flags = (r.sampling >= HIGH_RATIO) & low_loss(r)
    k, n = int(flags[ok].sum()), int(ok.sum())
    iv = wilson_interval(k, n)
    return claims_mod.check(
        "001.minimal_ratio.mostly_high_low_loss",
        _share_verdict(iv, 0.5),
        rule=f"direction: holds when the Wilson 95 % interval of the share of converged runs with a sampling ratio ≥ "
        f"{HIGH_RATIO:g} and a low loss (training MSE ≤ {compute.LOW_LOSS:.0%} of the target's variance, "
        f"{compute.low_loss_line(r):.2g}) lies above 50 %, contradicted when it lies below",
        ours=f"{_share(k, n, iv)}; {_conv(r)}; training MSE {num(float(r.mse[ok].min()), 3)}–"
        f"{num(float(r.mse[ok].max()), 3)}"
        if n
        else f"no converged run; {_conv(r)}",
        setting=ours(r),
        share=iv,
        k=k,
        n=n,
    )


def check_minima_differ(res: Results) -> ClaimCheck:
    r = res.ratio
    mins = r.converged & (kinds(r) == "minimum")
    n = int(mins.sum())
    best = float(r.mse[mins].min()) if n else math.nan
    flags = r.mse[mins] > WORSE * best
    k = int(flags.sum())
    iv = wilson_interval(k, n)
    verdict = stats.direction_verdict(iv, +1, 0.0)
    if verdict != stats.HOLDS:
        verdict = stats.CONTRADICTED if stats.direction_verdict(iv, -1, FEW) == stats.HOLDS else stats.UNDECIDED
    return claims_mod.check(
        "001.minimal_ratio.minima_differ",
        verdict,
        rule=f"direction, two-sided: holds when the Wilson 95 % interval of the share of strict minima whose training "
        f"MSE exceeds {WORSE:g}× the best minimum's lies above 0, contradicted when it lies below {FEW:.0%}",
        ours=f"{_share(k, n, iv)} of the strict minima; best MSE {num(best, 3)}, worst "
        f"{num(float(r.mse[mins].max()), 3) if n else '–'}; distinct minima (MSE to 3 digits) "
        f"{len(np.unique(np.round(np.log10(r.mse[mins]), 3))) if n else 0}",
        setting=ours(r),
        share=iv,
        k=k,
        n=n,
        best_mse=best,
    )


CHECKS = (
    check_common_region,
    check_gradient_000,
    check_mostly_one,
    check_no_correlation,
    check_end_clustering,
    check_later_layers,
    check_early_layers,
    check_gradient_001,
    check_mostly_high,
    check_minima_differ,
    check_distinct_good,
    check_gradient_002,
    check_sawtooth,
    check_narrow_band,
)
MNIST_CHECKS = {
    check_end_clustering,
    check_later_layers,
    check_early_layers,
    check_gradient_001,
    check_distinct_good,
    check_gradient_002,
    check_sawtooth,
    check_narrow_band,
}


def checks(res: Results) -> list[ClaimCheck]:
    """Every registry claim of this section that the results can decide (the MNIST ones only with the MNIST part)."""
    return [f(res) for f in CHECKS if res.mnist is not None or f not in MNIST_CHECKS]


# ---- prose ------------------------------------------------------------------------------------------------


def setting(res: Results) -> str:
    s, m, r = res.sine, res.mnist, res.ratio
    out = (
        f"**This run.** Trajectories: {len(s.seeds)} seeds ({', '.join(map(str, s.seeds))}) of the {s.model} "
        f"({s.n_params:,} parameters) on {s.n_train} points of sin(2πx), {s.snapshot_epochs[-1]} epochs of Adam "
        f"(minibatches, {s.steps_per_epoch} steps per epoch), weights every "
        f"{count(s.snapshot_epochs[1] - s.snapshot_epochs[0], 'epoch')}"
    )
    if m is not None:
        out += (
            f"; seeds {', '.join(map(str, m.seeds))} of a {compute.model_text_of(m)} ({m.n_params:,} parameters) on "
            f"{m.n_train:,} MNIST images (test accuracy on {m.recipe.get('n_test', '?'):,}), Adam at lr "
            f"{m.recipe.get('lr', math.nan):g}, batch {m.recipe.get('batch_size', '?')}, {m.snapshot_epochs[-1]} "
            f"epochs ({m.steps_per_epoch} steps each), weights every epoch; report 002's claims are read at epoch "
            f"{min(compute.EPOCHS_002, m.snapshot_epochs[-1])} of the same runs"
        )
    out += (
        f". Minimal ratio: {len(r.seeds)} runs of a {r.model} ({r.n_params} parameters) on {r.n_points} points, "
        f"{r.adam_steps} full-batch Adam steps, then the solver to {_criterion(r)}."
    )
    return out


def trajectories_text(tr: Trajectories) -> str:
    w, f = tr.whole, tr.first_layer
    lq = stats.mean_interval(pair_log_ratio(tr))
    return (
        f"**PCA, {tr.label}.** In the joint PCA of all {len(tr.seeds)} runs the two plotted axes keep "
        f"**{pct(float(w.ratio.sum()), 1)}** of the variance of the whole weight vector ({pct(float(w.ratio[0]), 1)} + "
        f"{pct(float(w.ratio[1]), 1)}) and {pct(float(f.ratio.sum()), 1)} for the first layer; one run's own "
        f"trajectory is far more planar: {pct(float(w.per_run_ratio.sum()), 1)} (whole) and "
        f"{pct(float(f.per_run_ratio.sum()), 1)} (first layer) on average. "
        + (
            "The joint plane therefore shows mostly *which run* a point belongs to; distances between runs are read "
            "in weight space below, not in the plane. "
            if w.ratio.sum() < 0.9
            else "Two axes keep most of the variance here, so the plane is a fair summary. "
        )
        + f"In weight space a run starts on average {num(float(tr.start_spread.mean()))} from the others and ends "
        f"{num(float(tr.end_spread.mean()))} from them. Independent runs start apart and each moves on its own, so "
        f"the end distance is compared with what independent displacements of the same lengths from the same starts "
        f"would leave: the squared end distance is ×{10**lq.mean:.3g} of that on average (log10 {lq.text()}), so "
        f"the runs "
        + {
            stats.HOLDS: "moved towards a common region: their displacements removed at least half of that separation.",
            stats.CONTRADICTED: "did not move towards a common region: they end about as far apart as "
            "independent moves would leave them, or farther.",
            stats.UNDECIDED: "neither clearly moved towards a common region nor clearly moved independently.",
        }[region_verdict(lq)]
    )


def gradient_text(tr: Trajectories) -> str:
    rho = stats.mean_interval(loss_grad_spearman(tr))
    lf, gf = fall_factor(tr.loss), fall_factor(tr.grad_norm)
    peak = tr.grad_norm.argmax(1)
    jump = stats.mean_interval(sawtooth_jump(tr))
    srho = stats.mean_interval(step_loss_grad_spearman(tr))
    return (
        f"**Gradient norm, {tr.label}.** Full batch, at every snapshot, per seed: the training {tr.loss_name} fell "
        f"×{num(float(np.median(lf)), 3)} from initialisation to the end and ‖∇L‖ ×{num(float(np.median(gf)), 3)} "
        f"(medians over {len(tr.seeds)} seeds); ‖∇L‖ peaked at epoch "
        f"{', '.join(str(tr.snapshot_epochs[i]) for i in peak)}. Spearman ρ(loss, ‖∇L‖) over the snapshots, "
        f"per seed: {rho.text()}. The minibatch norm at every step is noisier; averaged over each epoch's steps its "
        f"Spearman ρ with the minibatch loss is {srho.text()} (the gradient claims are judged on this series), and "
        f"its mean jump from the end of one epoch to the start of the next is {jump.text()} in log10 units. At the end the full-batch ‖∇L‖ is "
        f"{values(tr.grad_norm[:, -1])}: {converged_count(tr)}/{len(tr.seeds)} end points pass "
        f"{tr.convergence[0].criterion}"
        + (
            ", so they are not critical points: the claims below that speak "
            "of minima speak of points where training stopped."
            if converged_count(tr) < len(tr.seeds)
            else "."
        )
    )


def ratio_text(res: Results) -> str:
    r = res.ratio
    ok = r.converged
    kind = kinds(r)
    counts = {k: int((kind == k).sum()) for k in ("minimum", "saddle", "ambiguous", "not converged")}
    sweep = [(t, compute.hessian_counts(r, t)[1][ok]) for t in r.zero_tols]
    loss_drop = r.adam_mse / r.mse
    hr = compute.hessian_ratio(r)
    return (
        f"**Critical points.** From where Adam stopped (full-batch ‖∇L‖ median {num(float(np.median(r.adam_grad_norm)), 2)}, "
        f"largest {num(float(r.adam_grad_norm.max()), 2)}) the solver reached {_criterion(r)} in "
        f"{int(ok.sum())}/{len(ok)} runs (median {int(np.median(r.n_iter))} Newton steps, at most {int(r.n_iter.max())}). "
        f"It moved a median {num(float(np.median(r.distance / r.theta_norm)), 2)} × ‖θ‖ and lowered the MSE a median "
        f"×{num(float(np.median(loss_drop)), 3)}"
        + (
            ": a small gradient at the end of Adam did *not* mean a critical point nearby; the runs were still "
            "sliding down flat valleys. "
            if np.median(r.distance / r.theta_norm) > FAR
            else ": the critical points lie close to where Adam stopped. "
        )
        + f"Of the critical points, {counts['minimum']} "
        f"are strict minima (no negative eigenvalue at any tolerance), {counts['saddle']} saddles, "
        f"{counts['ambiguous']} depend on the tolerance, {counts['not converged']} runs did not converge. "
        f"Negative eigenvalues per converged point at |λ| > tol · max|λ|: "
        + "; ".join(
            f"tol {t:g}: {int((n > 0).sum())} points with any, at most {int(n.max()) if len(n) else 0}"
            for t, n in sweep
        )
        + f". Hessian minimal ratio (tol {r.zero_tol:g}) over converged runs: {values(np.unique(hr[ok]), 3)}; "
        f"sampling ratio ({r.n_neighbours} neighbours at {r.radius:g} ‖θ‖): "
        f"{values(np.unique(r.sampling[ok]), 3)} at the critical points and "
        f"{values([float(np.min(r.adam_sampling)), float(np.median(r.adam_sampling))], 2)} "
        f"(min, median) at Adam's end points. The training MSE at the critical points runs from "
        f"{num(float(r.mse[ok].min()), 3)} to {num(float(r.mse[ok].max()), 3)}."
        if ok.any()
        else ""
    )


def summary(check_list: Sequence[ClaimCheck]) -> str:
    c = claims_mod.counts(check_list)
    by = {v: [x.id for x in check_list if x.verdict == v] for v in c}
    return "**Verdicts by claim.** " + " ".join(
        f"{v.capitalize()}: {', '.join(f'`{i}`' for i in ids)}." for v, ids in by.items() if ids
    )


# ---- metrics ----------------------------------------------------------------------------------------------


def _pca(tr: Trajectories | None, key: str):
    if tr is None:
        return None
    return {"whole": getattr(tr.whole, key), "first_layer": getattr(tr.first_layer, key)}


def ratio_rows(r: MinimalRatio) -> list[dict]:
    """One row per minimal-ratio run: Adam's end point, then the critical point (counts at r.zero_tol)."""
    pos, neg, zero = compute.hessian_counts(r, r.zero_tol)
    hr, kind = compute.hessian_ratio(r), kinds(r)
    return [
        dict(
            seed=s,
            adam_mse=r.adam_mse[i],
            adam_grad_norm=r.adam_grad_norm[i],
            adam_sampling=r.adam_sampling[i],
            mse=r.mse[i],
            objective=r.objective[i],
            grad_norm=r.grad_norm[i],
            converged=bool(r.converged[i]),
            newton_steps=int(r.n_iter[i]),
            distance=r.distance[i],
            kind=str(kind[i]),
            ratio_hessian=hr[i],
            n_pos=int(pos[i]),
            n_neg=int(neg[i]),
            n_zero=int(zero[i]),
            ratio_sampling=r.sampling[i],
            lambda_min=r.eigenvalues[i, 0],
            lambda_max=r.eigenvalues[i, -1],
        )
        for i, s in enumerate(r.seeds)
    ]


def metrics(res: Results) -> dict:
    s, m, r = res.sine, res.mnist, res.ratio
    ok = r.converged
    hr = compute.hessian_ratio(r)
    kind = kinds(r)
    return {
        "seeds_minimal_ratio": r.seeds,
        "pca_explained_variance": _pca(s, "ratio"),
        "pca_explained_variance_per_run": _pca(s, "per_run_ratio"),
        "pca_explained_variance_mnist": _pca(m, "ratio"),
        "grad_norm_final": float(np.mean(s.grad_norm[:, -1])),
        "trajectory_convergence": {"sine": s.convergence, "mnist": m.convergence if m is not None else None},
        "minimal_ratio": ratio_rows(r),
        "minimal_ratio_convergence": {
            "criterion": _criterion(r) + " (float64, MSE + weight decay)",
            "converged": int(ok.sum()),
            "runs": len(ok),
        },
        "index_sweep": {f"{t:g}": int((compute.hessian_counts(r, t)[1][ok] == 0).sum()) for t in r.zero_tols},
        "minimal_ratio_agreement": {
            "pearson_h_s": stats.correlation(hr[ok], r.sampling[ok], "pearson").r,
            "mean_abs_diff": float(np.mean(np.abs(hr[ok] - r.sampling[ok]))) if ok.any() else None,
            "n": int(ok.sum()),
        },
        "headline": {
            "critical points converged (share of runs)": float(ok.mean()),
            "strict minima (share of converged)": float((kind[ok] == "minimum").mean()) if ok.any() else None,
            "single-run PCA plane, sin MLP (variance share)": float(s.whole.per_run_ratio.sum()),
            "Spearman(loss, ‖∇L‖), sin MLP": spread(loss_grad_spearman(s)),
            **({"MNIST CNN test acc": spread(m.test_metric, "%", 100)} if m is not None else {}),
        },
    }


def minima_table(res: Results) -> list[dict]:
    """The distinct end points of the minimal-ratio runs (same training MSE to 4 significant digits and same kind):
    how many runs reached each, and their Hessian and sampling ratios."""
    r = res.ratio
    kind, hr = kinds(r), compute.hessian_ratio(r)
    key = [(k, float(f"{m:.4g}")) for k, m in zip(kind, r.mse)]
    rows = []
    for k in sorted(set(key), key=lambda t: (t[0] != "minimum", t[1])):
        sel = np.array([x == k for x in key])
        rows.append(
            dict(
                kind=k[0],
                training_mse=k[1],
                runs=int(sel.sum()),
                ratio_hessian=float(np.nanmedian(hr[sel])) if np.isfinite(hr[sel]).any() else None,
                ratio_sampling=float(np.median(r.sampling[sel])),
                lambda_min=float(np.median(r.eigenvalues[sel, 0])),
                lambda_max=float(np.median(r.eigenvalues[sel, -1])),
                grad_norm=float(np.max(r.grad_norm[sel])),
            )
        )
    return rows
