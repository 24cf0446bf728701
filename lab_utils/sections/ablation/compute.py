"""07 ablation: train the four skip x BN variants of ResNet-20 over several seeds, then probe each trained point.

    results = compute.run_all(run)      # Results: one SeedRun per (variant, seed), training and probes cached

Training (`models.trained`, cached): SGD momentum 0.9, weight decay 1e-4, cosine from lr to 0, random crop
(pad 4) + flip, the per-step gradient norm of every layer recorded, and the full-batch training loss and gradient
norm at the end (`record_final`, model in eval mode) for the convergence record.

Probes of every trained point that did not diverge (cached per weights, data and settings), all on the first
training images of the fixed subset, unaugmented, the model in **eval mode** (BN uses its running statistics):

    filter grid     loss on a 2-D grid along two filter-normalized Gaussian directions (Li et al. 2018)
    reference grid  loss on a 2-D grid along two orthonormal unit-norm directions over all trainable parameters
                    (Gaussian entries of variance 1 / n_params, Gram-Schmidt): our reading of report 003's
                    "random orthonormal vectors ... normalized by parameter count"
    slice           loss along the first filter-normalized direction, finer
    power           lambda_max by a fixed number of power iterations (the report's method, 5 steps)
    curvature       the top-k eigenvalues by Lanczos (converged flag from its Ritz residuals) and the trace from
                    the same Krylov space plus deflated Hutchinson probes, with its standard error
    lambda_min      the smallest eigenvalue by Lanczos (its Ritz value is an upper bound on lambda_min; converged
                    flag), for kappa = lambda_max / lambda_min

A diverged run is not probed: its weights are not a trained point. Diverged means a NaN/inf minibatch loss during
training (`fit`'s `diverged_at_epoch`) or a NaN/inf full-batch loss at the final weights (then the last epoch).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ... import models, probes
from ...core import cache, data, train
from ...core.params import trainable
from ...probes.batches import first
from .profile import Ablation

VARIANTS: tuple[tuple[bool, bool], ...] = ((True, True), (True, False), (False, True), (False, False))
DATASET = "cifar10"
DATA_NAMES = {"cifar10": "CIFAR-10", "mnist": "MNIST"}
# what each kind of landscape direction is, in words (the registry's "directions" for the reference units)
DIRECTIONS = {
    "reference": "random orthonormal, normalized by parameter count",
    "filter": "random Gaussian, filter-normalized (Li et al. 2018)",
}
NAMES = {(True, True): "skip + BN", (True, False): "skip only", (False, True): "BN only", (False, False): "neither"}
MOMENTUM, WEIGHT_DECAY = 0.9, 1e-4
POWER_TOL = 1e-9  # so that power iteration runs its fixed number of steps, as in the reference
GRAD_WINDOW = 10  # the per-layer gradient "at the end" is the mean over the last GRAD_WINDOW steps


def variant_name(skip: bool, batchnorm: bool) -> str:
    return NAMES[(bool(skip), bool(batchnorm))]


def spec(skip: bool, batchnorm: bool) -> dict:
    return {"kind": "resnet20", "skip": bool(skip), "batchnorm": bool(batchnorm)}


def model_text(specs: list[dict]) -> str:
    """The architecture of a run's variants in words, from their specs: "ResNet-20" for kind resnet20 (another
    kind gives its own name), then which switches the variants vary ("skip connections and batch norm each on or
    off" when all four combinations are there)."""
    kinds = sorted({s["kind"] for s in specs})
    name = ", ".join("ResNet-20" if k == "resnet20" else k for k in kinds)
    combos = {(bool(s.get("skip", True)), bool(s.get("batchnorm", True))) for s in specs}
    if combos == set(VARIANTS):
        return f"{name}, skip connections and batch norm each on or off"
    parts = [f"{'skip' if sk else 'no skip'} + {'BN' if bn else 'no BN'}" for sk, bn in sorted(combos, reverse=True)]
    return f"{name}, variants {', '.join(parts)}"


# ---- results ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    """A 2-D loss grid around the trained weights: loss[i, j] at coords[i] along direction 1 and coords[j] along
    direction 2 (training loss, nats; accuracy a fraction). units: "filter" (filter-normalized directions) or
    "reference" (orthonormal unit-norm directions). cosine: between the two directions."""

    units: str
    coords: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray | None = None
    cosine: float | None = None

    @property
    def stats(self) -> probes.GridStats:
        return probes.grid_stats(self.loss)

    @property
    def loss_range(self) -> float | None:
        return self.stats.loss_range


@dataclass(frozen=True)
class Slice:
    """Training loss along the first filter-normalized direction of the 2-D grid (coords in its units)."""

    coords: np.ndarray
    loss: np.ndarray


@dataclass(frozen=True)
class Hessian:
    """Curvature of the training loss at a trained point, eval-mode BN (running statistics), loss units per squared
    parameter unit. lambda_power: power iteration after `power_hvps` HVPs (its own converged flag); top_k: Lanczos,
    largest first, `lanczos_converged` when every one of the k Ritz pairs met the tolerance; trace: Lanczos-space
    trace plus deflated Hutchinson probes, with its standard error."""

    lambda_power: float
    power_hvps: int
    power_converged: bool
    top_k: list[float]
    lanczos_converged: bool
    lanczos_hvps: int
    trace: float
    trace_stderr: float
    trace_hvps: int
    lambda_min: float | None = None  # Lanczos smallest Ritz value: an upper bound on lambda_min, exact if converged
    lambda_min_converged: bool = False

    @property
    def lambda_max(self) -> float | None:
        """The Lanczos lambda_1 when Lanczos converged, else None (an unconverged Ritz value is only a lower bound)."""
        return self.top_k[0] if self.lanczos_converged else None

    @property
    def condition_top_k(self) -> float | None:
        """kappa_k = lambda_1 / lambda_k over the top-k (`probes.condition_top_k`), None when not converged."""
        return probes.condition_top_k(self.top_k) if self.lanczos_converged else None


@dataclass(frozen=True)
class LayerGrads:
    """Per-layer gradient norms ||dL/dW_l|| (L2 over the layer's weight, train-mode BN as SGD sees it) of the 20
    weight layers in depth order (19 convolutions, then the classifier). init: of the mean loss over the probe
    images (in minibatches of the training batch size) at the initial weights; end: the mean over the last
    finite training steps of the minibatch gradient norms, None when the run diverged."""

    names: tuple[str, ...]
    init: np.ndarray
    end: np.ndarray | None

    def conv(self) -> np.ndarray:
        return np.array(["conv" in n for n in self.names])

    @property
    def factor_init(self) -> float | None:
        """The per-layer factor f at init: a least-squares fit of log10 ||g_l|| over the conv layers l = 1..19,
        ||g_l|| ~ f^(L - l), so f < 1 means the gradient shrinks towards the input (vanishing)."""
        return decay_factor(self.init[self.conv()])

    @property
    def factor_end(self) -> float | None:
        return None if self.end is None else decay_factor(self.end[self.conv()])


def decay_factor(norms: np.ndarray) -> float | None:
    """f from the least-squares slope s of log10 norms against depth: f = 10^(-s) (None when not all are > 0)."""
    a = np.asarray(norms, dtype=float)
    if len(a) < 2 or not np.all(np.isfinite(a)) or not np.all(a > 0):
        return None
    slope = np.polyfit(np.arange(len(a)), np.log10(a), 1)[0]
    return float(10 ** (-slope))


@dataclass(frozen=True)
class SeedRun:
    """One variant trained from one seed, with its probes (None when it diverged)."""

    variant: str
    skip: bool
    batchnorm: bool
    seed: int
    epochs: list[int]
    train_loss: list[float]  # running mean over each epoch's augmented minibatches (train-mode BN)
    test_loss: list[float]
    test_acc: list[float]
    steps: int
    diverged_at_epoch: int | None
    diverged_at_step: int | None
    convergence: train.Convergence
    grads: LayerGrads
    filter_grid: Grid | None = None
    ref_grid: Grid | None = None
    slice: Slice | None = None
    hessian: Hessian | None = None
    seconds: dict[str, float] = field(default_factory=dict)  # wall seconds: training, then each probe

    @property
    def diverged(self) -> bool:
        return self.diverged_at_epoch is not None

    @property
    def final_test_acc(self) -> float | None:
        """The last test accuracy, None for a diverged run."""
        if self.diverged or not self.test_acc or not math.isfinite(self.test_acc[-1]):
            return None
        return float(self.test_acc[-1])

    @property
    def final_test_loss(self) -> float | None:
        if self.diverged or not self.test_loss or not math.isfinite(self.test_loss[-1]):
            return None
        return float(self.test_loss[-1])

    @property
    def probed(self) -> bool:
        return self.hessian is not None


@dataclass(frozen=True)
class Results:
    """Every (variant, seed) of this run: runs[name] lists one SeedRun per seed, names in VARIANTS order."""

    cfg: Ablation
    seeds: list[int]
    runs: dict[str, list[SeedRun]]
    n_params: dict[str, int] = field(default_factory=dict)  # trainable parameters of each variant's trained model
    momentum: float = MOMENTUM
    weight_decay: float = WEIGHT_DECAY
    specs: dict[str, dict] = field(default_factory=dict)  # each variant's model spec

    @property
    def model(self) -> str:
        """The architecture in words (`model_text` of the variants' specs)."""
        return model_text(list(self.specs.values()) or [spec(*v) for v in VARIANTS])

    def variant(self, skip: bool, batchnorm: bool) -> list[SeedRun]:
        return self.runs[variant_name(skip, batchnorm)]


# ---- training ---------------------------------------------------------------------------------------------


def load_data(run) -> data.Split:
    """The profile's fixed random CIFAR-10 subset, normalized, on the run's device."""
    return data.load(DATASET, n_train=run.cfg.n_train, n_test=run.cfg.n_test, device=run.device)


def fit_kwargs(cfg: Ablation) -> dict:
    """The reference's recipe at the profile's scale, with per-layer gradient norms and the final full-batch record."""
    return dict(
        epochs=cfg.epochs,
        lr=cfg.lr,
        optimizer="sgd",
        momentum=MOMENTUM,
        weight_decay=WEIGHT_DECAY,
        scheduler="cosine",
        augment="crop_flip",
        batch_size=cfg.batch_size,
        eval_train=False,
        eval_batch_size=500,
        track_layer_grad_norms=True,
        record_final=True,
    )


def weight_names(model: nn.Module) -> tuple[str, ...]:
    """The weight layers (>= 2-D parameters) in depth order."""
    return tuple(n for n, p in model.named_parameters() if p.dim() >= 2)


def init_gradients(model_spec: dict, seed: int, batches, device: torch.device) -> np.ndarray:
    """||dL/dW_l|| per weight layer at the initial weights of `seed` (built exactly as `models.trained` builds
    them), L the mean cross-entropy over `batches` with BN in train mode (each batch normalized by its own
    statistics, as in SGD)."""
    torch.manual_seed(seed)
    model = models.build(model_spec).to(device).train()
    names = weight_names(model)
    params = [p for n, p in model.named_parameters() if n in names]
    grads = [torch.zeros_like(p) for p in params]
    total = sum(len(x) for x, _ in batches)
    for x, y in batches:
        loss = F.cross_entropy(model(x.to(device)), y.to(device)) * (len(x) / total)
        for g, gi in zip(grads, torch.autograd.grad(loss, params)):
            g += gi
    return np.array([float(g.norm()) for g in grads])


def layer_grads(model: nn.Module, hist: dict, init: np.ndarray) -> LayerGrads:
    """The per-layer gradient norms: `init` (from `init_gradients`) and the mean over the last training steps."""
    names = weight_names(model)
    steps = hist.get("layer_grad_norm") or []
    rows = np.array([[s.get(n, math.nan) for n in names] for s in steps], dtype=float).reshape(len(steps), len(names))
    end = None
    if hist.get("diverged_at_epoch") is None and len(rows):
        finite = rows[np.all(np.isfinite(rows), axis=1)]
        end = finite[-GRAD_WINDOW:].mean(axis=0) if len(finite) else None
    return LayerGrads(names, init, end)


def train_one(run, split: data.Split, skip: bool, batchnorm: bool, seed: int) -> tuple[nn.Module, SeedRun]:
    """Train (or load) one variant from one seed; the SeedRun carries no probes yet."""
    name = variant_name(skip, batchnorm)
    model, hist = models.trained(
        spec(skip, batchnorm), split, seed=seed, device=run.device, desc=f"{name}, seed {seed}", **fit_kwargs(run.cfg)
    )
    conv = train.convergence(hist, grad_tol=run.cfg.grad_tol)
    div_epoch, div_step = hist["diverged_at_epoch"], hist["diverged_at_step"]
    if div_epoch is None and not math.isfinite(conv.train_loss):
        # every minibatch loss was finite, but the weights after the last step give NaN/inf
        div_epoch, div_step = hist["epoch"][-1], hist["steps"]
    sr = SeedRun(
        name,
        skip,
        batchnorm,
        seed,
        list(hist["epoch"]),
        list(hist["train_loss"]),
        list(hist["test_loss"]),
        list(hist["test_acc"]),
        int(hist["steps"]),
        div_epoch,
        div_step,
        conv,
        layer_grads(
            model,
            {**hist, "diverged_at_epoch": div_epoch},
            init_gradients(
                spec(skip, batchnorm), seed, probe_batches(split, run.cfg.probe_images, run.cfg.batch_size), run.device
            ),
        ),
        seconds={"train": float(hist.get("elapsed_s", math.nan))},
    )
    return model, sr


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


def reference_directions(model: nn.Module, seed: int) -> list[torch.Tensor]:
    """Two orthonormal flat directions over all trainable parameters: Gaussian entries of variance 1 / n (n the
    parameter count), then Gram-Schmidt, so each has unit Euclidean norm (drawn on the CPU from `seed`)."""
    _, params = trainable(model)
    n = sum(p.numel() for p in params)
    gen = torch.Generator().manual_seed(10_007 + seed)
    d1, d2 = (torch.randn(n, generator=gen, dtype=torch.float64) / math.sqrt(n) for _ in range(2))
    d1 = d1 / d1.norm()
    d2 = d2 - (d2 @ d1) * d1
    d2 = d2 / d2.norm()
    p0 = params[0]
    return [d1.to(p0.device, p0.dtype), d2.to(p0.device, p0.dtype)]


def _grid_payload(s: probes.LossSurface, units: str) -> dict:
    return {
        "units": units,
        "coords": torch.as_tensor(np.asarray(s.coords, dtype=float)),
        "loss": torch.as_tensor(np.asarray(s.loss, dtype=float)),
        "accuracy": None if s.accuracy is None else torch.as_tensor(np.asarray(s.accuracy, dtype=float)),
        "cosine": s.cosine,
    }


def _probe(model: nn.Module, grid_b, hess_b, cfg: Ablation, seed: int) -> dict:
    """Every probe of one trained point, as a cacheable payload (tensors, numbers)."""
    loss_fn = F.cross_entropy
    common = dict(chunk_size=cfg.chunk, fold_bn=True)
    clock = [time.time()]
    seconds: dict[str, float] = {}

    def lap(name: str) -> None:
        seconds[name] = time.time() - clock[0]
        clock[0] = time.time()

    with warnings.catch_warnings():  # a power iteration stopped by its step budget is recorded, not warned
        warnings.simplefilter("ignore", RuntimeWarning)
        surf = probes.loss_surface(
            model,
            loss_fn,
            grid_b,
            steps=cfg.grid_steps,
            span=cfg.span,
            dims=2,
            normalization="filter",
            seed=seed,
            **common,
        )
        lap("filter_grid")
        line = probes.loss_surface(
            model, loss_fn, grid_b, steps=cfg.slice_steps, span=cfg.span, directions=[surf.directions[0]], **common
        )
        lap("slice")
        ref = probes.loss_surface(
            model,
            loss_fn,
            grid_b,
            steps=cfg.ref_grid_steps,
            span=cfg.span,
            directions=reference_directions(model, seed),
            **common,
        )
        lap("ref_grid")
        power = probes.hessian_eigenvalues(
            model,
            loss_fn,
            hess_b,
            k=1,
            which="largest",
            method="power",
            tol=POWER_TOL,
            max_iter=cfg.power_iters,
            seed=seed,
            chunk_size=cfg.chunk,
        )
        lap("power")
        curv = probes.hessian_curvature(
            model,
            loss_fn,
            hess_b,
            k=cfg.top_k,
            which="largest",
            tol=cfg.eig_tol,
            max_iter=cfg.lanczos_steps,
            n_runs=0,
            trace_samples=cfg.trace_samples,
            seed=seed,
            chunk_size=cfg.chunk,
        )
        lap("lanczos_trace")
        low = probes.hessian_eigenvalues(
            model,
            loss_fn,
            hess_b,
            k=1,
            which="smallest",
            method="lanczos",
            tol=cfg.eig_tol,
            max_iter=cfg.lanczos_steps,
            seed=seed + 1,
            chunk_size=cfg.chunk,
        )
        lap("lambda_min")
    return {
        "seconds": seconds,
        "filter_grid": _grid_payload(surf, "filter"),
        "ref_grid": _grid_payload(ref, "reference"),
        "slice": {
            "coords": torch.as_tensor(np.asarray(line.coords, dtype=float)),
            "loss": torch.as_tensor(np.asarray(line.loss, dtype=float)),
        },
        "hessian": {
            "lambda_power": float(power.values[0]),
            "power_hvps": int(power.n_matvec),
            "power_converged": bool(power.converged),
            "top_k": sorted((float(e) for e in curv.eigen.values), reverse=True),
            "lanczos_converged": bool(curv.eigen.converged),
            "lanczos_hvps": int(curv.hvp_eigen),
            "trace": float(curv.trace.estimate),
            "trace_stderr": float(curv.trace.stderr),
            "trace_hvps": int(curv.trace.n_hvp),
            "lambda_min": float(low.values[0]),
            "lambda_min_converged": bool(low.converged),
        },
    }


def _grid(p: dict) -> Grid:
    acc = p["accuracy"]
    return Grid(p["units"], p["coords"].numpy(), p["loss"].numpy(), None if acc is None else acc.numpy(), p["cosine"])


PROBE_FIELDS = (
    "grid_steps",
    "ref_grid_steps",
    "slice_steps",
    "span",
    "power_iters",
    "lanczos_steps",
    "eig_tol",
    "top_k",
    "trace_samples",
    "probe_images",
    "hessian_images",
    "chunk",
)


def probe_one(run, split: data.Split, model: nn.Module, sr: SeedRun) -> SeedRun:
    """`sr` with its probes (unchanged when the run diverged). Cached per (weights, data, settings, seed)."""
    if sr.diverged:
        return sr
    cfg = run.cfg
    grid_b = probe_batches(split, cfg.probe_images, cfg.chunk)
    hess_b = probe_batches(split, min(cfg.hessian_images, cfg.probe_images), cfg.chunk)
    config = dict(
        kind="07_ablation_probes",
        weights=weights_digest(model),
        data=split.spec,
        device=run.device.type,
        seed=sr.seed,
        **{f: getattr(cfg, f) for f in PROBE_FIELDS},
    )
    p = cache.cached(config, lambda: _probe(model, grid_b, hess_b, cfg, sr.seed))
    return dataclasses.replace(
        sr,
        filter_grid=_grid(p["filter_grid"]),
        ref_grid=_grid(p["ref_grid"]),
        slice=Slice(p["slice"]["coords"].numpy(), p["slice"]["loss"].numpy()),
        hessian=Hessian(**p["hessian"]),
        seconds={**sr.seconds, **p.get("seconds", {})},
    )


def run_all(run, split: data.Split | None = None) -> Results:
    """Train and probe every variant from every seed of `run.seeds` (each seed: its own init and data order, and its
    own random probe directions and vectors)."""
    split = split if split is not None else load_data(run)
    runs: dict[str, list[SeedRun]] = {variant_name(*v): [] for v in VARIANTS}
    n_params: dict[str, int] = {}
    for seed in run.seeds:
        for skip, bn in VARIANTS:
            model, sr = train_one(run, split, skip, bn, seed)
            n_params[sr.variant] = sum(p.numel() for p in model.parameters() if p.requires_grad)
            runs[sr.variant].append(probe_one(run, split, model, sr))
    specs = {variant_name(*v): spec(*v) for v in VARIANTS}
    return Results(run.cfg, list(run.seeds), runs, n_params, specs=specs)
