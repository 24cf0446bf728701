"""One look for every figure: a seaborn theme, `save_fig`, and a few plots that several sections share."""

from __future__ import annotations

import base64
import warnings
from pathlib import Path
from typing import Mapping, Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from .quiet import QuietPath

PALETTE = "colorblind"


def set_theme() -> None:
    """The series' theme: seaborn whitegrid, colour-blind palette, compact figures."""
    sns.set_theme(style="whitegrid", context="notebook", palette=PALETTE)
    matplotlib.rcParams.update(
        {
            "figure.dpi": 90,
            "savefig.dpi": 110,
            "savefig.bbox": "tight",
            "figure.figsize": (7.0, 4.0),
            "axes.titlesize": "medium",
            "legend.fontsize": "small",
            "legend.frameon": False,
        }
    )


def _in_ipython() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


def _close(fig: matplotlib.figure.Figure) -> None:
    """Close `fig` in IPython so that the inline backend does not show it a second time at the end of the cell."""
    if _in_ipython():
        plt.close(fig)


def save_fig(run, fig: matplotlib.figure.Figure, name: str) -> Path:
    """Save `fig` as `<run.out_dir>/<name>.png`, show that file once in the notebook and return its path.

    In IPython the output is the saved PNG itself, tagged with its file name (metadata `lab_utils.figure`) so that
    the report links the file instead of extracting a copy; the figure is closed so that the inline backend does
    not draw it again, and the returned path shows nothing as a cell's last value."""
    path = Path(run.out_dir) / f"{name}.png"
    fig.savefig(path)
    if _in_ipython():
        from IPython.display import display

        png = base64.b64encode(path.read_bytes()).decode("ascii")
        display(
            {"image/png": png, "text/plain": f"[figure: {path.name}]"},
            raw=True,
            metadata={"lab_utils": {"figure": path.name}},
        )
        _close(fig)
    return QuietPath(path)


def colors(n: int) -> list:
    return sns.color_palette(PALETTE, n)


def _has_marker(fmt: str) -> bool:
    """Whether a matplotlib format string such as "-o" or "--" names a marker."""
    for style in ("--", "-.", "-", ":"):
        fmt = fmt.replace(style, "")
    return any(ch in ".,ov^<>1234sp*hH+xXDd|_" for ch in fmt)


def plot_curves(
    ax: plt.Axes,
    histories: Mapping[str, dict],
    key: str,
    *,
    logy: bool = False,
    linestyle: str = "-",
    label_suffix: str = "",
    palette: Sequence | None = None,
) -> None:
    """One line per run of `hist[key]` against `hist["epoch"]`; a diverged run ends in a red x at the epoch
    where its loss became NaN/inf, labelled as such."""
    palette = palette or colors(len(histories))
    for (name, h), c in zip(histories.items(), palette):
        epochs = np.asarray(h["epoch"], dtype=float)
        values = np.asarray([np.nan if v is None else v for v in h[key]], dtype=float)
        label = f"{name}{label_suffix}"
        if h.get("diverged_at_epoch") is not None:
            label += f" (diverged, epoch {h['diverged_at_epoch']})"
        # a one-epoch run is a single point: make it visible, unless the format string already has a marker
        marker = {"marker": "o"} if len(epochs) < 2 and not _has_marker(linestyle) else {}
        ax.plot(epochs, values, linestyle, color=c, label=label, **marker)
        if h.get("diverged_at_epoch") is not None:
            finite = values[np.isfinite(values)]
            y = finite[-1] if len(finite) else (1.0 if logy else 0.0)
            ax.plot([h["diverged_at_epoch"]], [y], "x", color="red", ms=10, mew=2.5)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(key.replace("_", " "))


def history_grid(
    histories: Mapping[str, dict], keys: Sequence[str], *, logy_losses: bool = True, title: str = ""
) -> plt.Figure:
    """A row of panels, one per history key (e.g. train_loss, test_acc), all runs in each."""
    fig, axes = plt.subplots(1, len(keys), figsize=(4.2 * len(keys), 3.6), squeeze=False)
    for ax, key in zip(axes[0], keys):
        plot_curves(ax, histories, key, logy=logy_losses and "loss" in key)
    axes[0][0].legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def mean_band(
    ax: plt.Axes, x, runs, *, color=None, label: str = "", marker: str | None = None, logy: bool = False
) -> None:
    """Mean over seeds (rows of `runs`, one per seed; NaN entries ignored) as a line, and the mean ± one sample
    standard deviation (ddof=1) as a shaded band; with one seed just the line. Say "mean ± sd over n seeds" in
    the axis label or caption."""
    a = np.asarray(runs, dtype=float)
    a = a[None, :] if a.ndim == 1 else a
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns (a diverged point) stay NaN
        m = np.nanmean(a, axis=0)
        n = np.sum(np.isfinite(a), axis=0)
        sd = np.where(n > 1, np.nanstd(a, axis=0, ddof=1), np.nan) if a.shape[0] > 1 else np.full_like(m, np.nan)
    n_label = f"{label} (n = {a.shape[0]})" if label and a.shape[0] > 1 else label
    (line,) = ax.plot(x, m, color=color, marker=marker, label=n_label or None)
    if a.shape[0] > 1:
        lo, hi = m - sd, m + sd
        if logy:
            lo = np.where(lo > 0, lo, np.nan)
        ax.fill_between(x, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)
    if logy:
        ax.set_yscale("log")
