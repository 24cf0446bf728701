"""Intrinsic dimension (Li et al. 2018, *Measuring the Intrinsic Dimension of Objective Landscapes*).

Train a network only inside a random d-dimensional affine subspace of its p-dimensional weight space:

    theta = theta_0 + P z,      theta_0 = the random initialisation (frozen),  z in R^d (trained, starts at 0)

The loss is evaluated with `torch.func.functional_call(model, unflatten(theta_0 + P z))`, so autograd reaches z
through P. Projections P (p x d), each with (approximately) unit-norm columns as in the paper:

    DenseProjection     i.i.d. Gaussian entries, every column normalised to norm 1 (p*d numbers in memory)
    FastfoodProjection  the Fastfood transform (Le et al. 2013) used by Li et al. for large p*d: per block of
                        L = 2^ceil(log2 d) rows,  V_b = s_b H G_b Pi_b H B_b  (B: random signs, H: Walsh-Hadamard,
                        Pi: a random permutation, G: Gaussian diagonal, s_b a scale making the block's columns
                        norm sqrt(1/n_blocks)); ceil(p / L) stacked blocks, the rows beyond p dropped. O(p log d)
                        time and O(p) memory. Columns have norm exactly 1 when L divides p.
    ColumnSelection     P = columns of the identity: trains the chosen coordinates of theta only (for tests)

`make_projection(p, d, kind="auto")` picks dense while p*d <= `max_dense_entries`, else Fastfood.

d_int90: the smallest d whose subspace-trained test accuracy reaches 90 % of the full model's accuracy. We
report the first d *on the swept grid* that reaches it (an upper bound of the true d_int90 at the grid's
resolution) and, in addition, the log-linear interpolation between the last grid point below and the first at
or above the threshold.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch
from torch import nn
from torch.func import functional_call

from . import models
from .data import Split, minibatches
from .train import evaluate, loss_function


# ---- projections ---------------------------------------------------------------------------------------------

class DenseProjection:
    """P (p x d) with i.i.d. N(0, 1) entries, each column scaled to unit norm."""

    kind = "dense"

    def __init__(self, p: int, d: int, seed: int = 0, device=None, dtype=torch.float32):
        g = torch.Generator().manual_seed(seed)
        M = torch.randn(p, d, generator=g, dtype=dtype)
        self.M = (M / M.norm(dim=0, keepdim=True)).to(device)
        self.p, self.d = p, d

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        return self.M @ z


def fwht(x: torch.Tensor) -> torch.Tensor:
    """Unnormalised fast Walsh-Hadamard transform along the last axis (length a power of 2): x @ H_L with H the
    Sylvester-ordered Hadamard matrix (entries +-1). Differentiable (reshapes, adds and subtracts only)."""
    L = x.shape[-1]
    if L & (L - 1):
        raise ValueError(f"fwht needs a power-of-2 length, got {L}")
    lead = x.shape[:-1]
    h = 1
    while h < L:
        y = x.reshape(*lead, L // (2 * h), 2, h)
        a, b = y[..., 0, :], y[..., 1, :]
        x = torch.stack((a + b, a - b), dim=-2).reshape(*lead, L)
        h *= 2
    return x


class FastfoodProjection:
    """The Fastfood transform as a p x d projection (module docstring); never stores a p x d matrix."""

    kind = "fastfood"

    def __init__(self, p: int, d: int, seed: int = 0, device=None, dtype=torch.float32):
        g = torch.Generator().manual_seed(seed)
        self.p, self.d = p, d
        self.L = L = 1 << max(0, math.ceil(math.log2(max(d, 1))))
        self.n_blocks = nb = math.ceil(p / L)
        self.B = (torch.randint(0, 2, (nb, L), generator=g) * 2 - 1).to(dtype).to(device)
        self.perm = torch.stack([torch.randperm(L, generator=g) for _ in range(nb)]).to(device)
        self.G = torch.randn(nb, L, generator=g, dtype=dtype).to(device)
        # column norm of block b before scaling: ||H G Pi H B e_j||^2 = L * ||G_b||^2 for every j
        self.scale = (1.0 / torch.sqrt(L * (self.G.double() ** 2).sum(1) * nb)).to(dtype).to(device).unsqueeze(1)

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        x = torch.nn.functional.pad(z, (0, self.L - self.d))
        x = fwht(self.B * x)                       # (n_blocks, L)
        x = torch.gather(x, 1, self.perm)          # Pi
        x = fwht(self.G * x) * self.scale
        return x.reshape(-1)[: self.p]


class ColumnSelection:
    """P = the identity's columns `index` (theta_0 + P z changes only those coordinates)."""

    kind = "columns"

    def __init__(self, p: int, index: Sequence[int], device=None, dtype=torch.float32):
        self.p, self.d = p, len(index)
        self.index = torch.as_tensor(list(index), dtype=torch.long, device=device)

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        return torch.zeros(self.p, dtype=z.dtype, device=z.device).index_add(0, self.index, z)


def make_projection(p: int, d: int, *, kind: str = "auto", seed: int = 0, device=None,
                    max_dense_entries: int = 1 << 24):
    """A p x d projection: "dense", "fastfood", or "auto" (dense while p * d <= max_dense_entries)."""
    if kind == "auto":
        kind = "dense" if p * d <= max_dense_entries else "fastfood"
    if kind == "dense":
        return DenseProjection(p, d, seed, device)
    if kind == "fastfood":
        return FastfoodProjection(p, d, seed, device)
    raise ValueError(f"projection kind must be 'auto', 'dense' or 'fastfood', got {kind!r}")


def materialize(proj) -> torch.Tensor:
    """The p x d matrix of a projection (for tests on small sizes)."""
    eye = torch.eye(proj.d)
    return torch.stack([proj(eye[j]) for j in range(proj.d)], dim=1)


# ---- training in the subspace --------------------------------------------------------------------------------

class Subspace:
    """theta(z) = theta_0 + P z for the trainable parameters of `model` (theta_0 = their current values)."""

    def __init__(self, model: nn.Module, proj):
        self.model = model
        self.names = [n for n, p in model.named_parameters() if p.requires_grad]
        params = [p for n, p in model.named_parameters() if p.requires_grad]
        self.shapes = [p.shape for p in params]
        self.theta0 = torch.cat([p.detach().reshape(-1) for p in params]).clone()
        if proj.p != self.theta0.numel():
            raise ValueError(f"projection has p={proj.p}, the model has {self.theta0.numel()} trainable parameters")
        self.proj = proj

    def params(self, z: torch.Tensor) -> dict[str, torch.Tensor]:
        theta = self.theta0 + self.proj(z)
        out, i = {}, 0
        for n, s in zip(self.names, self.shapes):
            k = math.prod(s)
            out[n] = theta[i:i + k].view(s)
            i += k
        return out

    def __call__(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return functional_call(self.model, self.params(z), (x,))

    @torch.no_grad()
    def load(self, z: torch.Tensor) -> nn.Module:
        """Write theta_0 + P z into the model's parameters (and return it)."""
        for p, v in zip((p for p in self.model.parameters() if p.requires_grad), self.params(z).values()):
            p.copy_(v)
        return self.model


def fit_subspace(model: nn.Module, proj, data: Split, *, epochs: int, lr: float, optimizer: str = "adam",
                 batch_size: int = 128, loss: str = "cross_entropy", seed: int = 0,
                 max_steps: int | None = None) -> tuple[torch.Tensor, dict]:
    """Train z (starting at 0) so that `model` with weights theta_0 + P z fits `data.x_train`, with the same
    minibatch order as `train.fit(..., seed=seed)`; BN layers run in train mode (batch statistics, updating the
    model's running statistics). Afterwards the model holds theta_0 + P z (eval mode).
    Returns (z, {"train_loss": per-epoch running mean, "steps"})."""
    sub = Subspace(model, proj)
    dev = sub.theta0.device
    z = torch.zeros(proj.d, device=dev, dtype=sub.theta0.dtype, requires_grad=True)
    if optimizer == "adam":
        opt = torch.optim.Adam([z], lr=lr)
    elif optimizer == "sgd":
        opt = torch.optim.SGD([z], lr=lr)
    else:
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")
    fn = loss_function(loss)
    gen = torch.Generator().manual_seed(seed)
    hist = {"train_loss": [], "steps": 0}
    model.train()
    step = 0
    for _ in range(epochs):
        tot, seen = 0.0, 0
        for xb, yb in minibatches(data.x_train, data.y_train, batch_size, generator=gen):
            if max_steps is not None and step >= max_steps:
                break
            out = sub(z, xb)
            batch_loss = fn(out, yb)
            if not torch.isfinite(batch_loss):
                break
            opt.zero_grad(set_to_none=True)
            batch_loss.backward()
            opt.step()
            step += 1
            tot += float(batch_loss.detach()) * len(xb)
            seen += len(xb)
        hist["train_loss"].append(tot / max(seen, 1))
    hist["steps"] = step
    sub.load(z.detach())
    model.eval()
    return z.detach(), hist


def train_subspace(spec: dict, data: Split, d: int, *, seed: int, epochs: int, lr: float, batch_size: int = 128,
                   kind: str = "auto", max_dense_entries: int = 1 << 24, bn_images: int = 1024,
                   eval_batch_size: int = 512) -> dict:
    """Build `spec` with torch seeded by `seed` (theta_0 = that initialisation), train in a random d-dimensional
    subspace with Adam, re-estimate BN statistics on the first `bn_images` training images, and return
    {"d", "kind", "test_acc", "test_loss", "train_loss", "steps"}."""
    from .connectivity import has_batchnorm, recompute_bn

    device = data.x_train.device
    torch.manual_seed(seed)
    model = models.build(spec).to(device)
    p = models.count_params(model)
    proj = make_projection(p, d, kind=kind, seed=seed + 7919 * d, device=device, max_dense_entries=max_dense_entries)
    _, hist = fit_subspace(model, proj, data, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed)
    if has_batchnorm(model):
        recompute_bn(model, data.x_train[:bn_images])
    test_loss, test_acc = evaluate(model, data.x_test, data.y_test, batch_size=eval_batch_size)
    return dict(d=d, kind=proj.kind, test_acc=test_acc, test_loss=test_loss,
                train_loss=hist["train_loss"][-1] if hist["train_loss"] else float("nan"), steps=hist["steps"])


def scaled_lr(lr_ref: float, d: int, d_ref: int = 1000, cap: float = 0.1) -> float:
    """Adam learning rate for z in d dimensions: lr_ref * sqrt(d_ref / d), capped at `cap`. Adam moves every
    coordinate of z by about lr per step, so theta = theta_0 + P z (unit-norm, nearly orthogonal columns) moves by
    about lr * sqrt(d): scaling lr by 1/sqrt(d) keeps the step in weight space the same for every d (a fixed lr
    made d = 20,000 worse than d = 6,000 in our quick runs)."""
    return min(cap, lr_ref * math.sqrt(d_ref / d))


def d_int90(dims: Sequence[int], accs: Sequence[float], baseline: float, frac: float = 0.9) -> dict:
    """{"grid": the first d of the (sorted) grid with acc >= frac * baseline (None if none reaches it),
    "interp": log-linear interpolation of d between the last grid point below and that one (None likewise;
    equal to the grid value when the smallest d already reaches it), "threshold": frac * baseline}."""
    thr = frac * baseline
    order = np.argsort(dims)
    ds = np.asarray(dims, dtype=float)[order]
    acc = np.asarray([np.nan if a is None else a for a in accs], dtype=float)[order]
    hit = np.flatnonzero(acc >= thr)
    if not len(hit):
        return dict(grid=None, interp=None, threshold=thr)
    i = int(hit[0])
    if i == 0:
        return dict(grid=int(ds[0]), interp=float(ds[0]), threshold=thr)
    a0, a1 = acc[i - 1], acc[i]
    w = (thr - a0) / (a1 - a0) if a1 > a0 else 1.0
    interp = float(np.exp(np.log(ds[i - 1]) + w * (np.log(ds[i]) - np.log(ds[i - 1]))))
    return dict(grid=int(ds[i]), interp=interp, threshold=thr)
