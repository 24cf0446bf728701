"""06 sensitivity: one CNN per batch size; test accuracy and loss, input sensitivity (mean Frobenius norm of the
softmax Jacobian on test images, Novak et al. 2018), sharpness (Hessian lambda_max of the training loss) and
their correlation with the generalization gap."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from torch.nn import functional as F

from ... import models
from ...core import cache, data, train
from ...core.stats import correlation
from ...report import plotting

EVAL_BATCH = train.EVAL_BATCH
PAIRS = (("jacobian_norm", "gap_loss"), ("sharpness", "gap_loss"), ("jacobian_norm", "sharpness"),
         ("jacobian_norm", "gap_acc"), ("sharpness", "gap_acc"))
LABELS = {"jacobian_norm": "sensitivity ‖∂softmax/∂x‖_F", "sharpness": "sharpness λmax", "gap_loss":
          "generalization gap (test − train loss)", "gap_acc": "generalization gap (train − test acc)"}


def spec_for(cfg) -> dict:
    return models.cnn_spec(cfg.dataset, cfg.channels, cfg.hidden)


def batch_sizes(cfg) -> list[int]:
    """`n_batch` distinct batch sizes, log-spaced from batch_min to batch_max (both included)."""
    sizes = models.log_widths(cfg.batch_min, cfg.batch_max, cfg.n_batch)
    if len(sizes) < cfg.n_batch:
        raise ValueError(f"only {len(sizes)} distinct batch sizes between {cfg.batch_min} and {cfg.batch_max}")
    return sizes


def lr_for(cfg, batch_size: int) -> float:
    """lr * (batch_size / base_batch)^p with p = 0 ("fixed"), 1 ("linear", Goyal et al. 2017) or 1/2 ("sqrt")."""
    p = {"fixed": 0.0, "linear": 1.0, "sqrt": 0.5}[cfg.lr_scaling]
    return cfg.lr * (batch_size / cfg.base_batch) ** p


def fit_kwargs(cfg, batch_size: int, n_train: int) -> dict:
    """The `train.fit` arguments of one run: the same number of epochs for every batch size (mode "epochs") or the
    same number of optimizer steps (mode "steps", `max_steps`). The history records at most ~10 evaluations per
    run, with the train metrics as running means over each epoch's minibatches (the sweep evaluates the final
    model on the whole training set separately)."""
    steps_per_epoch = math.ceil(n_train / batch_size)
    if cfg.mode == "epochs":
        epochs, max_steps = cfg.epochs, None
    else:
        epochs, max_steps = math.ceil(cfg.steps / steps_per_epoch), cfg.steps
    kw = dict(epochs=epochs, lr=lr_for(cfg, batch_size), batch_size=batch_size, optimizer=cfg.optimizer,
              eval_every=max(1, math.ceil(epochs / 10)), eval_train=False, eval_batch_size=EVAL_BATCH)
    if max_steps is not None:
        kw["max_steps"] = max_steps
    if cfg.optimizer == "sgd":
        kw["momentum"] = cfg.momentum
    return kw


def run_sweep(run) -> dict:
    """Train one model per batch size (cached), then probe each: test/train loss and accuracy, the Jacobian norm on
    the first `jacobian_images` test images and lambda_max of the training loss on the first `hessian_images`
    training images (Lanczos). Returns {"rows": [...], "histories": {label: hist}}."""
    from ...probes import hessian_eigenvalues, jacobian_norm

    cfg = run.cfg
    split = data.load(cfg.dataset, n_train=cfg.n_train, n_test=cfg.n_test, device=run.device)
    spec = spec_for(cfg)
    rows, hists = [], {}
    for bs in batch_sizes(cfg):
        kw = fit_kwargs(cfg, bs, len(split.x_train))
        model, hist = models.trained(spec, split, seed=run.seed, device=run.device, desc=f"batch {bs}", **kw)
        hists[f"batch {bs}"] = hist
        row = dict(batch_size=bs, lr=kw["lr"], steps=hist["steps"], epochs=hist["epoch"][-1] if hist["epoch"] else 0,
                   diverged_at_epoch=hist["diverged_at_epoch"])
        if hist["diverged_at_epoch"] is not None:
            row.update(train_loss=math.nan, train_acc=math.nan, test_loss=math.nan, test_acc=math.nan,
                       jacobian_norm=math.nan, sharpness=math.nan)
        else:
            row["train_loss"], row["train_acc"] = train.evaluate(model, split.x_train, split.y_train, batch_size=EVAL_BATCH)
            row["test_loss"], row["test_acc"] = train.evaluate(model, split.x_test, split.y_test, batch_size=EVAL_BATCH)
            probe_key = dict(kind="06_probes", spec=spec, data=split.spec, seed=run.seed, fit=kw,
                             device=run.device.type, jac=cfg.jacobian_images, hess=cfg.hessian_images,
                             iters=cfg.hessian_iters, tol=cfg.hessian_tol)

            def probes(model=model):
                jac = jacobian_norm(model, split.x_test[: cfg.jacobian_images], exact=True)
                lam = hessian_eigenvalues(model, F.cross_entropy, (split.x_train[: cfg.hessian_images],
                                                                   split.y_train[: cfg.hessian_images]),
                                          k=1, which="largest", method="lanczos", tol=cfg.hessian_tol,
                                          max_iter=cfg.hessian_iters, seed=run.seed).values[0]
                return {"jacobian_norm": jac, "sharpness": lam}

            row.update(cache.cached(probe_key, probes))
        row["gap_loss"] = row["test_loss"] - row["train_loss"]
        row["gap_acc"] = row["train_acc"] - row["test_acc"]
        rows.append(row)
    return {"rows": rows, "histories": hists}


def correlations(rows: list[dict], pairs=PAIRS) -> list[dict]:
    """Pearson and Spearman correlation (with two-sided p-values, scipy.stats) for each pair of row keys over the
    runs with finite values of both; None where fewer than 3 such runs or a constant column."""
    out = []
    for a, b in pairs:
        pr = correlation([r[a] for r in rows], [r[b] for r in rows], "pearson")
        sr = correlation([r[a] for r in rows], [r[b] for r in rows], "spearman")
        res = dict(x=a, y=b, n=sr.n, pearson=None, pearson_p=None, spearman=None, spearman_p=None)
        if math.isfinite(sr.r):
            res.update(pearson=pr.r, pearson_p=pr.p, spearman=sr.r, spearman_p=sr.p)
        out.append(res)
    return out


def plot_vs_batch(rows: list[dict], cfg) -> plt.Figure:
    """Test accuracy, test loss, sensitivity and sharpness against the batch size (log x); diverged runs as red x."""
    fig, axes = plt.subplots(2, 2, figsize=(11, 7))
    bs = np.asarray([r["batch_size"] for r in rows], dtype=float)
    c = plotting.colors(4)
    panels = (("test_acc", "test accuracy (%)", 100.0, False), ("test_loss", "test loss", 1.0, True),
              ("jacobian_norm", LABELS["jacobian_norm"], 1.0, False), ("sharpness", LABELS["sharpness"], 1.0, True))
    for ax, (key, label, scale, logy), col in zip(axes.flat, panels, c):
        y = scale * np.asarray([r[key] for r in rows], dtype=float)
        ax.plot(bs, y, "-o", color=col)
        if key == "test_loss":
            tr = np.asarray([r["train_loss"] for r in rows], dtype=float)
            ax.plot(bs, tr, "--o", color=col, alpha=0.5, ms=4, label="train loss")
            ax.legend()
        div = [r["batch_size"] for r in rows if r["diverged_at_epoch"] is not None]
        for b in div:
            ax.axvline(b, color="red", lw=0.8, ls=":")
            ax.plot([b], [np.nanmin(y) if np.isfinite(y).any() else 0], "x", color="red", ms=10, mew=2.5)
        ax.set_xscale("log", base=2)
        if logy and np.all(y[np.isfinite(y)] > 0):
            ax.set_yscale("log")
        ax.set_xlabel("batch size (log)")
        ax.set_ylabel(label)
    scaling = {"fixed": "fixed lr", "linear": "lr ∝ batch", "sqrt": "lr ∝ √batch"}[cfg.lr_scaling]
    budget = f"{cfg.epochs} epochs each" if cfg.mode == "epochs" else f"{cfg.steps} steps each"
    fig.suptitle(f"{cfg.optimizer.upper()} {scaling} ({cfg.lr:g} at batch {cfg.base_batch}), {budget}")
    fig.tight_layout()
    return fig


def plot_correlations(rows: list[dict], corr: list[dict]) -> plt.Figure:
    """Scatter plots of the first three pairs, points coloured by batch size, with Pearson r and Spearman rho."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), constrained_layout=True)
    bs = np.asarray([r["batch_size"] for r in rows], dtype=float)
    for ax, cr in zip(axes, corr[:3]):
        x = np.asarray([r[cr["x"]] for r in rows], dtype=float)
        y = np.asarray([r[cr["y"]] for r in rows], dtype=float)
        sc = ax.scatter(x, y, c=np.log2(bs), cmap="viridis", s=45)
        for xi, yi, b in zip(x, y, bs):
            if np.isfinite(xi) and np.isfinite(yi):
                ax.annotate(f"{int(b)}", (xi, yi), xytext=(4, 3), textcoords="offset points", fontsize="x-small")
        f = lambda v: "–" if v is None else f"{v:+.2f}"  # noqa: E731
        ax.set_title(f"Pearson r {f(cr['pearson'])}, Spearman ρ {f(cr['spearman'])}")
        ax.set_xlabel(LABELS[cr["x"]])
        ax.set_ylabel(LABELS[cr["y"]])
    cb = fig.colorbar(sc, ax=axes, pad=0.01, aspect=30)
    cb.set_label("log2 batch size")
    return fig


def _trend(rows: list[dict], key: str) -> float | None:
    """Spearman rho of `key` against the batch size (None when undefined)."""
    c = correlations([dict(r, _bs=r["batch_size"]) for r in rows], pairs=(("_bs", key),))[0]
    return c["spearman"]


def verdicts(rows: list[dict], corr: list[dict], cfg) -> list[str]:
    """One sentence per reference finding, with our numbers."""
    first, last = rows[0], rows[-1]
    out = []
    rho_acc, rho_jac, rho_sharp = _trend(rows, "test_acc"), _trend(rows, "jacobian_norm"), _trend(rows, "sharpness")
    f = lambda v: "undefined" if v is None else f"{v:+.2f}"  # noqa: E731
    scaling = {"fixed": "a fixed learning rate", "linear": "a learning rate scaled linearly with the batch size",
               "sqrt": "a learning rate scaled with the square root of the batch size"}[cfg.lr_scaling]
    budget = f"{cfg.epochs} epochs per batch size" if cfg.mode == "epochs" else f"{cfg.steps} steps per batch size"
    passes = [r["steps"] * r["batch_size"] / cfg.n_train for r in rows]
    out.append(f"Setting: {cfg.optimizer.upper()} with {scaling} ({cfg.lr:g} at batch {cfg.base_batch}), {budget}, "
               f"batch sizes {', '.join(str(r['batch_size']) for r in rows)}, {cfg.n_train:,} training images: "
               f"{passes[0]:.3g} passes over them at batch {first['batch_size']} and {passes[-1]:.3g} at batch "
               f"{last['batch_size']}; final train loss {first['train_loss']:.3g} and {last['train_loss']:.3g}.")
    holds = rho_acc is not None and rho_acc < 0 and last["test_acc"] < first["test_acc"]
    out.append(f"**Test accuracy falls as the batch grows: {'holds' if holds else 'does not hold'}.** "
               f"{100 * first['test_acc']:.2f} % at batch {first['batch_size']} vs {100 * last['test_acc']:.2f} % at "
               f"batch {last['batch_size']} (Spearman ρ with batch size {f(rho_acc)}).")
    holds = rho_jac is not None and rho_jac < 0 and last["jacobian_norm"] < first["jacobian_norm"]
    out.append(f"**Sensitivity falls as the batch grows (the references): {'holds' if holds else 'does not hold'}.** "
               f"Mean ‖∂softmax/∂x‖_F on test images: {first['jacobian_norm']:.3g} at batch {first['batch_size']} vs "
               f"{last['jacobian_norm']:.3g} at batch {last['batch_size']} (ρ {f(rho_jac)}). The softmax Jacobian is "
               f"small both for a barely trained net (nearly constant outputs) and for a very confident one (saturated "
               f"softmax), so it also tracks how far each run fitted the data.")
    out.append(f"**Sharpness vs batch size (Keskar et al.: large batches find sharper minima): "
               f"{'holds' if rho_sharp is not None and rho_sharp > 0 else 'does not hold'}.** λmax "
               f"{first['sharpness']:.3g} at batch {first['batch_size']} vs {last['sharpness']:.3g} at batch "
               f"{last['batch_size']} (ρ {f(rho_sharp)}).")
    by = {(c["x"], c["y"]): c for c in corr}
    for a in ("jacobian_norm", "sharpness"):
        c = by[(a, "gap_loss")]
        pval = "–" if c["pearson_p"] is None else f"{c['pearson_p']:.2g}"
        out.append(f"**{LABELS[a]} vs the generalization gap:** Pearson r {f(c['pearson'])} "
                   f"(p {pval}), Spearman ρ "
                   f"{f(c['spearman'])} over {c['n']} runs"
                   + (" -- a positive association, as " + ("Novak et al." if a == "jacobian_norm" else "Keskar et al.")
                      + " argue." if (c["spearman"] or 0) > 0.5 else
                      " -- a negative association here, the opposite of " + ("Novak et al." if a == "jacobian_norm"
                      else "Keskar et al.") + "'s finding." if (c["spearman"] or 0) < -0.5 else
                      " -- no clear association here."))
    c = by[("jacobian_norm", "sharpness")]
    sp = "–" if c["spearman_p"] is None else f"{c['spearman_p']:.2g}"
    out.append(f"Sensitivity and sharpness: Pearson r {f(c['pearson'])}, Spearman ρ {f(c['spearman'])} (p {sp}). "
               f"With only {len(rows)} runs, each a single seed, the p-values (in the table above) are rough guides, "
               f"and all quantities here move together with the batch size, so these correlations cannot separate "
               f"cause from common trend.")
    return out


def metrics(rows: list[dict], corr: list[dict]) -> dict:
    keys = ("batch_size", "lr", "steps", "test_acc", "test_loss", "jacobian_norm", "sharpness",
            "train_acc", "train_loss", "gap_loss", "gap_acc", "diverged_at_epoch")
    return {"sensitivity": [{k: r[k] for k in keys} for r in rows], "correlations": corr}
