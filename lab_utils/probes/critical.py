"""Critical points of small networks: the loss as a function of a flat weight vector, the index of a critical
point from its dense Hessian (the minimal ratio), and the sampling estimate of the same ratio.

    f = flat_loss(model, F.mse_loss, x, y)          # theta -> mean loss, float64, differentiable
    H = dense_hessian(f, theta)                     # (hessian module) exact, symmetrised
    hessian_index(torch.linalg.eigvalsh(H))         # HessianIndex(ratio, n_pos, n_neg, n_zero)
    sampling_ratio(f, theta, radius, 1000)          # fraction of random neighbours with a higher loss
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn
from torch.func import functional_call, vmap

from ..core.params import param_dict


def flat_loss(model: nn.Module, loss_fn: Callable, x: torch.Tensor, y: torch.Tensor,
              dtype: torch.dtype = torch.float64) -> Callable[[torch.Tensor], torch.Tensor]:
    """theta (flat, trainable parameters in `core.params` order) -> mean `loss_fn(model(x), y)`, computed on a copy
    of the model in `dtype` (eval mode); differentiable in theta and vmap-able."""
    shell = copy.deepcopy(model).to(device=x.device, dtype=dtype).eval()
    x = x.to(dtype) if x.is_floating_point() else x
    y = y.to(dtype) if y.is_floating_point() else y

    def f(theta: torch.Tensor) -> torch.Tensor:
        return loss_fn(functional_call(shell, param_dict(shell, theta), (x,)), y)

    return f


@dataclass(frozen=True)
class HessianIndex:
    """Counts of positive, negative and (numerically) zero Hessian eigenvalues, and the minimal ratio
    n_pos / (n_pos + n_neg) (NaN when every eigenvalue counts as zero)."""

    ratio: float
    n_pos: int
    n_neg: int
    n_zero: int



def hessian_index(eigs: torch.Tensor, rel_tol: float = 1e-6) -> HessianIndex:
    """The minimal ratio from Hessian eigenvalues: positive / (positive + negative), where eigenvalues with
    |lambda| <= rel_tol * max|lambda| count as zero (flat directions: dead ReLUs, rescaling symmetries) and are
    left out."""
    eigs = torch.as_tensor(eigs, dtype=torch.float64)
    tol = rel_tol * float(eigs.abs().max()) if len(eigs) else 0.0
    n_pos, n_neg = int((eigs > tol).sum()), int((eigs < -tol).sum())
    ratio = n_pos / (n_pos + n_neg) if n_pos + n_neg else math.nan
    return HessianIndex(ratio, n_pos, n_neg, len(eigs) - n_pos - n_neg)


def sampling_ratio(f: Callable[[torch.Tensor], torch.Tensor], theta: torch.Tensor, radius: float,
                   n_samples: int, seed: int = 0, chunk: int = 512, symmetric: bool = False) -> float:
    """Fraction of random neighbours theta + radius * u (u a uniformly random unit vector: a normalised
    Gaussian) whose loss f exceeds f(theta). Evaluated with vmap in chunks, in theta's dtype.
    symmetric=True counts instead the directions u with (f(theta + r u) + f(theta - r u)) / 2 > f(theta): the
    first-order term g.u cancels, which isolates the curvature when the gradient is not exactly zero."""
    gen = torch.Generator().manual_seed(seed)
    theta = theta.detach()
    with torch.no_grad():
        f0 = f(theta)
        batched = vmap(f)
        higher = 0
        for i in range(0, n_samples, chunk):
            u = torch.randn(min(chunk, n_samples - i), len(theta), generator=gen, dtype=theta.dtype).to(theta.device)
            u = u / u.norm(dim=1, keepdim=True)
            up = batched(theta + radius * u)
            if symmetric:
                up = 0.5 * (up + batched(theta - radius * u))
            higher += int((up > f0).sum())
    return higher / n_samples
