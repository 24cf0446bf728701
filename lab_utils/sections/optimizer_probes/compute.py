"""08 optimizer probes: training and probing, returning small results dataclasses (no figures, no prose).

Per seed s of `run.seeds`, the CIFAR-10 CNN is trained three times, once per optimizer, each from its own
initialisation and minibatch order (torch seed `model_seed(s, optimizer)`), so no two end points share either; a
fourth run, the **control**, trains SGD+momentum from SGD's initialisation and order (seed s) to show what a shared
start does to the paths between minima. Every end point records its full-batch training loss and gradient norm
(`fit(record_final=True)`, eval mode) and is judged by `core.train.convergence`.

At each of the three end points of a seed: the top-3 and the smallest Hessian eigenvalues, the trace and the SLQ
density (`probes.hessian_curvature`, `hessian_eigenvalues`), the gradient-noise covariance (true labels) and the
Fisher matrix (labels drawn from the model; for softmax cross-entropy the Gauss-Newton part of the Hessian), and
the loss along the top eigenvector and a random direction of the same norm. Between the end points of a seed: the straight line (also beyond its ends), a
nudged elastic band and a trained quadratic Bezier curve, for report 004's three ordered pairs, and the line and
the band for the control pair. Per seed: training inside random subspaces (intrinsic dimension).

Every probe result is cached (`core.cache.cached`) under its training configuration and probe settings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ... import models
from ...core import cache, data, params
from ...core.train import convergence, evaluate
from ...probes import hessian_curvature, hessian_eigenvalues, loss_surface, noise, subspace
from ...probes import paths as relax
from ...probes.connectivity import barrier, evaluate_points, peak_rise

OPTIMIZERS = ("SGD", "SGD+momentum", "AdamW")
# report 004's AutoNEB pairs, in its order and direction (start -> end)
PAIRS = (("SGD", "SGD+momentum"), ("SGD+momentum", "AdamW"), ("AdamW", "SGD"))
CONTROL_PAIR = ("SGD", "SGD+momentum")  # the control: both trained from SGD's initialisation and order
SEED_STRIDE = 1000  # optimizer i of seed s starts from torch seed s + SEED_STRIDE * i
LANCZOS_K = 3  # the top Hessian eigenvalues by Lanczos (report 004: "--k 3")
KEY = {"SGD": "sgd", "SGD+momentum": "sgd_momentum", "AdamW": "adamw"}  # the setting keys' suffixes


def model_seed(seed: int, optimizer: str, control: bool = False) -> int:
    """The torch seed of an end point's initialisation and minibatch order (the control uses SGD's)."""
    return seed if control else seed + SEED_STRIDE * OPTIMIZERS.index(optimizer)


def cnn_spec(cfg) -> dict:
    return models.cnn_spec("cifar10", cfg.channels, cfg.hidden, batchnorm=cfg.batchnorm)


def model_text(cfg) -> str:
    """The CNN in words, at the detail report 004 gives its own ("3 conv layers, 64 base filters")."""
    return f"CNN, {len(cfg.channels)} conv layers, {cfg.channels[0]} base filters"


def optimizer_settings(cfg) -> dict[str, dict]:
    """The three optimizers, as `train.fit` keyword arguments."""
    common = dict(
        epochs=cfg.epochs,
        batch_size=cfg.batch_size,
        eval_every=cfg.eval_every,
        eval_first=True,
        scheduler=cfg.scheduler,
    )
    return {
        "SGD": dict(optimizer="sgd", lr=cfg.lr_sgd, weight_decay=cfg.wd_sgd, **common),
        "SGD+momentum": dict(optimizer="sgd", lr=cfg.lr_sgdm, momentum=0.9, weight_decay=cfg.wd_sgd, **common),
        "AdamW": dict(optimizer="adamw", lr=cfg.lr_adamw, weight_decay=cfg.wd_adamw, **common),
    }


def load_data(run) -> data.Split:
    return data.load("cifar10", n_train=run.cfg.n_train, n_test=run.cfg.n_test, device=run.device)


# ---- the end points ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """One trained end point. Curves per epoch: train_loss (running mean of the epoch's minibatch losses, BN in
    train mode), test_loss, test_acc (fraction). train_loss_final / grad_norm: full-batch training loss and
    ||grad L|| at the end (eval mode); converged: by `criterion`."""

    optimizer: str
    seed: int
    model_seed: int
    control: bool
    epoch: list[int]
    train_loss: list[float]
    test_loss: list[float]
    test_acc: list[float]
    train_loss_final: float
    grad_norm: float
    converged: bool
    criterion: str
    steps: int

    @property
    def final_acc(self) -> float | None:
        return self.test_acc[-1] if self.test_acc and math.isfinite(self.test_acc[-1]) else None

    @property
    def first_epoch_acc(self) -> float | None:
        """Test accuracy after epoch 1 (None when that epoch was not evaluated or is not finite)."""
        if not self.epoch or self.epoch[0] != 1 or not math.isfinite(self.test_acc[0]):
            return None
        return self.test_acc[0]


@dataclass
class Minima:
    """The end points of every seed (the control runs have control=True) and their trained models, keyed by
    (optimizer, seed, control); `configs` holds each one's cache key (for the probes' keys)."""

    endpoints: list[Endpoint]
    models: dict[tuple[str, int, bool], nn.Module] = field(default_factory=dict, repr=False)
    configs: dict[tuple[str, int, bool], dict] = field(default_factory=dict, repr=False)

    def get(self, optimizer: str, seed: int, control: bool = False) -> Endpoint:
        return next(e for e in self.endpoints if (e.optimizer, e.seed, e.control) == (optimizer, seed, control))


def train_minima(run, split: data.Split) -> Minima:
    """Per seed: the three optimizers from independent starts, and the control (SGD+momentum from SGD's start).
    Cached by `models.trained`."""
    cfg = run.cfg
    spec = cnn_spec(cfg)
    settings = optimizer_settings(cfg)
    out = Minima([])
    runs = [(opt, s, False) for s in run.seeds for opt in OPTIMIZERS]
    runs += [(CONTROL_PAIR[1], s, True) for s in run.seeds] if cfg.control else []
    for opt, s, control in runs:
        ms = model_seed(s, opt, control)
        fit = dict(eval_train=False, record_final=True, **settings[opt])
        model, hist = models.trained(
            spec, split, seed=ms, device=run.device, desc=f"{opt} seed {s}{' (control)' if control else ''}", **fit
        )
        conv = convergence(hist, grad_tol=cfg.grad_tol, loss_tol=cfg.loss_tol)
        out.endpoints.append(
            Endpoint(
                opt,
                s,
                ms,
                control,
                list(hist["epoch"]),
                list(hist["train_loss"]),
                list(hist["test_loss"]),
                list(hist["test_acc"]),
                conv.train_loss,
                conv.grad_norm,
                conv.converged,
                conv.criterion,
                int(hist["steps"]),
            )
        )
        out.models[(opt, s, control)] = model
        out.configs[(opt, s, control)] = dict(spec=spec, data=split.spec, seed=ms, device=run.device.type, fit=fit)
    return out


# ---- curvature, gradient noise, the sharpest direction --------------------------------------------------------


@dataclass(frozen=True)
class Curvature:
    """Probes at one end point, on the first n_probe training images, BN in eval mode (running statistics).

    lambda_top: the 3 largest Hessian eigenvalues; lambda_min: the smallest (algebraic); lambda_err: the bound
    tol * ||H|| on the error of each (Lanczos residual bound); converged: both Lanczos runs met it. trace,
    trace_se: tr H and its standard error. slq_grid, slq_density: SLQ spectral density. lambda_c: top eigenvalue
    of the per-sample gradient covariance C (true labels); trace_c: tr C; lambda_fisher: top eigenvalue of the
    Fisher matrix (labels drawn from the model; = the Gauss-Newton part of H) on the first n_fisher probe images.
    probe_loss, probe_acc, probe_grad_norm: mean loss, accuracy and ||mean gradient|| on the probe images.
    line_coords: steps a along a unit direction; line_top / line_random: the loss at theta + a v for v the top
    eigenvector and a Gaussian direction of the same (unit) norm."""

    optimizer: str
    seed: int
    lambda_top: list[float]
    lambda_min: float
    lambda_err: float
    converged: bool
    n_hvp: int
    trace: float
    trace_se: float
    slq_grid: list[float]
    slq_density: list[float]
    lambda_c: float
    trace_c: float
    lambda_fisher: float
    probe_loss: float
    probe_acc: float
    probe_grad_norm: float
    line_coords: list[float]
    line_top: list[float]
    line_random: list[float]

    @property
    def lambda_max(self) -> float:
        return self.lambda_top[0]

    @property
    def min_resolved(self) -> bool:
        """|lambda_min| exceeds its error bound, so its sign is known."""
        return abs(self.lambda_min) > self.lambda_err

    @property
    def sign_resolved(self) -> bool:
        """The sign of lambda_min is known: it lies below -lambda_err (the smallest Ritz value bounds the smallest
        eigenvalue from above, so this holds converged or not), or the run converged and it lies above lambda_err."""
        return self.lambda_min < -self.lambda_err or (self.converged and self.lambda_min > self.lambda_err)

    @property
    def condition_extremes(self) -> float | None:
        """kappa = lambda_max / |lambda_min| (`probes.condition_extremes`); None when lambda_min is not resolved
        from zero."""
        from ...probes import condition_extremes

        return condition_extremes(self.lambda_max, self.lambda_min) if self.min_resolved else None

    @property
    def noise_ratio(self) -> float:
        """lambda_C / lambda_H (per-sample covariance, true labels)."""
        return noise.noise_ratio(self.lambda_c, self.lambda_max)

    @property
    def fisher_ratio(self) -> float:
        """lambda_F / lambda_H: the Fisher's (Gauss-Newton's) top eigenvalue over the Hessian's."""
        return noise.noise_ratio(self.lambda_fisher, self.lambda_max)


def _probe_one(model: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg, seed: int) -> dict:
    curv = hessian_curvature(
        model,
        F.cross_entropy,
        (x, y),
        k=LANCZOS_K,
        which="largest",
        tol=cfg.lanczos_tol,
        max_iter=cfg.lanczos_iter,
        n_iter=cfg.slq_iter,
        n_runs=cfg.slq_runs,
        trace_samples=cfg.trace_samples,
        seed=seed,
        return_vectors=True,
    )
    low = hessian_eigenvalues(
        model,
        F.cross_entropy,
        (x, y),
        k=1,
        which="smallest",
        tol=cfg.lanczos_tol,
        max_iter=cfg.lanczos_iter,
        seed=seed + 1,
    )
    true_noise = noise.gradient_noise(model, F.cross_entropy, (x, y))
    lam_fisher = noise.fisher_top_eigenvalue(model, F.cross_entropy, (x[: cfg.n_fisher], y[: cfg.n_fisher]))
    lam_max, lam_min = float(curv.eigen.values[0]), float(low.values[0])
    v = curv.eigen.vectors[0]
    r = torch.randn(v.numel(), generator=torch.Generator().manual_seed(seed + 3), dtype=v.dtype).to(v.device)
    r = r * (v.norm() / r.norm())
    lines = [
        loss_surface(
            model,
            F.cross_entropy,
            (x, y),
            steps=cfg.line_steps,
            span=cfg.line_span,
            dims=1,
            directions=[d],
            normalization=None,
            progress=False,
        )
        for d in (v, r)
    ]
    loss, acc = evaluate(model, x, y)
    return dict(
        lambda_top=[float(e) for e in curv.eigen.values],
        lambda_min=lam_min,
        lambda_err=cfg.lanczos_tol * max(abs(lam_max), abs(lam_min)),
        converged=bool(curv.eigen.converged and low.converged),
        n_hvp=int(curv.n_hvp + low.n_matvec),
        trace=float(curv.trace.estimate),
        trace_se=float(curv.trace.stderr),
        slq_grid=[float(g) for g in curv.spectrum.grid],
        slq_density=[float(d) for d in curv.spectrum.density],
        lambda_c=true_noise.lambda_c,
        trace_c=true_noise.trace_c,
        lambda_fisher=lam_fisher,
        probe_loss=loss,
        probe_acc=acc,
        probe_grad_norm=true_noise.grad_norm,
        line_coords=[float(c) for c in lines[0].coords],
        line_top=[float(v) for v in lines[0].loss],
        line_random=[float(v) for v in lines[1].loss],
    )


PROBE_SETTINGS = (
    "n_probe",
    "n_fisher",
    "lanczos_iter",
    "lanczos_tol",
    "slq_iter",
    "slq_runs",
    "trace_samples",
    "line_steps",
    "line_span",
)


def probe_minima(run, split: data.Split, minima: Minima) -> list[Curvature]:
    """`Curvature` at every end point of every seed (not the controls), on the first `n_probe` training
    images. Cached."""
    cfg = run.cfg
    x, y = split.x_train[: cfg.n_probe], split.y_train[: cfg.n_probe]
    out = []
    for e in minima.endpoints:
        if e.control:
            continue
        model = minima.models[(e.optimizer, e.seed, False)]
        key = dict(
            kind="08_probe",
            train=minima.configs[(e.optimizer, e.seed, False)],
            settings={k: getattr(cfg, k) for k in PROBE_SETTINGS},
            probe_seed=e.model_seed,
        )
        res = cache.cached(key, lambda m=model, s=e.model_seed: _probe_one(m, x, y, cfg, s))
        out.append(Curvature(e.optimizer, e.seed, **res))
    return out


# ---- paths between minima ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Path:
    """The training loss (first n_path_eval training images, BN re-estimated at every point) along three paths
    from end point `start` to `end` of one seed: the straight line at alpha in linear_alpha (beyond [0, 1] too),
    the NEB chain at normalised arc length neb_s, and the Bezier curve at t in bezier_t (None for the control).
    distance: ||theta_end - theta_start|| (L2, trainable parameters)."""

    start: str
    end: str
    seed: int
    control: bool
    distance: float
    linear_alpha: list[float]
    linear_loss: list[float]
    neb_s: list[float]
    neb_loss: list[float]
    neb_diverged_at: int | None
    bezier_t: list[float] | None = None
    bezier_loss: list[float] | None = None

    @property
    def linear_barrier(self) -> float:
        return barrier(self.linear_loss, self.linear_alpha)

    @property
    def neb_barrier(self) -> float:
        return barrier(self.neb_loss, self.neb_s)

    @property
    def bezier_barrier(self) -> float | None:
        return None if self.bezier_loss is None else barrier(self.bezier_loss, self.bezier_t)

    @property
    def best_barrier(self) -> float:
        """The lowest barrier over the relaxed paths found (NEB, Bezier): an upper bound of the lowest barrier of
        any path between the two end points."""
        return min(b for b in (self.neb_barrier, self.bezier_barrier) if b is not None)

    @property
    def neb_max_loss(self) -> float:
        return float(np.max(self.neb_loss)) if np.all(np.isfinite(self.neb_loss)) else math.inf

    @property
    def neb_peak_rise(self) -> float:
        return peak_rise(self.neb_loss)

    @property
    def alpha_min(self) -> float | None:
        """The alpha of the lowest loss on the line (None when no loss is finite)."""
        loss = np.asarray(self.linear_loss, dtype=float)
        if not np.isfinite(loss).any():
            return None
        return float(self.linear_alpha[int(np.nanargmin(np.where(np.isfinite(loss), loss, np.nan)))])


PATH_SETTINGS = (
    "alpha_lo",
    "alpha_hi",
    "path_points",
    "n_path_eval",
    "bn_images",
    "neb_nodes",
    "neb_iters",
    "neb_lr",
    "neb_spring",
    "neb_momentum",
    "neb_per_segment",
    "bezier_steps",
    "bezier_lr",
    "bezier_points",
    "path_batch",
)


def line_alphas(cfg) -> np.ndarray:
    """The alphas of the straight line: `path_points` from alpha_lo to alpha_hi, with 0 and 1 exactly."""
    a = np.linspace(cfg.alpha_lo, cfg.alpha_hi, cfg.path_points)
    a[np.argmin(np.abs(a))] = 0.0
    a[np.argmin(np.abs(a - 1))] = 1.0
    return a


def _connect(
    model: nn.Module, w0: torch.Tensor, w1: torch.Tensor, split: data.Split, cfg, seed: int, with_bezier: bool
) -> dict:
    train = (split.x_train[: cfg.n_path_eval], split.y_train[: cfg.n_path_eval])
    x_bn = split.x_train[: cfg.bn_images]

    def losses(points):
        return [float(v) for v in evaluate_points(model, F.cross_entropy, train, points, bn_inputs=x_bn).loss]

    alphas = line_alphas(cfg)
    out = dict(
        distance=float((w1 - w0).norm()),
        linear_alpha=[float(a) for a in alphas],
        linear_loss=losses([w0 + float(a) * (w1 - w0) for a in alphas]),
    )
    data_train = (split.x_train, split.y_train)
    net = relax.NetLoss(model, F.cross_entropy, data_train, batch_size=cfg.path_batch, seed=seed)
    band = relax.neb(
        net.loss_and_grad,
        w0,
        w1,
        n_nodes=cfg.neb_nodes,
        iters=cfg.neb_iters,
        lr=cfg.neb_lr,
        spring=cfg.neb_spring,
        momentum=cfg.neb_momentum,
    )
    pts, s = relax.chain_points(band["nodes"], cfg.neb_per_segment)
    out.update(neb_s=[float(v) for v in s], neb_loss=losses(pts), neb_diverged_at=band["diverged_at"])
    if with_bezier:
        net_b = relax.NetLoss(model, F.cross_entropy, data_train, batch_size=cfg.path_batch, seed=seed + 1)
        bz = relax.train_bezier(net_b, w0, w1, steps=cfg.bezier_steps, lr=cfg.bezier_lr, momentum=0.9, seed=seed)
        ts = np.linspace(0.0, 1.0, cfg.bezier_points)
        out.update(
            bezier_t=[float(t) for t in ts],
            bezier_loss=losses([relax.bezier(w0, bz["theta"], w1, float(t)) for t in ts]),
        )
    return out


def connect_minima(run, split: data.Split, minima: Minima) -> list[Path]:
    """Per seed: the line, NEB and Bezier paths of report 004's three ordered pairs, then the line and NEB of the
    control pair (both runs from one start). Cached per pair."""
    cfg = run.cfg
    jobs = [(a, b, s, False) for s in run.seeds for a, b in PAIRS]
    jobs += [(*CONTROL_PAIR, s, True) for s in run.seeds] if cfg.control else []
    out = []
    for a, b, s, control in jobs:
        ka, kb = (a, s, False), (b, s, control)
        ma, mb = minima.models[ka], minima.models[kb]
        key = dict(
            kind="08_path",
            a=minima.configs[ka],
            b=minima.configs[kb],
            settings={k: getattr(cfg, k) for k in PATH_SETTINGS},
            bezier=not control,
        )
        res = cache.cached(
            key,
            lambda ma=ma, mb=mb, s=s, c=control: _connect(
                ma, params.flat_params(ma), params.flat_params(mb), split, cfg, s, with_bezier=not c
            ),
        )
        out.append(Path(a, b, s, control, **res))
    return out


# ---- intrinsic dimension ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subspace:
    """Training inside random d-dimensional subspaces for one seed (Li et al. 2018): test accuracy per d,
    projection kind per d, and d_int90 against 90 % of `baseline_acc` (the best full-parameter end point of the
    seed): `d_int90` the first d on the grid reaching it (None: no d up to max(dims) does), `d_int90_interp` its
    log-linear interpolation."""

    seed: int
    dims: list[int]
    acc: list[float]
    kinds: list[str]
    baseline_acc: float
    threshold: float
    d_int90: int | None
    d_int90_interp: float | None
    n_params: int
    epochs: int
    n_train: int

    @property
    def d_max(self) -> int:
        return max(self.dims)


def intrinsic_dimension(run, split: data.Split, minima: Minima) -> list[Subspace]:
    """Per seed: the CNN from SGD's initialisation of that seed trained in random subspaces of each dimension in
    `sub_dims` (Adam on z, lr `subspace.scaled_lr(sub_lr, d)`, `sub_epochs` epochs on the first `sub_n_train`
    training images; dense projection while p*d <= max_dense_entries, Fastfood beyond). Each d is cached."""
    cfg = run.cfg
    spec = cnn_spec(cfg)
    sub = (
        split
        if cfg.sub_n_train >= split.spec["n_train"]
        else data.load("cifar10", n_train=cfg.sub_n_train, n_test=cfg.n_test, device=run.device)
    )
    out = []
    for s in run.seeds:
        ms = model_seed(s, "SGD")
        rows = []
        for d in sorted(cfg.sub_dims):
            lr = subspace.scaled_lr(cfg.sub_lr, d)
            key = dict(
                kind="08_subspace",
                spec=spec,
                data=sub.spec,
                d=d,
                seed=ms,
                epochs=cfg.sub_epochs,
                lr=lr,
                batch=cfg.batch_size,
                max_dense=cfg.max_dense_entries,
                device=run.device.type,
            )
            rows.append(
                cache.cached(
                    key,
                    lambda d=d, lr=lr, ms=ms: subspace.train_subspace(
                        spec,
                        sub,
                        d,
                        seed=ms,
                        epochs=cfg.sub_epochs,
                        lr=lr,
                        batch_size=cfg.batch_size,
                        max_dense_entries=cfg.max_dense_entries,
                    ),
                )
            )
        baseline = max(minima.get(o, s).final_acc or 0.0 for o in OPTIMIZERS)
        dims, accs = [int(r["d"]) for r in rows], [float(r["test_acc"]) for r in rows]
        d90 = subspace.d_int90(dims, accs, baseline)
        out.append(
            Subspace(
                s,
                dims,
                accs,
                [r["kind"] for r in rows],
                baseline,
                d90["threshold"],
                d90["grid"],
                d90["interp"],
                models.spec_n_params(spec),
                cfg.sub_epochs,
                sub.spec["n_train"],
            )
        )
    return out


# ---- everything ----------------------------------------------------------------------------------------------


@dataclass
class Results:
    """What the figures and the text read: the settings they quote and every measurement, per seed."""

    seeds: list[int]
    settings: dict
    endpoints: list[Endpoint]
    curvature: list[Curvature]
    paths: list[Path]
    subspace: list[Subspace]
    setting: dict = field(default_factory=dict)  # ours, in the claim registry's keys (`recipe`)


SETTING_KEYS = (
    "channels",
    "hidden",
    "n_train",
    "n_test",
    "epochs",
    "batch_size",
    "scheduler",
    "lr_sgd",
    "lr_sgdm",
    "lr_adamw",
    "wd_sgd",
    "wd_adamw",
    "grad_tol",
    "loss_tol",
    "n_probe",
    "n_fisher",
    "lanczos_tol",
    "neb_nodes",
    "neb_iters",
    "bezier_steps",
    "n_path_eval",
    "bn_images",
    "sub_epochs",
    "sub_n_train",
)


def settings(run) -> dict:
    """The settings the prose quotes, with the CNN's parameter count."""
    cfg = run.cfg
    out = {k: getattr(cfg, k) for k in SETTING_KEYS}
    out["n_params"] = models.spec_n_params(cnn_spec(cfg))
    return out


def recipe(cfg, n_params: int, n_train: int, n_seeds: int, steps: int | None = None) -> dict:
    """Our setting in the claim registry's keys (`references.setting`; report 004's in
    `references.optimizer_probes`): the model in words (`model_text`) and its trainable parameter count
    `n_params` (of the model actually trained), the `n_train` images trained on, each optimizer as configured
    (`optimizer_settings`; keys suffixed _sgd, _sgd_momentum, _adamw), the number of seeds, and the probes'
    settings report 004 states (Lanczos k, points on the line, NEB nodes, the subspace dimension its claim reads)."""
    opts = optimizer_settings(cfg)
    out = dict(
        model=model_text(cfg),
        n_params=int(n_params),
        data="CIFAR-10",
        n_train=int(n_train),
        n_test=int(cfg.n_test),
        optimizer=tuple(opts[o]["optimizer"] for o in OPTIMIZERS),
    )
    for o in OPTIMIZERS:
        out[f"lr_{KEY[o]}"] = opts[o]["lr"]
        if opts[o]["optimizer"] == "sgd":
            out[f"momentum_{KEY[o]}"] = opts[o].get("momentum", 0.0)
        out[f"weight_decay_{KEY[o]}"] = opts[o]["weight_decay"]
    out.update(batch_size=cfg.batch_size, scheduler=cfg.scheduler, epochs=cfg.epochs)
    if steps is not None:
        out["steps"] = int(steps)
    out.update(
        seeds=int(n_seeds),
        lanczos_k=LANCZOS_K,
        path_points=cfg.path_points,
        neb_nodes=cfg.neb_nodes,
        subspace_dims=tuple(sorted(cfg.sub_dims)),
        subspace_n_train=int(cfg.sub_n_train),
    )
    return out


def results(run, minima: Minima, curvature: list[Curvature], paths: list[Path], subspaces: list[Subspace]) -> Results:
    """Bundle the parts with the run's seeds, settings and our setting in the registry's keys (`recipe`, the
    parameter count of a trained model)."""
    model = next(iter(minima.models.values()))
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    main = [e for e in minima.endpoints if not e.control]
    steps = main[0].steps if main and all(e.steps == main[0].steps for e in main) else None
    n_train = minima.configs[next(iter(minima.configs))]["data"]["n_train"]
    ours = recipe(run.cfg, n_params, n_train, len(run.seeds), steps)
    return Results(list(run.seeds), settings(run), list(minima.endpoints), curvature, paths, subspaces, ours)
