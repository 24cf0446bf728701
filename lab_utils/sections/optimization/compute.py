"""02 optimization: the experiments, returning results dataclasses (no figures, no prose).

    sine_trajectories(cfg, seeds, device)    report 000: n_seeds runs of a depth x width MLP on sin(2 pi x)
    mnist_trajectories(cfg, seeds, device)   reports 001 / 002: mnist_seeds runs of a CNN (quick and full: report
                                             001's DeepCNN) on MNIST images
    at_epoch(tr, epoch)                      the same runs read at an earlier epoch (report 002's 8 of our 9)
    minimal_ratio(cfg, seed)                 reports 000 / 001: ratio_runs tiny tanh MLPs, trained, then solved to a
                                             critical point; its Hessian index and its sampling ratio
    run_all(run) -> Results                  all three

Every trajectory run has its own seed (initialisation and minibatch order); every loss and gradient norm that a
claim reads is full batch (the whole training set, eval mode), measured at each weight snapshot.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.func import vmap
from torch.nn import functional as F

from ... import models
from ...core import cache, data, params, train
from ...models.ensemble import Ensemble, summed
from ...probes.critical import ZERO_TOLS, critical_points, flat_loss, index_sweep, sampling_ratio
from ...probes.hessian import dense_hessian
from ...probes.trajectories import pca2

# ---- results ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PCAView:
    """Snapshots of all runs projected on the first two principal components of all of them together (coords,
    rows in run order), the variance fraction of those two axes, and the mean over runs of the same fractions
    when each run's trajectory gets its own PCA."""

    coords: np.ndarray
    ratio: np.ndarray
    per_run_ratio: np.ndarray


@dataclass(frozen=True)
class Trajectories:
    """One trajectory experiment: R runs (seeds), S weight snapshots each (initialisation first).

    loss, grad_norm, weight_norm: (R, S) full-batch training loss, full-batch ||grad L|| (L2, all trainable
    parameters) and ||theta|| at each snapshot; step_loss, step_grad_norm: (R, T) minibatch loss and gradient norm
    at every optimizer step; start_spread, end_spread: (R,) mean distance from a run's first (last) snapshot to the
    other runs' first (last) snapshots, in weight space; first_layer_share: (R,) the first layer's share of
    ||theta_end - theta_0||^2; first_layer_early, rest_early: (R,) ||theta(t1) - theta(0)|| / ||theta_end -
    theta(0)|| of the first layer and of all other parameters, t1 the first snapshot after initialisation;
    test_metric: (R,) at the end (accuracy as a fraction for classifiers, MSE for regression); convergence: the
    end point of every run judged by `train.convergence`.

    spread: (R, S) a run's mean distance to the other runs at each snapshot; pair_ratio: (R, S) a run's mean over
    the other runs j of |theta_i(t) - theta_j(t)|^2 / (|theta_i(0) - theta_j(0)|^2 + |d_i(t)|^2 + |d_j(t)|^2), d(t) =
    theta(t) - theta(0): the squared separation at t over what it would be if the two runs' displacements were
    independent of each other and of the starts (1 at initialisation; below 1 when the runs move towards a common
    region, above 1 when they move apart); snapshot_test: (R, S) the test metric at the snapshots listed in
    `test_epochs` (NaN elsewhere); recipe: the run's setting in the registry's keys (`references.setting`), built
    from the config and the model actually built."""

    label: str
    model: str
    loss_name: str
    seeds: list[int]
    snapshot_epochs: list[int]
    steps_per_epoch: int
    n_params: int
    first_layer_params: int
    n_train: int
    loss: np.ndarray
    grad_norm: np.ndarray
    weight_norm: np.ndarray
    step_loss: np.ndarray
    step_grad_norm: np.ndarray
    whole: PCAView
    first_layer: PCAView
    start_spread: np.ndarray
    end_spread: np.ndarray
    first_layer_share: np.ndarray
    first_layer_early: np.ndarray
    rest_early: np.ndarray
    test_metric: np.ndarray
    test_metric_name: str
    convergence: list[train.Convergence]
    spread: np.ndarray = None
    pair_ratio: np.ndarray = None
    snapshot_test: np.ndarray = None
    grad_tol: float = math.nan
    recipe: dict = field(default_factory=dict)


@dataclass(frozen=True)
class MinimalRatio:
    """ratio_runs tiny MLPs: where full-batch Adam left them, and the critical point the solver reached from there.

    The loss of this experiment is the objective MSE + weight_decay / 2 ||theta||^2 (its critical points are the
    ones solved for); mse is its data part. Per run (arrays of length R): adam_* at the end of Adam, the rest at
    the critical point; eigenvalues: (R, P) of the dense float64 Hessian there, ascending; sampling: fraction of
    n_neighbours random neighbours at distance radius * ||theta|| with a higher loss; solver_grad_norms: ||grad L||
    after every accepted Newton step."""

    model: str
    seeds: list[int]
    n_params: int
    n_points: int
    target_variance: float
    weight_decay: float
    adam_steps: int
    grad_tol: float
    zero_tol: float
    zero_tols: tuple
    n_neighbours: int
    radius: float
    adam_mse: np.ndarray
    adam_grad_norm: np.ndarray
    adam_sampling: np.ndarray
    mse: np.ndarray
    objective: np.ndarray
    grad_norm: np.ndarray
    converged: np.ndarray
    n_iter: np.ndarray
    distance: np.ndarray
    theta_norm: np.ndarray
    eigenvalues: np.ndarray
    sampling: np.ndarray
    solver_grad_norms: list[list[float]]
    recipe: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Results:
    sine: Trajectories
    mnist: Trajectories | None
    ratio: MinimalRatio


# ---- trajectories -----------------------------------------------------------------------------------------


def mlp_spec(depth: int, width: int, act: str = "relu") -> dict:
    return {"kind": "mlp", "depth": depth, "width": width, "in_dim": 1, "out_dim": 1, "act": act}


def sine_data(n_points: int, device) -> data.Split:
    """sin(2 pi x) on [-1, 1]: n_points on a grid for training, 500 random test points."""
    return data.function("sin2pi", n_train=n_points, n_test=500, device=device)


def mnist_spec(cfg) -> dict:
    return models.cnn_spec(
        "mnist", cfg.mnist_channels, 0, pool_every=cfg.mnist_pool_every, global_pool=cfg.mnist_global_pool
    )


_EVERY = {1: "each convolution", 2: "every two", 3: "every three", 4: "every four"}


def model_text(spec: dict) -> str:
    """The architecture in words at the detail the reports state it (the registry's `model` key), from the spec:
    "MLP, 2 hidden layers of 32 units" or "CNN, 3x3 convolutions 40-16-64-56-64-56, 2x2 max-pool after every two,
    global average pooling" (a hidden layer in the head and batch norm are named when present)."""
    if spec["kind"] == "mlp" and "depth" in spec:
        return f"MLP, {spec['depth']} hidden layers of {spec['width']} units"
    if spec["kind"] != "cnn":
        return models.spec_label(spec)
    k, every = spec["kernel"], spec["pool_every"]
    out = (
        f"CNN, {k}x{k} convolutions {'-'.join(map(str, spec['channels']))}, 2x2 max-pool after "
        f"{_EVERY.get(every, f'every {every}')}"
    )
    if spec.get("global_pool"):
        out += ", global average pooling"
    if spec.get("hidden"):
        out += f", a hidden layer of {spec['hidden']} units"
    if spec.get("batchnorm"):
        out += ", batch norm"
    return out


def model_text_of(tr: "Trajectories") -> str:
    """The model of a trajectory experiment in words (its recipe's text, else its short label)."""
    return tr.recipe.get("model", tr.model) if tr.recipe else tr.model


def model_label(spec: dict) -> str:
    """E.g. "2 × 32 relu MLP" or "CNN conv 8-16-32"."""
    if spec["kind"] == "mlp" and "depth" in spec:
        return f"{spec['depth']} × {spec['width']} {spec['act']} MLP"
    return models.spec_label(spec)


def first_layer_slice(model: torch.nn.Module) -> slice:
    """The first layer's weight and bias as one slice of the flat vector (`core.params` order)."""
    sl = params.param_slices(model)
    first = next(iter(sl)).split(".")[0]
    parts = [s for n, s in sl.items() if n.split(".")[0] == first]
    return slice(min(s.start for s in parts), max(s.stop for s in parts))


def _full_batch_series(spec: dict, snapshots: torch.Tensor, split: data.Split, loss_fn) -> tuple[list, list]:
    """Full-batch training loss and ||grad L|| of `build(spec)` at every snapshot (rows of flat weights)."""
    model = models.build(spec).to(split.x_train.device)
    loss, gn = [], []
    for s in snapshots:
        params.load_flat(model, s)
        fb = train.full_batch(model, split.x_train, split.y_train, loss_fn)
        loss.append(fb.train_loss)
        gn.append(fb.grad_norm)
    return loss, gn


def _mean_distance_to_others(points: torch.Tensor) -> np.ndarray:
    d = torch.cdist(points[None], points[None])[0]
    return (d.sum(1) / (len(points) - 1)).numpy()


def pair_ratios(snaps: list[torch.Tensor]) -> np.ndarray:
    """(R, S): per run and snapshot, the mean over the other runs of the squared separation over the separation
    independent displacements would give (`Trajectories` docstring); NaN at a snapshot where the denominator is 0."""
    R, S = len(snaps), len(snaps[0])
    out = np.full((R, S), math.nan)
    for t in range(S):
        pts = torch.stack([s[t] for s in snaps])
        d2 = torch.stack([(s[t] - s[0]).pow(2).sum() for s in snaps])
        sep = torch.cdist(pts[None], pts[None])[0].pow(2)
        start = torch.stack([s[0] for s in snaps])
        sep0 = torch.cdist(start[None], start[None])[0].pow(2)
        null = sep0 + d2[:, None] + d2[None, :]
        for i in range(R):
            j = [k for k in range(R) if k != i]
            q = sep[i, j] / null[i, j]
            out[i, t] = float(q.mean()) if bool((null[i, j] > 0).all()) else math.nan
    return out


def _early_fraction(snaps: torch.Tensor, sl) -> float:
    total = float(torch.linalg.vector_norm(snaps[-1, sl] - snaps[0, sl]))
    return float(torch.linalg.vector_norm(snaps[1, sl] - snaps[0, sl])) / total if total > 0 else math.nan


def _pca_view(snaps: list[torch.Tensor], sl) -> PCAView:
    joint = pca2(torch.cat([s[:, sl] for s in snaps]))
    per_run = np.mean([pca2(s[:, sl]).ratio for s in snaps], axis=0)
    return PCAView(joint.coords, joint.ratio, per_run)


def trajectory_recipe(
    spec: dict, n_params: int, n_train: int, n_test: int, data_name: str, n_seeds: int, fit: dict
) -> dict:
    """A trajectory experiment's setting in the registry's keys: the model in words (`model_text`), its parameter
    count as built, the data and its sizes, the optimizer's recipe from the fit arguments, and the number of runs."""
    return dict(
        model=model_text(spec),
        activation=spec.get("act", "relu"),
        n_params=n_params,
        data=data_name,
        n_train=n_train,
        n_test=n_test,
        optimizer=fit.get("optimizer", "sgd"),
        lr=fit["lr"],
        batch_size=fit["batch_size"],
        scheduler=fit.get("scheduler", "constant"),
        epochs=fit["epochs"],
        steps=fit["epochs"] * math.ceil(n_train / fit["batch_size"]),
        seeds=n_seeds,
        snapshot_every_epochs=fit.get("snapshot_every", 1),
    )


def trajectories(
    label: str,
    spec: dict,
    split: data.Split,
    seeds: list[int],
    device,
    *,
    loss_fn,
    grad_tol: float,
    test_metric_name: str,
    data_name: str,
    test_epochs: tuple = (),
    **fit_kwargs,
) -> Trajectories:
    """One run of `spec` per seed (`models.trained`, cached), weights snapshotted, then the full-batch loss and
    gradient norm at every snapshot (cached as well: they cost a pass over the training set each), and the test
    metric at the snapshots of `test_epochs`."""
    runs = []
    for s in seeds:
        _, hist = models.trained(
            spec,
            split,
            seed=s,
            device=device,
            loss_fn=loss_fn,
            track_grad_norm=True,
            track_step_loss=True,
            record_final=True,
            progress_bar=False,
            desc=f"seed {s}",
            **fit_kwargs,
        )
        snaps = torch.stack(hist["snapshots"])
        config = dict(
            kind="02_full_batch_series",
            spec=spec,
            data=split.spec,
            seed=s,
            device=torch.device(device).type,
            fit=fit_kwargs,
            loss=train.loss_name(loss_fn),
        )
        series = cache.cached(
            config,
            lambda snaps=snaps: dict(zip(("loss", "grad_norm"), _full_batch_series(spec, snaps, split, loss_fn))),
        )
        epochs_at = list(hist["snapshot_epochs"])
        wanted = sorted({e for e in test_epochs if e in epochs_at})
        tested = cache.cached(
            {**config, "kind": "02_snapshot_test", "epochs": wanted},
            lambda snaps=snaps, wanted=wanted, epochs_at=epochs_at: {
                e: _test_metric(spec, snaps[epochs_at.index(e)], split, loss_fn) for e in wanted
            },
        )
        row = np.full(len(epochs_at), math.nan)
        for e, v in tested.items():
            row[epochs_at.index(int(e))] = v
        runs.append((hist, snaps.double(), series, row))
    model = models.build(spec)
    fl = first_layer_slice(model)
    rest = torch.ones(params.n_trainable(model), dtype=torch.bool)
    rest[fl] = False
    snaps = [r[1] for r in runs]
    first_share = [float((s[-1, fl] - s[0, fl]).pow(2).sum() / (s[-1] - s[0]).pow(2).sum()) for s in snaps]
    hists = [r[0] for r in runs]
    metric = "test_acc" if test_metric_name == "test accuracy" else "test_loss"
    n_params = params.n_trainable(model)
    recipe = trajectory_recipe(spec, n_params, len(split.x_train), len(split.x_test), data_name, len(seeds), fit_kwargs)
    spread = np.stack([_mean_distance_to_others(torch.stack([s[t] for s in snaps])) for t in range(len(snaps[0]))], 1)
    return Trajectories(
        label=label,
        model=model_label(spec),
        loss_name="cross-entropy" if loss_fn is F.cross_entropy else "MSE",
        seeds=list(seeds),
        snapshot_epochs=list(hists[0]["snapshot_epochs"]),
        steps_per_epoch=math.ceil(len(split.x_train) / fit_kwargs["batch_size"]),
        n_params=n_params,
        first_layer_params=fl.stop - fl.start,
        n_train=len(split.x_train),
        loss=np.array([r[2]["loss"] for r in runs]),
        grad_norm=np.array([r[2]["grad_norm"] for r in runs]),
        weight_norm=np.array([s.norm(dim=1).numpy() for s in snaps]),
        step_loss=np.array([h["step_loss"] for h in hists]),
        step_grad_norm=np.array([h["grad_norm"] for h in hists]),
        whole=_pca_view(snaps, slice(None)),
        first_layer=_pca_view(snaps, fl),
        start_spread=_mean_distance_to_others(torch.stack([s[0] for s in snaps])),
        end_spread=_mean_distance_to_others(torch.stack([s[-1] for s in snaps])),
        first_layer_share=np.array(first_share),
        first_layer_early=np.array([_early_fraction(s, fl) for s in snaps]),
        rest_early=np.array([_early_fraction(s, rest) for s in snaps]),
        test_metric=np.array([train.final(h, metric) for h in hists], dtype=float),
        test_metric_name=test_metric_name,
        convergence=[train.convergence(h, grad_tol=grad_tol) for h in hists],
        spread=spread,
        pair_ratio=pair_ratios(snaps),
        snapshot_test=np.array([r[3] for r in runs]),
        grad_tol=grad_tol,
        recipe=recipe,
    )


def _test_metric(spec: dict, flat: torch.Tensor, split: data.Split, loss_fn) -> float:
    """The test accuracy (classifiers) or test loss of `build(spec)` at the flat weights `flat`."""
    model = models.build(spec).to(split.x_test.device)
    params.load_flat(model, flat)
    loss, acc = train.evaluate(model, split.x_test, split.y_test, loss_fn)
    return float(acc if acc is not None else loss)


def at_epoch(tr: Trajectories, epoch: int) -> Trajectories:
    """The runs of `tr` read at snapshot `epoch`: every per-snapshot series and the per-step series cut there, the
    end spread, the pair ratio's last column, the test metric and the convergence record taken at that snapshot, and
    the recipe's epochs and steps those of the cut. With a constant learning rate (Adam here) the weights at epoch
    `epoch` of a longer run are those of a run of `epoch` epochs, so this is a run of that length. The PCA views and
    the layer shares stay those of the whole run."""
    if epoch not in tr.snapshot_epochs:
        raise ValueError(f"no snapshot at epoch {epoch} (snapshots at {tr.snapshot_epochs})")
    i = tr.snapshot_epochs.index(epoch)
    if i == len(tr.snapshot_epochs) - 1:
        return tr
    cut = slice(0, i + 1)
    steps = epoch * tr.steps_per_epoch
    crit = tr.convergence[0].criterion if tr.convergence else ""
    conv = [
        train.Convergence(
            float(tr.loss[r, i]), float(tr.grad_norm[r, i]), bool(tr.grad_norm[r, i] <= tr.grad_tol), crit
        )
        for r in range(len(tr.seeds))
    ]
    return dataclasses.replace(
        tr,
        snapshot_epochs=tr.snapshot_epochs[cut],
        loss=tr.loss[:, cut],
        grad_norm=tr.grad_norm[:, cut],
        weight_norm=tr.weight_norm[:, cut],
        step_loss=tr.step_loss[:, :steps],
        step_grad_norm=tr.step_grad_norm[:, :steps],
        end_spread=tr.spread[:, i] if tr.spread is not None else tr.end_spread,
        spread=tr.spread[:, cut] if tr.spread is not None else None,
        pair_ratio=tr.pair_ratio[:, cut] if tr.pair_ratio is not None else None,
        snapshot_test=tr.snapshot_test[:, cut] if tr.snapshot_test is not None else None,
        test_metric=tr.snapshot_test[:, i] if tr.snapshot_test is not None else tr.test_metric,
        convergence=conv,
        recipe={**tr.recipe, "epochs": epoch, "steps": steps} if tr.recipe else {},
    )


def sine_trajectories(cfg, seeds: list[int], device) -> Trajectories:
    """Report 000's experiment: the depth x width ReLU MLP on sin(2 pi x), Adam at a constant lr, minibatches."""
    split = sine_data(cfg.n_points, device)
    return trajectories(
        "sin(2πx) MLP",
        mlp_spec(cfg.depth, cfg.width),
        split,
        seeds,
        device,
        loss_fn=F.mse_loss,
        grad_tol=cfg.grad_tol,
        test_metric_name="test MSE",
        data_name="sin(2πx)",
        epochs=cfg.epochs,
        lr=cfg.lr,
        optimizer="adam",
        batch_size=cfg.batch_size,
        snapshot_every=cfg.snapshot_every,
        eval_every=cfg.epochs,
    )


EPOCHS_002 = 8  # report 002 trained 8 epochs: its claims are read at this snapshot of our runs (`at_epoch`)


def mnist_trajectories(cfg, seeds: list[int], device) -> Trajectories:
    """Reports 001 / 002: the CNN of the profile (quick and full: report 001's DeepCNN) on a fixed MNIST subset,
    Adam, snapshots every epoch, the first `mnist_seeds` of the run's seeds; the test metric at the end and at
    report 002's epoch."""
    split = data.load("mnist", n_train=cfg.mnist_train, n_test=cfg.mnist_test, device=device)
    return trajectories(
        "MNIST CNN",
        mnist_spec(cfg),
        split,
        seeds,
        device,
        loss_fn=F.cross_entropy,
        grad_tol=cfg.mnist_grad_tol,
        test_metric_name="test accuracy",
        data_name="MNIST",
        test_epochs=(min(EPOCHS_002, cfg.mnist_epochs),),
        epochs=cfg.mnist_epochs,
        lr=cfg.mnist_lr,
        optimizer="adam",
        batch_size=cfg.mnist_batch_size,
        snapshot_every=1,
        eval_every=cfg.mnist_epochs,
    )


# ---- minimal ratio ----------------------------------------------------------------------------------------


def penalised(f, weight_decay: float):
    """theta -> f(theta) + weight_decay / 2 ||theta||^2 (the objective Adam's L2 weight decay minimises)."""
    if not weight_decay:
        return f

    def objective(theta: torch.Tensor) -> torch.Tensor:
        return f(theta) + 0.5 * weight_decay * theta.dot(theta)

    return objective


RATIO_FIELDS = (
    "ratio_runs",
    "ratio_width",
    "ratio_points",
    "ratio_steps",
    "ratio_lr",
    "weight_decay",
    "solver_tol",
    "solver_iters",
    "n_neighbours",
    "radius",
)


def ratio_recipe(cfg, n_params: int) -> dict:
    """The minimal-ratio experiment's setting in the registry's keys, with how its minima are found and perturbed."""
    return dict(
        model=model_text(mlp_spec(2, cfg.ratio_width, "tanh")),
        activation="tanh",
        n_params=n_params,
        data="sin(2πx)",
        n_train=cfg.ratio_points,
        optimizer="adam",
        lr=cfg.ratio_lr,
        weight_decay=cfg.weight_decay,
        batch_size="full",
        scheduler="cosine",
        steps=cfg.ratio_steps,
        seeds=cfg.ratio_runs,
        neighbours=cfg.n_neighbours,
        minima=f"Adam, then Newton's method to full-batch ‖∇L‖ ≤ {cfg.solver_tol:g}",
        perturbation=f"a random direction at distance {cfg.radius:g} ‖θ‖",
    )


def minimal_ratio(cfg, seed: int) -> MinimalRatio:
    """ratio_runs 2 x ratio_width tanh MLPs on sin(2 pi x) (seeds seed, seed + 1, ...), on the CPU in float64 for
    the solver: full-batch Adam with L2 weight decay and a cosine schedule (one ensemble through `train.fit`), then
    `probes.critical.critical_points` from every end point, then the dense Hessian and the sampling ratio at the
    critical point (and the sampling ratio at Adam's end point, as the references measured it). Cached."""
    config = dict(kind="02_minimal_ratio", version=1, seed=seed, cfg={k: getattr(cfg, k) for k in RATIO_FIELDS})
    p = cache.cached(config, lambda: _minimal_ratio_payload(cfg, seed))
    split = sine_data(cfg.ratio_points, "cpu")
    n = lambda k: p[k].numpy()  # noqa: E731
    spec = mlp_spec(2, cfg.ratio_width, "tanh")
    recipe = ratio_recipe(cfg, int(p["eigenvalues"].shape[1]))
    return MinimalRatio(
        recipe=recipe,
        model=model_label(spec),
        seeds=list(range(seed, seed + cfg.ratio_runs)),
        n_params=int(p["eigenvalues"].shape[1]),
        n_points=cfg.ratio_points,
        target_variance=float(split.y_train.var(unbiased=False)),
        weight_decay=cfg.weight_decay,
        adam_steps=cfg.ratio_steps,
        grad_tol=cfg.solver_tol,
        zero_tol=cfg.zero_tol,
        zero_tols=ZERO_TOLS,
        n_neighbours=cfg.n_neighbours,
        radius=cfg.radius,
        adam_mse=n("adam_mse"),
        adam_grad_norm=n("adam_grad_norm"),
        adam_sampling=n("adam_sampling"),
        mse=n("mse"),
        objective=n("objective"),
        grad_norm=n("grad_norm"),
        converged=n("converged").astype(bool),
        n_iter=n("n_iter"),
        distance=n("distance"),
        theta_norm=n("theta_norm"),
        eigenvalues=n("eigenvalues"),
        sampling=n("sampling"),
        solver_grad_norms=[list(map(float, c)) for c in p["solver_grad_norms"]],
    )


def _minimal_ratio_payload(cfg, seed: int) -> dict:
    split = sine_data(cfg.ratio_points, "cpu")
    spec = mlp_spec(2, cfg.ratio_width, "tanh")
    seeds = range(seed, seed + cfg.ratio_runs)
    members = []
    for s in seeds:
        torch.manual_seed(s)
        members.append(models.build(spec))
    ens = Ensemble(members)
    train.fit(
        ens,
        split,
        epochs=cfg.ratio_steps,
        lr=cfg.ratio_lr,
        optimizer="adam",
        weight_decay=cfg.weight_decay,
        batch_size=cfg.ratio_points,
        scheduler="cosine",
        loss_fn=summed(F.mse_loss),
        eval_every=cfg.ratio_steps,
        eval_train=False,
        seed=seed,
        progress_bar=False,
    )
    theta0 = torch.stack([params.flat_params(ens.member(i)).double() for i in range(len(members))])
    mse = flat_loss(members[0], F.mse_loss, (split.x_train, split.y_train))
    f = penalised(mse, cfg.weight_decay)
    cps = critical_points(f, theta0, grad_tol=cfg.solver_tol, max_iter=cfg.solver_iters)
    theta = torch.stack([c.theta for c in cps])

    def ratios(points: torch.Tensor) -> list[float]:
        return [
            sampling_ratio(f, t, cfg.radius * float(t.norm()), cfg.n_neighbours, seed=s) for t, s in zip(points, seeds)
        ]

    return dict(
        adam_mse=vmap(mse)(theta0),
        adam_grad_norm=vmap(torch.func.grad(f))(theta0).norm(dim=1),
        adam_sampling=torch.tensor(ratios(theta0)),
        mse=vmap(mse)(theta),
        objective=vmap(f)(theta),
        grad_norm=torch.tensor([c.grad_norm for c in cps]),
        converged=torch.tensor([c.converged for c in cps]),
        n_iter=torch.tensor([c.n_iter for c in cps]),
        distance=torch.tensor([c.distance for c in cps]),
        theta_norm=theta.norm(dim=1),
        eigenvalues=torch.stack([torch.linalg.eigvalsh(dense_hessian(f, t)) for t in theta]),
        sampling=torch.tensor(ratios(theta)),
        solver_grad_norms=[torch.tensor(c.grad_norms) for c in cps],
    )


# ---- derived per-run quantities (read by text and figures) -------------------------------------------------

LOW_LOSS = 0.01  # a "low loss": training MSE at most 1 % of the target's variance (R^2 >= 0.99)


def low_loss_line(res: MinimalRatio) -> float:
    """The training MSE below which a run counts as having a low loss."""
    return LOW_LOSS * res.target_variance


def hessian_counts(res: MinimalRatio, rel_tol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n_pos, n_neg, n_zero) per run at one zero tolerance."""
    idx = [index_sweep(e, (rel_tol,))[0] for e in res.eigenvalues]
    return tuple(np.array([getattr(i, k) for i in idx]) for k in ("n_pos", "n_neg", "n_zero"))


def hessian_ratio(res: MinimalRatio, rel_tol: float | None = None) -> np.ndarray:
    """The minimal ratio n_pos / (n_pos + n_neg) per run from the dense Hessian (default tolerance: res.zero_tol)."""
    pos, neg, _ = hessian_counts(res, res.zero_tol if rel_tol is None else rel_tol)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pos + neg > 0, pos / np.maximum(pos + neg, 1), np.nan)


def kind_of_point(res: MinimalRatio) -> np.ndarray:
    """Per run: "minimum" (no negative eigenvalue at any tolerance of the sweep), "saddle" (negative eigenvalues even
    at the loosest tolerance), "ambiguous" (the count depends on the tolerance), or "not converged"."""
    neg = np.stack([hessian_counts(res, t)[1] for t in res.zero_tols])  # (T, R), tolerances ascending
    kind = np.where(neg.max(0) == 0, "minimum", np.where(neg.min(0) > 0, "saddle", "ambiguous"))
    return np.where(res.converged, kind, "not converged")


# ---- everything -------------------------------------------------------------------------------------------


def run_all(run) -> Results:
    cfg = run.cfg
    sine = sine_trajectories(cfg, run.seeds, run.device)
    mnist = mnist_trajectories(cfg, run.seeds[: cfg.mnist_seeds], run.device) if cfg.mnist else None
    return Results(sine, mnist, minimal_ratio(cfg, run.seed))
