"""05 interpolation: the straight line between a small-batch and a large-batch minimum, and the same line after
aligning the second network's hidden units to the first (weight matching, Ainsworth et al. 2023)."""
from __future__ import annotations

import numpy as np
import matplotlib.pyplot as plt
import torch

from ... import models
from ...core import cache, data, params, train
from ...probes import connectivity
from ...report import plotting

EVAL_BATCH = train.EVAL_BATCH
PATH_KEYS = ("alphas", "train_loss", "test_loss", "train_acc", "test_acc")


def spec_for(cfg, batchnorm: bool | None = None) -> dict:
    """The CNN of the profile (conv 3x3 -> [BN] -> ReLU -> max-pool per stage, dense head); `batchnorm` overrides
    the profile's choice."""
    return models.cnn_spec(cfg.dataset, cfg.channels, cfg.hidden,
                           batchnorm=cfg.batchnorm if batchnorm is None else batchnorm)


def alpha_grid(cfg) -> np.ndarray:
    """`n_alphas` evenly spaced points on [alpha_min, alpha_max], plus 0 and 1 exactly (the two minima)."""
    grid = np.linspace(cfg.alpha_min, cfg.alpha_max, cfg.n_alphas)
    grid = np.union1d(np.round(grid, 12), [0.0, 1.0])
    return grid


def train_minima(run, batchnorm: bool | None = None) -> dict:
    """Train the two minima of the references (Adam): batch `batch_small` / lr `lr_small` and batch `batch_large` /
    lr `lr_large`, from different initialisations unless `same_init`. Returns split, spec, models, histories, rows.
    `batchnorm` overrides the profile's choice of BN."""
    cfg = run.cfg
    split = data.load(cfg.dataset, n_train=cfg.n_train, n_test=cfg.n_test, device=run.device)
    spec = spec_for(cfg, batchnorm)
    out = {"data": split, "spec": spec, "models": {}, "histories": {}, "rows": []}
    for i, (name, bs, lr) in enumerate((("small batch", cfg.batch_small, cfg.lr_small),
                                        ("large batch", cfg.batch_large, cfg.lr_large))):
        seed = run.seed if cfg.same_init else run.seed + i
        label = f"{name} (bs {bs}, lr {lr:g})"
        model, hist = models.trained(spec, split, seed=seed, device=run.device, epochs=cfg.epochs, lr=lr,
                                  batch_size=bs, optimizer="adam", eval_batch_size=EVAL_BATCH, desc=label)
        out["models"][label], out["histories"][label] = model, hist
        out["rows"].append(dict(name=name, batch_size=bs, lr=lr, seed=seed, steps=hist["steps"],
                                n_params=models.count_params(model),
                                weight_norm=float(params.flat_params(model).norm()),
                                train_loss=train.final(hist, "train_loss"), train_acc=train.final(hist, "train_acc"),
                                test_loss=train.final(hist, "test_loss"), test_acc=train.final(hist, "test_acc"),
                                diverged_at_epoch=hist["diverged_at_epoch"]))
    return out


def _eval_data(run, split):
    cfg = run.cfg
    return data.Split(split.x_train[: cfg.n_eval_train], split.y_train[: cfg.n_eval_train],
                      split.x_test, split.y_test, dict(split.spec, n_eval_train=cfg.n_eval_train))


def _paths(run, minima: dict, variants: dict[str, tuple[bool, bool]]) -> dict:
    """Evaluate theta(alpha) = (1 - alpha) theta_small + alpha theta_large on the alpha grid for each variant
    name -> (aligned, bn_recompute): `aligned` permutes theta_large to match theta_small first (weight matching),
    `bn_recompute` re-estimates BN statistics at every alpha (no effect without BN). Cached. Returns
    {name: path arrays, "distance": {"plain", "aligned"}}."""
    cfg = run.cfg
    (m1, m2), spec = list(minima["models"].values()), minima["spec"]
    sd1 = {k: v.detach().cpu() for k, v in m1.state_dict().items()}
    sd2 = {k: v.detach().cpu() for k, v in m2.state_dict().items()}
    alphas = alpha_grid(cfg)
    ev = _eval_data(run, minima["data"])
    key = dict(kind="05_interpolation", spec=spec, data=ev.spec, rows=[{k: r[k] for k in ("batch_size", "lr", "seed", "steps")}
               for r in minima["rows"]], epochs=cfg.epochs, alphas=alphas.tolist(), bn_images=cfg.bn_images,
               match_iters=cfg.match_iters, seed=run.seed, device=run.device.type,
               variants={k: list(v) for k, v in variants.items()})

    def compute() -> dict:
        aligned = connectivity.weight_match(spec, sd1, sd2, max_iter=cfg.match_iters, seed=run.seed)
        dev = {k: v.to(run.device) for k, v in sd1.items()}
        out = {}
        model = models.build(spec).to(run.device)
        evals = {"train": (ev.x_train, ev.y_train), "test": (ev.x_test, ev.y_test)}
        for name, (al, bn) in variants.items():
            other = aligned if al else sd2
            points = [connectivity.interpolate_state(dev, other, a) for a in alphas]
            res = connectivity.evaluate_points(model, points, evals, batch_size=EVAL_BATCH, progress_bar=True,
                                               bn_inputs=ev.x_train[:cfg.bn_images] if bn else None)
            out[name] = {"alphas": alphas.tolist(), **{f"{k}_{q}": getattr(res[k], q).tolist()
                                                        for k in ("train", "test") for q in ("loss", "acc")}}
        probe = models.build(spec)
        out["distance"] = {"plain": connectivity.state_distance(sd1, sd2, probe),
                           "aligned": connectivity.state_distance(sd1, aligned, probe)}
        return out

    res = cache.cached(key, compute)
    return {k: (v if k == "distance" else {kk: np.asarray(vv, dtype=float) for kk, vv in v.items()})
            for k, v in res.items()}


def interpolate(run, minima: dict) -> dict:
    """The plain and the aligned path (BN statistics recomputed at every alpha when the net has BN), their loss
    barriers on train and test, and the error barriers. Returns {"plain": path, "aligned": path, "distance",
    "barrier_train", "barrier_test", "acc_barrier_train", "acc_barrier_test", "bn_recomputed"}."""
    out = _paths(run, minima, {"plain": (False, True), "aligned": (True, True)})
    out["bn_recomputed"] = bool(minima["spec"]["batchnorm"])
    for split_name in ("train", "test"):
        out[f"barrier_{split_name}"] = {
            which: connectivity.barrier(out[which][f"{split_name}_loss"], out[which]["alphas"]) for which in ("plain", "aligned")}
        out[f"acc_barrier_{split_name}"] = {  # the same definition on the error (1 - accuracy)
            which: connectivity.barrier(1 - out[which][f"{split_name}_acc"], out[which]["alphas"]) for which in ("plain", "aligned")}
    return out


BN_VARIANTS = {"interpolated statistics": (False, False), "recomputed statistics": (False, True),
               "aligned, recomputed": (True, True)}


def bn_study(run) -> dict:
    """The same two minima with BatchNorm (trained, or taken from the cache when the main nets have BN), and the
    path three ways: with the interpolated running statistics (what a naive interpolation does), with statistics
    recomputed at every alpha, and aligned with recomputed statistics. Returns minima, paths and barriers."""
    minima = train_minima(run, batchnorm=True)
    paths = _paths(run, minima, BN_VARIANTS)
    barriers = {name: connectivity.barrier(paths[name]["train_loss"], paths[name]["alphas"]) for name in BN_VARIANTS}
    return {"minima": minima, "paths": paths, "barrier": barriers}


def plot_bn_study(study: dict) -> plt.Figure:
    """Train loss (log) and train accuracy along alpha for the BN nets: stale vs recomputed statistics."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    losses = np.concatenate([study["paths"][n]["train_loss"] for n in BN_VARIANTS])
    finite_min = float(losses[np.isfinite(losses)].min()) if np.isfinite(losses).any() else 1.0
    for (name, path), col in zip(((n, study["paths"][n]) for n in BN_VARIANTS), plotting.colors(3)):
        a = path["alphas"]
        axes[0].plot(a, path["train_loss"], "-", color=col, label=f"{name} (barrier {study['barrier'][name]:.3g})")
        axes[1].plot(a, 100 * path["train_acc"], "-", color=col, label=name)
        bad = ~np.isfinite(path["train_loss"])
        if bad.any():
            axes[0].plot(a[bad], np.full(bad.sum(), finite_min / 2), "x", color="red", ms=6, mew=2,
                         label=f"{name}: loss NaN/inf")
    for ax in axes:
        ax.axvspan(0, 1, color="0.92", zorder=0)
        ax.set_xlabel(r"$\alpha$")
        ax.legend(loc="best", fontsize="x-small")
    axes[0].set_yscale("log")
    axes[0].set_ylabel("train loss (log)")
    axes[1].set_ylabel("train accuracy (%)")
    axes[0].set_title("BatchNorm CNNs: train loss along the path")
    axes[1].set_title("train accuracy along the path")
    fig.tight_layout()
    return fig


def bn_verdict(study: dict) -> str:
    b = study["barrier"]
    p = study["paths"]
    mid = {n: 100 * _at(p[n], "train_acc", 0.5) for n in BN_VARIANTS}
    stale, fresh, al = (b[n] for n in BN_VARIANTS)
    a = p["interpolated statistics"]["alphas"]
    n_bad = int((~np.isfinite(p["interpolated statistics"]["train_loss"])).sum())
    return (f"**BatchNorm statistics along the path.** With BN, the barrier between the same two minima is {stale:.3g} "
            f"when the running statistics are interpolated along with the weights, {fresh:.3g} when they are "
            f"recomputed at every α, and {al:.3g} after alignment as well (train accuracy at α = 0.5: "
            f"{mid['interpolated statistics']:.1f} %, {mid['recomputed statistics']:.1f} %, "
            f"{mid['aligned, recomputed']:.1f} %). "
            + ("Stale statistics exaggerate the barrier, as Garipov et al. and Jordan et al. (REPAIR, 2023) point out."
               if stale > fresh else "On the segment itself stale statistics do not exaggerate the barrier here.")
            + (f" Outside [0, 1] they break the network: at {n_bad} of {len(a)} values of α the loss with interpolated "
               f"statistics is NaN/inf, because extrapolating two positive running variances can give a negative "
               f"one (red crosses; the accuracy there is that of a constant prediction)." if n_bad else ""))


def _panel(ax, path: dict, title: str, labels: tuple[str, str]) -> None:
    a = path["alphas"]
    c = plotting.colors(4)
    ax.axvspan(0, 1, color="0.92", zorder=0)
    ax.plot(a, path["train_loss"], "-", color=c[0], lw=2, label="train loss")
    ax.plot(a, path["test_loss"], "--", color=c[0], lw=2, label="test loss")
    ax.set_yscale("log")
    ax.set_xlabel(r"$\alpha$")
    ax.set_ylabel("cross-entropy (log scale)", color=c[0])
    ax.set_xlim(a.min(), a.max())
    ax2 = ax.twinx()
    ax2.plot(a, 100 * path["train_acc"], "-", color=c[1], lw=1.5, label="train accuracy")
    ax2.plot(a, 100 * path["test_acc"], "--", color=c[1], lw=1.5, label="test accuracy")
    ax2.set_ylabel("accuracy (%)", color=c[1])
    ax2.set_ylim(0, 102)
    ax2.grid(False)
    for x, lab in zip((0, 1), labels):
        ax.axvline(x, color="0.4", lw=0.8, ls=":")
        ax.annotate(lab, (x, 1.0), xycoords=("data", "axes fraction"), xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom", fontsize="small")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper center", ncol=2, bbox_to_anchor=(0.5, -0.16))
    ax.set_title(title, pad=16)


def plot_paths(minima: dict, res: dict) -> plt.Figure:
    """The references' figure, twice: loss (log, left axis) and accuracy (right axis) along alpha, train solid and
    test dashed; left the plain line, right after aligning the large-batch net to the small-batch one."""
    labels = tuple(f"bs {r['batch_size']}" for r in minima["rows"])
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    bn = " (BN statistics recomputed at every α)" if res["bn_recomputed"] else ""
    _panel(axes[0], res["plain"], f"plain interpolation{bn}\nbarrier (train) {res['barrier_train']['plain']:.3g}", labels)
    _panel(axes[1], res["aligned"], f"after weight matching{bn}\nbarrier (train) {res['barrier_train']['aligned']:.3g}", labels)
    fig.tight_layout()
    return fig


def plot_barrier(res: dict) -> plt.Figure:
    """Train and test loss on the segment [0, 1] and a little beyond, plain vs aligned, with the straight line
    between the end points' losses that the barrier is measured against."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    c = plotting.colors(2)
    for ax, split in zip(axes, ("train", "test")):
        for (which, path), col in zip((("plain", res["plain"]), ("aligned", res["aligned"])), c):
            a, loss = path["alphas"], path[f"{split}_loss"]
            keep = (a >= -0.25) & (a <= 1.25)
            b = res[f"barrier_{split}"][which]
            ax.plot(a[keep], loss[keep], "-o", ms=3, color=col, label=f"{which} (barrier {b:.3g})")
            l0, l1 = loss[np.argmin(np.abs(a))], loss[np.argmin(np.abs(a - 1))]
            ax.plot([0, 1], [l0, l1], ":", color=col, lw=1)
        ax.set_yscale("log")
        ax.set_xlabel(r"$\alpha$")
        ax.set_ylabel(f"{split} loss (log)")
        ax.set_title(f"{split}: loss barrier with and without alignment")
        ax.legend()
    fig.tight_layout()
    return fig


def _at(path: dict, key: str, alpha: float) -> float:
    return float(np.interp(alpha, path["alphas"], path[key]))


def summary_rows(minima: dict, res: dict) -> list[dict]:
    rows = []
    for which in ("plain", "aligned"):
        p = res[which]
        rows.append(dict(path=which, distance=res["distance"][which],
                         barrier_train=res["barrier_train"][which], barrier_test=res["barrier_test"][which],
                         max_train_loss_01=float(np.max(p["train_loss"][(p["alphas"] >= 0) & (p["alphas"] <= 1)])),
                         train_acc_mid=_at(p, "train_acc", 0.5), test_acc_mid=_at(p, "test_acc", 0.5),
                         train_loss_at_minus1=_at(p, "train_loss", p["alphas"].min()),
                         train_loss_at_max=_at(p, "train_loss", p["alphas"].max())))
    return rows


def verdicts(minima: dict, res: dict, study: dict | None = None) -> list[str]:
    """One sentence per reference finding (and per finding beyond them), with our numbers."""
    p, q = res["plain"], res["aligned"]
    a = p["alphas"]
    l0, l1 = _at(p, "train_loss", 0), _at(p, "train_loss", 1)
    bp, ba = res["barrier_train"]["plain"], res["barrier_train"]["aligned"]
    seg_max = float(np.max(p["train_loss"][(a >= 0) & (a <= 1)]))
    lo, hi = _at(p, "train_loss", a.min()), _at(p, "train_loss", a.max())
    bs = [r["batch_size"] for r in minima["rows"]]
    out = []
    holds = bp > 0.05 + 0.5 * max(l0, l1)
    out.append(f"**Barrier between the minima: {'holds' if holds else 'does not hold'}.** Along the plain line the "
               f"train loss rises from {l0:.3g} (bs {bs[0]}) and {l1:.3g} (bs {bs[1]}) to {seg_max:.3g}; the barrier "
               f"(max excess over the straight line between the end losses) is {bp:.3g} on train and "
               f"{res['barrier_test']['plain']:.3g} on test. Mid-way (α = 0.5) the train accuracy is "
               f"{100 * _at(p, 'train_acc', 0.5):.1f} % against {100 * _at(p, 'train_acc', 0):.1f} % and "
               f"{100 * _at(p, 'train_acc', 1):.1f} % at the ends. (We call it a barrier when it exceeds 0.05 plus "
               f"half the larger end loss.)")
    r_lo, r_hi = lo / l0, hi / l1
    n_sides = int(r_lo > 10) + int(r_hi > 10)
    verdict = {2: "holds", 1: "holds on one side only", 0: "does not hold"}[n_sides]
    out.append(f"**Loss explodes outside [0, 1]: {verdict}.** Train loss at α = {a.min():g} is {lo:.3g} "
               f"({r_lo:.3g}× the bs-{bs[0]} minimum's) and at α = {a.max():g} is {hi:.3g} ({r_hi:.3g}× the "
               f"bs-{bs[1]} minimum's); we call a side exploding above 10×. Inside [0, 1] the loss stays below "
               f"{seg_max:.3g}.")
    rise_small, rise_large = _at(p, "train_loss", -0.5) - l0, _at(p, "train_loss", 1.5) - l1
    out.append(f"**Which minimum is sharper?** Half a unit beyond each end the train loss rises by {rise_small:.3g} "
               f"past the bs-{bs[0]} minimum (α = −0.5) and by {rise_large:.3g} past the bs-{bs[1]} minimum (α = 1.5): "
               + ("the large-batch side is steeper, as Keskar et al. report." if rise_large > rise_small
                  else "the small-batch side is steeper here, unlike Keskar et al.'s large-batch sharp minima.")
               + f" Both steps have the same length, 0.5 ‖θ₂ − θ₁‖ = {0.5 * res['distance']['plain']:.3g}, but the "
               f"weight norms differ ({minima['rows'][0]['weight_norm']:.3g} for bs {bs[0]}, "
               f"{minima['rows'][1]['weight_norm']:.3g} for bs {bs[1]}), so the step is a relative perturbation of "
               f"{0.5 * res['distance']['plain'] / minima['rows'][0]['weight_norm']:.2f} and "
               f"{0.5 * res['distance']['plain'] / minima['rows'][1]['weight_norm']:.2f}: sharpness along a line is "
               f"not invariant to rescaling (Dinh et al. 2017). (One direction only; 06 measures λmax directly.)")
    shrink = ba < bp
    out.append(f"**Beyond the references -- alignment lowers the barrier (Git Re-Basin): "
               f"{'holds' if shrink else 'does not hold'}.** Weight matching moves the large-batch net from distance "
               f"{res['distance']['plain']:.3g} to {res['distance']['aligned']:.3g} of the small-batch one without "
               f"changing its function, and the train barrier goes from {bp:.3g} to {ba:.3g} "
               f"({'%.0f' % (100 * (1 - ba / bp)) + ' % lower' if bp > 0 and np.isfinite(bp) else 'n/a'}); mid-way "
               f"train accuracy {100 * _at(q, 'train_acc', 0.5):.1f} % instead of {100 * _at(p, 'train_acc', 0.5):.1f} %. "
               f"Ainsworth et al. find barriers near zero only for wide nets; ours is a small CNN.")
    if res["bn_recomputed"]:
        out.append("The network has BatchNorm: its running statistics were recomputed exactly at every α "
                   "(`connectivity.recompute_bn`), so the curves show the weights' loss, not stale statistics.")
    else:
        out.append("The network has no BatchNorm, so no statistics need recomputing along the path.")
    if study is not None:
        out.append(bn_verdict(study))
    return out


def metrics(minima: dict, res: dict, study: dict | None = None) -> dict:
    """The metrics.json entries of the section (besides the headline)."""
    extra = {}
    if study is not None:
        extra["bn_study"] = {"barrier": study["barrier"],
                             "paths": {n: {k: study["paths"][n][k] for k in PATH_KEYS} for n in BN_VARIANTS},
                             "minima": study["minima"]["rows"]}
    return {
        "interpolation": {k: res["plain"][k] for k in PATH_KEYS},
        "interpolation_aligned": {k: res["aligned"][k] for k in PATH_KEYS},
        "barrier": res["barrier_train"],
        "barrier_test": res["barrier_test"],
        "error_barrier_train": res["acc_barrier_train"],
        "distance": res["distance"],
        "bn_recomputed": res["bn_recomputed"],
        "minima": minima["rows"],
        **extra,
    }
