"""02 optimization: figures drawn from the results objects only (`compute.Trajectories`, `compute.MinimalRatio`).

pca(tr)            snapshots in the joint PCA plane, whole model and first layer, explained variance on the axes
spreads(tr)        each run's mean distance to the other runs at the start and at the end, in weight space
gradients(tr)      minibatch norm per step (one run), full-batch loss and ||grad L|| per snapshot (mean ± sd over
                   seeds), weight norm vs loss
minimal_ratio(r)   the solver's ||grad L|| per Newton step, the minimal ratio vs the loss, the Hessian spectra
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm

from ...report import plotting
from . import compute
from .compute import MinimalRatio, Trajectories

MARKERS = "osD^v<>ph*XP8"


def pca(tr: Trajectories) -> plt.Figure:
    """Two panels (whole model, first layer): every snapshot in the plane of the joint PCA of all runs, coloured by
    the full-batch training loss, one marker and line colour per run, x at each initialisation."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    pal = plotting.colors(len(tr.seeds))
    loss = np.clip(tr.loss.reshape(-1), 1e-12, None)
    norm = LogNorm(vmin=loss.min(), vmax=max(loss.max(), loss.min() * 1.001))
    n_snap = tr.loss.shape[1]
    sc = None
    for ax, view, title in zip(axes, (tr.whole, tr.first_layer), ("whole model", "first layer")):
        c = view.coords
        for i, s in enumerate(tr.seeds):
            rows = slice(i * n_snap, (i + 1) * n_snap)
            ax.plot(c[rows, 0], c[rows, 1], "-", color=pal[i], lw=0.8, alpha=0.7)
            sc = ax.scatter(
                c[rows, 0],
                c[rows, 1],
                c=loss[rows],
                cmap="viridis",
                norm=norm,
                marker=MARKERS[i % 13],
                s=22,
                edgecolors=pal[i],
                linewidths=0.6,
                label=f"seed {s}",
                zorder=3,
            )
            ax.scatter(c[rows.start, 0], c[rows.start, 1], marker="x", color="k", s=30, zorder=4)
        ax.set_xlabel(f"PC1 ({view.ratio[0]:.1%} of the variance)")
        ax.set_ylabel(f"PC2 ({view.ratio[1]:.1%} of the variance)")
        ax.set_title(
            f"{tr.label}, {title}: joint PCA of {len(tr.seeds)} runs\nPC1 + PC2 keep {view.ratio.sum():.1%}; "
            f"one run's own PCA {view.per_run_ratio.sum():.1%} (mean)"
        )
    fig.colorbar(sc, ax=axes, label=f"full-batch training {tr.loss_name} (log)", shrink=0.85)
    axes[0].legend(loc="best", fontsize="x-small", ncol=2, title="x = initialisation", title_fontsize="x-small")
    return fig


def spreads(tr: Trajectories) -> plt.Figure:
    """Each run's mean distance to the other runs, at initialisation and at the end (weight space, all parameters)."""
    fig, ax = plt.subplots(figsize=(6, 4))
    x = np.arange(len(tr.seeds))
    ax.plot(x, tr.start_spread, "o", label="at initialisation")
    ax.plot(x, tr.end_spread, "s", label=f"at the end (epoch {tr.snapshot_epochs[-1]})")
    for i in x:
        ax.plot([i, i], [tr.start_spread[i], tr.end_spread[i]], "-", color="0.6", lw=1)
    ax.set_xticks(x, [str(s) for s in tr.seeds])
    ax.set_xlabel("seed")
    ax.set_ylabel("mean distance to the other runs")
    ax.set_ylim(bottom=0)
    ax.set_title(f"{tr.label}: mean distance between runs, start and end")
    ax.legend()
    fig.tight_layout()
    return fig


def gradients(tr: Trajectories) -> plt.Figure:
    """(a) seed 0: minibatch ||grad L|| and loss at every step, full-batch values at the snapshots, epoch starts as
    ticks; (b) full-batch loss and ||grad L|| at every snapshot, mean ± sd over seeds (sample sd); (c) every seed:
    weight norm vs full-batch loss at its snapshots."""
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.3))
    c1, c2 = plotting.colors(2)
    ax = axes[0]
    steps = np.arange(1, tr.step_grad_norm.shape[1] + 1)
    snap_steps = np.maximum(np.asarray(tr.snapshot_epochs) * tr.steps_per_epoch, 1)
    ax.plot(steps, tr.step_grad_norm[0], lw=0.5, alpha=0.6, color=c1, label="‖∇L‖, minibatch")
    ax.plot(steps, tr.step_loss[0], lw=0.5, alpha=0.6, color=c2, label=f"{tr.loss_name}, minibatch")
    ax.plot(snap_steps, tr.grad_norm[0], "o-", ms=3, color=c1, lw=1.5, label="‖∇L‖, full batch")
    ax.plot(snap_steps, tr.loss[0], "s-", ms=3, color=c2, lw=1.5, label=f"{tr.loss_name}, full batch")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_title(f"{tr.label}, seed {tr.seeds[0]}: per step and per snapshot")
    ax.legend(fontsize="x-small")
    ax = axes[1]
    epochs = np.asarray(tr.snapshot_epochs)
    plotting.mean_band(ax, epochs, tr.grad_norm, color=c1, label="‖∇L‖, full batch", logy=True)
    plotting.mean_band(ax, epochs, tr.loss, color=c2, label=f"{tr.loss_name}, full batch", logy=True)
    ax.set_xlabel("epoch")
    ax.set_title(f"mean ± sd over {len(tr.seeds)} seeds (sample sd)")
    ax.legend(fontsize="x-small")
    ax = axes[2]
    for i, (s, col) in enumerate(zip(tr.seeds, plotting.colors(len(tr.seeds)))):
        ax.plot(tr.weight_norm[i], tr.loss[i], "-", marker=MARKERS[i % 13], ms=3, color=col, label=f"seed {s}")
    ax.set_yscale("log")
    ax.set_xlabel("‖θ‖ (weight norm)")
    ax.set_ylabel(f"full-batch {tr.loss_name}")
    ax.set_title("weight norm vs loss at every snapshot")
    ax.legend(fontsize="x-small", ncol=2)
    fig.tight_layout()
    return fig


def minimal_ratio(r: MinimalRatio) -> plt.Figure:
    """(a) the solver's full-batch ||grad L|| per accepted Newton step, every run, with the convergence line; (b)
    the minimal ratio against the training MSE: dense Hessian and sampling at the critical point, sampling at Adam's
    end point; (c) |lambda| / max|lambda| of every converged run's Hessian, positive and negative eigenvalues, with
    the tolerances of the sweep."""
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.3))
    c1, c2, c3 = plotting.colors(3)
    ax = axes[0]
    for curve in r.solver_grad_norms:
        ax.plot(np.arange(len(curve)), curve, lw=0.6, alpha=0.5, color=c1)
    ax.axhline(r.grad_tol, color="k", ls="--", lw=1, label=f"‖∇L‖ = {r.grad_tol:g}")
    ax.set_yscale("log")
    ax.set_xlabel("Newton step")
    ax.set_ylabel("full-batch ‖∇L‖ (float64)")
    ax.set_title(f"solver: {int(r.converged.sum())}/{len(r.converged)} runs converged")
    ax.legend()
    ax = axes[1]
    ok = r.converged
    ax.scatter(r.mse[ok], compute.hessian_ratio(r)[ok], color=c1, s=22, label=f"dense Hessian (tol {r.zero_tol:g})")
    ax.scatter(r.mse[ok], r.sampling[ok], color=c2, marker="^", s=18, label=f"{r.n_neighbours} neighbours")
    ax.scatter(r.adam_mse, r.adam_sampling, color=c3, marker="x", s=18, label="neighbours, at Adam's end point")
    ax.axvline(compute.low_loss_line(r), color="0.5", ls=":", lw=1, label=f"low loss: {compute.LOW_LOSS:.0%} of Var(y)")
    ax.set_xscale("log")
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("training MSE")
    ax.set_ylabel("minimal ratio")
    ax.set_title(f"{len(r.seeds)} runs of a {r.model}")
    ax.legend(fontsize="x-small")
    ax = axes[2]
    e = r.eigenvalues[ok]
    rel = e / np.abs(e).max(1, keepdims=True)
    bins = np.linspace(-17, 0, 69)
    for sign, col, lab in ((1, c1, "λ > 0"), (-1, c3, "λ < 0")):
        v = rel[sign * rel > 0]
        ax.hist(np.log10(sign * v), bins=bins, color=col, alpha=0.6, label=f"{lab} ({len(v)})")
    for t in r.zero_tols:
        ax.axvline(np.log10(t), color="k", ls=":", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("log10(|λ| / max|λ|); dotted: the zero tolerances")
    ax.set_ylabel("eigenvalues (all converged runs)")
    ax.set_title("Hessian spectra at the critical points")
    ax.legend(fontsize="x-small")
    fig.tight_layout()
    return fig
