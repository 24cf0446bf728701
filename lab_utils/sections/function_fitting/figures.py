"""01 function fitting: figures drawn from the results only (mean ± one sample sd over seeds as bands)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ...report import plotting
from .compute import Pair, Study
from .text import final_mse


def fits(studies: dict[str, Study]) -> plt.Figure:
    """Per study (row): training MSE per epoch, mean ± sd over seeds (left, log scale); what each net learned,
    first seed, over the target (right)."""
    fig, axes = plt.subplots(len(studies), 2, figsize=(11.5, 3.5 * len(studies)), squeeze=False)
    for (report, st), (ax_l, ax_f) in zip(studies.items(), axes):
        colors = plotting.colors(len(st.fits))
        for (name, fs), c in zip(st.fits.items(), colors):
            plotting.mean_band(
                ax_l,
                fs[0].epochs,
                [f.train_loss for f in fs],
                color=c,
                logy=True,
                label=f"{name} ({st.n_params[name]:,} params)",
            )
        ax_l.set_xlabel("epoch")
        ax_l.set_ylabel("training MSE")
        ax_l.set_title(f"report {report}'s nets on [{st.domain[0]:g}, {st.domain[1]:g}]: mean ± sd over seeds")
        ax_l.legend()
        ax_f.plot(st.x, st.y, color="black", lw=2.5, alpha=0.3, label="sin(5πx)/(5πx)")
        for (name, pred), c in zip(st.predictions.items(), colors):
            ax_f.plot(st.x, pred, color=c, lw=1.2, label=name)
        ax_f.set_xlabel("x")
        ax_f.set_title(f"report {report}'s nets: predictions (first seed)")
        ax_f.legend(fontsize="x-small")
    fig.tight_layout()
    return fig


def final_losses(studies: dict[str, Study]) -> plt.Figure:
    """The final full-batch training MSE of every seed of every net (one dot per seed), per study."""
    fig, axes = plt.subplots(1, len(studies), figsize=(4.2 * len(studies), 3.6), squeeze=False)
    for ax, (report, st) in zip(axes[0], studies.items()):
        for i, name in enumerate(st.fits):
            v = np.asarray(final_mse(st, name), dtype=float)
            ax.plot(np.full(len(v), i) + np.linspace(-0.08, 0.08, len(v)), v, "o", ms=6)
        ax.set_xticks(range(len(st.fits)), list(st.fits), rotation=20, fontsize="small")
        ax.set_yscale("log")
        ax.set_title(f"report {report}: final training MSE per seed")
    axes[0][0].set_ylabel("training MSE (full batch)")
    fig.tight_layout()
    return fig


def mnist(pairs: dict[str, Pair]) -> plt.Figure:
    """Per report's pair (row): test loss, training accuracy and test accuracy per epoch, mean ± sd over seeds."""
    keys = (
        ("test_loss", "test loss", True),
        ("train_acc", "training accuracy (epoch's minibatches)", False),
        ("test_acc", "test accuracy", False),
    )
    fig, axes = plt.subplots(len(pairs), 3, figsize=(13, 3.4 * len(pairs)), squeeze=False)
    for (report, p), row in zip(pairs.items(), axes):
        for ax, (key, label, logy) in zip(row, keys):
            for (name, runs), c in zip(p.runs.items(), plotting.colors(2)):
                plotting.mean_band(
                    ax,
                    runs[0].epochs,
                    [getattr(r, key) for r in runs],
                    color=c,
                    marker="o",
                    logy=logy,
                    label=f"{name} ({p.n_params[name]:,} params)",
                )
            ax.set_xlabel("epoch")
            ax.set_title(f"report {report}'s CNNs: {label}")
            ax.xaxis.get_major_locator().set_params(integer=True)
        row[0].legend(fontsize="x-small")
    fig.tight_layout()
    return fig
