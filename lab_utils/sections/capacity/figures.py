"""04 capacity: figures drawn from a `compute.Sweep` only. Points are the mean over seeds, error bars ± one sample
standard deviation (ddof = 1)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .compute import Sweep
from .text import NAMES, knee_index, thirds


def _band(ax: plt.Axes, p: np.ndarray, v: np.ndarray, fmt: str, color: str, label: str) -> None:
    sd = v.std(axis=1, ddof=1) if v.shape[1] > 1 else None
    ax.errorbar(p, v.mean(axis=1), yerr=sd, fmt=fmt, color=color, capsize=3, label=label)


def capacity(sw: Sweep, *, knee_params: float | None = None, mark_thirds: bool = False) -> plt.Figure:
    """Accuracy, loss and the accuracy gap against the parameter count (log x). `mark_thirds` shades the middle
    third of the sizes (report 000's criterion); `knee_params` marks the knee at knee_params / 2 and the report's
    knee (report 001's criterion)."""
    p = np.array(sw.n_params, dtype=float)
    n_seeds = len(sw.sizes[0].seeds)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for split, fmt, c in (("train", "o-", "C0"), ("test", "s-", "C1")):
        _band(axes[0], p, sw.values(f"{split}_acc"), fmt, c, split)
        _band(axes[1], p, sw.values(f"{split}_loss"), fmt, c, split)
    _band(axes[2], p, 100 * sw.values("gap_acc"), "o-", "C2", "train − test accuracy")
    axes[0].set_ylabel("accuracy after the last epoch")
    axes[1].set_ylabel("cross-entropy loss (nats)")
    axes[1].set_yscale("log")
    axes[2].set_ylabel("accuracy gap (pp)")
    for ax, title in zip(axes, ("accuracy", "loss", "generalisation gap")):
        ax.set_xscale("log")
        ax.set_xlabel("parameters")
        ax.set_title(title)
        if mark_thirds:
            _, mid, _ = thirds(len(p))
            ax.axvspan(p[mid[0]], p[mid[-1]], color="grey", alpha=0.12, label="middle third" if ax is axes[0] else None)
        if knee_params is not None:
            k = knee_index(sw, knee_params)
            if k is not None:
                ax.axvline(p[k], color="black", lw=0.8, ls="-.", label="knee" if ax is axes[0] else None)
            ax.axvline(knee_params, color="grey", lw=0.8, ls=":", label="report's ~1e5" if ax is axes[0] else None)
    axes[0].legend(fontsize="x-small")
    axes[1].legend(fontsize="x-small")
    fig.suptitle(
        f"{NAMES[sw.dataset]}: {len(p)} sizes ({sw.family}), {sw.n_train:,} training images, {sw.epochs} "
        f"epochs; mean ± sd over {n_seeds} seeds (sample sd)"
    )
    fig.tight_layout()
    return fig
