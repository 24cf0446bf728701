"""03 random labels: the training runs, returned as small results objects (no plotting, no prose).

One experiment per reference report's setting (lab_utils/references/random_labels.py), each run once per seed of
`run.seeds`; the seed sets the initialisation, the minibatch order and the label shuffle:

    memorization(run)  report 000: CNN with one hidden FC layer, true vs permuted training labels
    high_lr(run)       report 001: conv blocks + global average pooling -> FC, permuted training labels, Adam 1e-2
    fc_sizes(run)      report 002: one-hidden-layer FC nets on random training and test labels

Accuracies are fractions in [0, 1], losses mean cross-entropy in nats; train metrics are full passes over the
training set in eval mode after the epoch; every end point also has its full-batch loss and gradient norm
(`record_final`) judged by `core.train.convergence`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import torch

from ... import models
from ...core import data, train
from ...core.data import Split
from ...core.train import Convergence

METRICS = ("train_loss", "train_acc", "test_loss", "test_acc")

# the labels of each experiment, in the registry's words (a setting's `labels` key)
PERMUTED = "permuted training labels"
TRUE_AND_PERMUTED = "true and permuted training labels"
PERMUTED_TRUE_TEST = "permuted training labels, true test labels"
RANDOM_BOTH = "random training and test labels"
OPTIMIZER, SCHEDULER = "adam", "constant"  # every run of the section: Adam at a constant learning rate


def model_text(spec: dict, detail: str) -> str:
    """Our net in words at the detail a report states (the `model` of a setting), from its spec: detail "head"
    (a CNN and its dense head, report 000), "blocks" (the number of conv blocks, the pooling and the head, report
    001) or "kind" (only the kind of net, report 002)."""
    if spec["kind"] == "mlp":
        return "fully connected nets" if detail == "kind" else f"fully connected net, {spec.get('depth', 1)} hidden"
    if spec["kind"] != "cnn":
        raise ValueError(f"model_text describes mlp and cnn specs, not {spec['kind']!r}")
    if detail == "kind":
        return "CNN"
    if detail == "head":
        return (
            "CNN with one hidden fully connected layer"
            if spec["hidden"]
            else "CNN without a hidden fully connected layer"
        )
    pool = ", global average pooling" if spec.get("global_pool") else ", flattened feature map"
    head = f", FC {spec['hidden']}, FC" if spec["hidden"] else ", FC"
    return f"CNN, {len(spec['channels'])} conv blocks{pool}{head}"


# ---- labels ---------------------------------------------------------------------------------------------------


def permute_labels(split: Split, seed: int) -> Split:
    """A copy of `split` whose training labels are permuted once across the training images (the label histogram
    is kept, the image-label link is destroyed); test labels stay true. The spec records the seed (cache keys)."""
    gen = torch.Generator().manual_seed(int(seed))
    perm = torch.randperm(len(split.y_train), generator=gen).to(split.y_train.device)
    spec = {**split.spec, "label_permutation_seed": int(seed)}
    return Split(split.x_train, split.y_train[perm].clone(), split.x_test, split.y_test, spec)


def randomize_labels(split: Split, seed: int, n_classes: int = 10) -> Split:
    """A copy of `split` whose training *and* test labels are drawn uniformly from `n_classes` classes,
    independently of the images (report 002's setting: nothing can be learned, and nothing tested)."""
    gen = torch.Generator().manual_seed(int(seed))
    y_tr = torch.randint(0, n_classes, (len(split.y_train),), generator=gen).to(split.y_train.device)
    y_te = torch.randint(0, n_classes, (len(split.y_test),), generator=gen).to(split.y_test.device)
    spec = {**split.spec, "random_labels_seed": int(seed), "random_test_labels": True}
    return Split(split.x_train, y_tr, split.x_test, y_te, spec)


def epochs_to_fit(epochs: Sequence[int], accs: Sequence[float], threshold: float) -> int | None:
    """The first evaluated epoch whose accuracy is >= `threshold` (NaN never is), or None if none gets there."""
    for e, a in zip(epochs, accs):
        if a is not None and math.isfinite(a) and a >= threshold:
            return int(e)
    return None


# ---- one setting over seeds -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedRuns:
    """One setting trained once per seed. Curves are [seed][evaluated epoch] at the epochs in `epoch` (NaN after a
    divergence); `convergence` is the end point's full-batch record per seed."""

    name: str
    n_params: int
    seeds: list[int]
    epoch: list[int]
    train_loss: list[list[float]]
    train_acc: list[list[float]]
    test_loss: list[list[float]]
    test_acc: list[list[float]]
    convergence: list[Convergence]
    diverged_at_epoch: list[int | None]

    def at(self, key: str, epoch: int | None = None) -> list[float]:
        """Per-seed value of `key` at evaluated epoch `epoch` (the last one when None)."""
        i = len(self.epoch) - 1 if epoch is None else self.epoch.index(epoch)
        return [row[i] for row in getattr(self, key)]

    def near(self, fraction: float) -> int:
        """The evaluated epoch nearest `fraction` of the budget (e.g. 0.8: epoch 40 of 50)."""
        target = fraction * self.epoch[-1]
        return min(self.epoch, key=lambda e: (abs(e - target), e))


def _padded(values: Sequence[float | None], n: int) -> list[float]:
    out = [math.nan if v is None else float(v) for v in values]
    return out + [math.nan] * (n - len(out))


def seed_runs(
    name: str,
    spec: dict,
    splits: Sequence[Split],
    seeds: Sequence[int],
    device: Any,
    *,
    grad_tol: float,
    loss_tol: float,
    **fit_kwargs: Any,
) -> SeedRuns:
    """Train `spec` on `splits[i]` with seed `seeds[i]` (cached; `record_final=True`) and collect the curves."""
    hists = []
    for split, s in zip(splits, seeds):
        _, h = models.trained(
            spec,
            split,
            seed=s,
            device=device,
            record_final=True,
            desc=f"{name}, seed {s}",
            optimizer=OPTIMIZER,
            scheduler=SCHEDULER,
            **fit_kwargs,
        )
        hists.append(h)
    epoch = max((h["epoch"] for h in hists), key=len)
    n = len(epoch)
    curves = {k: [_padded(h[k], n) for h in hists] for k in METRICS}
    return SeedRuns(
        name,
        models.spec_n_params(spec),
        list(seeds),
        list(epoch),
        **curves,
        convergence=[train.convergence(h, grad_tol=grad_tol, loss_tol=loss_tol) for h in hists],
        diverged_at_epoch=[h["diverged_at_epoch"] for h in hists],
    )


# ---- report 000: true vs permuted labels ------------------------------------------------------------------------


@dataclass(frozen=True)
class Memorization:
    """Report 000's experiment: the same CNN (same seeds) on the true and on the permuted training labels."""

    true: SeedRuns
    permuted: SeedRuns
    n_train: int


def cnn_spec(cfg) -> dict:
    """Report 000's kind of net: conv stages -> one hidden FC layer -> 10."""
    return models.cnn_spec("mnist", cfg.cnn_channels, cfg.cnn_hidden)


def memorization(run) -> Memorization:
    cfg = run.cfg
    clean = data.load("mnist", n_train=cfg.n_train, n_test=cfg.n_test, device=run.device)
    kw = dict(epochs=cfg.epochs, lr=cfg.lr, batch_size=cfg.batch_size, grad_tol=cfg.grad_tol, loss_tol=cfg.loss_tol)
    spec = cnn_spec(cfg)
    true = seed_runs("true labels", spec, [clean] * len(run.seeds), run.seeds, run.device, **kw)
    perm = seed_runs(
        "permuted labels", spec, [permute_labels(clean, s) for s in run.seeds], run.seeds, run.device, **kw
    )
    return Memorization(true, perm, len(clean.y_train))


# ---- report 001: permuted labels at Adam lr 1e-2 ----------------------------------------------------------------


@dataclass(frozen=True)
class HighLR:
    """Report 001's experiment: permuted training labels, true test labels, its optimiser recipe."""

    permuted: SeedRuns
    n_train: int


def spec_001(cfg) -> dict:
    """Report 001's kind of net: conv blocks (each conv -> ReLU -> max-pool) -> global average pooling -> FC(10)."""
    return models.cnn_spec("mnist", cfg.channels_001, 0, global_pool=True)


def high_lr(run) -> HighLR:
    cfg = run.cfg
    clean = data.load("mnist", n_train=cfg.n_train_001, n_test=cfg.n_test, device=run.device)
    perm = seed_runs(
        "permuted labels",
        spec_001(cfg),
        [permute_labels(clean, s) for s in run.seeds],
        run.seeds,
        run.device,
        epochs=cfg.epochs_001,
        lr=cfg.lr_001,
        batch_size=cfg.batch_001,
        grad_tol=cfg.grad_tol,
        loss_tol=cfg.loss_tol,
    )
    return HighLR(perm, len(clean.y_train))


# ---- report 002: FC nets on random training and test labels -----------------------------------------------------


@dataclass(frozen=True)
class FCSizes:
    """Report 002's experiment: one run per seed of each width; `in_range` are the widths inside the report's
    parameter range, `beyond` the larger nets that test its expectation."""

    in_range: list[SeedRuns]
    beyond: list[SeedRuns]
    n_train: int


def fc_spec(width: int) -> dict:
    return dict(kind="mlp", depth=1, width=int(width), in_dim=784, out_dim=10)


def fc_sizes(run) -> FCSizes:
    cfg = run.cfg
    clean = data.load("mnist", n_train=cfg.n_train_fc, n_test=cfg.n_test, device=run.device, flatten=True)
    splits = [randomize_labels(clean, s) for s in run.seeds]
    kw = dict(
        epochs=cfg.epochs_fc,
        lr=cfg.lr_fc,
        batch_size=cfg.batch_fc,
        eval_every=max(1, cfg.epochs_fc // 10),
        grad_tol=cfg.grad_tol,
        loss_tol=cfg.loss_tol,
    )

    def sweep(widths):
        return [seed_runs(f"width {w}", fc_spec(w), splits, run.seeds, run.device, **kw) for w in sorted(widths)]

    return FCSizes(sweep(cfg.fc_widths), sweep(cfg.fc_widths_beyond), len(clean.y_train))


# ---- everything -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Results:
    """The section's results: the profile it ran with, and one object per experiment."""

    cfg: Any
    memorization: Memorization
    high_lr: HighLR
    fc: FCSizes

    @property
    def seeds(self) -> list[int]:
        return self.memorization.permuted.seeds
