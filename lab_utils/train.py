"""One flat training loop on preloaded tensors, and chunked evaluation.

`fit` returns a plain-dict history (JSON-able lists, plus optional weight snapshots as tensors):

    epoch, train_loss, train_acc, test_loss, test_acc   one entry per evaluated epoch (acc only for labels)
    lr                                                  learning rate at the end of each evaluated epoch
    step_loss                                           per-step minibatch loss (track_step_loss)
    grad_norm                                           per-step L2 norm of the full gradient (track_grad_norm)
    layer_grad_norm                                     per-step {parameter name: norm} (track_layer_grad_norms)
    snapshots, snapshot_epochs                          flat weight vectors (cpu) every `snapshot_every` epochs
    diverged_at_epoch, diverged_at_step                 None, or where the loss first became NaN/inf
    steps, elapsed_s, train_metric_source               total optimizer steps, wall seconds, "eval"|"running"

A NaN/inf training loss stops the run: the epoch it happened in is recorded with NaN metrics and training
ends; nothing is raised, so a notebook can plot and tabulate the divergence.
"""
from __future__ import annotations

import math
import time
from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F

from .data import Split, crop_flip, minibatches
from .progress import progress

LOSSES = ("cross_entropy", "mse")
OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULERS = (None, "cosine")


def loss_function(name: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The mean loss `name` ("cross_entropy" or "mse") as f(outputs, targets)."""
    if name == "cross_entropy":
        return F.cross_entropy
    if name == "mse":
        return F.mse_loss
    raise ValueError(f"unknown loss {name!r}: use one of {LOSSES}")


@torch.no_grad()
def evaluate(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss: str = "cross_entropy", batch_size: int = 256
) -> tuple[float, float | None]:
    """Mean loss and accuracy (None for regression) of `model` in eval mode over (x, y), in chunks.
    The model's train/eval mode is restored afterwards."""
    was_training = model.training
    model.eval()
    total, correct = 0.0, 0
    classify = loss == "cross_entropy"
    fn = loss_function(loss)
    for i in range(0, len(x), batch_size):
        out = model(x[i : i + batch_size])
        yy = y[i : i + batch_size]
        total += float(fn(out, yy, reduction="sum"))
        if classify:
            correct += int((out.argmax(1) == yy).sum())
    model.train(was_training)
    n = max(len(x), 1)
    return total / n, (correct / n if classify else None)


def make_optimizer(
    model: nn.Module, name: str, lr: float, momentum: float = 0.0, weight_decay: float = 0.0
) -> torch.optim.Optimizer:
    if name == "sgd":
        return torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}: use one of {OPTIMIZERS}")


def flat_params(model: nn.Module) -> torch.Tensor:
    """All parameters as one flat float tensor on the CPU (a copy)."""
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()]).cpu().clone()


def _grad_norms(model: nn.Module, per_layer: bool) -> tuple[float, dict[str, float] | None]:
    named = [(n, p.grad) for n, p in model.named_parameters() if p.grad is not None]
    norms = torch.stack([torch.linalg.vector_norm(g) for _, g in named])
    total = float(torch.linalg.vector_norm(norms))
    layers = {n: float(v) for (n, _), v in zip(named, norms)} if per_layer else None
    return total, layers


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
    scheduler: str | None = None,
    loss: str = "cross_entropy",
    seed: int = 0,
    augment: str | None = None,
    max_steps: int | None = None,
    eval_every: int = 1,
    eval_train: bool = True,
    eval_batch_size: int = 256,
    track_step_loss: bool = False,
    track_grad_norm: bool = False,
    track_layer_grad_norms: bool = False,
    snapshot_every: int | None = None,
    on_epoch: Callable[[int, nn.Module, dict], None] | None = None,
    progress_bar: bool = True,
    desc: str | None = None,
) -> dict:
    """Train `model` in place on `data` and return its history (see the module docstring).

    epochs: passes over the training set; with `max_steps`, training stops after that many optimizer steps
        (fixed-steps comparisons) and `epochs` is only an upper bound.
    scheduler: None (constant lr) or "cosine" (per step, from lr to 0 over the whole run).
    augment: None or "crop_flip" (CIFAR-style, on the preloaded tensors).
    eval_train: the train metrics come from a full pass in eval mode (True) or are the running means of the
        epoch's minibatches (False, cheaper: what the optimizer saw, with dropout/BN in train mode).
    Shuffling and augmentation use a generator seeded with `seed`; weight init is the caller's business.
    """
    if epochs < 1:
        raise ValueError(f"epochs={epochs} must be >= 1")
    if scheduler not in SCHEDULERS:
        raise ValueError(f"unknown scheduler {scheduler!r}: use one of {SCHEDULERS}")
    if augment not in (None, "crop_flip"):
        raise ValueError(f"unknown augment {augment!r}: use None or 'crop_flip'")
    loss_fn = loss_function(loss)
    classify = loss == "cross_entropy"
    opt = make_optimizer(model, optimizer, lr, momentum, weight_decay)
    steps_per_epoch = math.ceil(len(data.x_train) / batch_size)
    total_steps = min(epochs * steps_per_epoch, max_steps or math.inf)
    epochs = math.ceil(total_steps / steps_per_epoch)
    sched = None
    if scheduler == "cosine":
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, total_steps) / total_steps)))
    gen = torch.Generator().manual_seed(seed)

    hist: dict = {k: [] for k in ("epoch", "train_loss", "train_acc", "test_loss", "test_acc", "lr")}
    hist.update(diverged_at_epoch=None, diverged_at_step=None, steps=0,
                train_metric_source="eval" if eval_train else "running")
    if track_step_loss:
        hist["step_loss"] = []
    if track_grad_norm:
        hist["grad_norm"] = []
    if track_layer_grad_norms:
        hist["layer_grad_norm"] = []
    if snapshot_every:
        hist["snapshots"], hist["snapshot_epochs"] = [flat_params(model)], [0]

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
            out = model(xb)
            batch_loss = loss_fn(out, yb)
            if not torch.isfinite(batch_loss):
                hist["diverged_at_epoch"], hist["diverged_at_step"] = epoch, step
                break
            if track_step_loss:
                hist["step_loss"].append(float(batch_loss.detach()))
            opt.zero_grad(set_to_none=True)
            batch_loss.backward()
            if track_grad_norm or track_layer_grad_norms:
                total, layers = _grad_norms(model, track_layer_grad_norms)
                if track_grad_norm:
                    hist["grad_norm"].append(total)
                if track_layer_grad_norms:
                    hist["layer_grad_norm"].append(layers)
            opt.step()
            if sched:
                sched.step()
            step += 1
            run_loss += batch_loss.detach() * len(xb)
            if classify:
                run_correct += (out.argmax(1) == yb).sum()
            seen += len(xb)
        hist["steps"] = step
        diverged = hist["diverged_at_epoch"] is not None
        if diverged or epoch % eval_every == 0 or epoch == epochs:
            if diverged:
                tr_loss, tr_acc, te_loss, te_acc = math.nan, (math.nan if classify else None), math.nan, (math.nan if classify else None)
            else:
                if eval_train:
                    tr_loss, tr_acc = evaluate(model, data.x_train, data.y_train, loss, eval_batch_size)
                else:
                    tr_loss = float(run_loss) / max(seen, 1)
                    tr_acc = float(run_correct) / max(seen, 1) if classify else None
                te_loss, te_acc = evaluate(model, data.x_test, data.y_test, loss, eval_batch_size)
                if not math.isfinite(tr_loss):  # finite minibatches but a non-finite full pass
                    hist["diverged_at_epoch"], hist["diverged_at_step"] = epoch, step
                    diverged = True
            for k, v in zip(("epoch", "train_loss", "train_acc", "test_loss", "test_acc", "lr"),
                            (epoch, tr_loss, tr_acc, te_loss, te_acc, opt.param_groups[0]["lr"])):
                hist[k].append(v)
            bar.set_postfix(loss=f"{tr_loss:.3g}", test=f"{te_loss:.3g}")
        if snapshot_every and not diverged and epoch % snapshot_every == 0:
            hist["snapshots"].append(flat_params(model))
            hist["snapshot_epochs"].append(epoch)
        if on_epoch:
            on_epoch(epoch, model, hist)
        if diverged or step >= total_steps:
            break
    model.eval()
    hist["elapsed_s"] = time.time() - t0
    return hist


def final(hist: dict, key: str) -> float | None:
    """The last recorded value of `key` (e.g. "test_acc"), or None when nothing was recorded."""
    values = hist.get(key) or []
    return values[-1] if values else None
