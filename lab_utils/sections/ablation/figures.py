"""07 ablation: figures, each drawn from a `compute.Results` only (no training, no probing).

Spreads are over seeds: mean +- one sample standard deviation (ddof = 1) as a band, or one marker per seed.
Reference values (report 003) are read from the claim registry.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import colors as mcolors

from ...core import data
from ...references import claim
from ...report import plotting
from .compute import VARIANTS, Grid, Results, SeedRun, variant_name
from .text import FLAT_LIMIT, reference_points

NAMES = [variant_name(*v) for v in VARIANTS]


def _colors() -> dict[str, tuple]:
    return dict(zip(NAMES, plotting.colors(len(NAMES))))


def _seeds_label(res: Results) -> str:
    n = len(res.seeds)
    return f"mean ± sd over {n} seeds (sample sd)" if n > 1 else "one seed"


def _per_epoch(runs: list[SeedRun], key: str, n_epochs: int) -> np.ndarray:
    """(seeds, epochs) of a history key, NaN where a run had stopped (diverged) or the value is not finite."""
    out = np.full((len(runs), n_epochs), np.nan)
    for i, r in enumerate(runs):
        vals = np.asarray(getattr(r, key), dtype=float)
        if r.diverged:
            vals = np.full(len(vals), np.nan)
        out[i, : min(len(vals), n_epochs)] = vals[:n_epochs]
    return out


def training(res: Results) -> plt.Figure:
    """Training loss (running mean over each epoch's augmented minibatches), test loss and test accuracy per epoch,
    mean +- sd over seeds; a variant whose runs diverged is listed with the epoch it happened in."""
    keys = (("train_loss", "training loss (running mean)"), ("test_loss", "test loss"), ("test_acc", "test accuracy"))
    fig, axes = plt.subplots(1, 3, figsize=(13.5, 3.9), layout="constrained")
    cols = _colors()
    n_epochs = res.cfg.epochs
    x = np.arange(1, n_epochs + 1)
    for name, runs in res.runs.items():
        div = [r for r in runs if r.diverged]
        for ax, (key, _) in zip(axes, keys):
            if len(div) < len(runs):
                plotting.mean_band(
                    ax,
                    x,
                    _per_epoch(runs, key, n_epochs),
                    color=cols[name],
                    marker="o",
                    label=name if ax is axes[0] else "",
                    logy="loss" in key,
                )
        if div:
            eps = sorted({r.diverged_at_epoch for r in div})
            axes[0].plot(
                [],
                [],
                "x",
                color=cols[name],
                ms=8,
                label=f"{name}: diverged in epoch {', '.join(map(str, eps))} ({len(div)}/{len(runs)} seeds)",
            )
    for ax, (_, label) in zip(axes, keys):
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.xaxis.get_major_locator().set_params(integer=True)
    axes[2].axhline(data.CHANCE_ACCURACY, color="grey", ls=":", lw=1, label="chance")
    axes[0].legend(fontsize="x-small")
    fig.suptitle(_seeds_label(res), fontsize="small")
    return fig


def _grid_values(g: Grid, floor: float = 1e-12) -> np.ndarray:
    """What a landscape panel colours: log10 loss (filter units), or log10 of the loss above the grid's minimum
    (reference units, where a whole grid varies by a fraction of a percent), floored at `floor`."""
    a = np.asarray(g.loss, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if g.units == "filter":
            return np.log10(np.clip(a, 1e-12, None))
        finite = a[np.isfinite(a)]
        return np.log10(np.clip(a - (finite.min() if len(finite) else 0.0), floor, None))


def _floor(grids: list[Grid]) -> float:
    """A hundredth of the smallest positive loss range among `grids` (reference units' colour floor)."""
    ranges = [g.loss_range for g in grids if g.loss_range]
    return max(min(ranges) / 100, 1e-12) if ranges else 1e-12


def _scale(grids: list[Grid], floor: float = 1e-12) -> tuple[float, float]:
    vals = [_grid_values(g, floor) for g in grids]
    vals = np.concatenate([v[np.isfinite(v)].ravel() for v in vals]) if vals else np.array([])
    if not len(vals):
        return 0.0, 1.0
    lo, hi = float(np.min(vals)), float(np.max(vals))
    return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)


def _unprobed(ax, r: SeedRun) -> None:
    ax.text(
        0.5,
        0.5,
        f"{r.variant}, seed {r.seed}:\ndiverged in epoch {r.diverged_at_epoch}\n(loss NaN/inf)\nnot probed",
        ha="center",
        va="center",
        transform=ax.transAxes,
        color="red",
        fontsize=9,
    )
    ax.set_xticks([])
    ax.set_yticks([])


def landscapes(res: Results, units: str = "filter", levels: int = 20) -> plt.Figure:
    """Every 2-D grid of one kind (`units`: "filter" or "reference") as filled contours, one row per seed, one
    colour scale for all panels: log10 training loss (filter) or log10 of the loss above the grid's minimum
    (reference)."""
    key = "filter_grid" if units == "filter" else "ref_grid"
    seeds = res.seeds
    grids = [getattr(r, key) for runs in res.runs.values() for r in runs if getattr(r, key) is not None]
    floor = _floor(grids) if units == "reference" else 1e-12
    lo, hi = _scale(grids, floor)
    lv = np.linspace(lo, hi, levels + 1)
    norm = mcolors.Normalize(lo, hi)
    fig, axes = plt.subplots(
        len(seeds), len(res.runs), figsize=(3.6 * len(res.runs), 3.3 * len(seeds)), squeeze=False, layout="constrained"
    )
    cs = None
    for j, (name, runs) in enumerate(res.runs.items()):
        for i, r in enumerate(runs):
            ax, g = axes[i][j], getattr(r, key)
            if g is None:
                _unprobed(ax, r)
                continue
            z = np.clip(_grid_values(g, floor), lo, hi)
            z = np.where(np.isfinite(z), z, hi)
            c = g.coords
            cs = ax.contourf(c, c, z.T, levels=lv, cmap="viridis", norm=norm)
            if 0.0 in set(np.round(c, 12)):
                ax.plot([0], [0], "r*", ms=8)
            st = g.stats
            ax.set_title(
                f"{name}, seed {r.seed}\nrange {st.loss_range:.3g}"
                if st.loss_range is not None
                else f"{name}, seed {r.seed}",
                fontsize="small",
            )
            ax.set_aspect("equal")
            if i == len(seeds) - 1:
                ax.set_xlabel("α (direction 1)")
            if j == 0:
                ax.set_ylabel("β (direction 2)")
    if cs is not None:
        label = "log10 training loss" if units == "filter" else "log10(training loss − grid minimum)"
        fig.colorbar(cs, ax=axes.ravel().tolist(), shrink=0.8, label=label + " (shared scale)")
    return fig


def surfaces(res: Results) -> plt.Figure:
    """The first seed's filter-normalized landscapes as 3-D surfaces of log10 loss, shared z range and colours."""
    firsts = {name: runs[0] for name, runs in res.runs.items()}
    grids = [r.filter_grid for r in firsts.values() if r.filter_grid is not None]
    lo, hi = _scale(grids)
    norm = mcolors.Normalize(lo, hi)
    fig = plt.figure(figsize=(4.2 * len(firsts), 4.0))
    for i, (name, r) in enumerate(firsts.items()):
        if r.filter_grid is None:
            _unprobed(fig.add_subplot(1, len(firsts), i + 1), r)
            continue
        ax = fig.add_subplot(1, len(firsts), i + 1, projection="3d")
        c = r.filter_grid.coords
        A, B = np.meshgrid(c, c, indexing="ij")
        z = np.clip(_grid_values(r.filter_grid), lo, hi)
        ax.plot_surface(A, B, np.where(np.isfinite(z), z, hi), cmap="viridis", norm=norm, linewidth=0)
        ax.set_zlim(lo, hi)
        ax.set_title(f"{name}, seed {r.seed}", fontsize="small")
        ax.set_xlabel("α")
        ax.set_ylabel("β")
        ax.set_zlabel("log10 loss")
        ax.view_init(elev=30, azim=-60)
    fig.tight_layout()
    return fig


def surface_grids(res: Results) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The first seed's filter-normalized training-loss grids, {variant: (alpha, beta, loss[i, j] at (alpha_i,
    beta_j))}, for the interactive 3-D view (`report.interactive.save_surfaces`, log10 loss); diverged variants are
    left out."""
    out = {}
    for name, runs in res.runs.items():
        g = runs[0].filter_grid
        if g is not None:
            out[f"{name}, seed {runs[0].seed}"] = (np.asarray(g.coords), np.asarray(g.coords), np.asarray(g.loss))
    return out


def slices(res: Results) -> plt.Figure:
    """Training loss along the first filter-normalized direction, mean +- sd over seeds (log y)."""
    fig, ax = plt.subplots(figsize=(7.0, 4.0))
    cols = _colors()
    for name, runs in res.runs.items():
        done = [r for r in runs if r.slice is not None]
        if not done:
            ax.plot([], [], color=cols[name], label=f"{name}: diverged, not probed")
            continue
        plotting.mean_band(
            ax,
            done[0].slice.coords,
            np.array([r.slice.loss for r in done]),
            color=cols[name],
            marker="o",
            label=name,
            logy=True,
        )
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel("α (filter-normalized units)")
    ax.set_ylabel(f"training loss ({_seeds_label(res)})")
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def loss_ranges(res: Results) -> plt.Figure:
    """Loss range (max - min over the 2-D grid) per variant and seed in both direction units (log y), with report
    003's values beside the reference-unit ones (its 0.0000 drawn at the bottom edge)."""
    fig, axes = plt.subplots(1, 2, figsize=(11.0, 3.9), layout="constrained")
    cols = _colors()
    ref = reference_points()
    for ax, key, title in (
        (axes[0], "filter_grid", "filter-normalized directions"),
        (axes[1], "ref_grid", "reference units (unit-norm orthonormal directions)"),
    ):
        vals = []
        for i, (name, runs) in enumerate(res.runs.items()):
            got = [getattr(r, key).loss_range for r in runs if getattr(r, key) is not None]
            got = [v for v in got if v is not None]
            if not got:
                ax.text(
                    i,
                    0.5,
                    "diverged:\nnot probed",
                    ha="center",
                    va="center",
                    color="red",
                    fontsize=8,
                    transform=ax.get_xaxis_transform(),
                )
                continue
            ax.plot(np.full(len(got), i) + np.linspace(-0.08, 0.08, len(got)), got, "o", color=cols[name])
            vals += got
        if key == "ref_grid":
            floor = min([v for v in vals if v > 0] + [FLAT_LIMIT]) / 3
            for name, pt in ref.items():
                i = NAMES.index(name)
                y = pt["range"] if pt["range"] > 0 else floor
                ax.plot([i + 0.25], [y], "kx", ms=8, label="report 003" if name == "skip + BN" else None)
                if pt["range"] == 0:
                    ax.annotate(
                        f"{pt['range']:.4f}", (i + 0.25, y), textcoords="offset points", xytext=(5, 0), fontsize=8
                    )
            ax.axhline(FLAT_LIMIT, color="grey", ls=":", lw=1, label=f"{FLAT_LIMIT:g} (rounds to 0.0000)")
            ax.legend(fontsize="x-small")
        ax.set_yscale("log")
        ax.set_xticks(range(len(NAMES)), NAMES)
        ax.set_title(title, fontsize="small")
        ax.set_ylabel("loss range on the grid (one dot per seed)")
    return fig


def eigenvalues(res: Results) -> plt.Figure:
    """Top-k Hessian eigenvalues by Lanczos (dots, hollow when Lanczos had not converged) and lambda_max by power
    iteration (stars) per variant and seed, report 003's lambda_max (x), and the stability thresholds of the peak
    learning rate: 2/eta (plain gradient descent) and 2(1 + beta)/eta (heavy-ball momentum beta). Symlog y."""
    fig, ax = plt.subplots(figsize=(7.5, 4.3))
    cols = _colors()
    ref = reference_points()
    eta, beta = res.cfg.lr, res.momentum
    vals = []
    for i, (name, runs) in enumerate(res.runs.items()):
        done = [r for r in runs if r.hessian is not None]
        if not done:
            ax.text(
                i,
                0.5,
                "diverged:\nnot probed",
                ha="center",
                va="center",
                color="red",
                fontsize=9,
                transform=ax.get_xaxis_transform(),
            )
            continue
        for s, r in enumerate(done):
            h = r.hessian
            x = i - 0.2 + 0.4 * (s + 0.5) / len(done)
            face = cols[name] if h.lanczos_converged else "none"
            ax.plot(
                np.full(len(h.top_k), x), h.top_k, "o", mec=cols[name], mfc=face, ms=5, label=name if s == 0 else None
            )
            ax.plot(
                [x],
                [h.lambda_power],
                "*",
                color="black",
                ms=9,
                label=f"power iteration ({res.cfg.power_iters} steps)" if i == 0 and s == 0 else None,
            )
            vals += list(h.top_k) + [h.lambda_power]
        if name in ref:
            ax.plot([i + 0.3], [ref[name]["lambda"]], "kx", ms=9, label="report 003 λmax" if i == 0 else None)
            vals.append(ref[name]["lambda"])
    if eta > 0:
        ax.axhline(2 / eta, color="red", ls="--", lw=1, label=f"2/η = {2 / eta:g} (peak η = {eta:g})")
        ax.axhline(2 * (1 + beta) / eta, color="red", ls=":", lw=1, label=f"2(1+β)/η = {2 * (1 + beta) / eta:g}")
        vals += [2 * (1 + beta) / eta]
    ax.set_xticks(range(len(res.runs)), list(res.runs))
    ax.set_yscale("symlog", linthresh=1e-2)
    if vals:
        ax.set_ylim(min(0.0, 2 * min(vals)), 3 * max(max(vals), 1e-2))
    ax.set_ylabel("Hessian eigenvalue (eval-mode BN)")
    ax.set_title(
        f"top-{res.cfg.top_k} by Lanczos (hollow: not converged), one column of dots per seed", fontsize="small"
    )
    ax.legend(fontsize="x-small", ncol=2)
    fig.tight_layout()
    return fig


def layer_gradients(res: Results) -> plt.Figure:
    """Per-layer gradient norms ||dL/dW_l|| against depth (19 convolutions, then the classifier), at the initial
    weights and at the end of training, mean +- sd over seeds (log y), with report 003's 0.9-per-layer decay drawn from
    the plain net's last convolution."""
    fig, axes = plt.subplots(1, 2, figsize=(12.0, 4.0), layout="constrained", sharey=True)
    cols = _colors()
    factor = claim("003.ablation.vanishing_gradient").numbers["factor_per_layer"]
    for ax, when in zip(axes, ("init", "end")):
        for name, runs in res.runs.items():
            rows = [getattr(r.grads, when) for r in runs if getattr(r.grads, when) is not None]
            if not rows:
                continue
            a = np.array(rows, dtype=float)
            a = np.where(np.isfinite(a) & (a > 0), a, np.nan)
            depth = np.arange(1, a.shape[1] + 1)
            plotting.mean_band(ax, depth, a, color=cols[name], marker="o", label=name, logy=True)
            if name == "neither":
                conv = runs[0].grads.conv()
                last = int(np.flatnonzero(conv)[-1])
                anchor = np.nanmean(a[:, last])
                if math.isfinite(anchor) and anchor > 0:
                    ax.plot(
                        depth[conv],
                        anchor * factor ** (depth[last] - depth[conv]),
                        "k--",
                        lw=1,
                        label=f"{factor:g} per layer (report 003)",
                    )
        ax.set_xlabel("weight layer (1 = first convolution, last = classifier)")
        ax.set_title(
            "initial weights (mean loss over the probe images)" if when == "init" else "end of training (last steps)",
            fontsize="small",
        )
    axes[0].set_ylabel(f"‖∂L/∂W_l‖ ({_seeds_label(res)})")
    axes[0].legend(fontsize="x-small")
    return fig


def sharpness_vs_accuracy(res: Results) -> plt.Figure:
    """lambda_max (Lanczos, converged runs) against test accuracy, one point per probed run, with report 003's three
    points (its scale: 20 epochs on all of CIFAR-10)."""
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    cols = _colors()
    for name, runs in res.runs.items():
        pts = [
            (r.hessian.lambda_max, r.final_test_acc)
            for r in runs
            if r.hessian is not None and r.hessian.lambda_max is not None and r.final_test_acc is not None
        ]
        if pts:
            ax.plot([p[0] for p in pts], [100 * p[1] for p in pts], "o", color=cols[name], label=f"{name} (ours)")
    for name, pt in reference_points().items():
        ax.plot([pt["lambda"]], [pt["acc"]], "x", color=cols[name], ms=9, mew=2)
    s = claim("003.ablation.skip_reduces_lambda_max").setting
    ax.plot([], [], "kx", label=f"report 003 ({s['epochs']} epochs, {s['n_train']:,} images)")
    if res.cfg.lr > 0:
        ax.axvline(2 / res.cfg.lr, color="red", ls="--", lw=1, label=f"2/η = {2 / res.cfg.lr:g} (peak η)")
    ax.axhline(100 * data.CHANCE_ACCURACY, color="grey", ls=":", lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("λmax (Lanczos, eval-mode BN)")
    ax.set_ylabel("test accuracy (%)")
    ax.legend(fontsize="x-small")
    fig.tight_layout()
    return fig
