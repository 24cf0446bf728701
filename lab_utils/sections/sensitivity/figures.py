"""06 sensitivity: figures drawn from the results only (mean ± one sample sd over seeds as error bars)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ...report import plotting
from .compute import Results, Sweep
from .text import MEASURE_NAMES, U_SHAPES

PANELS = (
    ("test_acc", "accuracy (%)"),
    ("jacobian", MEASURE_NAMES["jacobian"]),
    ("input_grad", MEASURE_NAMES["input_grad"]),
    ("sharpness", "λmax of the training loss"),
)


def _errorbar(ax, sw: Sweep, key: str, scale: float = 1.0, **kw) -> None:
    v = scale * sw.values(key)
    n = np.sum(np.isfinite(v), axis=0)
    with np.errstate(invalid="ignore"):
        m = np.nanmean(np.where(np.isfinite(v), v, np.nan), axis=0)
        sd = np.where(n > 1, np.nanstd(np.where(np.isfinite(v), v, np.nan), axis=0, ddof=1), 0.0)
    ax.errorbar(sw.batch_sizes, m, yerr=sd, marker="o", capsize=3, **kw)


def sweeps(res: Results) -> plt.Figure:
    """One row per report's sweep: test accuracy (and training accuracy, dashed), both sensitivity measures and
    λmax against the batch size (log), mean ± sd over seeds; the claimed bottom of a U shaded."""
    fig, axes = plt.subplots(len(res.sweeps), len(PANELS), figsize=(16, 3.6 * len(res.sweeps)), squeeze=False)
    colors = plotting.colors(len(PANELS))
    for row, (r, sw) in zip(axes, res.sweeps.items()):
        for ax, (key, label), c in zip(row, PANELS, colors):
            if key == "test_acc":
                _errorbar(ax, sw, "train_acc", 100, color=c, ls="--", alpha=0.6, label="train")
                _errorbar(ax, sw, key, 100, color=c, label="test")
                ax.legend(fontsize="x-small")
            elif np.isfinite(sw.values(key)).any():
                _errorbar(ax, sw, key, color=c)
            if r in U_SHAPES:
                bottom = U_SHAPES[r][1]
                ax.axvspan(bottom[0] / 1.15, bottom[-1] * 1.15, color="0.92", zorder=0)
            ax.set_xscale("log")
            ax.set_xticks(sw.batch_sizes, [str(b) for b in sw.batch_sizes], fontsize="x-small")
            ax.minorticks_off()
            ax.set_xlabel("batch size (log)")
            ax.set_ylabel(label, fontsize="small")
        row[0].set_title(
            f"report {r}: {sw.dataset}, {sw.model}, {sw.budget_value:,} {sw.budget} per run",
            loc="left",
            fontsize="small",
        )
    fig.suptitle(
        f"mean ± sd over {len(next(iter(res.sweeps.values())).seeds)} seeds (sample sd); shaded: the "
        f"bottom of the U a report claims",
        fontsize="small",
    )
    fig.tight_layout()
    return fig


def scatter(res: Results) -> plt.Figure:
    """Per sweep: test accuracy against each sensitivity measure, one point per run, coloured by log batch."""
    fig, axes = plt.subplots(
        len(MEASURE_NAMES),
        len(res.sweeps),
        figsize=(4.6 * len(res.sweeps), 7.2),
        squeeze=False,
        constrained_layout=True,
    )
    for col, (r, sw) in enumerate(res.sweeps.items()):
        bs = np.repeat([sw.batch_sizes], len(sw.seeds), axis=0).ravel()
        for row, key in enumerate(MEASURE_NAMES):
            ax = axes[row, col]
            sc = ax.scatter(
                sw.values(key).ravel(), 100 * sw.values("test_acc").ravel(), c=np.log2(bs), cmap="viridis", s=28
            )
            ax.set_xlabel(MEASURE_NAMES[key], fontsize="small")
            ax.set_ylabel("test accuracy (%)")
            ax.set_title(f"report {r}'s sweep", fontsize="small")
        fig.colorbar(sc, ax=axes[:, col], label="log2 batch size", aspect=40)
    return fig


def convergence(res: Results) -> plt.Figure:
    """Per sweep: the full-batch training loss and gradient norm at the end of every run, with the criterion's
    thresholds."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for (r, sw), c in zip(res.sweeps.items(), plotting.colors(len(res.sweeps))):
        for ax, key in zip(axes, ("train_loss", "grad_norm")):
            v = sw.values(key)
            for i in range(len(sw.seeds)):
                ax.plot(sw.batch_sizes, v[i], "o-", color=c, alpha=0.6, ms=4, label=f"report {r}" if i == 0 else None)
    for ax, tol, label in zip(axes, (res.loss_tol, res.grad_tol), ("full-batch training loss", "full-batch ‖∇L‖")):
        ax.axhline(tol, color="red", ls=":", lw=0.8, label="threshold")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("batch size (log)")
        ax.set_ylabel(label)
        ax.legend(fontsize="x-small")
    fig.suptitle(
        "End of training, every seed (one line per seed): below both thresholds is a minimum", fontsize="small"
    )
    fig.tight_layout()
    return fig
