"""01 function fitting: train each reference report's own nets, over several seeds, and keep what the figures and
the verdicts need (curves, final losses, convergence records, predictions) in small dataclasses.

    studies = fit_studies(run)      # {"000": Study, "001": Study, "002": Study}: the 1-D fits of each report
    pairs = fit_mnist(run)          # {"001": Pair, "002": Pair}: each report's shallow vs deep MNIST CNNs
    target_check(...)               # the target function against report 000's description of it
    model_words(spec)               # a net in words, as the registry's settings name the reports' nets
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch.nn import functional as F

from ... import models
from ...core import data, train
from ...core.train import Convergence

# ---- the nets of each report ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StudySpec:
    """One report's 1-D study: its nets (label -> model spec) on sin(5πx)/(5πx) over `domain`."""

    report: str
    domain: tuple[float, float]
    nets: dict[str, dict]


def _mlp(depth: int, width: int) -> dict:
    return dict(kind="mlp", depth=depth, width=width, in_dim=1, out_dim=1)


def _mlp_sizes(*hidden: int) -> dict:
    return dict(kind="mlp", hidden=list(hidden), in_dim=1, out_dim=1)


STUDIES = (
    StudySpec("000", (0.0, 1.0), {"1×128": _mlp(1, 128), "2×18": _mlp(2, 18)}),
    StudySpec(
        "001",
        (0.01, 1.0),
        {
            "1-5-10-10-10-5-1": _mlp_sizes(5, 10, 10, 10, 5),
            "1-10-18-15-10-4-1": _mlp_sizes(10, 18, 15, 10, 4),
            "1-190-1": _mlp_sizes(190),
        },
    ),
    StudySpec("002", (-2.0, 2.0), {"2×50": _mlp(2, 50), "5×28": _mlp(5, 28), "8×22": _mlp(8, 22)}),
)


def mnist_pairs() -> dict[str, dict[str, dict]]:
    """Each report's shallow and deep MNIST CNN ({report: {"shallow": spec, "deep": spec}}).

    001: as described, conv3x3(96)-pool-conv3x3(128)-pool-GAP-FC and six conv3x3 (40, 16, 64, 56, 64, 56) with a
    pool after every two and GAP-FC, both 112,970 parameters. 002 gives only conv counts and totals; ours are
    reconstructions with exactly its totals: conv5x5(32)-pool-conv5x5(64)-pool-FC(128)-FC (454,922) and six
    conv3x3 (16, 16, 32, 32, 64, 64), a pool after every two, FC(128)-FC (146,938)."""
    return {
        "001": {
            "shallow": models.cnn_spec("mnist", [96, 128], 0, global_pool=True),
            "deep": models.cnn_spec("mnist", [40, 16, 64, 56, 64, 56], 0, pool_every=2, global_pool=True),
        },
        "002": {
            "shallow": models.cnn_spec("mnist", [32, 64], 128, kernel=5),
            "deep": models.cnn_spec("mnist", [16, 16, 32, 32, 64, 64], 128, pool_every=2),
        },
    }


def model_words(spec: dict, conv_count_only: bool = False) -> str:
    """A net in words at the detail the reports give: "MLP, 2 hidden layers of 18 units", "MLP, hidden layers of
    5-10-10-10-5 units", "CNN, 3x3 convolutions 96-128, 2x2 max-pool after each, global average pooling, FC 10",
    or only "CNN, 6 convolutional layers" (`conv_count_only`: report 002 gives no more)."""
    if spec["kind"] == "mlp":
        hidden = [spec["width"]] * spec["depth"] if "depth" in spec else list(spec["hidden"])
        if len(set(hidden)) == 1:
            return f"MLP, {len(hidden)} hidden layer{'s' if len(hidden) > 1 else ''} of {hidden[0]} units"
        return f"MLP, hidden layers of {'-'.join(map(str, hidden))} units"
    if spec["kind"] != "cnn":
        raise ValueError(f"no words for a {spec['kind']!r} net")
    ch = spec["channels"]
    if conv_count_only:
        return f"CNN, {len(ch)} convolutional layers"
    k, every = spec["kernel"], spec["pool_every"]
    head = f"FC {spec['hidden']}-{spec['n_classes']}" if spec["hidden"] else f"FC {spec['n_classes']}"
    return (
        f"CNN, {k}x{k} convolutions {'-'.join(map(str, ch))}, 2x2 max-pool after "
        + ("each" if every == 1 else f"every {every}")
        + (", global average pooling" if spec.get("global_pool") else "")
        + (", batch norm" if spec.get("batchnorm") else "")
        + f", {head}"
    )


def n_trainable(model: torch.nn.Module) -> int:
    """The trainable parameters of a built (trained) net."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# ---- results -------------------------------------------------------------------------------------------------


@dataclass
class Fit:
    """One net trained with one seed: its loss curves, final full-batch losses and convergence record."""

    seed: int
    epochs: list[int]
    train_loss: list[float]
    test_loss: list[float]
    train_mse: float
    test_mse: float
    convergence: Convergence
    diverged_at_epoch: int | None


@dataclass
class Study:
    """A report's nets on its domain: parameter counts, every seed's Fit, and the first seed's predictions on
    the training grid x (for the picture of what each net learned)."""

    report: str
    domain: tuple[float, float]
    epochs: int
    n_params: dict[str, int]
    fits: dict[str, list[Fit]]
    x: np.ndarray
    y: np.ndarray
    predictions: dict[str, np.ndarray]
    recipe: dict = field(default_factory=dict)  # how the nets were trained, in the registry's setting keys
    models: dict[str, str] = field(default_factory=dict)  # net label -> the net in words (`model_words`)


@dataclass
class CnnRun:
    """One MNIST CNN trained with one seed: per-epoch curves (train metrics are running means over the epoch's
    minibatches, test metrics on the test subset in eval mode) and the final values."""

    seed: int
    epochs: list[int]
    train_loss: list[float]
    train_acc: list[float]
    test_loss: list[float]
    test_acc: list[float]
    diverged_at_epoch: int | None


@dataclass
class Pair:
    """A report's shallow and deep MNIST CNN: parameter counts and every seed's run of each."""

    report: str
    epochs: int
    n_params: dict[str, int]
    runs: dict[str, list[CnnRun]]
    recipe: dict = field(default_factory=dict)  # how the nets were trained, in the registry's setting keys
    models: dict[str, str] = field(default_factory=dict)  # "shallow"/"deep" -> the net in words


@dataclass
class TargetCheck:
    """sin(5πx)/(5πx) on a fine grid of [0, 1] against report 000's step description (-1 below 0.5, +1 above)."""

    x: np.ndarray
    f: np.ndarray
    step: np.ndarray
    max_abs_diff: float
    value_at_0: float


# ---- computation ---------------------------------------------------------------------------------------------


def _fit(spec: dict, split: data.Split, seed: int, run, epochs: int, desc: str) -> tuple[torch.nn.Module, Fit]:
    cfg = run.cfg
    model, hist = models.trained(
        spec,
        split,
        seed=seed,
        device=run.device,
        epochs=epochs,
        lr=cfg.sinc_lr,
        batch_size=cfg.sinc_batch,
        loss_fn=F.mse_loss,
        eval_every=max(1, epochs // 50),
        record_final=True,
        desc=desc,
    )
    conv = train.convergence(hist, grad_tol=cfg.grad_tol)
    test_mse = train.final(hist, "test_loss")
    return model, Fit(
        seed,
        list(hist["epoch"]),
        list(hist["train_loss"]),
        list(hist["test_loss"]),
        conv.train_loss,
        float("nan") if test_mse is None else test_mse,
        conv,
        hist["diverged_at_epoch"],
    )


def fit_studies(run) -> dict[str, Study]:
    """Every report's 1-D nets, each over `run.seeds`: Adam on the MSE (lr `sinc_lr`, batch `sinc_batch`) for the
    study's epochs, `n_points` evenly spaced training points on the study's domain, 500 random test points."""
    cfg = run.cfg
    out = {}
    for study, epochs in zip(STUDIES, cfg.sinc_epochs):
        split = data.function("sinc", n_train=cfg.n_points, n_test=500, domain=study.domain, device=run.device)
        fits, preds, n_params = {}, {}, {}
        for name, spec in study.nets.items():
            fits[name] = []
            for seed in run.seeds:
                model, fit = _fit(spec, split, seed, run, epochs, f"{study.report} {name} seed {seed}")
                fits[name].append(fit)
                n_params[name] = n_trainable(model)
                if seed == run.seeds[0]:
                    with torch.no_grad():
                        preds[name] = model(split.x_train).cpu().numpy().ravel()
        recipe = dict(
            n_train=cfg.n_points,
            n_test=500,
            optimizer="adam",
            lr=cfg.sinc_lr,
            batch_size="full" if cfg.sinc_batch >= cfg.n_points else cfg.sinc_batch,
            scheduler="constant",
            epochs=epochs,
            seeds=len(run.seeds),
            measure="final training loss (MSE)",
        )
        out[study.report] = Study(
            study.report,
            study.domain,
            epochs,
            n_params,
            fits,
            split.x_train.cpu().numpy().ravel(),
            split.y_train.cpu().numpy().ravel(),
            preds,
            recipe,
            {n: model_words(s) for n, s in study.nets.items()},
        )
    return out


def fit_mnist(run) -> dict[str, Pair]:
    """Each report's shallow and deep MNIST CNN over `run.seeds`, Adam (lr `mnist_lr`, batch 128) for the pair's
    epochs, on a fixed random subset of `n_train_mnist` training and `n_test_mnist` test images."""
    cfg = run.cfg
    split = data.load("mnist", n_train=cfg.n_train_mnist, n_test=cfg.n_test_mnist, device=run.device)
    out = {}
    for (report, specs), epochs in zip(mnist_pairs().items(), cfg.mnist_epochs):
        runs, n_params = {}, {}
        for name, spec in specs.items():
            runs[name] = []
            for seed in run.seeds:
                model, h = models.trained(
                    spec,
                    split,
                    seed=seed,
                    device=run.device,
                    epochs=epochs,
                    lr=cfg.mnist_lr,
                    batch_size=128,
                    eval_train=False,
                    desc=f"{report} {name} CNN seed {seed}",
                )
                runs[name].append(
                    CnnRun(
                        seed,
                        list(h["epoch"]),
                        list(h["train_loss"]),
                        list(h["train_acc"]),
                        list(h["test_loss"]),
                        list(h["test_acc"]),
                        h["diverged_at_epoch"],
                    )
                )
                n_params[name] = n_trainable(model)
        recipe = dict(
            data="MNIST",
            n_train=len(split.y_train),
            n_test=len(split.y_test),
            optimizer="adam",
            lr=cfg.mnist_lr,
            batch_size=128,
            scheduler="constant",
            epochs=epochs,
            seeds=len(run.seeds),
        )
        words = {n: model_words(s, conv_count_only=report == "002") for n, s in specs.items()}
        out[report] = Pair(report, epochs, n_params, runs, recipe, words)
    return out


def target_check(n: int = 10_001) -> TargetCheck:
    """sin(5πx)/(5πx) against the step report 000 describes, on `n` evenly spaced points of [0, 1]."""
    x = np.linspace(0.0, 1.0, n)
    f, _ = data.TARGETS["sinc"]
    fx = f(x)
    step = np.where(x < 0.5, -1.0, 1.0)
    return TargetCheck(x, fx, step, float(np.max(np.abs(fx - step))), float(fx[0]))
