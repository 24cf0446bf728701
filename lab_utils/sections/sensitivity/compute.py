"""06 sensitivity: one net per batch size and seed in each report's sweep, then the probes.

    res = run_all(run)        # Results: sweeps "000" (CIFAR-10, fixed epochs), "001" (MNIST, fixed steps) and
                              # "002" (MNIST, the same protocol), each with one Trained per (batch size, seed)

Every trained net is judged a minimum or not (`record_final=True`, `train.convergence`) and probed on the same
test images with both sensitivity measures of the reports:

    jacobian    mean ||d softmax(f(x)) / d x||_F     report 000's measure (`probes.jacobian_norm`, exact)
    input_grad  mean ||d loss(f(x), y) / d x||_2     report 001's ("Frobenius norm of input gradients";
                                                      `probes.input_gradient_norm`); report 002 says only
                                                      "average gradient norm"

and, with `sharpness`, lambda_max of the training loss (Lanczos) on sweep 000, the only one whose claim is about
sharpness. No plotting, no prose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from torch.nn import functional as F

from ... import models
from ...core import cache, data, train
from ...core.train import Convergence
from ...probes import hessian_eigenvalues, input_gradient_norm, jacobian_norm

SWEEPS = ("000", "001", "002")
MEASURES = ("jacobian", "input_grad")


@dataclass(frozen=True)
class Trained:
    """One net of a sweep: its recipe, convergence record and probe values (NaN where it diverged)."""

    batch_size: int
    seed: int
    steps: int
    epochs_seen: float  # passes over the training set (steps * batch / n_train)
    convergence: Convergence  # full-batch training loss and ||grad L|| at the end (eval mode)
    train_acc: float
    test_loss: float
    test_acc: float
    jacobian: float  # mean ||d softmax / d x||_F on the probe images
    input_grad: float  # mean ||d loss / d x||_2 on the probe images
    sharpness: float  # lambda_max of the training loss (NaN when not measured)
    sharpness_converged: bool


@dataclass(frozen=True)
class Sweep:
    """One report's sweep over batch sizes, every batch size trained once per seed."""

    report: str
    dataset: str
    model: str
    n_params: int
    n_train: int
    n_test: int
    budget: str  # "steps" (the same number of optimizer steps) or "epochs" (the same passes)
    budget_value: int
    lr: float
    scheduler: str  # "constant" (constant learning rate) or "cosine"
    batch_sizes: list[int]
    seeds: list[int]
    runs: list[Trained]
    spec: dict = field(default_factory=dict)  # the net every run of the sweep was built from
    optimizer: str = "adam"

    def values(self, key: str) -> np.ndarray:
        """(n_seeds, n_batch_sizes) array of a Trained field (or "train_loss", "grad_norm", "gap")."""
        by = {(r.seed, r.batch_size): r for r in self.runs}
        return np.asarray([[_field(by[(s, b)], key) for b in self.batch_sizes] for s in self.seeds], dtype=float)

    def column(self, key: str, batch_size: int) -> list[float]:
        """The per-seed values of `key` at one batch size."""
        return list(self.values(key)[:, self.batch_sizes.index(batch_size)])


def _field(r: Trained, key: str) -> float:
    if key in ("train_loss", "grad_norm"):
        return getattr(r.convergence, key)
    if key == "gap":  # test minus training loss
        return r.test_loss - r.convergence.train_loss
    return float(getattr(r, key))


@dataclass(frozen=True)
class Results:
    sweeps: dict[str, Sweep]
    grad_tol: float
    loss_tol: float
    criterion: str
    probe_images: int


# ---- settings ---------------------------------------------------------------------------------------------


OPTIMIZER = "adam"  # every run (report 001: Adam)
DATASET_NAMES = {"mnist": "MNIST", "cifar10": "CIFAR-10"}


def spec_for(cfg, report: str) -> dict:
    """The profile's net of one report's sweep, an MLP or a CNN, without BN (so the Hessian is that of the plain
    loss and the probes see no batch statistics)."""
    if report == "000":
        kind, dataset, widths, head, pool = (
            cfg.cifar_model,
            "cifar10",
            cfg.cifar_widths,
            cfg.cifar_head,
            cfg.cifar_global_pool,
        )
    elif report == "001":
        kind, dataset, widths, head, pool = cfg.model, "mnist", cfg.widths, cfg.head, cfg.global_pool
    else:
        kind, dataset, widths, head, pool = cfg.model_002, "mnist", cfg.widths_002, 0, False
    return models.image_classifier_spec(kind, dataset, widths, head=head, global_pool=pool)


def model_text(spec: dict, detail: str) -> str:
    """The net of `spec` in words at the detail a report states (a setting's `model`): "kind" (CNN or fully
    connected, reports 000 and 002) or "layers" (the conv blocks and their channels, the pooling and the head,
    report 001)."""
    if spec.get("kind") == "mlp":
        if detail == "kind":
            return "fully connected net"
        return f"fully connected net, hidden layers {'-'.join(map(str, spec['hidden']))}"
    if spec.get("kind") != "cnn":
        return "not stated"
    if detail == "kind":
        return "CNN"
    pool = ", global average pooling" if spec.get("global_pool") else ""
    head = f", FC {spec['hidden']}, FC" if spec["hidden"] else ", FC"
    ch = "-".join(map(str, spec["channels"]))
    return f"CNN, {len(spec['channels'])} conv blocks {ch}{pool}{head}"


def sweep_setting(cfg, report: str) -> dict:
    """dataset, batch sizes and budget of one report's sweep in this profile."""
    if report == "000":
        return dict(
            dataset="cifar10",
            batch_sizes=list(cfg.batches_000),
            budget="epochs",
            value=cfg.cifar_epochs,
            n_train=cfg.cifar_n_train,
            n_test=cfg.cifar_n_test,
        )
    sizes = cfg.batches_001 if report == "001" else cfg.batches_002
    return dict(
        dataset="mnist",
        batch_sizes=list(sizes),
        budget="steps",
        value=cfg.steps if report == "001" else cfg.steps_002,
        n_train=cfg.mnist_n_train,
        n_test=cfg.mnist_n_test,
    )


def fit_kwargs(cfg, budget: str, value: int, batch_size: int, n_train: int) -> dict:
    """`train.fit` arguments of one run: `value` optimizer steps (budget "steps") or epochs ("epochs"), Adam at
    the profile's learning rate and schedule; the test set is evaluated about five times per run."""
    steps_per_epoch = math.ceil(n_train / batch_size)
    epochs = value if budget == "epochs" else math.ceil(value / steps_per_epoch)
    kw = dict(
        epochs=epochs,
        lr=cfg.lr,
        batch_size=batch_size,
        optimizer=OPTIMIZER,
        scheduler=cfg.scheduler,
        eval_train=False,
        eval_every=max(1, epochs // 5),
        record_final=True,
    )
    if budget == "steps":
        kw["max_steps"] = value
    return kw


# ---- training and probing -----------------------------------------------------------------------------------


def probe(cfg, model, split: data.Split, seed: int, sharpness: bool) -> dict:
    """Test loss/accuracy, training accuracy, both sensitivity measures and (with `sharpness`) lambda_max of one
    trained net."""
    p = cfg.probe_images
    xt, yt = split.x_test[:p], split.y_test[:p]
    out = {
        "train_acc": train.evaluate(model, split.x_train, split.y_train)[1],
        "jacobian": jacobian_norm(model, None, (xt, yt), exact=True),
        "input_grad": input_gradient_norm(model, F.cross_entropy, (xt, yt)),
        "sharpness": math.nan,
        "sharpness_converged": False,
    }
    out["test_loss"], out["test_acc"] = train.evaluate(model, split.x_test, split.y_test)
    if sharpness:
        h = cfg.hessian_images
        eig = hessian_eigenvalues(
            model,
            F.cross_entropy,
            (split.x_train[:h], split.y_train[:h]),
            k=1,
            tol=1e-3,
            max_iter=cfg.hessian_iters,
            seed=seed,
        )
        out["sharpness"], out["sharpness_converged"] = float(eig.values[0]), bool(eig.converged)
    return out


def run_sweep(run, report: str) -> Sweep:
    """Train and probe every (batch size, seed) of one report's sweep (models and probe values cached)."""
    cfg = run.cfg
    st = sweep_setting(cfg, report)
    spec = spec_for(cfg, report)
    split = data.load(
        st["dataset"], n_train=st["n_train"], n_test=st["n_test"], device=run.device, flatten=spec["kind"] == "mlp"
    )
    sharp = cfg.sharpness and report == "000"  # only report 000's claim is about sharpness
    n = len(split.x_train)
    runs = []
    for s in run.seeds:
        for bs in st["batch_sizes"]:
            kw = fit_kwargs(cfg, st["budget"], st["value"], bs, n)
            model, hist = models.trained(
                spec, split, seed=s, device=run.device, desc=f"{report}: batch {bs}, seed {s}", **kw
            )
            conv = train.convergence(hist, grad_tol=cfg.grad_tol, loss_tol=cfg.loss_tol)
            if hist["diverged_at_epoch"] is not None:
                got = dict(
                    train_acc=math.nan,
                    test_loss=math.nan,
                    test_acc=math.nan,
                    jacobian=math.nan,
                    input_grad=math.nan,
                    sharpness=math.nan,
                    sharpness_converged=False,
                )
            else:
                key = dict(
                    kind="06_probes",
                    spec=spec,
                    data=split.spec,
                    seed=s,
                    fit=kw,
                    device=run.device.type,
                    probe_images=cfg.probe_images,
                    sharpness=sharp,
                    hessian=[cfg.hessian_images, cfg.hessian_iters],
                )
                got = cache.cached(key, lambda model=model, s=s: probe(cfg, model, split, s, sharp))
            runs.append(
                Trained(
                    bs,
                    s,
                    hist["steps"],
                    hist["steps"] * bs / n,
                    conv,
                    float(got["train_acc"]),
                    float(got["test_loss"]),
                    float(got["test_acc"]),
                    float(got["jacobian"]),
                    float(got["input_grad"]),
                    float(got["sharpness"]),
                    bool(got["sharpness_converged"]),
                )
            )
    return Sweep(
        report,
        st["dataset"],
        models.spec_label(spec),
        models.spec_n_params(spec),
        n,
        len(split.x_test),
        st["budget"],
        st["value"],
        cfg.lr,
        cfg.scheduler,
        st["batch_sizes"],
        list(run.seeds),
        runs,
        spec=spec,
        optimizer=OPTIMIZER,
    )


def run_all(run) -> Results:
    """The three sweeps of the profile."""
    cfg = run.cfg
    sweeps = {r: run_sweep(run, r) for r in SWEEPS}
    crit = sweeps["001"].runs[0].convergence.criterion
    return Results(sweeps, cfg.grad_tol, cfg.loss_tol, crit, cfg.probe_images)
