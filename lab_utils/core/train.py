"""The one training loop, on preloaded tensors, and the pieces other trainers reuse.

`fit(model, data, ...)` trains every trainable parameter of `model` on a `data.Split` and returns a plain-dict
history (JSON-able lists, so the run cache can store it with `weights_only=True` loading):

    epoch, train_loss, train_acc, test_loss, test_acc   one entry per evaluated epoch (acc only for class labels)
    lr                                                  learning rate at the end of each evaluated epoch
    step_loss                                           per-step minibatch loss (track_step_loss)
    grad_norm                                           per-step L2 norm of the minibatch gradient (track_grad_norm)
    layer_grad_norm                                     per-step {parameter name: norm} (track_layer_grad_norms)
    snapshots, snapshot_epochs                          flat weight vectors (cpu) every `snapshot_every` epochs
    final                                               {"train_loss", "grad_norm"}: full-batch values at the end,
                                                        model in eval mode (record_final)
    diverged_at_epoch, diverged_at_step                 None, or where the loss first became NaN/inf
    steps, elapsed_s, train_metric_source               total optimizer steps, wall seconds, "eval"|"running"

A NaN/inf training loss stops the run: the epoch it happened in is recorded with NaN metrics and training ends;
nothing is raised, so a notebook can plot and tabulate the divergence.

Losses are callables `loss_fn(outputs, targets)` returning the **mean** loss (e.g. `F.cross_entropy`,
`F.mse_loss`); accuracy is recorded when the targets are integer class labels. Trainers that reparameterise a
model (subspace training) wrap it in an `nn.Module` and call `fit`. Trainers whose loss is not a model's minibatch
loss (a Bezier curve's control point, `probes.paths.train_bezier`) run their own loop on the pieces `fit` itself
is made of: `make_optimizer`, `make_scheduler` (with `cosine_factor`) and `optimizer_step` (finiteness check,
zero_grad, backward, step, scheduler step), so a step means the same everywhere.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass
from typing import Callable, Iterable

import torch
from torch import nn
from torch.nn import functional as F

from .data import Split, crop_flip, minibatches
from .layout import formatted, memory_format, to_format
from .params import flat_params
from .progress import progress

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULERS = (
    "constant",
    "cosine",
)  # the one spelling, in code, profiles and metrics ("constant learning rate" in prose)
EVAL_BATCH = 256  # samples per evaluation forward pass (CPU: 1024-sample chunks cost page faults, 2-5x per sample)


def classifies(y: torch.Tensor) -> bool:
    """Targets are class labels (integer dtype), so accuracy is defined."""
    return not (y.is_floating_point() or y.is_complex())


def loss_name(loss_fn: LossFn) -> str:
    """A stable name of a loss callable, for cache keys (e.g. "torch.nn.functional.cross_entropy")."""
    return f"{getattr(loss_fn, '__module__', '')}.{getattr(loss_fn, '__qualname__', repr(loss_fn))}"


@torch.no_grad()
def evaluate(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: LossFn = F.cross_entropy, batch_size: int = EVAL_BATCH
) -> tuple[float, float | None]:
    """Mean loss and accuracy (None unless `y` holds class labels) of `model` in eval mode over (x, y), in chunks
    of `batch_size`. The model's train/eval mode is restored afterwards. Conv nets run in the faster memory
    layout (`layout.memory_format`: channels_last on CPU), the weights restored in place after (`layout.formatted`)."""
    was_training = model.training
    model.eval()
    total, correct = 0.0, 0
    classify = classifies(y)
    fmt = memory_format(model, x)
    with formatted(model, fmt):
        for i in range(0, len(x), batch_size):
            out = model(to_format(x[i : i + batch_size], fmt))
            yy = y[i : i + batch_size]
            total += float(loss_fn(out, yy)) * len(yy)
            if classify:
                correct += int((out.argmax(1) == yy).sum())
    model.train(was_training)
    n = max(len(x), 1)
    return total / n, (correct / n if classify else None)


@dataclass(frozen=True)
class FullBatch:
    """Loss and gradient norm of the mean loss over a whole training set, model in eval mode (BN running stats)."""

    train_loss: float
    grad_norm: float


def full_batch(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: LossFn = F.cross_entropy, batch_size: int = EVAL_BATCH
) -> FullBatch:
    """Full-batch training loss and ||grad L|| (L2, over the trainable parameters) at the current weights, in eval
    mode and chunks, in the faster memory layout (as `evaluate`); the model's mode and .grad fields are left as
    they were."""
    was_training = model.training
    model.eval()
    params = [p for p in model.parameters() if p.requires_grad]
    grads = [torch.zeros_like(p) for p in params]
    total = 0.0
    n = len(x)
    fmt = memory_format(model, x)
    with torch.enable_grad(), formatted(model, fmt):
        for i in range(0, n, batch_size):
            xb, yb = to_format(x[i : i + batch_size], fmt), y[i : i + batch_size]
            loss = loss_fn(model(xb), yb) * (len(xb) / n)
            for g, gi in zip(grads, torch.autograd.grad(loss, params)):
                g += gi
            total += float(loss.detach())
    model.train(was_training)
    return FullBatch(total, float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))))


@dataclass(frozen=True)
class Convergence:
    """Whether a trained point is a minimum by a stated criterion, with the numbers it was judged on."""

    train_loss: float
    grad_norm: float
    converged: bool
    criterion: str


def convergence(hist: dict, *, grad_tol: float, loss_tol: float | None = None) -> Convergence:
    """Judge `hist["final"]` (fit(..., record_final=True)): converged when the full-batch gradient norm is at most
    `grad_tol` and, if given, the full-batch training loss at most `loss_tol`; a diverged run never is."""
    fin = hist.get("final")
    if fin is None:
        raise ValueError("the history has no full-batch record: train with record_final=True")
    loss, gn = float(fin["train_loss"]), float(fin["grad_norm"])
    crit = f"full-batch ‖∇L‖ ≤ {grad_tol:g}" + (f" and training loss ≤ {loss_tol:g}" if loss_tol is not None else "")
    ok = (
        hist.get("diverged_at_epoch") is None
        and math.isfinite(gn)
        and gn <= grad_tol
        and (loss_tol is None or loss <= loss_tol)
    )
    return Convergence(loss, gn, bool(ok), crit)


def make_optimizer(
    params: Iterable[torch.Tensor], name: str, lr: float, momentum: float = 0.0, weight_decay: float = 0.0
) -> torch.optim.Optimizer:
    """ "sgd" (with optional heavy-ball momentum), "adam" or "adamw" over `params`."""
    params = list(params)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}: use one of {OPTIMIZERS}")


def cosine_factor(step: int, total: int) -> float:
    """The cosine schedule: 1 at step 0, falling to 0 at step `total` (and staying there)."""
    return 0.5 * (1 + math.cos(math.pi * min(step, total) / max(total, 1)))


def make_scheduler(opt: torch.optim.Optimizer, name: str, total_steps: int):
    """ "constant" (constant learning rate: no scheduler, None) or "cosine" (per step, from lr to 0 over
    `total_steps`). The name is never None: in a profile, a knob set to None means "the profile's value"."""
    if name not in SCHEDULERS:
        raise ValueError(f"unknown scheduler {name!r}: use one of {SCHEDULERS}")
    if name == "constant":
        return None
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda s: cosine_factor(s, total_steps))


def optimizer_step(
    opt: torch.optim.Optimizer,
    loss: torch.Tensor,
    sched: torch.optim.lr_scheduler.LRScheduler | None = None,
    on_grad: Callable[[], None] | None = None,
) -> bool:
    """One optimizer step on a scalar `loss` (with its graph): False, and nothing done, when the loss is NaN/inf;
    else zero_grad, backward, `on_grad()` (the gradients are in .grad: the place to read them), opt.step() and
    sched.step() (per step, when a scheduler is given), and True."""
    if not torch.isfinite(loss):
        return False
    opt.zero_grad(set_to_none=True)
    loss.backward()
    if on_grad:
        on_grad()
    opt.step()
    if sched:
        sched.step()
    return True


def _grad_norms(model: nn.Module, per_layer: bool) -> tuple[float, dict[str, float] | None]:
    named = [(n, p.grad) for n, p in model.named_parameters() if p.grad is not None]
    norms = torch.stack([torch.linalg.vector_norm(g) for _, g in named])
    total = float(torch.linalg.vector_norm(norms))
    layers = {n: float(v) for (n, _), v in zip(named, norms)} if per_layer else None
    return total, layers


def _in_layout(train_fn: Callable[..., dict]) -> Callable[..., dict]:
    # a wrapper rather than a `with` around fit's body: restoring on any exit (KeyboardInterrupt in a notebook
    # included) without re-indenting the loop
    @functools.wraps(train_fn)
    def run(model: nn.Module, data: Split, **kwargs) -> dict:
        with formatted(model, memory_format(model, data.x_train)):
            return train_fn(model, data, **kwargs)

    return run


@_in_layout
def fit(
    model: nn.Module,
    data: Split,
    *,
    epochs: int,
    lr: float,
    optimizer: str = "adam",
    batch_size: int = 128,
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    scheduler: str = "constant",
    loss_fn: LossFn = F.cross_entropy,
    seed: int = 0,
    augment: str | None = None,
    max_steps: int | None = None,
    eval_every: int = 1,
    eval_first: bool = False,
    eval_train: bool = True,
    eval_batch_size: int = EVAL_BATCH,
    track_step_loss: bool = False,
    track_grad_norm: bool = False,
    track_layer_grad_norms: bool = False,
    snapshot_every: int | None = None,
    record_final: bool = False,
    on_epoch: Callable[[int, nn.Module, dict], None] | None = None,
    progress_bar: bool = True,
    desc: str | None = None,
) -> dict:
    """Train `model` in place on `data` and return its history (see the module docstring).

    epochs: passes over the training set; with `max_steps`, training stops after that many optimizer steps
        (fixed-steps comparisons) and `epochs` is only an upper bound.
    scheduler: "constant" (constant lr) or "cosine" (per step, from lr to 0 over the whole run).
    augment: None or "crop_flip" (CIFAR-style, on the preloaded tensors).
    eval_every, eval_first: evaluate after every `eval_every`-th epoch and the last (and the first too when
        `eval_first`: for early-training comparisons at a coarse evaluation grid).
    eval_train: the train metrics come from a full pass in eval mode (True) or are the running means of the
        epoch's minibatches (False, cheaper: what the optimizer saw, with dropout/BN in train mode).
    record_final: after training, record the full-batch training loss and gradient norm in eval mode
        (`hist["final"]`), the convergence record of the end point (see `convergence`).
    Shuffling and augmentation use a generator seeded with `seed`; weight init is the caller's business.
    Memory layout: a conv net on CPU trains with its conv weights and every (augmented) minibatch in channels_last
    (`core.layout`: 1.08-1.56x images/s, benchmarks/train_loop.py; same values up to float rounding). The weights
    are swapped into that layout for the duration of fit only (`on_epoch` sees them so) and copied back into
    their original tensors on any exit: the caller keeps its Parameter objects and the storage that views and
    aliases made before fit point to, and the returned model has its old contiguous strides, so `.view(-1)` on
    parameters, `parameters_to_vector` and saved state_dicts are as before. The swap costs two copies of the conv
    weights per fit (0.5 ms for ResNet-20); leaving the model in channels_last would gain nothing later, as
    `evaluate` and `full_batch` swap on their own.
    """
    if epochs < 1:
        raise ValueError(f"epochs={epochs} must be >= 1")
    if augment not in (None, "crop_flip"):
        raise ValueError(f"unknown augment {augment!r}: use None or 'crop_flip'")
    classify = classifies(data.y_train)
    opt = make_optimizer((p for p in model.parameters() if p.requires_grad), optimizer, lr, momentum, weight_decay)
    steps_per_epoch = math.ceil(len(data.x_train) / batch_size)
    total_steps = min(epochs * steps_per_epoch, max_steps or math.inf)
    epochs = math.ceil(total_steps / steps_per_epoch)
    sched = make_scheduler(opt, scheduler, total_steps)
    gen = torch.Generator().manual_seed(seed)
    fmt = memory_format(model, data.x_train)

    hist: dict = {k: [] for k in ("epoch", "train_loss", "train_acc", "test_loss", "test_acc", "lr")}
    hist.update(
        diverged_at_epoch=None, diverged_at_step=None, steps=0, train_metric_source="eval" if eval_train else "running"
    )
    if track_step_loss:
        hist["step_loss"] = []
    if track_grad_norm:
        hist["grad_norm"] = []
    if track_layer_grad_norms:
        hist["layer_grad_norm"] = []
    if snapshot_every:
        hist["snapshots"], hist["snapshot_epochs"] = [flat_params(model).cpu()], [0]

    def record_grads() -> None:
        total, layers = _grad_norms(model, track_layer_grad_norms)
        if track_grad_norm:
            hist["grad_norm"].append(total)
        if track_layer_grad_norms:
            hist["layer_grad_norm"].append(layers)

    on_grad = record_grads if track_grad_norm or track_layer_grad_norms else None
    t0 = time.time()
    step = 0
    bar = progress(range(1, epochs + 1), desc=desc or "train", disable=not progress_bar)
    for epoch in bar:
        model.train()
        run_loss = torch.zeros((), device=data.x_train.device)
        run_correct = torch.zeros((), device=data.x_train.device, dtype=torch.long)
        seen = 0
        for xb, yb in minibatches(data.x_train, data.y_train, batch_size, generator=gen):
            if step >= total_steps:
                break
            if augment == "crop_flip":
                xb = crop_flip(xb, gen)
            out = model(to_format(xb, fmt))
            batch_loss = loss_fn(out, yb)
            if not optimizer_step(opt, batch_loss, sched, on_grad):
                hist["diverged_at_epoch"], hist["diverged_at_step"] = epoch, step
                break
            if track_step_loss:
                hist["step_loss"].append(float(batch_loss.detach()))
            step += 1
            run_loss += batch_loss.detach() * len(xb)
            if classify:
                run_correct += (out.argmax(1) == yb).sum()
            seen += len(xb)
        hist["steps"] = step
        diverged = hist["diverged_at_epoch"] is not None
        if diverged or epoch % eval_every == 0 or epoch == epochs or (eval_first and epoch == 1):
            nan_acc = math.nan if classify else None
            if diverged:
                tr_loss, tr_acc, te_loss, te_acc = math.nan, nan_acc, math.nan, nan_acc
            else:
                if eval_train:
                    tr_loss, tr_acc = evaluate(model, data.x_train, data.y_train, loss_fn, eval_batch_size)
                else:
                    tr_loss = float(run_loss) / max(seen, 1)
                    tr_acc = float(run_correct) / max(seen, 1) if classify else None
                te_loss, te_acc = evaluate(model, data.x_test, data.y_test, loss_fn, eval_batch_size)
                if not math.isfinite(tr_loss):  # finite minibatches but a non-finite full pass
                    hist["diverged_at_epoch"], hist["diverged_at_step"] = epoch, step
                    diverged = True
            for k, v in zip(
                ("epoch", "train_loss", "train_acc", "test_loss", "test_acc", "lr"),
                (epoch, tr_loss, tr_acc, te_loss, te_acc, opt.param_groups[0]["lr"]),
            ):
                hist[k].append(v)
            bar.set_postfix(loss=f"{tr_loss:.3g}", test=f"{te_loss:.3g}")
        if snapshot_every and not diverged and epoch % snapshot_every == 0:
            hist["snapshots"].append(flat_params(model).cpu())
            hist["snapshot_epochs"].append(epoch)
        if on_epoch:
            on_epoch(epoch, model, hist)
        if diverged or step >= total_steps:
            break
    model.eval()
    if record_final:
        if hist["diverged_at_epoch"] is None:
            fb = full_batch(model, data.x_train, data.y_train, loss_fn, eval_batch_size)
            hist["final"] = {"train_loss": fb.train_loss, "grad_norm": fb.grad_norm}
        else:
            hist["final"] = {"train_loss": math.nan, "grad_norm": math.nan}
    hist["elapsed_s"] = time.time() - t0
    return hist


def final(hist: dict, key: str) -> float | None:
    """The last recorded value of `key` (e.g. "test_acc"), or None when nothing was recorded."""
    values = hist.get(key) or []
    return values[-1] if values else None
