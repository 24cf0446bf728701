"""04 capacity: how train and test performance change with the number of parameters.

A one-knob CNN family (hidden width w; conv channels w/8 and w/4) is sized to log-spaced parameter budgets,
every size is trained with the same recipe (and several seeds for error bars), and the final train/test loss and
accuracy are plotted against #parameters, with the generalisation gap and a check for a double-descent bump.
"""
from __future__ import annotations

import math
from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np

from ... import models
from ...core import data, train

def family_spec(width: int, dataset: str = "mnist") -> dict:
    """The CNN of hidden width `width`: conv(max(1, w/8)) → pool → conv(max(1, w/4)) → pool → dense(w) → 10.
    The parameter count grows strictly with `width` (the dense layer dominates)."""
    return models.cnn_spec(dataset, [max(1, round(width / 8)), max(1, round(width / 4))], int(width))


def size_specs(p_min: int, p_max: int, n: int, dataset: str = "mnist") -> list[dict]:
    """`n` family specs whose parameter counts are the closest to `n` budgets log-spaced from p_min to p_max,
    in increasing order. Raises if two budgets map to the same width (range too narrow for n sizes)."""
    if not p_min < p_max:
        raise ValueError(f"p_min={p_min} must be below p_max={p_max}")
    budgets = np.geomspace(p_min, p_max, n)
    widths = [models.match_width(lambda w: family_spec(w, dataset), int(round(b)), models.spec_n_params) for b in budgets]
    if len(set(widths)) < n:
        raise ValueError(f"{n} log-spaced sizes between {p_min:,} and {p_max:,} parameters do not give {n} distinct "
                         f"widths ({widths}): widen the range or use fewer models")
    return [family_spec(w, dataset) for w in widths]


def size_table(specs: Sequence[dict]) -> list[dict]:
    """One row per spec: hidden width, conv channels, parameter count."""
    return [dict(width=s["hidden"], channels=str(s["channels"]), n_params=models.spec_n_params(s)) for s in specs]


def run_capacity(run) -> dict:
    """Train every size for every seed (run.seed, run.seed + 1, ...). Returns {"specs", "runs": [per-run rows],
    "rows": [per-size mean rows with *_std], "histories": {label: hist of the first seed}}."""
    cfg = run.cfg
    split = data.load(cfg.dataset, n_train=cfg.n_train, n_test=cfg.n_test, device=run.device,
                      label_noise=cfg.label_noise, noise_seed=run.seed)
    specs = size_specs(cfg.p_min, cfg.p_max, cfg.n_models, cfg.dataset)
    runs, histories = [], {}
    for spec in specs:
        n = models.spec_n_params(spec)
        for s in range(cfg.n_seeds):
            seed = run.seed + s
            _, hist = models.trained(spec, split, seed=seed, device=run.device, epochs=cfg.epochs, lr=cfg.lr,
                                  batch_size=cfg.batch_size, eval_every=cfg.epochs,  # only the final state is plotted
                                  desc=f"{n:,} params, seed {seed}")
            if s == 0:
                histories[f"{n:,}"] = hist
            runs.append(dict(n_params=n, width=spec["hidden"], seed=seed,
                             train_acc=train.final(hist, "train_acc"), test_acc=train.final(hist, "test_acc"),
                             train_loss=train.final(hist, "train_loss"), test_loss=train.final(hist, "test_loss"),
                             diverged_at_epoch=hist["diverged_at_epoch"]))
    return {"specs": specs, "runs": runs, "rows": aggregate(runs), "histories": histories}


KEYS = ("train_acc", "test_acc", "train_loss", "test_loss")


def aggregate(runs: Sequence[dict]) -> list[dict]:
    """Mean and (population) std over seeds per n_params, sorted by n_params. A diverged run (NaN/None) is
    left out of the mean; `n_runs` counts the finite runs, `n_diverged` the others."""
    out = []
    for n in sorted({r["n_params"] for r in runs}):
        group = [r for r in runs if r["n_params"] == n]
        ok = [r for r in group if all(r[k] is not None and math.isfinite(r[k]) for k in KEYS)]
        row = dict(n_params=n, width=group[0].get("width"), n_runs=len(ok), n_diverged=len(group) - len(ok))
        for k in KEYS:
            vals = np.array([r[k] for r in ok], dtype=float)
            row[k] = float(vals.mean()) if len(vals) else None
            row[f"{k}_std"] = float(vals.std()) if len(vals) else None
        row["gap_acc"] = None if row["train_acc"] is None else row["train_acc"] - row["test_acc"]
        row["gap_loss"] = None if row["train_loss"] is None else row["test_loss"] - row["train_loss"]
        out.append(row)
    return out


def find_bump(values: Sequence[float], tol: Sequence[float] | float) -> tuple[int, int, int] | None:
    """A double-descent bump in a test-error curve ordered by size: indices i < j < k with
    values[j] - values[i] > tol[j] and values[j] - values[k] > tol[j] (error falls, rises, falls again).
    Returns the (i, j, k) with the largest min-rise, or None. `tol` may be one number or one per point."""
    v = np.asarray(values, dtype=float)
    t = np.broadcast_to(np.asarray(tol, dtype=float), v.shape)
    best, best_h = None, 0.0
    for j in range(1, len(v) - 1):
        i = int(np.nanargmin(v[:j]))
        k = j + 1 + int(np.nanargmin(v[j + 1:]))
        h = min(v[j] - v[i], v[j] - v[k])
        if h > t[j] and h > best_h:
            best, best_h = (i, j, k), h
    return best


def bump_tolerance(rows: Sequence[dict], n_test: int, abs_tol: float = 0.005) -> list[float]:
    """Per size: the larger of `abs_tol`, two binomial standard errors of the test error on `n_test` images,
    and two seed standard deviations of the test accuracy -- a rise below this is noise."""
    out = []
    for r in rows:
        e = 1 - r["test_acc"]
        out.append(max(abs_tol, 2 * math.sqrt(max(e * (1 - e), 1e-12) / n_test), 2 * (r["test_acc_std"] or 0.0)))
    return out


def interpolation_threshold(rows: Sequence[dict], level: float = 0.99) -> int | None:
    """The smallest #params whose mean train accuracy reaches `level` (None if none does)."""
    return next((r["n_params"] for r in rows if r["train_acc"] is not None and r["train_acc"] >= level), None)


def plot_capacity(res: dict, n_train: int) -> plt.Figure:
    """Accuracy, loss and generalisation gap against #parameters (log x); error bars = std over seeds."""
    rows = res["rows"]
    p = np.array([r["n_params"] for r in rows], dtype=float)
    g = lambda k: np.array([np.nan if r[k] is None else r[k] for r in rows], dtype=float)  # noqa: E731
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    n_seeds = max(r["n_runs"] + r["n_diverged"] for r in rows)
    for ax, kind in zip(axes[:2], ("acc", "loss")):
        for split, marker, c in (("train", "o", "C0"), ("test", "s", "C1")):
            ax.errorbar(p, g(f"{split}_{kind}"), yerr=g(f"{split}_{kind}_std"), fmt=f"{marker}-", color=c,
                        capsize=3, label=split)
        ax.set_xscale("log")
        ax.set_xlabel("parameters")
    thr = interpolation_threshold(rows)
    axes[0].set_ylabel("final accuracy")
    axes[0].set_title("accuracy vs size")
    axes[1].set_yscale("log")
    axes[1].set_ylabel("final cross-entropy loss")
    axes[1].set_title("loss vs size")
    ax = axes[2]
    ax.errorbar(p, 100 * g("gap_acc"), fmt="o-", color="C2", capsize=3, label="train − test accuracy (pp)")
    ax.set_ylabel("accuracy gap (pp)", color="C2")
    ax.set_xscale("log")
    ax.set_xlabel("parameters")
    ax2 = ax.twinx()
    ax2.plot(p, g("gap_loss"), "s--", color="C3", label="test − train loss")
    ax2.set_ylabel("loss gap", color="C3")
    ax2.grid(False)
    ax.set_title("generalisation gap")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper left")
    for a in axes:
        a.axvline(n_train, color="grey", lw=0.8, ls=":", label="#params = #train images")
        if thr:
            a.axvline(thr, color="black", lw=0.8, ls="-.", label="train acc ≥ 0.99 from here")
    axes[0].legend()
    axes[1].legend()
    bump = res.get("bump")
    if bump:
        j = bump[1]
        axes[0].annotate("bump", (p[j], g("test_acc")[j]), xytext=(0, -25), textcoords="offset points",
                         ha="center", arrowprops=dict(arrowstyle="->", color="red"), color="red")
    fig.suptitle(f"{len(rows)} CNN sizes, {n_seeds} seed{'s' if n_seeds > 1 else ''} each"
                 + (" (error bars: std over seeds)" if n_seeds > 1 else ""))
    fig.tight_layout()
    return fig


def analyse(res: dict, n_test: int) -> dict:
    """Add the double-descent check to `res` ("bump": (i, j, k) or None, "bump_tol": per-size tolerance)."""
    rows = res["rows"]
    tol = bump_tolerance(rows, n_test)
    res["bump_tol"] = tol
    res["bump"] = find_bump([1 - r["test_acc"] for r in rows], tol)
    return res


def verdicts(res: dict, cfg) -> list[str]:
    """The reference findings, with our numbers: train accuracy keeps rising with size, test accuracy
    saturates; and whether a double-descent bump appears."""
    rows = res["rows"]
    tr, te = [r["train_acc"] for r in rows], [r["test_acc"] for r in rows]
    best = int(np.argmax(te))
    rising = tr[-1] >= max(tr) - 0.005 and tr[-1] > tr[0]
    near_best = [r["n_params"] for r, a in zip(rows, te) if a >= te[best] - 0.01]
    saturates = len(near_best) >= 3 or best < len(rows) - 1
    thr = interpolation_threshold(rows)
    lines = [
        f"**Train vs test accuracy ({len(rows)} sizes, {rows[0]['n_params']:,}–{rows[-1]['n_params']:,} parameters, "
        f"{cfg.dataset.upper()} {cfg.n_train:,} images, {cfg.epochs} epochs, {cfg.n_seeds} seed(s))**: train accuracy "
        f"goes from {100 * tr[0]:.1f}% to {100 * tr[-1]:.1f}%, test accuracy from {100 * te[0]:.1f}% to {100 * te[-1]:.1f}% "
        f"(best {100 * te[best]:.1f}% at {rows[best]['n_params']:,} parameters; within 1 pp of it from "
        f"{min(near_best):,} parameters on). The reference finding (train accuracy keeps rising, test accuracy "
        f"saturates) **{'holds' if rising and saturates else 'does not hold'}** here"
        + (f"; the training set is fitted (≥ 99%) from {thr:,} parameters on." if thr else
           "; no size fits the training set to 99% in this budget.")
        + f" The accuracy gap grows from {100 * rows[0]['gap_acc']:.1f} to {100 * rows[-1]['gap_acc']:.1f} pp and the "
          f"loss gap from {rows[0]['gap_loss']:.3g} to {rows[-1]['gap_loss']:.3g}."]
    tl = [r["test_loss"] for r in rows]
    i_min = int(np.argmin(tl))
    rises = tl[-1] > tl[i_min] + max(2 * (rows[-1]["test_loss_std"] or 0.0), 0.05 * tl[i_min])
    lines.append(
        f"**Test loss**: {tl[0]:.3g} at the smallest size, lowest {tl[i_min]:.3g} at {rows[i_min]['n_params']:,} "
        f"parameters, {tl[-1]:.3g} at the largest (train loss {rows[-1]['train_loss']:.3g}). "
        + ("Past its minimum the test loss rises again while test accuracy does not fall: the larger nets are more "
           "confident on the test images they get wrong (overconfidence, not a loss of accuracy)." if rises else
           "It does not rise again with size at this budget: the larger nets are better in loss as well as in accuracy."))
    bump = res.get("bump")
    if bump:
        i, j, k = bump
        lines.append(
            f"**Double descent: a bump appears.** Test error {100 * (1 - te[i]):.1f}% at {rows[i]['n_params']:,} "
            f"parameters rises to {100 * (1 - te[j]):.1f}% at {rows[j]['n_params']:,} and falls again to "
            f"{100 * (1 - te[k]):.1f}% at {rows[k]['n_params']:,} (larger than the noise tolerance "
            f"{100 * res['bump_tol'][j]:.1f} pp). "
            + (f"The interpolation threshold (train accuracy ≥ 99%) is at {thr:,} parameters." if thr else ""))
    else:
        lines.append(
            "**Double descent: no bump.** The test error never rises by more than the noise tolerance "
            f"(max of 0.5 pp, two binomial standard errors on {cfg.n_test:,} test images and two seed standard "
            "deviations) between a smaller and a larger size before falling again. Double descent in model size is "
            "usually seen with label noise and training to convergence (Nakkiran et al. 2019); the `label_noise` "
            "knob of this notebook adds the former.")
    return lines


def headline(res: dict) -> dict:
    rows = res["rows"]
    best = max(rows, key=lambda r: r["test_acc"])
    return {
        "sizes": f"{rows[0]['n_params']:,}–{rows[-1]['n_params']:,} params",
        "train acc, largest": rows[-1]["train_acc"],
        "best test acc": best["test_acc"],
        "params at best test acc": best["n_params"],
        "double-descent bump": "yes" if res.get("bump") else "no",
    }
