"""07 ablation: ResNet-20 with and without skip connections and BatchNorm, trained on CIFAR-10, then probed.

    train_variants(run, split)         the four skip x BN variants, SGD m0.9 wd1e-4 cosine, crop + flip (cached)
    probe_variants(run, split, trained)  per trained variant: 2-D filter-normalized landscape, 1-D slice, lambda_max
                                       by power iteration and by Lanczos, top-k eigenvalues, Hutchinson trace (cached)
    summary_rows(trained, probes)      one plain dict per variant (the metrics' `variants`)
    plot_* / comparison_table / verdicts   figures, the table next to the reference, and computed verdicts

A variant whose training loss became NaN/inf (`diverged_at_epoch`) is **not probed**: its weights are non-finite
or the last step before NaN, so a landscape or Hessian of them says nothing about a minimum. It appears in the
table, the training curves and every landscape figure as "diverged at epoch k", with None for the probe values
(the reference's table has "–" there too).

Power iteration runs a fixed number of steps (`power_iters`, tolerance 1e-9), as the reference did (5 steps):
its residual test can accept a vector of the near-zero bulk as "converged" when the Hessian is nearly low-rank
(seen on the untrained plain net, where the negative end dominates and the probe re-runs on a shifted Hessian).
Lanczos stops on its Ritz residuals (`eig_tol`). The two agreeing is the check on both. Power iteration only sees
|lambda|: when the most negative eigenvalue is larger in magnitude than lambda_max, it first converges to that one
and then runs again on the shifted Hessian H - lambda_min I (twice the HVPs), where the gap is smaller; on a nearly
flat, indefinite Hessian it then needs far more steps than Lanczos. The verdicts say so when it happens.

Condition number: the Hessian of a trained network is indefinite and has many eigenvalues near 0, so
lambda_max / lambda_min is negative or unbounded and says nothing. We report kappa_k = lambda_1 / lambda_k over
the top-k eigenvalues from Lanczos (None when lambda_k <= 0): how anisotropic the leading curvature is, i.e. how
much slower gradient descent at the stable step 2 / lambda_1 moves along the k-th sharpest direction than
along the sharpest.
"""
from __future__ import annotations

import dataclasses
import hashlib
import math
import time
import warnings
from typing import Any, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib import colors as mcolors
from torch import nn

from torch.nn import functional as F

from ... import models, probes
from ...core import cache, data, train
from ...probes import condition_top_k, grid_stats
from ...probes.batches import first
from ...report import plotting
from ...report.fmt import num as _num
from ...report.fmt import pct as _pct

VARIANTS: tuple[tuple[bool, bool], ...] = ((True, True), (True, False), (False, True), (False, False))
NAMES = {(True, True): "skip + BN", (True, False): "skip only", (False, True): "BN only", (False, False): "neither"}
# The reference's report (20 epochs, batch 32, all of CIFAR-10; 10 x 10 grid, 5 power iterations).
REFERENCE = {
    (True, True): dict(test_acc=0.8505, lambda_max=6.96, diverged=False),
    (True, False): dict(test_acc=None, lambda_max=None, diverged=True),
    (False, True): dict(test_acc=0.8451, lambda_max=90.58, diverged=False),
    (False, False): dict(test_acc=0.10, lambda_max=0.1, diverged=False),
}
CHANCE = data.CHANCE_ACCURACY


def variant_name(skip: bool, batchnorm: bool) -> str:
    return NAMES[(bool(skip), bool(batchnorm))]


def spec(skip: bool, batchnorm: bool) -> dict:
    return {"kind": "resnet20", "skip": bool(skip), "batchnorm": bool(batchnorm)}


# ---- training ---------------------------------------------------------------------------------------------

def load_data(run) -> data.Split:
    """The profile's fixed random CIFAR-10 subset, normalized, on the run's device."""
    cfg = run.cfg
    return data.load("cifar10", n_train=cfg.n_train, n_test=cfg.n_test, device=run.device)


def fit_kwargs(cfg) -> dict:
    """The reference's recipe at the profile's scale: SGD momentum 0.9, weight decay 1e-4, cosine from lr to 0,
    random crop (pad 4) + horizontal flip."""
    return dict(epochs=cfg.epochs, lr=cfg.lr, optimizer="sgd", momentum=0.9, weight_decay=1e-4, scheduler="cosine",
                augment="crop_flip", batch_size=cfg.batch_size, eval_train=False, eval_batch_size=500)


def train_variants(run, split: data.Split) -> dict[str, dict]:
    """Train (or load from the cache) the four variants; {name: {skip, batchnorm, model, hist}} in VARIANTS order."""
    out = {}
    for skip, bn in VARIANTS:
        name = variant_name(skip, bn)
        model, hist = models.trained(spec(skip, bn), split, seed=run.seed, device=run.device, desc=name,
                                  **fit_kwargs(run.cfg))
        out[name] = dict(skip=skip, batchnorm=bn, model=model, hist=hist)
    return out


def diverged(hist: dict) -> bool:
    return hist.get("diverged_at_epoch") is not None


def final_test_acc(hist: dict) -> float | None:
    """The last test accuracy, None when the run diverged (its metrics are NaN)."""
    if diverged(hist):
        return None
    v = train.final(hist, "test_acc")
    return None if v is None or not math.isfinite(v) else float(v)


# ---- probes -----------------------------------------------------------------------------------------------

def weights_digest(model: nn.Module) -> str:
    """A hash of every parameter and buffer (BN running stats included): the probe cache key of a model."""
    h = hashlib.sha256()
    for k, v in model.state_dict().items():
        h.update(k.encode())
        h.update(v.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:20]


def probe_batches(split: data.Split, n: int, chunk: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The first `n` training images (the subset is already a fixed random draw), unaugmented, in chunks."""
    return first(split.x_train, split.y_train, n, chunk)


def relative_difference(a: float | None, b: float | None) -> float | None:
    """|a - b| / max(|a|, |b|) (0 when both are 0; None when either is missing)."""
    if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
        return None
    scale = max(abs(a), abs(b))
    return 0.0 if scale == 0 else abs(a - b) / scale


def _probe(model: nn.Module, batches_grid, batches_hess, cfg, seed: int) -> dict:
    loss_fn = F.cross_entropy
    out: dict[str, Any] = {"seconds": {}}
    t = time.time()
    surf = probes.loss_surface(model, loss_fn, batches_grid, steps=cfg.grid_steps, span=cfg.span, dims=2,
                               normalization="filter", seed=seed, chunk_size=cfg.chunk, channels_last=True)
    out["coords"] = torch.as_tensor(np.asarray(surf.coords, dtype=float))
    out["surface"] = torch.as_tensor(np.asarray(surf.loss, dtype=float))
    out["surface_acc"] = torch.as_tensor(np.asarray(surf.accuracy, dtype=float))
    out["cosine"] = surf.cosine
    out["seconds"]["surface"] = time.time() - t
    t = time.time()  # the 1-D slice: along direction 1 of the 2-D grid (its alpha axis), at finer resolution
    line = probes.loss_surface(model, loss_fn, batches_grid, steps=cfg.slice_steps, span=cfg.span,
                               directions=[surf.directions[0]], chunk_size=cfg.chunk, channels_last=True)
    out["slice_coords"] = torch.as_tensor(np.asarray(line.coords, dtype=float))
    out["slice"] = torch.as_tensor(np.asarray(line.loss, dtype=float))
    out["seconds"]["slice"] = time.time() - t
    t = time.time()
    with warnings.catch_warnings():  # not converging within the budget is recorded in info, not warned
        warnings.simplefilter("ignore", RuntimeWarning)
        power = probes.hessian_eigenvalues(model, loss_fn, batches_hess, k=1, which="largest", method="power",
                                           tol=POWER_TOL, max_iter=cfg.power_iters, seed=seed, chunk_size=cfg.chunk)
        out["lambda_max_power"] = float(power.values[0])
        out["power_info"] = _info(power)
        out["seconds"]["power"] = time.time() - t
        t = time.time()
        top = probes.hessian_eigenvalues(model, loss_fn, batches_hess, k=cfg.top_k, which="largest",
                                         method="lanczos", tol=cfg.eig_tol, max_iter=cfg.lanczos_steps,
                                         seed=seed, chunk_size=cfg.chunk)
    out["top_k"] = sorted((float(e) for e in top.values), reverse=True)
    out["lanczos_info"] = _info(top)
    out["seconds"]["lanczos"] = time.time() - t
    t = time.time()
    out["trace"] = probes.hessian_trace(model, loss_fn, batches_hess, n_samples=cfg.trace_samples,
                                        seed=seed, chunk_size=cfg.chunk).estimate
    out["seconds"]["trace"] = time.time() - t
    return out


def _info(e: probes.Eigen) -> dict:
    """The convergence record of an eigensolve, as the cache stores it."""
    return {"n_hvp": e.n_matvec, "converged": e.converged, "residuals": list(e.residuals)}


POWER_TOL = 1e-9  # effectively a fixed number of power iterations (cfg.power_iters), as in the reference
AGREE_TOL = 1e-2  # relative difference up to which power iteration and Lanczos count as agreeing

PROBE_FIELDS = ("grid_steps", "slice_steps", "span", "power_iters", "lanczos_steps", "eig_tol", "top_k", "trace_samples",
                "probe_images", "hessian_images", "chunk")


def probe_variants(run, split: data.Split, trained: dict[str, dict]) -> dict[str, dict | None]:
    """{name: probe results, or None for a diverged variant}. Results are cached per (weights, data, settings)."""
    cfg = run.cfg
    grid_b = probe_batches(split, cfg.probe_images, cfg.chunk)
    hess_b = probe_batches(split, min(cfg.hessian_images, cfg.probe_images), cfg.chunk)
    out: dict[str, dict | None] = {}
    for name, v in trained.items():
        if diverged(v["hist"]):
            out[name] = None
            continue
        config = dict(kind="07_ablation_probes", weights=weights_digest(v["model"]), data=split.spec,
                      device=run.device.type, seed=run.seed, **{f: getattr(cfg, f) for f in PROBE_FIELDS})
        out[name] = cache.cached(config, lambda m=v["model"]: _probe(m, grid_b, hess_b, cfg, run.seed))
    return out


# ---- summary, table, verdicts -----------------------------------------------------------------------------

def summary_rows(trained: dict[str, dict], probed: dict[str, dict | None]) -> list[dict]:
    """One row per variant with the metrics keys (probe values None when not probed)."""
    rows = []
    for name, v in trained.items():
        p = probed.get(name)
        row = dict(name=name, skip=v["skip"], batchnorm=v["batchnorm"], test_acc=final_test_acc(v["hist"]),
                   diverged_at_epoch=v["hist"].get("diverged_at_epoch"), probed=p is not None,
                   lambda_max=None, lambda_max_power=None, lambda_max_lanczos=None, lambda_rel_diff=None,
                   top_k=None, condition=None, trace=None, loss_range=None, loss_min=None, loss_max=None,
                   n_nonfinite=None, lanczos_residual=None, power_hvps=None, lanczos_hvps=None)
        if p is not None:
            lan = p["top_k"][0]
            row.update(lambda_max=lan, lambda_max_power=p["lambda_max_power"], lambda_max_lanczos=lan,
                       lambda_rel_diff=relative_difference(p["lambda_max_power"], lan), top_k=list(p["top_k"]),
                       condition=condition_top_k(p["top_k"]), trace=p["trace"],
                       lanczos_residual=p["lanczos_info"]["residuals"][0], power_hvps=p["power_info"]["n_hvp"],
                       lanczos_hvps=p["lanczos_info"]["n_hvp"],
                       **dataclasses.asdict(grid_stats(p["surface"].numpy())))
        rows.append(row)
    return rows


def comparison_table(rows: list[dict]):
    """Variant x {test acc, lambda_max (power, Lanczos), trace, loss range, ...}, ours next to the reference's."""
    import pandas as pd

    out = []
    for r in rows:
        ref = REFERENCE[(r["skip"], r["batchnorm"])]
        status = f"diverged (epoch {r['diverged_at_epoch']})" if r["diverged_at_epoch"] is not None else "trained"
        out.append({
            "variant": r["name"], "status": status,
            "test acc": _pct(r["test_acc"]), "ref. acc": "NaN (diverged)" if ref["diverged"] else _pct(ref["test_acc"]),
            "λmax power": _num(r["lambda_max_power"]), "λmax Lanczos": _num(r["lambda_max_lanczos"]),
            "rel. diff": "–" if r["lambda_rel_diff"] is None else f"{r['lambda_rel_diff']:.1e}",
            "HVPs power / Lanczos": "–" if r["power_hvps"] is None else f"{r['power_hvps']} / {r['lanczos_hvps']}",
            "ref. λmax": _num(ref["lambda_max"]),
            "trace": _num(r["trace"]), "κ_k = λ1/λk": _num(r["condition"], 3),
            "loss range": _num(r["loss_range"]),
        })
    return pd.DataFrame(out).set_index("variant")


def verdicts(rows: list[dict], cfg=None) -> list[str]:
    """One sentence per reference finding, with our numbers, saying whether it holds (`cfg`: the run's profile)."""
    lr = cfg.lr if cfg is not None else 0.1
    by = {(r["skip"], r["batchnorm"]): r for r in rows}
    sb, s, b, n = (by[k] for k in VARIANTS)
    hold = lambda ok: "**holds**" if ok else "**does not hold**"  # noqa: E731
    lines = []

    accs = {r["name"]: r["test_acc"] for r in rows if r["test_acc"] is not None}
    if accs:
        best = max(accs, key=accs.get)
        lines.append(f"*Skip + BN trains best* (reference: 85.05 % vs 84.51 % for BN only): {hold(best == sb['name'])} "
                     f"here — the best test accuracy is {_pct(accs[best])} by *{best}*"
                     + (f", skip + BN {_pct(sb['test_acc'])}." if best != sb["name"] and sb["test_acc"] is not None else "."))
    if sb["test_acc"] is not None and b["test_acc"] is not None:
        gap = 100 * (sb["test_acc"] - b["test_acc"])
        lines.append(f"*BN alone almost matches skip + BN* (reference gap +0.54 pp): our gap is {gap:+.2f} pp, so this "
                     f"{hold(abs(gap) < 3)} (within 3 pp counts as 'almost').")
    dv = s["diverged_at_epoch"]
    lines.append(f"*Skip connections without BN diverge at lr {lr:g}* (reference: NaN): {hold(dv is not None)} — "
                 + (f"the loss became NaN/inf in epoch {dv}." if dv is not None
                    else f"it trained to {_pct(s['test_acc'])} test accuracy."))
    if n["diverged_at_epoch"] is None and n["test_acc"] is not None:
        stuck = n["test_acc"] < CHANCE + 0.05
        lines.append(f"*Neither skip nor BN stays at chance* (reference: 10 %): {hold(stuck)} — {_pct(n['test_acc'])} "
                     f"test accuracy (chance is 10 %; we call < 15 % 'at chance').")
    if sb["lambda_max"] is not None and b["lambda_max"] is not None and sb["lambda_max"] > 0:
        ratio = b["lambda_max"] / sb["lambda_max"]
        lines.append(f"*Without skips the minimum is much sharper* (reference λmax 90.58 vs 6.96, ×13): {hold(ratio > 2)} "
                     f"— λmax {b['lambda_max']:.4g} (BN only) vs {sb['lambda_max']:.4g} (skip + BN), ×{ratio:.3g}; "
                     f"trace {_num(b['trace'])} vs {_num(sb['trace'])}.")
    if n["lambda_max"] is not None and sb["lambda_max"] is not None:
        flat = abs(n["lambda_max"]) < sb["lambda_max"]
        lines.append(f"*The untrainable plain net sits on a nearly flat plateau* (reference λmax 0.1): {hold(flat)} — "
                     f"λmax {n['lambda_max']:.3g} (skip + BN: {sb['lambda_max']:.3g}), lowest loss on the grid "
                     f"{_num(n['loss_min'])} (chance level: ln 10 = 2.303). Flat here means "
                     f"stuck, not well generalizing: flatness alone does not predict accuracy.")
    if sb["loss_range"] is not None and b["loss_range"] is not None and b["loss_range"] > 0:
        q = sb["loss_range"] / b["loss_range"]
        verdict = hold(True) if q < 0.8 else hold(False) if q > 1.25 else "is **not decided** (within ±20 %)"
        lines.append(f"*Skip connections make the landscape around the minimum tamer* (Li et al. 2018): {verdict} "
                     f"on our grid — loss range {sb['loss_range']:.3g} (skip + BN) vs {b['loss_range']:.3g} (BN only), "
                     f"ratio {q:.2f}; we call a ratio below 0.8 tamer.")
    probed = [r for r in rows if r["lambda_rel_diff"] is not None]
    if probed:
        ok = [r for r in probed if r["lambda_rel_diff"] <= AGREE_TOL]
        bad = [r for r in probed if r["lambda_rel_diff"] > AGREE_TOL]
        line = "*Power iteration and Lanczos agree on λmax* (relative difference ≤ {:g}): ".format(AGREE_TOL)
        line += hold(not bad) if not ok or not bad else f"{hold(True)} for {', '.join(r['name'] for r in ok)}"
        line += " — " + "; ".join(f"{r['name']} {r['lambda_max_power']:.4g} vs {r['lambda_max_lanczos']:.4g} "
                                  f"({r['lambda_rel_diff']:.1e})" for r in probed) + "."
        for r in bad:
            shifted = cfg is not None and r["power_hvps"] is not None and r["power_hvps"] > cfg.power_iters
            line += (f" For *{r['name']}* they do **not** agree: Lanczos converged (Ritz residual "
                     f"{r['lanczos_residual']:.1e}) while {r['power_hvps']} power-iteration HVPs were not enough"
                     + ("; the run took twice its step budget, so a negative eigenvalue larger in magnitude than "
                        "λmax dominated and power iteration had to restart on the shifted Hessian, where its "
                        "convergence factor is close to 1" if shifted else "")
                     + ". We trust the Lanczos value there; a few power iterations on such a nearly flat, indefinite "
                       "Hessian underestimate λmax (the reference's 0.1 for this variant came from 5 of them).")
        lines.append(line)
    return lines


def headline(rows: list[dict]) -> dict:
    by = {(r["skip"], r["batchnorm"]): r for r in rows}
    sb, s, b = by[(True, True)], by[(True, False)], by[(False, True)]
    return {
        "acc skip+BN": sb["test_acc"], "acc BN only": b["test_acc"],
        "λmax skip+BN": sb["lambda_max"], "λmax BN only": b["lambda_max"],
        "skip only": "trained" if s["diverged_at_epoch"] is None else f"diverged (epoch {s['diverged_at_epoch']})",
    }


def metrics(rows: list[dict]) -> dict:
    keys = ("name", "skip", "batchnorm", "test_acc", "diverged_at_epoch", "lambda_max", "trace", "loss_range",
            "lambda_max_power", "lambda_max_lanczos", "lambda_rel_diff", "top_k", "condition", "loss_min",
            "loss_max", "probed", "lanczos_residual", "power_hvps", "lanczos_hvps")
    return {"variants": [{k: r[k] for k in keys} for r in rows], "headline": headline(rows)}


# ---- figures ----------------------------------------------------------------------------------------------

def plot_training(trained: dict[str, dict]) -> plt.Figure:
    """Training loss (running mean over the epoch's minibatches), test loss and test accuracy per epoch; a
    diverged run ends in a red x at the epoch its loss became NaN/inf."""
    hists = {k: v["hist"] for k, v in trained.items()}
    keys = ("train_loss", "test_loss", "test_acc")
    fig, axes = plt.subplots(1, len(keys), figsize=(4.3 * len(keys), 3.6), layout="constrained")
    for ax, key in zip(axes, keys):
        plotting.plot_curves(ax, hists, key, logy="loss" in key, linestyle="-o")
        ax.xaxis.get_major_locator().set_params(integer=True)
    axes[-1].axhline(CHANCE, color="grey", ls=":", lw=1)
    axes[0].legend()
    return fig


def shared_log_scale(probed: dict[str, dict | None], key: str = "surface") -> tuple[float, float]:
    """(lo, hi) of log10 loss over the finite grid values of every probed variant: one colour scale for all."""
    vals = [np.log10(np.clip(p[key].numpy(), 1e-12, None)) for p in probed.values() if p is not None]
    vals = np.concatenate([v[np.isfinite(v)].ravel() for v in vals]) if vals else np.array([])
    if not len(vals):
        return -1.0, 1.0
    lo, hi = float(vals.min()), float(vals.max())
    return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)


def _log_grid(p: dict, key: str = "surface") -> np.ndarray:
    a = p[key].numpy().astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log10(np.clip(a, 1e-12, None))


def _axes_coords(p: dict) -> tuple[np.ndarray, np.ndarray]:
    c = p["coords"].numpy()
    if c.ndim == 2 and c.shape[0] == 2:  # (2, steps): one row per direction
        return c[0], c[1]
    return c, c


def _diverged_panel(ax, name: str, trained: dict) -> None:
    ep = trained[name]["hist"].get("diverged_at_epoch")
    ax.text(0.5, 0.5, f"{name}:\ndiverged at epoch {ep}\n(loss NaN/inf)\nnot probed", ha="center", va="center",
            transform=ax.transAxes, color="red", fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])


def plot_contours(trained: dict, probed: dict[str, dict | None], levels: int = 20) -> plt.Figure:
    """Filter-normalized 2-D landscapes as filled contours of log10 loss, one colour scale for all variants."""
    lo, hi = shared_log_scale(probed)
    lv = np.linspace(lo, hi, levels + 1)
    norm = mcolors.Normalize(lo, hi)
    fig, axes = plt.subplots(1, len(trained), figsize=(3.9 * len(trained), 3.8), squeeze=False, layout="constrained")
    cs = None
    for ax, name in zip(axes[0], trained):
        p = probed.get(name)
        if p is None:
            _diverged_panel(ax, name, trained)
            continue
        a, b = _axes_coords(p)
        z = np.clip(_log_grid(p), lo, hi)
        z = np.where(np.isfinite(z), z, hi)
        cs = ax.contourf(a, b, z.T, levels=lv, cmap="viridis", norm=norm)
        ax.contour(a, b, z.T, levels=lv[::2], colors="white", linewidths=0.4, alpha=0.6)
        ax.plot([0], [0], "r*", ms=9)
        st = grid_stats(p["surface"].numpy())
        ax.set_title(f"{name}\nloss {_num(st.loss_min, 3)} … {_num(st.loss_max, 3)}")
        ax.set_xlabel("α (direction δ)")
        if ax is axes[0][0]:
            ax.set_ylabel("β (direction η)")
        ax.set_aspect("equal")
    if cs is not None:
        fig.colorbar(cs, ax=list(axes[0]), shrink=0.85, label="log10 training loss (shared scale)")
    return fig


def plot_surfaces(trained: dict, probed: dict[str, dict | None]) -> plt.Figure:
    """The same landscapes as 3-D surfaces of log10 loss, with a shared z range and colour scale."""
    lo, hi = shared_log_scale(probed)
    norm = mcolors.Normalize(lo, hi)
    fig = plt.figure(figsize=(4.2 * len(trained), 4.0))
    for i, name in enumerate(trained):
        p = probed.get(name)
        if p is None:
            ax = fig.add_subplot(1, len(trained), i + 1)
            _diverged_panel(ax, name, trained)
            continue
        ax = fig.add_subplot(1, len(trained), i + 1, projection="3d")
        a, b = _axes_coords(p)
        A, B = np.meshgrid(a, b, indexing="ij")
        z = np.clip(_log_grid(p), lo, hi)
        z = np.where(np.isfinite(z), z, hi)
        ax.plot_surface(A, B, z, cmap="viridis", norm=norm, linewidth=0, antialiased=True, rstride=1, cstride=1)
        ax.set_zlim(lo, hi)
        ax.set_title(name)
        ax.set_xlabel("α")
        ax.set_ylabel("β")
        ax.set_zlabel("log10 loss")
        ax.view_init(elev=30, azim=-60)
    fig.tight_layout()
    return fig


def plot_slices(trained: dict, probed: dict[str, dict | None]) -> plt.Figure:
    """Training loss along direction 1 of each 2-D landscape (its α axis), at finer resolution (log y)."""
    fig, ax = plt.subplots(figsize=(7.0, 4.0))
    for (name, v), c in zip(trained.items(), plotting.colors(len(trained))):
        p = probed.get(name)
        if p is None:
            ax.plot([], [], color=c, label=f"{name} (diverged at epoch {v['hist']['diverged_at_epoch']}: not probed)")
            continue
        ax.plot(p["slice_coords"].numpy(), p["slice"].numpy(), "-o", ms=3, color=c, label=name)
    ax.set_yscale("log")
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel("α (filter-normalized units)")
    ax.set_ylabel("training loss")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_spectrum(rows: list[dict]) -> plt.Figure:
    """Top-k Hessian eigenvalues (Lanczos, dots) and λmax by power iteration (star), per variant (symlog y)."""
    fig, ax = plt.subplots(figsize=(7.0, 4.0))
    starred = False
    for i, (r, c) in enumerate(zip(rows, plotting.colors(len(rows)))):
        if r["top_k"] is None:
            ax.text(i, 0, "diverged:\nnot probed", ha="center", va="bottom", color="red", fontsize=9)
            continue
        ks = r["top_k"]
        ax.plot(np.full(len(ks), i) + np.linspace(-0.15, 0.15, len(ks)), ks, "o", color=c, label=f"{r['name']} (Lanczos top-{len(ks)})")
        ax.plot([i], [r["lambda_max_power"]], "*", color="black", ms=12, label=None if starred else "power iteration λmax")
        starred = True
    ax.set_xticks(range(len(rows)), [r["name"] for r in rows])
    ax.set_yscale("symlog", linthresh=1e-2)
    eigs = [e for r in rows if r["top_k"] for e in r["top_k"] + [r["lambda_max_power"]]]
    if eigs:
        ax.set_ylim(min(0.0, 2 * min(eigs)), 2 * max(max(eigs), 1e-2))
    ax.set_ylabel("Hessian eigenvalue")
    ax.legend(fontsize="x-small")
    fig.tight_layout()
    return fig


def describe(cfg) -> str:
    """A markdown paragraph saying at which scale this run trains and probes, next to the reference's."""
    return (
        f"**This run** trains each variant on {cfg.n_train:,} CIFAR-10 training images for {cfg.epochs} epoch(s) at "
        f"batch {cfg.batch_size} (lr {cfg.lr:g}, cosine to 0; {cfg.n_test:,} test images); the reference used all "
        f"50,000 images, 20 epochs, batch 32. Landscapes: {cfg.grid_steps}×{cfg.grid_steps} grid on "
        f"[−{cfg.span:g}, {cfg.span:g}]² and a {cfg.slice_steps}-point slice, on {cfg.probe_images:,} training images. "
        f"Hessian probes on {min(cfg.hessian_images, cfg.probe_images):,} training images: {cfg.power_iters} power "
        f"iterations, {cfg.lanczos_steps} Lanczos steps (top {cfg.top_k}), {cfg.trace_samples} Hutchinson samples."
        + (" At this reduced scale accuracies are far below the reference's; the comparisons between the variants "
           "are what carries over." if cfg.n_train < 50_000 or cfg.epochs < 20 else "")
    )
