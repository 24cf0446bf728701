"""03 random labels: networks memorise labels that carry no information (Zhang et al. 2017).

Three experiments on a fixed MNIST subset:
  * one CNN trained on the true labels and on the same labels permuted once across the training images;
  * a label-noise sweep (a fraction of training labels replaced by uniformly random classes): epochs to fit
    and final test accuracy against the noise level;
  * one-hidden-layer FC nets of growing size on random vs true labels: how much capacity memorising needs.
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch

from ... import models
from ...core import data, train
from ...core.data import Split
from ...report import plotting

CHANCE = data.CHANCE_ACCURACY


# ---- helpers ------------------------------------------------------------------------------------------------

def permute_labels(split: Split, seed: int = 0) -> Split:
    """A copy of `split` whose training labels are permuted once across the training images (a random
    one-to-one shuffle: the label histogram is kept, the image-label link is destroyed). Test labels stay true.
    The spec records the permutation seed, so cache keys differ from the true-label data."""
    gen = torch.Generator().manual_seed(int(seed))
    perm = torch.randperm(len(split.y_train), generator=gen).to(split.y_train.device)
    spec = {**split.spec, "label_permutation_seed": int(seed)}
    return Split(split.x_train, split.y_train[perm].clone(), split.x_test, split.y_test, spec)


def epochs_to_fit(hist: dict, threshold: float) -> int | None:
    """The first evaluated epoch whose training accuracy is >= `threshold`, or None if it never gets there."""
    for epoch, acc in zip(hist["epoch"], hist["train_acc"]):
        if acc is not None and not (isinstance(acc, float) and math.isnan(acc)) and acc >= threshold:
            return int(epoch)
    return None


def changed_fraction(y_clean: torch.Tensor, y_noisy: torch.Tensor) -> float:
    """Fraction of labels that differ (with label_noise=p about 0.9·p: a random class is the true one 1 time in 10)."""
    return float((y_clean != y_noisy).float().mean())


def best_test(hist: dict) -> dict:
    """{"best_test_acc", "best_epoch"}: the highest test accuracy of a history and the first epoch it occurred
    (what early stopping on the test set could have kept); NaN epochs are skipped."""
    accs = [(a, e) for a, e in zip(hist["test_acc"], hist["epoch"]) if a is not None and math.isfinite(a)]
    if not accs:
        return {"best_test_acc": None, "best_epoch": None}
    best = max(a for a, _ in accs)
    return {"best_test_acc": best, "best_epoch": int(next(e for a, e in accs if a == best))}


def cnn_spec(cfg) -> dict:
    return dict(kind="cnn", channels=list(cfg.cnn_channels), hidden=cfg.cnn_hidden, in_channels=1, image_size=28,
                n_classes=10)


def mlp_spec(depth: int, width: int) -> dict:
    return dict(kind="mlp", depth=depth, width=width, in_dim=784, out_dim=10)


def _summary(hist: dict) -> dict:
    """The final train/test loss and accuracy of a history."""
    return {f"final_{k}": train.final(hist, k) for k in ("train_loss", "test_loss", "train_acc", "test_acc")}


# ---- 1 · true vs permuted labels on one CNN ----------------------------------------------------------------

def random_vs_true(run) -> dict:
    """Train the profile's CNN on the true and on the permuted labels of the same images (same init and batch
    order). Returns {"histories": {"true labels": h, "permuted labels": h}, "rows": [...], "n_params"}."""
    cfg = run.cfg
    clean = data.load("mnist", n_train=cfg.n_train, n_test=cfg.n_test, device=run.device)
    spec = cnn_spec(cfg)
    out = {"histories": {}, "rows": [], "n_params": models.spec_n_params(spec)}
    for name, split in (("true labels", clean), ("permuted labels", permute_labels(clean, seed=run.seed))):
        _, hist = models.trained(spec, split, seed=run.seed, device=run.device, epochs=cfg.epochs, lr=cfg.lr,
                              batch_size=cfg.batch_size, desc=f"CNN, {name}")
        out["histories"][name] = hist
        out["rows"].append(dict(labels=name, n_params=out["n_params"], **_summary(hist),
                                epochs_to_fit=epochs_to_fit(hist, cfg.fit_threshold),
                                diverged_at_epoch=hist["diverged_at_epoch"]))
    return out


def plot_random_vs_true(res: dict, threshold: float) -> plt.Figure:
    """Loss (train solid, test dashed; log y) and accuracy per epoch for true and permuted labels."""
    fig, (ax_l, ax_a) = plt.subplots(1, 2, figsize=(11.5, 4))
    hs = res["histories"]
    pal = plotting.colors(len(hs))
    plotting.plot_curves(ax_l, hs, "train_loss", logy=True, label_suffix=", train", palette=pal)
    plotting.plot_curves(ax_l, hs, "test_loss", logy=True, linestyle="--", label_suffix=", test", palette=pal)
    ax_l.axhline(math.log(10), color="grey", lw=0.8, ls=":", label="ln 10 (chance)")
    ax_l.set_ylabel("cross-entropy loss")
    ax_l.set_title("loss: train (solid) and test (dashed)")
    ax_l.legend()
    plotting.plot_curves(ax_a, hs, "train_acc", label_suffix=", train", palette=pal)
    plotting.plot_curves(ax_a, hs, "test_acc", linestyle="--", label_suffix=", test", palette=pal)
    ax_a.axhline(CHANCE, color="grey", lw=0.8, ls=":", label="chance")
    ax_a.axhline(threshold, color="black", lw=0.8, ls="-.", label=f"fit threshold {threshold:g}")
    ax_a.set_ylim(0, 1.02)
    ax_a.set_ylabel("accuracy")
    ax_a.set_title("accuracy: train (solid) and test (dashed)")
    ax_a.legend(loc="center right", fontsize="x-small")
    fig.suptitle(f"CNN ({res['n_params']:,} parameters) on true vs permuted MNIST labels")
    fig.tight_layout()
    return fig


# ---- 2 · label-noise sweep ---------------------------------------------------------------------------------

def noise_sweep(run) -> dict:
    """One run per noise level of the profile's sweep model; returns {"histories": {label: h}, "rows": [...]}
    with rows {noise, changed_fraction, final_train_acc, final_test_acc, final_train_loss, final_test_loss,
    epochs_to_fit}, sorted by noise."""
    cfg = run.cfg
    flat = cfg.sweep_model == "mlp"
    spec = mlp_spec(cfg.mlp_depth, cfg.mlp_width) if flat else cnn_spec(cfg)
    clean = data.load("mnist", n_train=cfg.n_train, n_test=cfg.n_test, device=run.device, flatten=flat)
    out = {"histories": {}, "rows": [], "spec": spec, "n_params": models.spec_n_params(spec)}
    for noise in sorted(float(p) for p in cfg.noise_levels):
        split = data.load("mnist", n_train=cfg.n_train, n_test=cfg.n_test, device=run.device, flatten=flat,
                          label_noise=noise, noise_seed=run.seed)
        _, hist = models.trained(spec, split, seed=run.seed, device=run.device, epochs=cfg.epochs_sweep, lr=cfg.lr,
                              batch_size=cfg.batch_sweep, desc=f"noise {noise:g}")
        out["histories"][f"noise {noise:g}"] = hist
        out["rows"].append(dict(noise=noise, changed_fraction=changed_fraction(clean.y_train, split.y_train),
                                **_summary(hist), epochs_to_fit=epochs_to_fit(hist, cfg.fit_threshold),
                                **best_test(hist), diverged_at_epoch=hist["diverged_at_epoch"]))
    return out


def plot_noise_sweep(res: dict, threshold: float) -> plt.Figure:
    """Train accuracy and test accuracy per epoch for every noise level, and the Zhang et al. summary:
    epochs to fit and final test accuracy against the noise level."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    hs = res["histories"]
    pal = sns_ramp(len(hs))
    plotting.plot_curves(axes[0], hs, "train_acc", palette=pal)
    axes[0].axhline(threshold, color="black", lw=0.8, ls="-.", label=f"fit threshold {threshold:g}")
    axes[0].set_title("training accuracy (on the noisy labels)")
    axes[0].set_ylim(0, 1.02)
    axes[0].legend()
    plotting.plot_curves(axes[1], hs, "test_acc", palette=pal)
    axes[1].axhline(CHANCE, color="grey", lw=0.8, ls=":", label="chance")
    axes[1].set_title("test accuracy (true labels; colours as on the left)")
    axes[1].set_ylim(0, 1.02)
    rows = res["rows"]
    noise = [r["noise"] for r in rows]
    n_epochs = max(max(h["epoch"]) for h in hs.values())
    fit = [r["epochs_to_fit"] if r["epochs_to_fit"] is not None else np.nan for r in rows]
    ax = axes[2]
    ax.plot(noise, fit, "o-", color="C0", label=f"epochs to reach train acc {threshold:g}")
    never = [n for n, r in zip(noise, rows) if r["epochs_to_fit"] is None]
    if never:
        ax.plot(never, [n_epochs] * len(never), "x", color="red", ms=10, mew=2.5,
                label=f"not fitted in {n_epochs} epochs")
    ax.set_xlabel("label noise (fraction of labels randomised)")
    ax.set_ylabel("epochs to fit", color="C0")
    ax.set_ylim(0, n_epochs * 1.08)
    ax2 = ax.twinx()
    ax2.plot(noise, [r["final_test_acc"] for r in rows], "s--", color="C1", label="final test accuracy")
    ax2.axhline(CHANCE, color="grey", lw=0.8, ls=":")
    ax2.set_ylim(0, 1.02)
    ax2.set_ylabel("final test accuracy", color="C1")
    ax2.grid(False)
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="center left")
    ax.set_title("time to fit and generalisation vs label noise")
    fig.suptitle(f"label-noise sweep: {res['spec']['kind'].upper()} with {res['n_params']:,} parameters")
    fig.tight_layout()
    return fig


def sns_ramp(n: int) -> list:
    """`n` colours from a sequential palette (low noise light, high noise dark)."""
    import seaborn as sns

    return sns.color_palette("viridis_r", n)


# ---- 3 · FC nets of growing size ---------------------------------------------------------------------------

def fc_sizes(run) -> dict:
    """One-hidden-layer MLPs of the profile's widths, each trained on the permuted and on the true labels.
    Rows: {width, n_params, random_train_acc, random_train_loss, true_train_acc, true_test_acc}."""
    cfg = run.cfg
    clean = data.load("mnist", n_train=cfg.n_train, n_test=cfg.n_test, device=run.device, flatten=True)
    perm = permute_labels(clean, seed=run.seed)
    out = {"rows": [], "histories": {}}
    for w in sorted(cfg.fc_widths):
        spec = mlp_spec(1, w)
        fit_kw = dict(seed=run.seed, device=run.device, epochs=cfg.epochs_fc, lr=cfg.lr, batch_size=cfg.batch_sweep)
        _, h_rand = models.trained(spec, perm, desc=f"FC width {w}, permuted", **fit_kw)
        _, h_true = models.trained(spec, clean, desc=f"FC width {w}, true", **fit_kw)
        n = models.spec_n_params(spec)
        out["histories"][f"{n:,} params"] = h_rand
        out["rows"].append(dict(width=w, n_params=n, random_train_acc=train.final(h_rand, "train_acc"),
                                random_train_loss=train.final(h_rand, "train_loss"),
                                random_epochs_to_fit=epochs_to_fit(h_rand, cfg.fit_threshold),
                                true_train_acc=train.final(h_true, "train_acc"),
                                true_test_acc=train.final(h_true, "test_acc")))
    return out


def plot_fc_sizes(res: dict, threshold: float, n_train: int) -> plt.Figure:
    """Training loss on permuted labels per epoch for every size, and final train accuracy vs #params."""
    fig, (ax_c, ax_s) = plt.subplots(1, 2, figsize=(11.5, 4))
    hs = res["histories"]
    plotting.plot_curves(ax_c, hs, "train_loss", logy=True, palette=sns_ramp(len(hs)))
    ax_c.axhline(math.log(10), color="grey", lw=0.8, ls=":", label="ln 10")
    ax_c.set_title("training loss on permuted labels")
    ax_c.legend()
    rows = res["rows"]
    p = [r["n_params"] for r in rows]
    ax_s.plot(p, [r["random_train_acc"] for r in rows], "o-", label="train acc, permuted labels")
    ax_s.plot(p, [r["true_train_acc"] for r in rows], "s-", label="train acc, true labels")
    ax_s.plot(p, [r["true_test_acc"] for r in rows], "^--", label="test acc, true labels")
    ax_s.axhline(threshold, color="black", lw=0.8, ls="-.", label=f"fit threshold {threshold:g}")
    ax_s.axhline(CHANCE, color="grey", lw=0.8, ls=":", label="chance")
    ax_s.axvline(n_train, color="grey", lw=0.8, ls="--", label="#params = #training images")
    ax_s.set_xscale("log")
    ax_s.set_ylim(0, 1.02)
    ax_s.set_xlabel("parameters")
    ax_s.set_ylabel("final accuracy")
    ax_s.set_title("how much capacity memorising needs")
    ax_s.legend(fontsize="x-small")
    fig.tight_layout()
    return fig


# ---- verdicts ----------------------------------------------------------------------------------------------

def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.1f}%"


def _monotone(values: list[float], increasing: bool, tol: float = 0.0) -> bool:
    pairs = zip(values, values[1:])
    return all((b >= a - tol) if increasing else (b <= a + tol) for a, b in pairs)


def verdicts(main: dict, sweep: dict, fc: dict | None, cfg) -> list[str]:
    """One paragraph per reference finding, saying with our numbers whether it holds."""
    thr = cfg.fit_threshold
    lines = []
    h_true, h_rand = main["histories"]["true labels"], main["histories"]["permuted labels"]
    r_true, r_rand = main["rows"]
    if h_rand["diverged_at_epoch"] is not None:
        lines.append(f"**Permuted labels**: the run diverged at epoch {h_rand['diverged_at_epoch']}; no verdict.")
    else:
        te = h_rand["test_loss"]
        i_min = int(np.argmin(te))
        fitted = r_rand["epochs_to_fit"] is not None
        falls = r_rand["final_train_loss"] < 0.5 * h_rand["train_loss"][0]
        rises = te[-1] > te[i_min] * 1.05
        slower = fitted and (r_true["epochs_to_fit"] or 0) < r_rand["epochs_to_fit"]
        holds = falls and rises
        lines.append(
            f"**Permuted labels (CNN, {main['n_params']:,} parameters, {len(h_rand['epoch'])} epochs)**: training loss "
            f"{h_rand['train_loss'][0]:.3g} after epoch 1 → {r_rand['final_train_loss']:.3g} at the end "
            f"(train accuracy {_pct(r_rand['final_train_acc'])}; "
            + (f"≥ {thr:g} first at epoch {r_rand['epochs_to_fit']}" if fitted else f"never ≥ {thr:g}")
            + f", against epoch {r_true['epochs_to_fit']} with the true labels). Test loss: lowest {te[i_min]:.3g} "
            f"at epoch {h_rand['epoch'][i_min]}, {te[-1]:.3g} at the end; test accuracy {_pct(r_rand['final_test_acc'])} "
            f"(chance 10%). The reference finding (training loss falls toward zero, slowly, while test loss grows) "
            f"**{'holds' if holds else 'does not hold'}** here"
            + (f"; fitting random labels took {'longer' if slower else 'no longer'} than fitting the true ones." if fitted
               else "; within this budget the random labels were not fitted to the threshold."))
    rows = sweep["rows"]
    fit = [r["epochs_to_fit"] for r in rows]
    n_ep = max(max(h["epoch"]) for h in sweep["histories"].values())
    fit_num = [f if f is not None else math.inf for f in fit]
    accs = [r["final_test_acc"] for r in rows]
    slower = _monotone(fit_num, increasing=True) and fit_num[-1] > fit_num[0]
    worse = _monotone(accs, increasing=False, tol=0.01) and accs[-1] < accs[0]
    table = "; ".join(f"noise {r['noise']:g}: fit at epoch {r['epochs_to_fit'] if r['epochs_to_fit'] is not None else 'never'}, "
                      f"test {_pct(r['final_test_acc'])}" for r in rows)
    lines.append(
        f"**Label-noise sweep ({sweep['spec']['kind'].upper()}, {sweep['n_params']:,} parameters, {n_ep} epochs, "
        f"'fitted' = train accuracy ≥ {thr:g})**: {table}. Zhang et al. found that the time to fit grows with the "
        f"noise level while every level is still fitted, and that test accuracy falls toward chance. Here the time "
        f"to fit **{'grows monotonically' if slower else 'does not grow monotonically'}** with noise"
        f"{'' if None not in fit else ' (some levels were not fitted within the budget)'}, and the final test "
        f"accuracy **{'falls' if worse else 'does not fall monotonically'}** from {_pct(accs[0])} to {_pct(accs[-1])}.")
    mid = [r for r in rows if 0 < r["noise"] < 1 and r["best_test_acc"] is not None]
    if mid:
        drops = [r["best_test_acc"] - r["final_test_acc"] for r in mid]
        learned_first = all(d > 0.02 for d in drops)
        lines.append(
            "**Clean labels first.** With partial noise the best test accuracy during training was "
            + ", ".join(f"{_pct(r['best_test_acc'])} at epoch {r['best_epoch']} (noise {r['noise']:g}, final "
                        f"{_pct(r['final_test_acc'])})" for r in mid)
            + ". " + ("At every partial noise level the test accuracy peaked early and fell by more than 2 pp as the "
                      "noisy labels were memorised: the network learns the true rule first and memorises the noise "
                      "afterwards, so early stopping would have kept a higher test accuracy."
                      if learned_first else
                      "The test accuracy did not peak early and fall by more than 2 pp at every partial noise level "
                      "here, so an early-learning phase is not clearly visible at this scale."))
    if fc and fc["rows"]:
        fr = fc["rows"]
        smallest = next((r for r in fr if r["random_epochs_to_fit"] is not None), None)
        in_ref = [r for r in fr if 1_000 <= r["n_params"] <= 42_000]
        smallest_true = next((r for r in fr if r["true_train_acc"] is not None and r["true_train_acc"] >= thr), None)
        lines.append(
            f"**FC nets of growing size ({fr[0]['n_params']:,}–{fr[-1]['n_params']:,} parameters, "
            f"{cfg.epochs_fc} epochs, {cfg.n_train:,} images)**: final train accuracy on permuted labels "
            + ", ".join(f"{_pct(r['random_train_acc'])} ({r['n_params']:,})" for r in fr) + ". "
            + (f"The smallest net that reaches {thr:g} on random labels has {smallest['n_params']:,} parameters "
               f"({smallest['n_params'] / cfg.n_train:.0f} per training image)" if smallest
               else f"None of them reaches {thr:g} on random labels in this budget")
            + (f"; on the true labels {smallest_true['n_params']:,} parameters suffice." if smallest_true
               else "; none reaches it on the true labels either.")
            + f" In the reference's range (1,675–41,435 parameters, 50 epochs) our nets reach "
            + (", ".join(_pct(r["random_train_acc"]) for r in in_ref) if in_ref else "–")
            + f" on random labels of {cfg.n_train:,} images: memorising arbitrary labels needs far more capacity "
              "than learning the true ones, and small nets are far from zero training loss.")
    return lines


def headline(main: dict, sweep: dict) -> dict:
    r_rand = main["rows"][1]
    rows = sweep["rows"]
    return {
        "random labels: final train acc": r_rand["final_train_acc"],
        "random labels: final test loss": r_rand["final_test_loss"],
        f"epochs to fit, noise {rows[0]['noise']:g}": rows[0]["epochs_to_fit"] if rows[0]["epochs_to_fit"] is not None else "never",
        f"epochs to fit, noise {rows[-1]['noise']:g}": rows[-1]["epochs_to_fit"] if rows[-1]["epochs_to_fit"] is not None else "never",
        f"test acc at noise {rows[-1]['noise']:g}": rows[-1]["final_test_acc"],
    }
