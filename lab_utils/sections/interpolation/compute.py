"""05 interpolation: train the two minima of each seed and evaluate the straight line between them.

    res = run_all(run)          # Results: one Study per setting (MNIST of report 001, CIFAR-10 of report 000,
                                # and the BatchNorm nets), each a list of per-seed Pairs

A Pair is one seed's small-batch minimum (alpha = 0), large-batch minimum (alpha = 1) and the paths
theta(alpha) = (1 - alpha) theta_small + alpha theta_large evaluated on a grid of alpha:

    plain      the line itself (BN statistics recomputed at every alpha when the net has BN)
    aligned    the line after permuting the large-batch net's hidden units to match the small-batch one
               (weight matching, Ainsworth et al. 2023: the same function, only the path changes)
    stale      BN nets only: the line with the running statistics interpolated along with the weights

Every end point is trained with `record_final=True` and judged with `train.convergence`. No plotting, no prose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.nn import functional as F

from ... import models
from ...core import cache, data, params, train
from ...core.train import Convergence
from ...probes import connectivity

OPTIMIZER = "adam"  # both recipes of both reports' pairs (report 001: Adam; report 000 does not say)
LARGE_SEED_OFFSET = 10_000  # the large-batch net of seed s starts from seed s + offset (another init and order)
ENTROPY_IMAGES = 1000  # training images on which the mean softmax entropy is measured along BN paths


@dataclass(frozen=True)
class Minimum:
    """One trained end point: its recipe, its convergence record (full-batch, eval mode) and its curves."""

    role: str  # "small" (alpha = 0) or "large" (alpha = 1)
    batch_size: int
    lr: float
    seed: int
    epochs: int
    steps: int
    convergence: Convergence  # full-batch training loss and ||grad L|| at the end, and the verdict
    test_loss: float
    test_acc: float
    weight_norm: float  # L2 norm of the trainable parameters
    curve_epoch: list[int] = field(default_factory=list)
    curve_train_loss: list[float] = field(default_factory=list)  # running mean over each epoch's minibatches
    curve_test_acc: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Path:
    """Loss and accuracy at each alpha (NaN where not evaluated or where the loss overflowed); `entropy` is the
    mean softmax entropy (nats) on the first training images, measured on BN paths only."""

    alphas: np.ndarray
    train_loss: np.ndarray
    train_acc: np.ndarray
    test_loss: np.ndarray
    test_acc: np.ndarray
    entropy: np.ndarray | None = None

    def at(self, key: str, alpha: float) -> float:
        """The value of `key` at the grid point nearest to `alpha`."""
        return float(getattr(self, key)[int(np.argmin(np.abs(self.alphas - alpha)))])


@dataclass(frozen=True)
class Pair:
    """One seed: the two minima and the paths between them ("plain", "aligned", and "stale" for BN nets)."""

    seed: int
    small: Minimum
    large: Minimum
    paths: dict[str, Path]
    distance: dict[str, float]  # L2 distance of the parameters: "plain" and "aligned"


@dataclass(frozen=True)
class Study:
    """One setting (data, net, recipes) over seeds."""

    name: str  # "mnist", "mnist_bn" or "cifar10"
    report: str  # the report whose setting it follows
    dataset: str
    model: str  # a label, e.g. "MLP 784-128-64-10"
    n_params: int
    batchnorm: bool
    n_train: int
    n_test: int
    n_eval_train: int  # training images evaluated at every alpha
    scheduler: str  # "constant" (constant learning rate) or "cosine"
    pairs: list[Pair]
    spec: dict = field(default_factory=dict)  # the net's spec (`models.build`)

    @property
    def seeds(self) -> list[int]:
        return [p.seed for p in self.pairs]


@dataclass(frozen=True)
class Results:
    studies: dict[str, Study]
    grad_tol: float
    loss_tol: float
    criterion: str

    @property
    def bn(self) -> Study | None:
        """The study with BatchNorm nets (the main MNIST one when it has BN), if any."""
        for name in ("mnist", "mnist_bn"):
            st = self.studies.get(name)
            if st is not None and st.batchnorm:
                return st
        return None


# ---- settings ---------------------------------------------------------------------------------------------


def spec_for(cfg, dataset: str, batchnorm: bool) -> dict:
    """The profile's net for `dataset` (`widths` for MNIST, `cifar_widths` for CIFAR-10): an MLP, or a CNN with a
    dense head of `head` units and optional global average pooling (report 001's ShallowCNN: conv 32 -> 64,
    global average pool, FC)."""
    return models.image_classifier_spec(
        cfg.model,
        dataset,
        cfg.widths if dataset == "mnist" else cfg.cifar_widths,
        head=cfg.head,
        global_pool=cfg.global_pool,
        batchnorm=batchnorm,
    )


def alpha_grid(n: int, lo: float, hi: float) -> np.ndarray:
    """`n` evenly spaced points on [lo, hi], plus 0 and 1 exactly (the two minima)."""
    return np.union1d(np.round(np.linspace(lo, hi, n), 12), [0.0, 1.0])


def _load(cfg, dataset: str, device) -> data.Split:
    n_train = cfg.n_train if dataset == "mnist" else cfg.cifar_n_train
    n_test = cfg.n_test if dataset == "mnist" else cfg.cifar_n_test
    return data.load(dataset, n_train=n_train, n_test=n_test, device=device, flatten=cfg.model == "mlp")


# ---- training ---------------------------------------------------------------------------------------------


def train_minimum(cfg, split: data.Split, spec: dict, role: str, seed: int, device, epochs: int) -> tuple:
    """(model, Minimum): the small- or large-batch recipe of the profile, trained (or cached) with its full-batch
    convergence record."""
    bs, lr = (cfg.batch_small, cfg.lr_small) if role == "small" else (cfg.batch_large, cfg.lr_large)
    model, hist = models.trained(
        spec,
        split,
        seed=seed,
        device=device,
        epochs=epochs,
        lr=lr,
        batch_size=bs,
        optimizer=OPTIMIZER,
        scheduler=cfg.scheduler,
        eval_train=False,
        record_final=True,
        desc=f"{role} batch {bs} (seed {seed})",
    )
    conv = train.convergence(hist, grad_tol=cfg.grad_tol, loss_tol=cfg.loss_tol)
    m = Minimum(
        role,
        bs,
        lr,
        seed,
        epochs,
        hist["steps"],
        conv,
        _num(train.final(hist, "test_loss")),
        _num(train.final(hist, "test_acc")),
        float(params.flat_params(model).norm()),
        list(hist["epoch"]),
        [_num(v) for v in hist["train_loss"]],
        [_num(v) for v in hist["test_acc"]],
    )
    return model, m


def _num(v) -> float:
    return math.nan if v is None else float(v)


def mean_entropy(logits: torch.Tensor, _targets: torch.Tensor) -> torch.Tensor:
    """Mean entropy (nats) of the softmax of `logits` (a loss-shaped callable for `evaluate_points`)."""
    logp = F.log_softmax(logits, dim=1)
    return -(logp.exp() * logp).sum(1).mean()


def _state(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def evaluate_paths(
    cfg, split: data.Split, spec: dict, m_small, m_large, alphas: np.ndarray, seed: int, device, key: dict
) -> tuple[dict[str, Path], dict[str, float]]:
    """The plain and the aligned path (and, for BN nets, the stale one) on `alphas`, cached under `key`."""
    bn = bool(spec.get("batchnorm"))
    n_eval = min(cfg.n_eval_train, len(split.x_train))
    evals = {"train": (split.x_train[:n_eval], split.y_train[:n_eval]), "test": (split.x_test, split.y_test)}
    bn_x = split.x_train[: cfg.bn_images]

    def compute() -> dict:
        sd1, sd2 = _state(m_small), _state(m_large)
        aligned = connectivity.weight_match(spec, sd1, sd2, max_iter=cfg.match_iters, seed=seed)
        shell = models.build(spec).to(device)
        variants = {"plain": (sd2, True), "aligned": (aligned, True)}
        if bn:
            variants["stale"] = (sd2, False)
        out = {}
        for name, (other, recompute) in variants.items():
            points = [connectivity.interpolate_state(sd1, other, a) for a in alphas]
            res = connectivity.evaluate_points(
                shell, F.cross_entropy, evals, points, bn_inputs=bn_x if recompute else None
            )
            path = {
                "train_loss": res["train"].loss,
                "train_acc": res["train"].acc,
                "test_loss": res["test"].loss,
                "test_acc": res["test"].acc,
            }
            if bn:  # how confident the net is along the path: the diagnosis of the BN result
                sub = (evals["train"][0][:ENTROPY_IMAGES], evals["train"][1][:ENTROPY_IMAGES])
                ent = connectivity.evaluate_points(
                    shell, mean_entropy, sub, points, bn_inputs=bn_x if recompute else None
                )
                path["entropy"] = ent.loss
            out[name] = {k: torch.as_tensor(v, dtype=torch.float64) for k, v in path.items()}
        probe = models.build(spec)
        out["distance"] = {
            "plain": connectivity.state_distance(sd1, sd2, probe),
            "aligned": connectivity.state_distance(sd1, aligned, probe),
        }
        return out

    got = cache.cached(key, compute)
    paths = {}
    for name, v in got.items():
        if name == "distance":
            continue
        arr = {k: np.asarray(t, dtype=float) for k, t in v.items()}
        paths[name] = Path(
            alphas, arr["train_loss"], arr["train_acc"], arr["test_loss"], arr["test_acc"], arr.get("entropy")
        )
    return paths, dict(got["distance"])


def run_study(
    run, name: str, report: str, dataset: str, batchnorm: bool, alphas: np.ndarray, epochs: tuple[int, int]
) -> Study:
    """Train both minima of every seed of `run.seeds` for one setting and evaluate their paths."""
    cfg = run.cfg
    split = _load(cfg, dataset, run.device)
    spec = spec_for(cfg, dataset, batchnorm)
    pairs, n_params = [], models.spec_n_params(spec)
    for s in run.seeds:
        s_large = s if cfg.same_init else s + LARGE_SEED_OFFSET
        net_s, small = train_minimum(cfg, split, spec, "small", s, run.device, epochs[0])
        net_l, large = train_minimum(cfg, split, spec, "large", s_large, run.device, epochs[1])
        key = dict(
            kind="05_paths",
            spec=spec,
            data=split.spec,
            seeds=[s, s_large],
            epochs=list(epochs),
            recipes=[[cfg.batch_small, cfg.lr_small], [cfg.batch_large, cfg.lr_large]],
            scheduler=cfg.scheduler,
            alphas=alphas.tolist(),
            n_eval=cfg.n_eval_train,
            bn_images=cfg.bn_images,
            match_iters=cfg.match_iters,
            device=run.device.type,
            entropy_images=ENTROPY_IMAGES,
        )
        n_params = sum(p.numel() for p in net_s.parameters() if p.requires_grad)  # of the trained net
        paths, dist = evaluate_paths(cfg, split, spec, net_s, net_l, alphas, s, run.device, key)
        pairs.append(Pair(s, small, large, paths, dist))
    n_eval = min(cfg.n_eval_train, len(split.x_train))
    return Study(
        name,
        report,
        dataset,
        models.spec_label(spec),
        n_params,
        batchnorm,
        len(split.x_train),
        len(split.x_test),
        n_eval,
        cfg.scheduler,
        pairs,
        spec,
    )


def run_all(run) -> Results:
    """Every study of the profile: MNIST (report 001's setting), its BatchNorm twin when `bn_study` and the main
    nets have no BN, and CIFAR-10 (report 000's, alpha on [0, 1] only) when `cifar`."""
    cfg = run.cfg
    grid = alpha_grid(cfg.n_alphas, cfg.alpha_min, cfg.alpha_max)
    studies = {
        "mnist": run_study(run, "mnist", "001", "mnist", cfg.batchnorm, grid, (cfg.epochs_small, cfg.epochs_large))
    }
    if cfg.bn_study and not cfg.batchnorm:
        studies["mnist_bn"] = run_study(
            run, "mnist_bn", "001", "mnist", True, grid, (cfg.epochs_small, cfg.epochs_large)
        )
    if cfg.cifar:
        studies["cifar10"] = run_study(
            run,
            "cifar10",
            "000",
            "cifar10",
            cfg.batchnorm,
            alpha_grid(cfg.cifar_n_alphas, 0.0, 1.0),
            (cfg.cifar_epochs_small, cfg.cifar_epochs_large),
        )
    crit = studies["mnist"].pairs[0].small.convergence.criterion
    return Results(studies, cfg.grad_tol, cfg.loss_tol, crit)
