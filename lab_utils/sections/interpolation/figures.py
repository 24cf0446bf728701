"""05 interpolation: figures drawn from the results only (mean ± one sample sd over seeds as bands)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ...core.data import CHANCE_ACCURACY
from ...report import plotting
from .compute import Results, Study
from .text import ERROR_MARGIN, LOSS_MARGIN, error_barriers, loss_barriers, side_outcome

PATH_STYLE = {"plain": "plain line", "aligned": "after weight matching", "stale": "stale BN statistics"}


def _stack(study: Study, path: str, key: str) -> np.ndarray:
    return np.asarray([getattr(p.paths[path], key) for p in study.pairs], dtype=float)


def training(res: Results) -> plt.Figure:
    """Per study: the running training loss per epoch of both recipes (mean ± sd over seeds, log scale)."""
    fig, axes = plt.subplots(1, len(res.studies), figsize=(4.4 * len(res.studies), 3.6), squeeze=False)
    for ax, st in zip(axes[0], res.studies.values()):
        for role, c in zip(("small", "large"), plotting.colors(2)):
            ms = [getattr(p, role) for p in st.pairs]
            plotting.mean_band(
                ax,
                ms[0].curve_epoch,
                [m.curve_train_loss for m in ms],
                color=c,
                marker="o",
                logy=True,
                label=f"batch {ms[0].batch_size}, lr {ms[0].lr:g}",
            )
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss (epoch's minibatches)")
        ax.set_title(f"{st.name}: {st.model}", fontsize="small")
        ax.legend()
    fig.suptitle("Training of the end points: mean ± sd over seeds")
    fig.tight_layout()
    return fig


def _panel(ax, study: Study, path: str, title: str) -> None:
    a = study.pairs[0].paths[path].alphas
    c = plotting.colors(2)
    ax.axvspan(0, 1, color="0.93", zorder=0)
    has_train = np.isfinite(_stack(study, path, "train_loss")).any()
    if has_train:
        plotting.mean_band(ax, a, _stack(study, path, "train_loss"), color=c[0], logy=True, label="train loss")
    plotting.mean_band(ax, a, _stack(study, path, "test_loss"), color=c[0], logy=True, label="test loss")
    ax.lines[-1].set_linestyle("--")
    ax.set_xlabel(r"$\alpha$")
    ax.set_ylabel("cross-entropy (log)", color=c[0])
    ax2 = ax.twinx()
    plotting.mean_band(ax2, a, 100 * _stack(study, path, "test_acc"), color=c[1], label="test accuracy")
    ax2.set_ylabel("test accuracy (%)", color=c[1])
    ax2.set_ylim(0, 102)
    ax2.grid(False)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper center", fontsize="x-small", ncol=3, bbox_to_anchor=(0.5, -0.15))
    ax.set_title(title, fontsize="small")


def paths(study: Study) -> plt.Figure:
    """The references' figure: loss (log, left axis) and test accuracy (right axis) along alpha, plain and after
    weight matching; mean ± sd over seeds. alpha = 0 is the small-batch minimum, 1 the large-batch one."""
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.6))
    bs = (study.pairs[0].small.batch_size, study.pairs[0].large.batch_size)
    bn = "; BN statistics recomputed at every α" if study.batchnorm else ""
    for ax, path in zip(axes, ("plain", "aligned")):
        _panel(ax, study, path, f"{study.name}: {PATH_STYLE[path]}\n(α = 0: batch {bs[0]}, α = 1: batch {bs[1]}{bn})")
    fig.suptitle(f"{study.model}: mean ± sd over {len(study.pairs)} seeds (sample sd)", fontsize="small")
    fig.tight_layout()
    return fig


def barriers(res: Results) -> plt.Figure:
    """Per study: every seed's loss barrier and error barrier, plain and after weight matching, with the
    thresholds of the barrier rule."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    names = list(res.studies)
    for ax, kind in zip(axes, ("loss", "error")):
        for i, (name, st) in enumerate(res.studies.items()):
            split = "test" if name == "cifar10" else "train"
            for j, (path, c) in enumerate(zip(("plain", "aligned"), plotting.colors(2))):
                v = loss_barriers(st, path, split) if kind == "loss" else [100 * b for b in error_barriers(st, path)]
                x = np.full(len(v), i + (j - 0.5) * 0.3) + np.linspace(-0.05, 0.05, len(v))
                ax.plot(x, v, "o", color=c, label=PATH_STYLE[path] if i == 0 else None)
        ax.axhline(
            LOSS_MARGIN if kind == "loss" else 100 * ERROR_MARGIN,
            color="red",
            lw=0.8,
            ls=":",
            label="threshold of the rule",
        )
        ax.set_xticks(range(len(names)), names)
        ax.set_ylabel(
            "loss barrier (nats; CIFAR-10: test, else train)"
            if kind == "loss"
            else "test-error barrier (percentage points)"
        )
        ax.set_title(f"{kind} barrier per seed (one dot per seed)")
        ax.legend(fontsize="x-small")
    fig.tight_layout()
    return fig


def extrapolation(study: Study) -> plt.Figure:
    """Both sides beyond [0, 1], each from its own end: the training loss relative to the end point's (log) and
    the test accuracy per seed, with the collapse threshold of the side rule."""
    fig, axes = plt.subplots(2, 2, figsize=(11, 6.4), sharex="col")
    for col, side in enumerate(("below", "above")):
        for p, c in zip(study.pairs, plotting.colors(len(study.pairs))):
            path = p.paths["plain"]
            a = path.alphas
            keep = a <= 0 if side == "below" else a >= 1
            end = 0.0 if side == "below" else 1.0
            dist = np.abs(a[keep] - end)
            o = side_outcome(p, side)
            axes[0, col].plot(dist, path.train_loss[keep] / o["loss_end"], "-o", ms=3, color=c, label=f"seed {p.seed}")
            axes[1, col].plot(dist, 100 * path.test_acc[keep], "-o", ms=3, color=c)
            axes[1, col].plot([dist.max()], [100 * o["acc_threshold"]], "_", color=c, ms=18, mew=2)
        axes[0, col].set_yscale("log")
        axes[0, col].set_ylabel("train loss / end point's (log)")
        axes[1, col].axhline(100 * CHANCE_ACCURACY, color="0.5", lw=0.8, ls=":")
        axes[1, col].set_ylabel("test accuracy (%); bar: threshold")
        axes[1, col].set_xlabel("distance beyond the end, |α − end|")
        bs = study.pairs[0].small.batch_size if side == "below" else study.pairs[0].large.batch_size
        axes[0, col].set_title(f"beyond the batch-{bs} end (α {'< 0' if side == 'below' else '> 1'})")
        axes[0, col].legend(fontsize="x-small")
    fig.tight_layout()
    return fig


def batchnorm(study: Study) -> plt.Figure:
    """The BN nets on [0, 1]: training loss (log), training accuracy and mean softmax entropy along alpha with
    recomputed statistics, stale (interpolated) statistics, and aligned with recomputed statistics."""
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.9))
    keys = (
        ("train_loss", "training loss (log)", True),
        ("train_acc", "training accuracy (%)", False),
        ("entropy", "mean softmax entropy (nats)", False),
    )
    a = study.pairs[0].paths["plain"].alphas
    seg = (a >= 0) & (a <= 1)
    for ax, (key, label, logy) in zip(axes, keys):
        for path, c in zip(("plain", "stale", "aligned"), plotting.colors(3)):
            v = _stack(study, path, key)[:, seg]
            plotting.mean_band(
                ax,
                a[seg],
                100 * v if key == "train_acc" else v,
                color=c,
                logy=logy,
                label={
                    "plain": "recomputed statistics",
                    "stale": "stale (interpolated) statistics",
                    "aligned": "aligned, recomputed",
                }[path],
            )
        if key == "entropy":
            ax.axhline(np.log(10), color="0.5", lw=0.8, ls=":", label="uniform (ln 10)")
        ax.set_xlabel(r"$\alpha$")
        ax.set_ylabel(label)
    axes[0].legend(fontsize="x-small")
    axes[2].legend(fontsize="x-small")
    fig.suptitle(f"{study.model}: BN statistics along the line, mean ± sd over {len(study.pairs)} seeds")
    fig.tight_layout()
    return fig
