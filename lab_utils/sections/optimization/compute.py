"""02 optimization: weight trajectories (PCA), gradient norms, and the minimal ratio of critical points.

    trajectories(cfg, device, seed)      n_runs seeds of an MLP on sin(2 pi x), weights snapshotted every k epochs
    pca2(X)                              2-D PCA of the rows of X, with the explained-variance ratio of both axes
    minimal_ratio_runs(cfg, device, seed)  small MLPs trained normally, then on ||grad L||^2, then their minimal
                                         ratio two ways: dense Hessian eigenvalues and random neighbours

Phase 2 (minimising ||grad L||^2) exists twice on purpose: `gradnorm_descent_loop` (torch.optim.Adam and a
double backward, one model at a time) is the reference; `gradnorm_descent_vmap` (torch.func over a stacked
ensemble, the same Adam update written out) must give the same weights within float tolerance -- a test checks
it -- and is what the notebook uses when `benchmarks/ensemble_vmap.py` finds it faster.
"""
from __future__ import annotations

import copy
import dataclasses
import math
import warnings
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, grad, hessian, stack_module_state, vmap
from torch.nn import functional as F

from ... import models
from ...core import cache, data, params, train
from ...core.stats import correlation
from ...probes.critical import flat_loss, hessian_index, sampling_ratio
from ...probes.hessian import dense_hessian
from ...probes.trajectories import pca2

# ---- specs and data ---------------------------------------------------------------------------------------

def mlp_spec(depth: int, width: int, act: str = "relu") -> dict:
    return {"kind": "mlp", "depth": depth, "width": width, "in_dim": 1, "out_dim": 1, "act": act}


def sine_data(n_points: int, device) -> data.Split:
    """sin(2 pi x) on [-1, 1]: n_points on a grid for training, 500 random test points."""
    return data.function("sin2pi", n_train=n_points, n_test=500, device=device)


def param_slices(spec: dict) -> dict[str, slice]:
    """Where each parameter tensor of `models.build(spec)` lies in the flat vector (`core.params` order)."""
    return params.param_slices(models.build(spec))


def layer_slice(spec: dict, layer: int = 0) -> slice:
    """Weight and bias of the `layer`-th Linear layer (0 = first) as one slice of the flat vector."""
    linear = sorted({n.split(".")[0] for n in param_slices(spec)}, key=int)[layer]
    sl = [s for n, s in param_slices(spec).items() if n.split(".")[0] == linear]
    return slice(min(s.start for s in sl), max(s.stop for s in sl))


# ---- functional loss of a flat parameter vector -----------------------------------------------------------

def flat_loss_fn(spec: dict, x: torch.Tensor, y: torch.Tensor, dtype=torch.float64) -> Callable[[torch.Tensor], torch.Tensor]:
    """theta (flat, `core.params` order) -> mean MSE of `models.build(spec)` on (x, y), in `dtype`."""
    return flat_loss(models.build(spec), F.mse_loss, x, y, dtype)


# ---- trajectories and PCA ---------------------------------------------------------------------------------

def snapshot_losses(spec: dict, snapshots: torch.Tensor, split: data.Split, loss_fn) -> np.ndarray:
    """Training loss of `models.build(spec)` with each flat weight vector (row of `snapshots`) loaded."""
    model = models.build(spec).to(split.x_train.device)
    out = []
    for s in snapshots:
        params.load_flat(model, s)
        out.append(train.evaluate(model, split.x_train, split.y_train, loss_fn)[0])
    return np.asarray(out)


def train_runs(spec: dict, split: data.Split, n_runs: int, seed: int, device, *, loss_fn, **fit_kwargs) -> list[dict]:
    """`n_runs` runs of `spec` (seeds seed, seed+1, ...) via `cache.train`; run 0 also tracks the per-step total
    and per-layer gradient norms and the per-step minibatch loss. Each result: seed, hist, snapshots (K x P float64), epochs, loss (train loss at
    each snapshot)."""
    out = []
    for i in range(n_runs):
        _, hist = models.trained(spec, split, seed=seed + i, device=device, loss_fn=loss_fn, track_grad_norm=i == 0,
                              track_layer_grad_norms=i == 0, track_step_loss=i == 0, desc=f"run {i}", progress_bar=False, **fit_kwargs)
        snaps = torch.stack(hist["snapshots"]).double()
        out.append(dict(seed=seed + i, hist=hist, snapshots=snaps, epochs=list(hist["snapshot_epochs"]),
                        loss=snapshot_losses(spec, snaps, split, loss_fn)))
    return out


def trajectories(cfg, device, seed: int) -> list[dict]:
    """`cfg.n_runs` runs of the depth x width MLP on sin(2 pi x), Adam, MSE, weights snapshotted every
    `cfg.snapshot_every` epochs (see `train_runs`)."""
    split = sine_data(cfg.n_points, device)
    return train_runs(mlp_spec(cfg.depth, cfg.width), split, cfg.n_runs, seed, device, loss_fn=F.mse_loss, epochs=cfg.epochs,
                      lr=cfg.lr, optimizer="adam", batch_size=cfg.batch_size, snapshot_every=cfg.snapshot_every)


def mnist_spec(cfg) -> dict:
    return {"kind": "mlp", "depth": 2, "width": cfg.mnist_width, "in_dim": 784, "out_dim": 10, "act": "relu"}


def mnist_trajectories(cfg, device, seed: int) -> list[dict]:
    """`cfg.mnist_runs` runs of a 784-w-w-10 ReLU MLP on an MNIST subset of `cfg.mnist_train` images, Adam 1e-3,
    batch 128, snapshotted every `cfg.mnist_snapshot_every` epochs (see `train_runs`)."""
    split = data.load("mnist", n_train=cfg.mnist_train, n_test=2000, device=device, flatten=True)
    return train_runs(mnist_spec(cfg), split, cfg.mnist_runs, seed, device, loss_fn=F.cross_entropy,
                      epochs=cfg.mnist_epochs, lr=1e-3, optimizer="adam", batch_size=128,
                      snapshot_every=cfg.mnist_snapshot_every)


def trajectory_pca(trajs: list[dict], spec: dict) -> dict:
    """Joint PCA of all snapshots of all runs, of (a) the whole weight vector and (b) the first layer; plus the
    mean explained variance when each run's trajectory gets its own PCA (as in Li et al. 2018)."""
    first = layer_slice(spec, 0)
    out = {}
    for name, sl in (("whole", slice(None)), ("first_layer", first)):
        X = torch.cat([t["snapshots"][:, sl] for t in trajs])
        p = pca2(X)
        coords, ratio = p.coords, p.ratio
        per_run = np.mean([pca2(t["snapshots"][:, sl]).ratio for t in trajs], axis=0)
        out[name] = dict(coords=coords, ratio=ratio, per_run_ratio=per_run)
    out["run_index"] = np.concatenate([[i] * len(t["snapshots"]) for i, t in enumerate(trajs)])
    out["loss"] = np.concatenate([t["loss"] for t in trajs])
    return out


def layer_norm_series(hist: dict) -> dict[str, np.ndarray]:
    """Per-step gradient norm of each Linear layer (weight and bias together) from `layer_grad_norm`."""
    steps = hist["layer_grad_norm"]
    layers = sorted({n.split(".")[0] for n in steps[0]}, key=int)
    out = {}
    for j, layer in enumerate(layers):
        label = "layer 1 (input)" if j == 0 else ("output layer" if j == len(layers) - 1 else f"layer {j + 1}")
        out[label] = np.sqrt([sum(v**2 for n, v in s.items() if n.split(".")[0] == layer) for s in steps])
    return out


# ---- minimal ratio: phase 2 (minimise ||grad L||^2), Hessian and sampling ratios ---------------------------

def adam_update(p, g, m, v, t: int, lr: float, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8):
    """One Adam step (torch.optim.Adam's formula, no weight decay) on tensors of any leading shape; returns
    (p, m, v) as new tensors."""
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    denom = (v / (1 - b2**t)).sqrt() + eps
    return p - (lr / (1 - b1**t)) * m / denom, m, v


def gradnorm_descent_loop(model: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int, lr: float) -> list[float]:
    """Minimise ||grad_theta MSE(model(x), y)||^2 full batch with torch.optim.Adam (double backward) and a cosine
    learning-rate decay from `lr` to 0, in place; the model ends at the iterate with the smallest ||grad L||
    (Adam keeps bouncing near a critical point).
    Returns ||grad L|| before each step and after the last."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: train.cosine_factor(s, steps))
    params = list(model.parameters())
    norms, best, best_params = [], math.inf, None
    for _ in range(steps + 1):
        loss = F.mse_loss(model(x), y)
        g = torch.autograd.grad(loss, params, create_graph=True)
        gn2 = sum((gi**2).sum() for gi in g)
        norms.append(float(gn2.detach().sqrt()))
        if norms[-1] < best:
            best, best_params = norms[-1], [p.detach().clone() for p in params]
        if len(norms) > steps:
            break
        opt.zero_grad(set_to_none=True)
        gn2.backward()
        opt.step()
        sched.step()
    with torch.no_grad():
        for p, b in zip(params, best_params):
            p.copy_(b)
    model.eval()
    return norms


def gradnorm_descent_vmap(models_: list[nn.Module], x: torch.Tensor, y: torch.Tensor, steps: int, lr: float) -> tuple[list[dict], np.ndarray]:
    """`gradnorm_descent_loop` for a list of same-architecture models at once (torch.func vmap over the
    stacked parameters). Returns their new state dicts and ||grad L|| per model (rows) per step (columns)."""
    params, buffers = stack_module_state(models_)
    params = {k: v.detach().clone() for k, v in params.items()}
    base = copy.deepcopy(models_[0]).to("meta")

    def loss(p, b):
        return F.mse_loss(functional_call(base, (p, b), (x,)), y)

    def gn2(p, b):
        g = grad(loss)(p, b)
        return sum((gi**2).sum() for gi in g.values())

    step_fn = vmap(grad(gn2, has_aux=False), in_dims=(0, 0))
    norm_fn = vmap(gn2, in_dims=(0, 0))
    m = {k: torch.zeros_like(v) for k, v in params.items()}
    v2 = {k: torch.zeros_like(v) for k, v in params.items()}
    norms = []
    best = torch.full((len(models_),), math.inf, dtype=next(iter(params.values())).dtype, device=x.device)
    best_params = {k: v.clone() for k, v in params.items()}
    for t in range(1, steps + 2):
        norms.append(norm_fn(params, buffers).detach().sqrt())
        better = norms[-1] < best
        best = torch.where(better, norms[-1], best)
        for k, v in params.items():
            best_params[k] = torch.where(better.view(-1, *[1] * (v.dim() - 1)), v, best_params[k])
        if t > steps:
            break
        g = step_fn(params, buffers)
        for k in params:
            params[k], m[k], v2[k] = adam_update(params[k], g[k], m[k], v2[k], t, lr * train.cosine_factor(t - 1, steps))
    states = [{k: v[i].clone() for k, v in best_params.items()} for i in range(len(models_))]
    return states, torch.stack(norms, 1).cpu().numpy()


def minimal_ratio_runs(cfg, device, seed: int) -> dict:
    """`cfg.ratio_runs` 2 x ratio_width MLPs on sin(2 pi x): run i trains (Adam, full batch, seed
    10_000 + seed + i) for a log-spaced number of epochs between ratio_epochs_min and ratio_epochs_max (so the
    runs stop at a spread of losses), then minimises ||grad L||^2 for gn_steps Adam steps (vmap ensemble or loop,
    cfg.ensemble), then gets its minimal ratio from the dense float64 Hessian and from n_neighbours random
    neighbours at distance radius * ||theta||. Cached as a whole."""
    config = dict(kind="02_minimal_ratio", version=3, seed=seed, device=torch.device(device).type,
                  cfg={k: getattr(cfg, k) for k in ("ratio_runs", "ratio_width", "ratio_points", "ratio_epochs_min",
                                                    "ratio_epochs_max", "ratio_lr", "gn_steps", "gn_lr",
                                                    "n_neighbours", "radius", "ensemble")})
    return cache.cached(config, lambda: _minimal_ratio_compute(cfg, device, seed))


def _minimal_ratio_compute(cfg, device, seed: int) -> dict:
    split = sine_data(cfg.ratio_points, device)
    spec = mlp_spec(2, cfg.ratio_width)
    epochs = np.round(np.geomspace(cfg.ratio_epochs_min, cfg.ratio_epochs_max, cfg.ratio_runs)).astype(int)
    trained = []
    for i, e in enumerate(epochs):
        model, hist = models.trained(spec, split, seed=10_000 + seed + i, device=device, epochs=int(e), lr=cfg.ratio_lr,
                                  optimizer="adam", batch_size=cfg.ratio_points, loss_fn=F.mse_loss, eval_every=int(e),
                                  progress_bar=False)
        trained.append((model, hist))
    x, y = split.x_train, split.y_train
    loss_before = [float(train.final(h, "train_loss")) for _, h in trained]
    if cfg.ensemble == "vmap":
        states, norms = gradnorm_descent_vmap([m for m, _ in trained], x, y, cfg.gn_steps, cfg.gn_lr)
        for (m, _), s in zip(trained, states):
            m.load_state_dict(s)
        gn_curves = norms
    else:
        gn_curves = np.array([gradnorm_descent_loop(m, x, y, cfg.gn_steps, cfg.gn_lr) for m, _ in trained])
    f = flat_loss_fn(spec, x.cpu(), y.cpu())
    rows = []
    for i, (m, _) in enumerate(trained):
        theta = params.flat_params(m).cpu().double()
        H = dense_hessian(f, theta)
        eigs = torch.linalg.eigvalsh(H)
        hr = dataclasses.asdict(hessian_index(eigs))
        gn = float(torch.linalg.vector_norm(torch.func.grad(f)(theta)))
        r = cfg.radius * float(theta.norm())
        sr = sampling_ratio(f, theta, r, cfg.n_neighbours, seed=seed + i)
        sr_sym = sampling_ratio(f, theta, r, cfg.n_neighbours, seed=seed + i, symmetric=True)
        rows.append(dict(loss=float(f(theta)), ratio_hessian=hr["ratio"], ratio_sampling=sr,
                         ratio_sampling_symmetric=sr_sym, grad_norm=gn, grad_norm_before=float(gn_curves[i][0]),
                         loss_before=loss_before[i], phase1_epochs=int(epochs[i]), n_pos=hr["n_pos"],
                         n_neg=hr["n_neg"], n_zero=hr["n_zero"], lambda_min=float(eigs[0]), lambda_max=float(eigs[-1])))
    return dict(rows=rows, gn_curves=torch.as_tensor(np.asarray(gn_curves)), n_params=int(len(theta)))


def agreement(rows: list[dict]) -> dict:
    """How the two minimal-ratio estimates relate to each other and to the loss: Pearson correlation and mean
    absolute difference of the two ratios; Spearman correlation of each ratio with the loss (the references'
    finding, "the ratio rises as the loss falls", means a negative correlation)."""
    h = np.array([r["ratio_hessian"] for r in rows], dtype=float)
    s = np.array([r["ratio_sampling"] for r in rows], dtype=float)
    sym = np.array([r.get("ratio_sampling_symmetric", math.nan) for r in rows], dtype=float)
    loss = np.array([r["loss"] for r in rows], dtype=float)
    ok = np.isfinite(h) & np.isfinite(s) & np.isfinite(loss)
    h, s, sym, loss = h[ok], s[ok], sym[ok], loss[ok]

    def corr(method, a, b):
        return correlation(a, b, method).r

    return dict(pearson_h_s=corr("pearson", h, s), mean_abs_diff=float(np.mean(np.abs(h - s))) if len(h) else math.nan,
                spearman_loss_hessian=corr("spearman", loss, h), spearman_loss_sampling=corr("spearman", loss, s),
                pearson_h_s_symmetric=corr("pearson", h, sym) if np.isfinite(sym).all() else math.nan,
                mean_abs_diff_symmetric=float(np.mean(np.abs(h - sym))) if len(h) else math.nan,
                n=int(ok.sum()))


# ---- summaries, verdicts and figures ----------------------------------------------------------------------

def grad_norm_final(hist: dict, steps_per_epoch: int) -> float:
    """Mean per-step gradient norm over the last epoch (a single minibatch norm is noisy)."""
    g = hist["grad_norm"]
    return float(np.mean(g[-steps_per_epoch:])) if g else math.nan


def run_table(trajs: list[dict]) -> list[dict]:
    """One row per trajectory run: seed, final train/test MSE, final weight norm, snapshots taken."""
    return [dict(seed=t["seed"], train_mse=train.final(t["hist"], "train_loss"), test_mse=train.final(t["hist"], "test_loss"),
                 weight_norm=float(t["snapshots"][-1].norm()), snapshots=len(t["snapshots"]),
                 diverged_at_epoch=t["hist"]["diverged_at_epoch"]) for t in trajs]


def pca_verdict(pca: dict, label: str = "sin(2πx) MLP") -> str:
    w, fl = pca["whole"], pca["first_layer"]
    ws, fs = float(np.sum(w["ratio"])), float(np.sum(fl["ratio"]))
    pw, pf = float(np.sum(w["per_run_ratio"])), float(np.sum(fl["per_run_ratio"]))
    return (f"**PCA, {label}.** In the joint PCA of all runs the two plotted components explain **{ws:.1%}** of the variance of "
            f"the whole weight vector ({w['ratio'][0]:.1%} + {w['ratio'][1]:.1%}) and **{fs:.1%}** for the first layer. "
            f"A single run's own trajectory is far more planar: on average {pw:.1%} (whole) and {pf:.1%} (first layer). "
            + ("The joint picture therefore shows mostly *which run* a point belongs to, not a shared landscape: "
               "the runs end in different places of weight space."
               if ws < 0.9 else "Two components capture most of the variance here, so the plane is a fair summary.")
            + f" Li et al. (2018) report often > 90 % for one trajectory: {'this holds' if pw > 0.9 else 'this does not hold'} "
              f"for our single runs (whole model).")


def gradient_verdict(hist: dict, steps_per_epoch: int) -> str:
    g = np.asarray(hist["grad_norm"], dtype=float)
    first = float(np.mean(g[:steps_per_epoch]))
    last = grad_norm_final(hist, steps_per_epoch)
    loss0, loss1 = hist["train_loss"][0], train.final(hist, "train_loss")
    peak = int(np.argmax(g))
    return (f"**Gradient norm.** Over run 0 the train MSE fell {loss0 / loss1:.0f}× (from {loss0:.3g} after epoch 1 to "
            f"{loss1:.3g}), while the mean minibatch gradient norm fell only {first / last:.1f}× (from {first:.3g} in the "
            f"first epoch to {last:.3g} in the last), after peaking at {g[peak]:.3g} at step {peak + 1}. " + (
                "The gradient norm does **not** follow the loss towards zero: training ends where minibatch gradients are "
                "still sizeable (noise and oscillation across a narrow valley), not at a point of vanishing gradient."
                if last > 0.1 * first else
                "The gradient norm fell by more than 10× along with the loss."))


def findings(pca: dict, mpca: dict | None, trajs: list[dict], spe: int, agr: dict) -> list[dict]:
    """The reference findings of this chapter next to our numbers, with a computed verdict."""
    h = trajs[0]["hist"]
    g = np.asarray(h["grad_norm"], dtype=float)
    g_fall = float(np.mean(g[:spe])) / grad_norm_final(h, spe)
    l_fall = h["train_loss"][0] / train.final(h, "train_loss")
    single = float(np.sum(pca["whole"]["per_run_ratio"]))
    rows = [dict(finding="2 PCs explain one run's trajectory (sin MLP)", reference="often > 90 % (Li et al. 2018)",
                 ours=f"{single:.1%}", holds="yes" if single > 0.9 else "no")]
    if mpca is not None:
        ms = float(np.sum(mpca["whole"]["per_run_ratio"]))
        rows.append(dict(finding="2 PCs explain one run's trajectory (MNIST MLP)", reference="often > 90 %",
                         ours=f"{ms:.1%}", holds="yes" if ms > 0.9 else "no"))
    joint = float(np.sum(pca["whole"]["ratio"]))
    rows += [
        dict(finding=f"2 PCs of the joint PCA of {len(trajs)} runs (the plotted plane)", reference="not reported",
             ours=f"{joint:.1%}", holds="–"),
        dict(finding="gradient norm falls with the loss (run 0)", reference="–",
             ours=f"loss ÷{l_fall:.0f}, ‖∇L‖ ÷{g_fall:.1f}", holds="no" if g_fall < 10 else "yes"),
        dict(finding="minimal ratio rises as the loss falls (Hessian)", reference="yes, 100 runs",
             ours=f"Spearman(loss, ratio) = {agr['spearman_loss_hessian']:+.2f}",
             holds="yes" if agr["spearman_loss_hessian"] < -0.3 else "no"),
        dict(finding="minimal ratio rises as the loss falls (sampling)", reference="yes, 100 runs",
             ours=f"Spearman(loss, ratio) = {agr['spearman_loss_sampling']:+.2f}",
             holds="yes" if agr["spearman_loss_sampling"] < -0.3 else "no"),
        dict(finding="sampling ratio equals the Hessian ratio", reference="–",
             ours=f"r = {agr['pearson_h_s']:.2f}, mean |Δ| = {agr['mean_abs_diff']:.2f}",
             holds="yes" if agr["mean_abs_diff"] < 0.05 else "no (trend only)"),
    ]
    return rows


def ratio_verdict(rows: list[dict], agr: dict) -> str:
    loss = np.array([r["loss"] for r in rows])
    gn = np.array([r["grad_norm"] for r in rows])
    gn0 = np.array([r["grad_norm_before"] for r in rows])
    rh = np.array([r["ratio_hessian"] for r in rows], dtype=float)
    rs = np.array([r["ratio_sampling"] for r in rows], dtype=float)
    sym = np.array([r["ratio_sampling_symmetric"] for r in rows], dtype=float)
    rises = agr["spearman_loss_hessian"] < -0.3 if math.isfinite(agr["spearman_loss_hessian"]) else False
    return (f"**Minimal ratio.** {agr['n']} runs, losses at the end {loss.min():.2g} to {loss.max():.2g}. The ‖∇L‖² phase "
            f"lowered the full-batch gradient norm by a median factor of {np.median(gn0 / gn):.0f} (median "
            f"{np.median(gn0):.2g} → {np.median(gn):.2g}, worst {gn.max():.2g}): near-critical points, not exact ones. "
            f"Spearman correlation of the loss with the Hessian ratio {agr['spearman_loss_hessian']:+.2f}, with the "
            f"sampling ratio {agr['spearman_loss_sampling']:+.2f}: the reference finding *the minimal ratio rises as the "
            f"loss falls* **{'holds' if rises else 'does not hold'}** here. The two estimates correlate (Pearson r = "
            f"{agr['pearson_h_s']:.2f}) but do not agree in value: mean |difference| {agr['mean_abs_diff']:.2f}, the "
            f"sampling ratio higher in {np.mean(rs > rh):.0%} of runs. Cancelling the first-order term with symmetric "
            f"pairs θ ± r·u (what is left of the gradient) gives mean |difference| {agr['mean_abs_diff_symmetric']:.2f} "
            f"(r = {agr['pearson_h_s_symmetric']:.2f}, symmetric ratio ≥ 0.99 in {np.mean(sym >= 0.99):.0%} of runs): "
            + ("removing the residual gradient does not close the gap but widens it, so the gap is structural and the "
               "residual gradient only adds coin-flip noise that pulls the plain sampling ratio towards 0.5. "
               if agr["mean_abs_diff_symmetric"] >= agr["mean_abs_diff"] else
               "part of the gap comes from the residual gradient, the rest is structural. ")
            + "The structural part: a random direction u raises the "
            "loss when Σ λᵢ uᵢ² > 0, a weighted vote that the few large positive eigenvalues win, whereas the Hessian "
            "ratio counts every eigenvalue once. Near-zero eigenvalues (|λ| ≤ 1e-6·max|λ|: dead ReLUs and directions "
            "the finite data set cannot see, about "
            f"{np.median([r['n_zero'] for r in rows]):.0f} of {rows[0]['n_pos'] + rows[0]['n_neg'] + rows[0]['n_zero']}) "
            "are left out of the Hessian count.")


def _scatter_marker(i: int) -> str:
    return "osD^v<>ph*XP8"[i % 13]


def plot_pca(pca: dict, trajs: list[dict], loss_label: str = "train MSE"):
    """Two panels (whole model, first layer): snapshots in the plane of the first two principal components,
    coloured by log10 train MSE, one marker and line colour per run, explained variance on axes and title."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    from ...report import plotting

    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    pal = plotting.colors(len(trajs))
    loss = np.clip(pca["loss"], 1e-12, None)
    norm = LogNorm(vmin=loss.min(), vmax=loss.max())
    for ax, key, title in zip(axes, ("whole", "first_layer"), ("whole model", "first layer")):
        c, r = pca[key]["coords"], pca[key]["ratio"]
        for i, t in enumerate(trajs):
            sel = pca["run_index"] == i
            ax.plot(c[sel, 0], c[sel, 1], "-", color=pal[i], lw=0.8, alpha=0.7)
            sc = ax.scatter(c[sel, 0], c[sel, 1], c=loss[sel], cmap="viridis", norm=norm, marker=_scatter_marker(i),
                            s=28, edgecolors=pal[i], linewidths=0.8, label=f"seed {t['seed']}", zorder=3)
            ax.scatter(c[sel, 0][:1], c[sel, 1][:1], marker="x", color="k", s=30, zorder=4)
        ax.set_xlabel(f"PC1 ({r[0]:.1%} of variance)")
        ax.set_ylabel(f"PC2 ({r[1]:.1%} of variance)")
        ax.set_title(f"{title}, joint PCA of {len(trajs)} runs\nPC1 + PC2 explain {r.sum():.1%} of the variance")
    fig.colorbar(sc, ax=axes, label=f"{loss_label} (log)", shrink=0.85)
    axes[0].legend(loc="best", fontsize="x-small", ncol=2, title="x = initialisation", title_fontsize="x-small")
    return fig


def plot_gradients(trajs: list[dict], steps_per_epoch: int):
    """(a) run 0: per-step gradient norm and minibatch loss, and per-epoch train MSE, vs iteration (log-log); (b) run 0: per-layer
    gradient norms (moving average over one epoch); (c) every run: weight norm vs train MSE at its snapshots."""
    import matplotlib.pyplot as plt

    from ...report import plotting

    h = trajs[0]["hist"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    ax = axes[0]
    g = np.asarray(h["grad_norm"], dtype=float)
    it = np.arange(1, len(g) + 1)
    ax.plot(it, g, lw=0.5, alpha=0.5, label="‖∇L‖ (minibatch, per step)")
    ax.plot(it, h["step_loss"], lw=0.5, alpha=0.5, label="minibatch MSE (per step)")
    ax.plot(np.asarray(h["epoch"]) * steps_per_epoch, h["train_loss"], "-", lw=2, label="train MSE (end of epoch)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_title(f"run 0 (seed {trajs[0]['seed']}): gradient norm and loss")
    ax.legend()
    ax = axes[1]
    w = max(1, steps_per_epoch)
    for (label, series), c in zip(layer_norm_series(h).items(), plotting.colors(8)):
        smooth = np.convolve(series, np.ones(w) / w, mode="valid")
        ax.plot(np.arange(w, len(series) + 1), smooth, color=c, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("‖∇L‖ of the layer")
    ax.set_title(f"run 0: per-layer gradient norm (mean over {w} steps)")
    ax.legend()
    ax = axes[2]
    for i, (t, c) in enumerate(zip(trajs, plotting.colors(len(trajs)))):
        ax.plot(t["snapshots"].norm(dim=1).numpy(), t["loss"], "-", marker=_scatter_marker(i), ms=3, color=c,
                label=f"seed {t['seed']}")
    ax.set_yscale("log")
    ax.set_xlabel("‖θ‖ (weight norm)")
    ax.set_ylabel("train MSE")
    ax.set_title("weight norm vs loss (every snapshot)")
    ax.legend(fontsize="x-small", ncol=2)
    fig.tight_layout()
    return fig


def plot_minimal_ratio(res: dict, agr: dict):
    """(a) minimal ratio vs loss, Hessian and sampling; (b) sampling vs Hessian ratio with the diagonal;
    (c) ||grad L|| during the ||grad L||^2 phase, every run."""
    import matplotlib.pyplot as plt

    from ...report import plotting

    rows = res["rows"]
    loss = np.array([r["loss"] for r in rows])
    rh = np.array([r["ratio_hessian"] for r in rows], dtype=float)
    rs = np.array([r["ratio_sampling"] for r in rows], dtype=float)
    c1, c2, c3 = plotting.colors(3)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    ax = axes[0]
    ax.scatter(loss, rh, color=c1, label=f"dense Hessian (ρ_S = {agr['spearman_loss_hessian']:+.2f})")
    ax.scatter(loss, rs, color=c2, marker="^", label=f"random neighbours (ρ_S = {agr['spearman_loss_sampling']:+.2f})")
    sym = np.array([r.get("ratio_sampling_symmetric", math.nan) for r in rows], dtype=float)
    ax.scatter(loss, sym, color=c3, marker="x", s=20, label="symmetric pairs θ ± r·u")
    ax.set_xscale("log")
    ax.set_xlabel("train MSE at the critical point")
    ax.set_ylabel("minimal ratio")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title(f"minimal ratio vs loss ({len(rows)} runs, {res['n_params']} params each)")
    ax.legend()
    ax = axes[1]
    sc = ax.scatter(rh, rs, c=np.log10(np.clip(loss, 1e-12, None)), cmap="viridis")
    ax.plot([0, 1], [0, 1], "k--", lw=1)
    ax.set_xlim(-0.03, 1.03)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("Hessian ratio (positive / nonzero eigenvalues)")
    ax.set_ylabel("sampling ratio (neighbours with higher loss)")
    ax.set_title(f"agreement: r = {agr['pearson_h_s']:.2f}, mean |Δ| = {agr['mean_abs_diff']:.2f}")
    fig.colorbar(sc, ax=ax, label="log10 train MSE")
    ax = axes[2]
    curves = np.asarray(res["gn_curves"])
    for i, cur in enumerate(curves):
        ax.plot(np.arange(len(cur)), cur, lw=0.7, alpha=0.6)
    ax.set_yscale("log")
    ax.set_xlabel("step of the ‖∇L‖² phase")
    ax.set_ylabel("‖∇L‖ (full batch)")
    ax.set_title("switching the objective to ‖∇L‖²")
    fig.tight_layout()
    return fig


def steps_per_epoch(cfg) -> int:
    return math.ceil(cfg.n_points / cfg.batch_size)


def headline(pca: dict, trajs: list[dict], spe: int, agr: dict) -> dict:
    """3-5 numbers for the report index."""
    return {
        "PCA var. explained, 2 PCs (whole, joint)": round(float(np.sum(pca["whole"]["ratio"])), 3),
        "PCA var. explained, 2 PCs (single run)": round(float(np.sum(pca["whole"]["per_run_ratio"])), 3),
        "final grad norm (run 0)": grad_norm_final(trajs[0]["hist"], spe),
        "Spearman(loss, Hessian min. ratio)": agr["spearman_loss_hessian"],
        "Hessian vs sampling ratio, Pearson r": agr["pearson_h_s"],
    }
