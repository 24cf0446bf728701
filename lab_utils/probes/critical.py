"""Critical points of small networks: the loss as a function of a flat weight vector, a solver that converges to
a point where the gradient vanishes, the index of that point from its dense Hessian (the minimal ratio, with a
sweep over what counts as a zero eigenvalue), and the sampling estimate of the same ratio.

    f = flat_loss(model, F.mse_loss, (x, y))            # theta -> mean loss, float64, differentiable
    cp = critical_point(f, theta0, grad_tol=1e-6)       # CriticalPoint: theta, loss, grad_norm, converged, record
    cps = critical_points(f, thetas)                    # the same from every row of a K x P batch, vectorised
    eigs = torch.linalg.eigvalsh(dense_hessian(f, cp.theta))
    index_sweep(eigs, (1e-10, 1e-8, 1e-6))              # one HessianIndex(ratio, n_pos, n_neg, n_zero) per tolerance
    sampling_ratio(f, cp.theta, radius, 1000)           # fraction of random neighbours with a higher loss

`critical_points` is Newton's method with the exact (dense, float64) Hessian H = Q diag(lambda) Q^T, damped as
d = -Q diag(1 / (|lambda| + mu)) Q^T g and accepted only when the loss falls (a trust-region-like mu), so it
descends: it finishes training a run to a point where the gradient vanishes (to ||grad f|| <= 1e-6), rather than
jumping to the nearest root of grad f of any index. Near a nondegenerate minimum mu -> 0 and the steps are pure
Newton steps (quadratic convergence); along negative curvature the step goes down, so the solver reaches a saddle
only along its stable manifold. What it returns is judged by the Hessian there: `index_sweep` counts eigenvalues
at several tolerances of what counts as zero, and the index is well defined only when the counts agree.
"""

from __future__ import annotations

import copy
import math
import warnings
from dataclasses import dataclass
from typing import Callable, Sequence

import torch
from torch import nn
from torch.func import functional_call, vmap

from ..core.params import param_dict
from .batches import joined

ZERO_TOLS = (1e-10, 1e-8, 1e-6, 1e-4)  # relative to max|lambda|: what counts as a zero eigenvalue


def flat_loss(
    model: nn.Module, loss_fn: Callable, batches, dtype: torch.dtype = torch.float64
) -> Callable[[torch.Tensor], torch.Tensor]:
    """theta (flat, trainable parameters in `core.params` order) -> the mean `loss_fn(model(x), y)` over every
    sample of `batches` (one forward pass over all of them), computed on a copy of the model in `dtype` (eval
    mode) on the inputs' device; differentiable in theta and vmap-able."""
    x, y = joined(batches)
    shell = copy.deepcopy(model).to(device=x.device, dtype=dtype).eval()
    x = x.to(dtype) if x.is_floating_point() else x
    y = y.to(dtype) if y.is_floating_point() else y

    def f(theta: torch.Tensor) -> torch.Tensor:
        return loss_fn(functional_call(shell, param_dict(shell, theta), (x,)), y)

    return f


# ---- the solver ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriticalPoint:
    """Where `critical_point` ended and how it got there.

    theta: the end point (float64, detached); loss, grad_norm: f and ||grad f|| (L2) there; converged: grad_norm <=
    grad_tol (the `criterion`); n_iter: accepted steps; grad_norms, losses: ||grad f|| and f at the start and after
    every accepted step; distance: ||theta - theta0|| (how far the solver moved from where it started)."""

    theta: torch.Tensor
    loss: float
    grad_norm: float
    converged: bool
    criterion: str
    n_iter: int
    grad_norms: list[float]
    losses: list[float]
    distance: float


def critical_points(
    f: Callable[[torch.Tensor], torch.Tensor],
    thetas: torch.Tensor,
    *,
    grad_tol: float = 1e-6,
    max_iter: int = 300,
    max_trials: int = 40,
    damping: float = 1e-3,
) -> list[CriticalPoint]:
    """Damped Newton with the exact dense Hessian from every row of `thetas` (K x P) at once, in their dtype (use
    float64: a gradient norm of 1e-6 needs it); `f` is a function of one flat vector that `torch.func.vmap` can
    batch (e.g. `flat_loss`).

    With H = Q diag(lambda) Q^T each step is d = -Q diag(1 / (|lambda| + mu)) Q^T g: Newton's step where H is
    positive definite, and along a negative-curvature direction a step *down* it, so the loss falls at every
    accepted step and the solver never climbs. A step is accepted when it lowers f, or, once f no longer changes
    within float precision, when it lowers ||grad f||; mu shrinks 4x after an accepted step and grows 4x after a
    rejected one (`damping`: the first mu, relative to max|lambda|). A row stops when ||grad f|| <= `grad_tol`,
    after `max_iter` accepted steps, or after `max_trials` rejections in a row (where the local model is wrong: a
    kink of a ReLU net, or the limit of float precision)."""
    grad, loss = vmap(torch.func.grad(f)), vmap(f)
    _hess = vmap(torch.func.hessian(f))

    def hess(x: torch.Tensor) -> torch.Tensor:
        with warnings.catch_warnings():  # torch 2.14's forward-mode AD scripts a helper on first use: a FutureWarning
            warnings.filterwarnings("ignore", message=".*torch.jit.script.*", category=FutureWarning)
            return _hess(x)

    theta0 = thetas.detach()
    theta = theta0.clone()
    g = grad(theta)
    gn, val = torch.linalg.vector_norm(g, dim=1), loss(theta)
    norms, losses = [[float(v)] for v in gn], [[float(v)] for v in val]
    mu = torch.full_like(gn, math.nan)
    active = gn > grad_tol
    for _ in range(max_iter):
        rows = active.nonzero().flatten()
        if not len(rows):
            break
        H = hess(theta[rows])
        lam, Q = torch.linalg.eigh(0.5 * (H + H.transpose(1, 2)))
        scale = lam.abs().amax(1)
        mu[rows] = torch.where(torch.isnan(mu[rows]), damping * scale, mu[rows])
        qg = (Q.transpose(1, 2) @ g[rows, :, None])[..., 0]
        pending = torch.ones(len(rows), dtype=torch.bool)
        for _ in range(max_trials):
            p = pending.nonzero().flatten()
            r = rows[p]
            step = -(Q[p] @ (qg[p] / (lam[p].abs() + mu[r, None]))[..., None])[..., 0]
            val_new, g_new = loss(theta[r] + step), grad(theta[r] + step)
            gn_new = torch.linalg.vector_norm(g_new, dim=1)
            flat = (val_new - val[r]).abs() <= 1e-13 * val[r].abs()
            ok = (val_new < val[r]) & ~flat | flat & (gn_new < gn[r])
            acc = r[ok]
            theta[acc], g[acc], gn[acc], val[acc] = theta[acc] + step[ok], g_new[ok], gn_new[ok], val_new[ok]
            mu[acc] = torch.maximum(mu[acc] / 4, 1e-16 * scale[p[ok]])
            mu[r[~ok]] *= 4
            for i in acc.tolist():
                norms[i].append(float(gn[i]))
                losses[i].append(float(val[i]))
            pending[p[ok]] = False
            if not pending.any():
                break
        active[rows[pending]] = False  # no accepted step within max_trials
        active &= gn > grad_tol
    crit = f"full-batch ‖∇L‖ ≤ {grad_tol:g} (float64)"
    dist = torch.linalg.vector_norm(theta - theta0, dim=1)
    return [
        CriticalPoint(
            theta[i].clone(),
            losses[i][-1],
            norms[i][-1],
            norms[i][-1] <= grad_tol,
            crit,
            len(norms[i]) - 1,
            norms[i],
            losses[i],
            float(dist[i]),
        )
        for i in range(len(theta))
    ]


def critical_point(f: Callable[[torch.Tensor], torch.Tensor], theta0: torch.Tensor, **kwargs) -> CriticalPoint:
    """`critical_points` from one flat vector."""
    return critical_points(f, theta0.detach()[None], **kwargs)[0]


# ---- the index ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HessianIndex:
    """Counts of positive, negative and (numerically) zero Hessian eigenvalues at one tolerance, and the minimal
    ratio n_pos / (n_pos + n_neg) (NaN when every eigenvalue counts as zero). rel_tol: eigenvalues with |lambda| <=
    rel_tol * max|lambda| counted as zero."""

    ratio: float
    n_pos: int
    n_neg: int
    n_zero: int
    rel_tol: float = 1e-6


def hessian_index(eigs: torch.Tensor, rel_tol: float = 1e-6) -> HessianIndex:
    """The minimal ratio from Hessian eigenvalues: positive / (positive + negative), where eigenvalues with
    |lambda| <= rel_tol * max|lambda| count as zero (flat directions: dead units, symmetries, directions the data
    cannot see) and are left out."""
    eigs = torch.as_tensor(eigs, dtype=torch.float64)
    tol = rel_tol * float(eigs.abs().max()) if len(eigs) else 0.0
    n_pos, n_neg = int((eigs > tol).sum()), int((eigs < -tol).sum())
    ratio = n_pos / (n_pos + n_neg) if n_pos + n_neg else math.nan
    return HessianIndex(ratio, n_pos, n_neg, len(eigs) - n_pos - n_neg, rel_tol)


def index_sweep(eigs: torch.Tensor, rel_tols: Sequence[float] = ZERO_TOLS) -> tuple[HessianIndex, ...]:
    """`hessian_index` at every tolerance of `rel_tols`: the index is well defined when the counts do not change
    across the sweep (a gap in the spectrum between the zero and the nonzero eigenvalues)."""
    return tuple(hessian_index(eigs, t) for t in rel_tols)


# ---- the sampling estimate ----------------------------------------------------------------------------------


def sampling_ratio(
    f: Callable[[torch.Tensor], torch.Tensor],
    theta: torch.Tensor,
    radius: float,
    n_samples: int,
    seed: int = 0,
    chunk: int = 512,
    symmetric: bool = False,
) -> float:
    """Fraction of random neighbours theta + radius * u whose loss f exceeds f(theta), u a uniformly random unit
    vector (a normalised Gaussian: a Gaussian perturbation has the same directions, and at a critical point only
    the direction decides the sign of the change). Evaluated with vmap in chunks, in theta's dtype.
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
