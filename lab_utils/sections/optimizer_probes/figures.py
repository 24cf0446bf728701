"""08 optimizer probes: figures drawn from the results objects of `compute` only (mean ± sample sd over seeds)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ...core.data import CHANCE_ACCURACY
from ...references import claim
from ...report import plotting
from .compute import OPTIMIZERS, Curvature, Endpoint, Path, Subspace


def _colors() -> dict[str, tuple]:
    return dict(zip(OPTIMIZERS, plotting.colors(len(OPTIMIZERS))))


def _n(seeds) -> str:
    n = len(set(seeds))
    return f"mean ± sd over {n} seed{'s' if n > 1 else ''} (sample sd)"


def _rows(curves: list[list[float]]) -> np.ndarray:
    """Curves of unequal length (a diverged run) as a NaN-padded array."""
    n = max(len(c) for c in curves)
    return np.asarray([list(c) + [np.nan] * (n - len(c)) for c in curves], dtype=float)


def training(endpoints: list[Endpoint]) -> plt.Figure:
    """Training loss (running minibatch mean), test loss and test accuracy per epoch, one band per optimizer over
    its seeds (controls excluded)."""
    main = [e for e in endpoints if not e.control]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for opt, c in _colors().items():
        runs = [e for e in main if e.optimizer == opt]
        if not runs:
            continue
        x = np.asarray(max((e.epoch for e in runs), key=len), dtype=float)  # the evaluated epochs
        for ax, key, logy in zip(axes, ("train_loss", "test_loss", "test_acc"), (True, True, False)):
            plotting.mean_band(ax, x, _rows([getattr(e, key) for e in runs]), color=c, label=opt, logy=logy)
    for ax, label in zip(axes, ("training loss (running mean)", "test loss", "test accuracy")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
    axes[2].axhline(CHANCE_ACCURACY, color="grey", ls=":", lw=1)
    axes[0].legend(fontsize="small")
    fig.suptitle(f"Training of the three optimizers, {_n([e.seed for e in main])}")
    fig.tight_layout()
    return fig


def _ref(claim_id: str, key: str) -> float | None:
    return claim(claim_id).numbers.get(key)


REF_KEYS = {"SGD": "sgd", "SGD+momentum": "sgd_momentum", "AdamW": "adamw"}


def curvature(curv: list[Curvature]) -> plt.Figure:
    """Per optimizer: lambda_max, |lambda_min|, kappa = lambda_max/|lambda_min| and the noise ratio
    lambda_C/lambda_H, each seed a dot (open for a lambda_min not resolved below zero: positive or within its error
    bound), mean ± sd as an error bar, report 004's value as a cross."""
    panels = [
        ("λmax", lambda c: c.lambda_max, "004.curvature.momentum_flattest", "lambda_max_"),
        ("|λmin| (open: not resolved below 0)", lambda c: abs(c.lambda_min), "004.curvature.indefinite", "lambda_min_"),
        ("κ = λmax / |λmin|", lambda c: c.condition_extremes, "004.curvature.condition_order", "condition_extremes_"),
        ("noise ratio λ_C / λ_H", lambda c: c.noise_ratio, "004.noise.ratio_above_one", "ratio_"),
    ]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.0 * len(panels), 3.8))
    colors = _colors()
    for ax, (title, get, cid, prefix) in zip(axes, panels):
        for i, opt in enumerate(OPTIMIZERS):
            rows = [c for c in curv if c.optimizer == opt and get(c) is not None and np.isfinite(get(c))]
            vals = np.asarray([get(c) for c in rows], dtype=float)
            xs = np.full(len(vals), i) + np.linspace(-0.08, 0.08, len(vals))
            for x, v, c in zip(xs, vals, rows):
                resolved = c.lambda_min < -c.lambda_err
                ax.plot(
                    x,
                    v,
                    "o",
                    ms=5,
                    color=colors[opt],
                    alpha=0.8,
                    mfc=colors[opt] if resolved or "λmin" not in title else "none",
                )
            if len(vals):
                sd = vals.std(ddof=1) if len(vals) > 1 else 0.0
                ax.errorbar(i + 0.22, vals.mean(), yerr=sd, fmt="s", color=colors[opt], capsize=4)
            ref = _ref(cid, prefix + REF_KEYS[opt])
            if ref is not None:
                ax.plot(
                    i - 0.22, abs(ref), "x", color="black", ms=8, label="report 004 (its scale)" if i == 0 else None
                )
        ax.set_xticks(range(len(OPTIMIZERS)), OPTIMIZERS, fontsize="small")
        ax.set_yscale("log")
        ax.set_title(title, fontsize="medium")
    axes[3].axhline(1.0, color="grey", ls=":", lw=1)
    axes[0].legend(fontsize="x-small")
    fig.suptitle(
        f"Curvature and gradient noise at the end points: dots = seeds, squares = {_n([c.seed for c in curv])}"
    )
    fig.tight_layout()
    return fig


def spectra(curv: list[Curvature]) -> plt.Figure:
    """SLQ spectral densities, one panel per optimizer, one line per seed (log density)."""
    fig, axes = plt.subplots(1, len(OPTIMIZERS), figsize=(4.3 * len(OPTIMIZERS), 3.6), sharey=True)
    for ax, (opt, c) in zip(axes, _colors().items()):
        for k, r in enumerate(x for x in curv if x.optimizer == opt):
            g, d = np.asarray(r.slq_grid), np.asarray(r.slq_density)
            ax.semilogy(
                g,
                np.maximum(d, 1e-9),
                color=c,
                alpha=1.0 if k == 0 else 0.5,
                label=f"seed {r.seed}: λmax {r.lambda_max:.3g}",
            )
            ax.axvline(r.lambda_max, color=c, ls=":", lw=1)
        ax.set_ylim(1e-8, None)
        ax.set_title(opt)
        ax.set_xlabel("Hessian eigenvalue")
        ax.legend(fontsize="x-small")
    axes[0].set_ylabel("density (SLQ)")
    fig.suptitle("Hessian spectral density at each end point (one line per seed)")
    fig.tight_layout()
    return fig


def eigen_lines(curv: list[Curvature]) -> plt.Figure:
    """The loss along ± the top eigenvector and along a random direction of the same norm, per optimizer (mean ±
    sd over seeds), with the quadratic model L(0) + λmax a²/2 of the mean λmax dashed."""
    fig, axes = plt.subplots(1, len(OPTIMIZERS), figsize=(4.3 * len(OPTIMIZERS), 3.6), sharey=True)
    finite = []
    for ax, (opt, c) in zip(axes, _colors().items()):
        rows = [x for x in curv if x.optimizer == opt]
        if not rows:
            continue
        a = np.asarray(rows[0].line_coords)
        top = _rows([r.line_top for r in rows])
        plotting.mean_band(ax, a, top, color=c, label="± top eigenvector", logy=True)
        plotting.mean_band(
            ax, a, _rows([r.line_random for r in rows]), color="grey", label="random direction", logy=True
        )
        lam = float(np.mean([r.lambda_max for r in rows]))
        l0 = float(np.nanmean(top[:, len(a) // 2]))
        ax.plot(a, l0 + 0.5 * lam * a**2, "--", color="black", lw=1, label="L(0) + λmax a²/2")
        finite += list(top[np.isfinite(top)])
        ax.set_title(f"{opt} (mean λmax {lam:.3g})")
        ax.set_xlabel("step a along a unit direction")
    if finite:
        axes[0].set_ylim(max(min(finite) * 0.5, 1e-5), max(finite) * 2)
    axes[0].set_ylabel("training loss (probe images)")
    axes[0].legend(fontsize="x-small")
    fig.suptitle(f"The loss along the sharpest direction, {_n([r.seed for r in curv])}")
    fig.tight_layout()
    return fig


def intrinsic(subs: list[Subspace]) -> plt.Figure:
    """Test accuracy of subspace training against d (mean ± sd over seeds), the full model's accuracy and 90 %
    of it (means), chance, and each seed's d_int90 (or an arrow at the edge when no d reaches it)."""
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    dims = np.asarray(subs[0].dims)
    plotting.mean_band(ax, dims, _rows([s.acc for s in subs]), marker="o", label="subspace training")
    ax.axhline(np.mean([s.baseline_acc for s in subs]), color="black", lw=1, label="full model (best optimizer)")
    ax.axhline(np.mean([s.threshold for s in subs]), color="black", ls="--", lw=1, label="90 % of it")
    ax.axhline(CHANCE_ACCURACY, color="red", ls=":", lw=1, label="chance")
    reached = [s for s in subs if s.d_int90 is not None]
    missed = [s for s in subs if s.d_int90 is None]
    for k, s in enumerate(reached):
        ax.axvline(
            s.d_int90,
            color="green",
            ls=":",
            lw=1,
            label=f"d_int90 on the grid: {', '.join(f'{r.d_int90:,}' for r in reached)}" if k == 0 else None,
        )
    if missed:
        ax.plot(
            [s.d_max for s in missed],
            [s.threshold for s in missed],
            ">",
            color="green",
            ms=9,
            label=f"d_int90 > {max(s.d_max for s in missed):,} (seed {', '.join(str(s.seed) for s in missed)})",
        )
    ax.set_xscale("log")
    ax.set_xlabel("subspace dimension d")
    ax.set_ylabel("test accuracy")
    ax.set_title(
        f"Training in a random d-dim subspace of {subs[0].n_params:,} parameters,\n{_n([s.seed for s in subs])}"
    )
    ax.legend(fontsize="x-small")
    fig.tight_layout()
    return fig


def _band(ax, paths: list[Path], x_attr: str, y_attr: str, color, label: str) -> None:
    rows = [p for p in paths if getattr(p, y_attr) is not None]
    if rows:
        plotting.mean_band(
            ax,
            np.asarray(getattr(rows[0], x_attr)),
            _rows([getattr(p, y_attr) for p in rows]),
            color=color,
            label=label,
            logy=True,
        )


def paths(all_paths: list[Path]) -> plt.Figure:
    """One panel per pair (report 004's three, then the same-start control): the training loss along the line
    (alpha beyond [0, 1] too), the NEB chain (normalised arc length) and the Bezier curve (t), mean ± sd over
    seeds, BN re-estimated at every point."""
    groups = [(a, b, False) for a, b in dict.fromkeys((p.start, p.end) for p in all_paths if not p.control)]
    groups += [(a, b, True) for a, b in dict.fromkeys((p.start, p.end) for p in all_paths if p.control)]
    fig, axes = plt.subplots(1, len(groups), figsize=(4.3 * len(groups), 3.9), squeeze=False, sharey=True)
    c_lin, c_neb, c_bez = plotting.colors(3)
    for ax, (a, b, control) in zip(axes[0], groups):
        ps = [p for p in all_paths if (p.start, p.end, p.control) == (a, b, control)]
        _band(ax, ps, "linear_alpha", "linear_loss", c_lin, "straight line")
        _band(ax, ps, "neb_s", "neb_loss", c_neb, "NEB")
        _band(ax, ps, "bezier_t", "bezier_loss", c_bez, "Bezier")
        for x in (0, 1):
            ax.axvline(x, color="grey", lw=0.8, ls=":")
        ax.set_title(
            f"{a} → {b}" + ("\n(control: one start, one data order)" if control else "\n(independent starts)"),
            fontsize="medium",
        )
        ax.set_xlabel("α on the line; t or arc length on a relaxed path")
    axes[0][0].set_ylabel("training loss (BN re-estimated)")
    axes[0][0].legend(fontsize="x-small")
    fig.suptitle(f"Paths between end points, {_n([p.seed for p in all_paths])}")
    fig.tight_layout()
    return fig
