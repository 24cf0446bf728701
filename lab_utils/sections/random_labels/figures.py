"""03 random labels: figures drawn from the results objects of `compute` only. Curves are the mean over seeds with
a band of ± one sample standard deviation (ddof = 1)."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np

from ...core.data import CHANCE_ACCURACY, CHANCE_LOSS
from ...references import claim
from ...report import plotting
from .compute import FCSizes, HighLR, Memorization, SeedRuns


def _n(runs: Sequence[SeedRuns]) -> int:
    return max(len(r.seeds) for r in runs)


def _curves(ax_loss: plt.Axes, ax_acc: plt.Axes, runs: Sequence[SeedRuns], threshold: float) -> None:
    """Loss (log y) and accuracy per epoch, train solid and test dashed, one colour per setting."""
    for r, c in zip(runs, plotting.colors(len(runs))):
        x = np.asarray(r.epoch, dtype=float)
        plotting.mean_band(ax_loss, x, r.train_loss, color=c, label=f"{r.name}, train", logy=True)
        plotting.mean_band(ax_loss, x, r.test_loss, color=c, label=f"{r.name}, test", logy=True)
        ax_loss.lines[-1].set_linestyle("--")
        plotting.mean_band(ax_acc, x, r.train_acc, color=c, label=f"{r.name}, train")
        plotting.mean_band(ax_acc, x, r.test_acc, color=c, label=f"{r.name}, test")
        ax_acc.lines[-1].set_linestyle("--")
    ax_loss.axhline(CHANCE_LOSS, color="grey", lw=0.8, ls=":", label="ln 10 (chance)")
    ax_loss.set_ylabel("cross-entropy loss")
    ax_loss.set_title("loss: train (solid), test (dashed)")
    ax_acc.axhline(CHANCE_ACCURACY, color="grey", lw=0.8, ls=":", label="chance")
    ax_acc.axhline(threshold, color="black", lw=0.8, ls="-.", label=f"fit threshold {threshold:g}")
    ax_acc.set_ylim(0, 1.02)
    ax_acc.set_ylabel("accuracy")
    ax_acc.set_title("accuracy: train (solid), test (dashed)")
    for ax in (ax_loss, ax_acc):
        ax.set_xlabel("epoch")
        ax.legend(fontsize="x-small")


def memorization(m: Memorization, threshold: float) -> plt.Figure:
    """Report 000's experiment: true vs permuted labels, loss and accuracy per epoch."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(11.5, 4.2))
    _curves(a, b, [m.true, m.permuted], threshold)
    fig.suptitle(
        f"CNN ({m.permuted.n_params:,} parameters) on {m.n_train:,} MNIST images, true vs permuted labels; "
        f"mean ± sd over {_n([m.true, m.permuted])} seeds (sample sd)"
    )
    fig.tight_layout()
    return fig


def high_lr(h: HighLR, threshold: float) -> plt.Figure:
    """Report 001's experiment: permuted training labels, true test labels."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(11.5, 4.2))
    _curves(a, b, [h.permuted], threshold)
    fig.suptitle(
        f"conv + global-average-pool net ({h.permuted.n_params:,} parameters), {h.n_train:,} images, "
        f"permuted labels; mean ± sd over {_n([h.permuted])} seeds (sample sd)"
    )
    fig.tight_layout()
    return fig


def fc_sizes(f: FCSizes, threshold: float) -> plt.Figure:
    """Report 002's experiment: training accuracy per epoch for every width, and final train accuracy against the
    parameter count (the report's range, from the registry, shaded)."""
    ref = claim("002.random_labels.fc_at_chance").numbers
    report_range = (ref["params_min"], ref["params_max"])
    runs = f.in_range + f.beyond
    fig, (a, b) = plt.subplots(1, 2, figsize=(11.5, 4.2))
    for r, c in zip(runs, plotting.colors(len(runs))):
        plotting.mean_band(a, np.asarray(r.epoch, dtype=float), r.train_acc, color=c, label=f"{r.n_params:,} params")
    a.axhline(CHANCE_ACCURACY, color="grey", lw=0.8, ls=":", label="chance")
    a.axhline(threshold, color="black", lw=0.8, ls="-.", label=f"fit threshold {threshold:g}")
    a.set_ylim(0, 1.02)
    a.set_xlabel("epoch")
    a.set_ylabel("training accuracy (random labels)")
    a.set_title("training accuracy per epoch")
    a.legend(fontsize="x-small")
    p = np.array([r.n_params for r in runs], dtype=float)
    for key, marker, label in (("train_acc", "o", "train"), ("test_acc", "s", "test (random labels)")):
        vals = np.array([r.at(key) for r in runs], dtype=float)  # [size, seed]
        sd = vals.std(axis=1, ddof=1) if vals.shape[1] > 1 else None
        b.errorbar(p, vals.mean(axis=1), yerr=sd, fmt=f"{marker}-", capsize=3, label=label)
    b.axvspan(*report_range, color="grey", alpha=0.15, label="report 002's range")
    b.axhline(CHANCE_ACCURACY, color="grey", lw=0.8, ls=":")
    b.axhline(threshold, color="black", lw=0.8, ls="-.")
    b.set_xscale("log")
    b.set_ylim(0, 1.02)
    b.set_xlabel("parameters")
    b.set_ylabel("final accuracy")
    b.set_title("after the last epoch (error bars: sample sd)")
    b.legend(fontsize="x-small")
    fig.suptitle(
        f"one-hidden-layer FC nets, {f.n_train:,} images with random train and test labels; "
        f"mean ± sd over {_n(runs)} seeds"
    )
    fig.tight_layout()
    return fig
