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

from ..core.data import Split
from ..core.params import flatten, load_flat, n_trainable, param_dict, trainable
from ..core.train import evaluate, final, fit
from ..models import build

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
        x = fwht(self.B * x)  # (n_blocks, L)
        x = torch.gather(x, 1, self.perm)  # Pi
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


def make_projection(
    p: int, d: int, *, kind: str = "auto", seed: int = 0, device=None, max_dense_entries: int = 1 << 24
):
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


class SubspaceModel(nn.Module):
    """`base` with weights theta(z) = theta_0 + P z: the only parameter is z (d entries, starting at 0); theta_0 is
    the base model's trainable weights when wrapped. The forward pass runs the base model through
    `functional_call`, so autograd reaches z through P; BN layers use and update the base model's own buffers, as
    in ordinary training. The base model is held, not registered as a submodule (its weights are constants here),
    and follows this module's train/eval mode. Train it with `core.train.fit` like any model."""

    def __init__(self, base: nn.Module, proj):
        super().__init__()
        self._base = (base,)
        names, params = trainable(base)
        self.names = names
        self.theta0 = flatten([p.detach() for p in params]).clone()
        if proj.p != self.theta0.numel():
            raise ValueError(f"projection has p={proj.p}, the model has {self.theta0.numel()} trainable parameters")
        self.proj = proj
        self.z = nn.Parameter(torch.zeros(proj.d, device=self.theta0.device, dtype=self.theta0.dtype))

    @property
    def base(self) -> nn.Module:
        return self._base[0]

    def train(self, mode: bool = True) -> "SubspaceModel":
        super().train(mode)
        self.base.train(mode)
        return self

    def theta(self) -> torch.Tensor:
        return self.theta0 + self.proj(self.z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return functional_call(self.base, param_dict(self.base, self.theta()), (x,))

    @torch.no_grad()
    def load_into_base(self) -> nn.Module:
        """Write theta_0 + P z into the base model's trainable parameters (and return it)."""
        return load_flat(self.base, self.theta())


def train_subspace(
    spec: dict,
    data: Split,
    d: int,
    *,
    seed: int,
    epochs: int,
    lr: float,
    batch_size: int = 128,
    kind: str = "auto",
    max_dense_entries: int = 1 << 24,
    bn_images: int = 1024,
    eval_batch_size: int = 512,
) -> dict:
    """Build `spec` with torch seeded by `seed` (theta_0 = that initialisation), train z in a random d-dimensional
    subspace with Adam (`core.train.fit`, the same minibatch order as a full run with this seed; BN in train
    mode), re-estimate BN statistics on the first `bn_images` training images, and return
    {"d", "kind", "test_acc", "test_loss", "train_loss" (running mean of the last epoch), "steps"}."""
    from .connectivity import has_batchnorm, recompute_bn

    device = data.x_train.device
    torch.manual_seed(seed)
    base = build(spec).to(device)
    proj = make_projection(
        n_trainable(base), d, kind=kind, seed=seed + 7919 * d, device=device, max_dense_entries=max_dense_entries
    )
    sub = SubspaceModel(base, proj)
    hist = fit(
        sub,
        data,
        epochs=epochs,
        lr=lr,
        optimizer="adam",
        batch_size=batch_size,
        seed=seed,
        eval_train=False,
        eval_every=epochs,
        eval_batch_size=eval_batch_size,
        progress_bar=False,
    )
    base = sub.load_into_base()
    if has_batchnorm(base):
        recompute_bn(base, data.x_train[:bn_images])
    test_loss, test_acc = evaluate(base, data.x_test, data.y_test, batch_size=eval_batch_size)
    last = final(hist, "train_loss")
    return dict(
        d=d,
        kind=proj.kind,
        test_acc=test_acc,
        test_loss=test_loss,
        train_loss=float("nan") if last is None else last,
        steps=hist["steps"],
    )


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
