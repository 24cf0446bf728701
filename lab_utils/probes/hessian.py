"""Hessian probes of the mean loss over `batches` w.r.t. the trainable parameters: extreme eigenvalues
(Lanczos or power iteration), the trace (Hutchinson), the spectral density (stochastic Lanczos quadrature), the
two condition numbers, and the dense Hessian of small problems.

All of them run the model in **eval mode** (BN uses its running statistics, no running-stat update) on the
sample-weighted mean of `loss_fn` (a mean-reduction loss) over all batches, chunked, and leave the model exactly
as they found it. Eigenvalues are in loss units per squared parameter unit. Random vectors come from a
`torch.Generator` seeded with `seed` (the global RNG is untouched), drawn on the CPU so results do not depend on
the device. The eigensolvers themselves are in `linalg` (one Lanczos, one power iteration, for every operator).

Condition numbers, two distinct definitions (a trained net's Hessian is indefinite and nearly singular, so the
textbook lambda_max / lambda_min of a positive-definite matrix does not exist):
    condition_top_k(eigs)          kappa_k = lambda_1 / lambda_k over the k largest eigenvalues: how anisotropic the
                                   leading curvature is (gradient descent at its stable step 2 / lambda_1 moves
                                   kappa_k times slower along the k-th sharpest direction than along the sharpest)
    condition_extremes(max, min)   kappa_ends = lambda_max / |lambda_min|: the spread between the two ends of the
                                   spectrum (lambda_min < 0 at a saddle-like point)
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from .hvp import HVP
from .linalg import Eigen, eigsh, lanczos, power_eigsh, rand_vector, tridiag_eig
from .state import preserved

METHODS = ("lanczos", "power")


def hessian_eigenvalues(
    model: nn.Module, loss_fn: Callable, batches, k: int = 1, which: str = "largest", method: str = "lanczos",
    return_vectors: bool = False, tol: float = 1e-4, max_iter: int = 100, seed: int = 0, chunk_size: int = 256,
    hvp_method: str = "double_backward", bound: str = "residual",
) -> Eigen:
    """The k largest or smallest (algebraic) eigenvalues of the Hessian of the mean loss over `batches`.

    Model in eval mode (BN running statistics); left exactly as found.
    which: "largest" (returned largest first) or "smallest" (smallest first).
    method: "lanczos" (full reorthogonalisation, Ritz residuals checked after every HVP) or "power" (power
        iteration with deflation; "smallest" runs on H - lambda_max I; should a negative eigenvalue dominate
        "largest", it warns and reruns on H - lambda_min I).
    tol: stop when every wanted pair's residual ||H v - theta v|| <= tol * ||H|| (see `linalg`): the absolute
        error of each value is at most tol * ||H||.
    bound: "residual" (that rigorous bound) or "gap" (Lanczos only; the a-posteriori estimate, see linalg.eigsh).
    max_iter: HVP budget: Lanczos steps (capped at the number of parameters), or power iterations per eigenvalue.
        Not converging within it is reported in `.converged` (and the residuals), not raised.
    Returns `linalg.Eigen`: values, vectors (unit-norm flat tensors over the trainable parameters when
    return_vectors, else None), n_matvec (HVPs used), converged, residuals (relative)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    with preserved(model):
        H = HVP(model, loss_fn, batches, chunk_size, hvp_method)
        gen = torch.Generator().manual_seed(seed)
        common = dict(tol=tol, max_iter=max_iter, gen=gen, dtype=H.dtype, device=H.device)
        if method == "lanczos":
            res = eigsh(H, H.n, k, which, bound=bound, return_vectors=return_vectors, **common)
        else:
            if bound != "residual":
                raise ValueError("bound='gap' is a Lanczos option")
            res = power_eigsh(H, H.n, k, which, **common)
        res.n_matvec = H.calls
        if return_vectors:
            res.vectors = [v.detach() for v in res.vectors]
        else:
            res.vectors = None
        return res


@dataclass(frozen=True)
class Trace:
    """A stochastic trace estimate: the mean over `n_samples` probe vectors, its standard error (inf for one
    sample) and the HVPs it cost."""

    estimate: float
    stderr: float
    n_samples: int
    n_hvp: int



def hessian_trace(model: nn.Module, loss_fn: Callable, batches, n_samples: int = 100, seed: int = 0,
                  chunk_size: int = 256, hvp_method: str = "double_backward") -> Trace:
    """Hutchinson estimate of tr(H), H the Hessian of the mean loss over `batches`: the mean of z^T H z over
    `n_samples` Rademacher vectors z, with the standard error of that mean. Model in eval mode (BN running
    statistics); left exactly as found."""
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    with preserved(model):
        H = HVP(model, loss_fn, batches, chunk_size, hvp_method)
        gen = torch.Generator().manual_seed(seed)
        est = []
        for _ in range(n_samples):
            z = rand_vector(H.n, gen, H.dtype, H.device, "rademacher")
            est.append(float(z @ H(z)))
    est_a = np.asarray(est)
    se = float(est_a.std(ddof=1) / math.sqrt(n_samples)) if n_samples > 1 else math.inf
    return Trace(float(est_a.mean()), se, n_samples, H.calls)


@dataclass
class Spectrum:
    """A spectral density on a grid (float64, integrating to 1), and the quadrature (nodes, weights) of each run."""

    grid: np.ndarray
    density: np.ndarray
    nodes: list[tuple[np.ndarray, np.ndarray]]


def hessian_spectrum(
    model: nn.Module, loss_fn: Callable, batches, n_iter: int = 30, n_runs: int = 3, seed: int = 0,
    grid: np.ndarray | None = None, n_grid: int = 1000, sigma: float | None = None, chunk_size: int = 256,
    hvp_method: str = "double_backward",
) -> Spectrum:
    """Spectral density of the Hessian by stochastic Lanczos quadrature (Ghorbani et al. 2019; PyHessian).

    `n_runs` Lanczos runs of `n_iter` steps (full reorthogonalisation) from normalised Rademacher vectors give
    quadrature nodes theta_j (Ritz values) and weights tau_j (squared first components of the Ritz vectors,
    summing to 1); the density is their average, each node broadened by a Gaussian of standard deviation
    `sigma` (eigenvalue units; default 1% of the node range). The default grid spans the nodes +- 5 sigma with
    `n_grid` points; the density is renormalised to integrate to 1 over the grid (trapezoid), and its mean
    approximates tr(H)/n. Model in eval mode (BN running statistics); left exactly as found."""
    if n_iter < 1 or n_runs < 1:
        raise ValueError(f"n_iter and n_runs must be >= 1, got n_iter={n_iter}, n_runs={n_runs}")
    nodes = []
    with preserved(model):
        H = HVP(model, loss_fn, batches, chunk_size, hvp_method)
        gen = torch.Generator().manual_seed(seed)
        for _ in range(n_runs):
            alphas, betas, _ = lanczos(H, rand_vector(H.n, gen, H.dtype, H.device, "rademacher"), n_iter)
            theta, S = tridiag_eig(alphas, betas)
            nodes.append((theta, S[0] ** 2))
    allt = np.concatenate([t for t, _ in nodes])
    lo, hi = float(allt.min()), float(allt.max())
    if sigma is None:
        sigma = 0.01 * (hi - lo) if hi > lo else max(1e-3 * abs(hi), 1e-8)
    if sigma <= 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    grid = np.linspace(lo - 5 * sigma, hi + 5 * sigma, n_grid) if grid is None else np.asarray(grid, np.float64)
    dens = np.zeros_like(grid)
    for theta, w in nodes:
        dens += (w[None, :] * np.exp(-0.5 * ((grid[:, None] - theta[None, :]) / sigma) ** 2)).sum(1)
    dens /= n_runs * sigma * math.sqrt(2 * math.pi)
    dens /= np.trapezoid(dens, grid)
    return Spectrum(grid, dens, nodes)


def condition_top_k(top_eigs: Sequence[float]) -> float | None:
    """kappa_k = lambda_1 / lambda_k over the top-k eigenvalues (sorted or not); None when k < 2 or lambda_k <= 0."""
    eigs = sorted((float(e) for e in top_eigs), reverse=True)
    if len(eigs) < 2 or eigs[-1] <= 0 or eigs[0] <= 0:
        return None
    return eigs[0] / eigs[-1]


def condition_extremes(lambda_max: float, lambda_min: float) -> float:
    """kappa_ends = lambda_max / |lambda_min| (inf when lambda_min is 0)."""
    return lambda_max / abs(lambda_min) if lambda_min != 0 else math.inf


def dense_hessian(f: Callable[[torch.Tensor], torch.Tensor], theta: torch.Tensor) -> torch.Tensor:
    """The exact Hessian of a scalar function of a flat vector (torch.func.hessian), symmetrised; use float64
    and small problems (it is theta.numel() squared entries)."""
    with warnings.catch_warnings():  # torch 2.14's forward-mode AD scripts a helper on first use: a FutureWarning
        warnings.filterwarnings("ignore", message=".*torch.jit.script.*", category=FutureWarning)
        H = torch.func.hessian(f)(theta)
    return 0.5 * (H + H.T)
