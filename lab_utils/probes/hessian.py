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
    condition_extremes(max, min)   kappa = lambda_max / |lambda_min|: the spread between the two ends of the
                                   spectrum (lambda_min < 0 at a saddle-like point)
Sections keep the two apart by name: the ablation's (07) `Hessian.condition_top_k` and metrics key
"condition_top_k", the optimizer probes' (08) `Curvature.condition_extremes` and key "condition_extremes".
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from .hvp import HVP
from .linalg import Eigen, eigsh, krylov_eigsh, lanczos, power_eigsh, rand_vector, tridiag_eig
from .state import preserved
from .trace import TRACE_METHODS, Trace, deflated_samples, hutchinson, hutchpp, lanczos_deflated, tridiag_matrix

METHODS = ("lanczos", "power")


def hessian_eigenvalues(
    model: nn.Module,
    loss_fn: Callable,
    batches,
    k: int = 1,
    which: str = "largest",
    method: str = "lanczos",
    return_vectors: bool = False,
    tol: float = 1e-4,
    max_iter: int = 100,
    seed: int = 0,
    chunk_size: int = 256,
    hvp_method: str = "double_backward",
    bound: str = "residual",
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


def hessian_trace(
    model: nn.Module,
    loss_fn: Callable,
    batches,
    n_samples: int = 100,
    seed: int = 0,
    chunk_size: int = 256,
    hvp_method: str = "double_backward",
    method: str = "hutchinson",
    n_deflate: int | None = None,
) -> Trace:
    """Stochastic estimate of tr(H), H the Hessian of the mean loss over `batches`, with `n_samples` HVPs.

    method: "hutchinson" (default; the mean of z^T H z over n_samples Rademacher vectors z, with the standard
        error of that mean), "hutch++" (Meyer et al. 2021: n_deflate (default n_samples // 3) sketch products,
        as many for the exact trace on the sketch's range, the rest Hutchinson on its complement) or "lanczos"
        (n_deflate Lanczos steps, default n_samples // 2, whose Krylov subspace's trace is exact and free, the
        rest Hutchinson on its complement; the most accurate per HVP on trained nets, benchmarks/probes_README.md).
    Returns `Trace`: estimate, stderr (of the residual Hutchinson part given the deflation subspace), n_samples
    (residual probes), n_hvp, method, n_deflate, exact_part. Model in eval mode (BN running statistics); left
    exactly as found."""
    if method not in TRACE_METHODS:
        raise ValueError(f"method must be one of {TRACE_METHODS}, got {method!r}")
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    with preserved(model):
        H = HVP(model, loss_fn, batches, chunk_size, hvp_method)
        gen = torch.Generator().manual_seed(seed)
        common = dict(gen=gen, dtype=H.dtype, device=H.device)
        if method == "hutchinson":
            t = hutchinson(H, H.n, n_samples, **common)
        elif method == "hutch++":
            t = hutchpp(H, H.n, n_samples, n_sketch=n_deflate, **common)
        else:
            t = lanczos_deflated(H, H.n, n_samples, n_deflate=n_deflate, **common)
    return replace(t, n_hvp=H.calls)


@dataclass
class Spectrum:
    """A spectral density on a grid (float64, integrating to 1), and the quadrature (nodes, weights) of each run."""

    grid: np.ndarray
    density: np.ndarray
    nodes: list[tuple[np.ndarray, np.ndarray]]


def hessian_spectrum(
    model: nn.Module,
    loss_fn: Callable,
    batches,
    n_iter: int = 30,
    n_runs: int = 3,
    seed: int = 0,
    grid: np.ndarray | None = None,
    n_grid: int = 1000,
    sigma: float | None = None,
    chunk_size: int = 256,
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
    return _density(nodes, grid, n_grid, sigma)


def _density(nodes, grid, n_grid: int, sigma: float | None) -> Spectrum:
    """Gaussian-broadened average of the quadrature rules `nodes` (see hessian_spectrum)."""
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
    dens /= len(nodes) * sigma * math.sqrt(2 * math.pi)
    dens /= np.trapezoid(dens, grid)
    return Spectrum(grid, dens, nodes)


@dataclass
class Curvature:
    """Top-k eigenvalues, trace and spectral density of one Hessian from shared Lanczos work (`hessian_curvature`),
    with the HVPs of each part: hvp_eigen (Lanczos steps until the eigenpairs met tol), hvp_spectrum (the rest
    of the first Lanczos run, which doubles as SLQ run 1, and the other SLQ runs), hvp_trace (extra Hutchinson
    probes only: the trace reuses every other product for free), n_hvp (all of them)."""

    eigen: Eigen
    trace: Trace
    spectrum: Spectrum | None
    hvp_eigen: int
    hvp_spectrum: int
    hvp_trace: int
    n_hvp: int


def hessian_curvature(
    model: nn.Module,
    loss_fn: Callable,
    batches,
    k: int = 5,
    which: str = "largest",
    tol: float = 1e-3,
    max_iter: int = 100,
    n_iter: int = 30,
    n_runs: int = 3,
    trace_samples: int = 8,
    seed: int = 0,
    grid: np.ndarray | None = None,
    n_grid: int = 1000,
    sigma: float | None = None,
    chunk_size: int = 256,
    hvp_method: str = "double_backward",
    return_vectors: bool = False,
    bound: str = "residual",
) -> Curvature:
    """The k extreme eigenvalues, the trace and the SLQ spectral density of the Hessian of the mean loss over
    `batches`, sharing HVPs where the mathematics allows:

    1. One Lanczos run from a Gaussian start (full reorthogonalisation) gives the eigenpairs exactly as
       `hessian_eigenvalues(k, which, tol, seed, method="lanczos")` (same start vector, same stop rule); it runs
       on to at least `n_iter` steps when n_runs >= 1 and is then also SLQ run 1 (a normalised Gaussian start
       is uniform on the sphere: a valid SLQ probe), with eigenpairs from the longer run.
    2. SLQ runs 2..n_runs of n_iter steps from Rademacher vectors z (as `hessian_spectrum`).
    3. The trace: run 1's Krylov basis Q (m steps) has Q^T H Q = T, so its trace sum(alphas) is exact and free;
       the complement is estimated by deflated Hutchinson samples z^T P H P z (P = I - QQ^T), one per SLQ run 2..
       (from the H z of its first step: free) plus `trace_samples` extra Rademacher probes (1 HVP each). The SLQ
       start vectors are independent of Q, so the estimate is unbiased; stderr is that of the residual samples.

    n_runs=0 skips the spectrum (then the trace needs trace_samples >= 2 for a standard error). Model in eval mode
    (BN running statistics); left exactly as found. Returns `Curvature`."""
    if n_runs < 0 or n_iter < 1 or trace_samples < 0:
        raise ValueError(f"need n_runs >= 0, n_iter >= 1, trace_samples >= 0; got {n_runs}, {n_iter}, {trace_samples}")
    with preserved(model):
        H = HVP(model, loss_fn, batches, chunk_size, hvp_method)
        gen = torch.Generator().manual_seed(seed)
        ke = krylov_eigsh(
            H,
            H.n,
            k,
            which,
            tol=tol,
            max_iter=max_iter,
            gen=gen,
            dtype=H.dtype,
            device=H.device,
            bound=bound,
            return_vectors=return_vectors,
            min_iter=n_iter if n_runs else 0,
        )
        m = len(ke.alphas)
        hvp_eigen = ke.steps_converged or m
        T = tridiag_matrix(ke.alphas, ke.betas)
        nodes, Z, HZ = [], [], []
        if n_runs:
            theta, S = tridiag_eig(ke.alphas, ke.betas)
            nodes.append((theta, S[0] ** 2))
        for _ in range(max(n_runs - 1, 0)):
            z = rand_vector(H.n, gen, H.dtype, H.device, "rademacher")
            first: list[torch.Tensor] = []

            def mv(v, first=first):
                out = H(v)
                if not first:
                    first.append(out)
                return out

            alphas, betas, _ = lanczos(mv, z, n_iter)
            theta, S = tridiag_eig(alphas, betas)
            nodes.append((theta, S[0] ** 2))
            Z.append(z)
            HZ.append(first[0] * z.norm())  # the first step multiplied z / ||z||
        hvp_spectrum = H.calls - hvp_eigen
        for _ in range(trace_samples):
            z = rand_vector(H.n, gen, H.dtype, H.device, "rademacher")
            Z.append(z)
            HZ.append(H(z))
        hvp_trace = H.calls - hvp_eigen - hvp_spectrum
        eig = ke.eigen
        eig.n_matvec = hvp_eigen
        eig.vectors = [v.detach() for v in eig.vectors] if return_vectors else None
        samples = deflated_samples(ke.Q, T, torch.stack(Z), torch.stack(HZ)) if Z else np.zeros(0)
        exact = float(np.sum(ke.alphas))
        mean = float(samples.mean()) if len(samples) else 0.0
        se = float(samples.std(ddof=1) / math.sqrt(len(samples))) if len(samples) > 1 else math.inf
        tr = Trace(exact + mean, se, len(samples), m + len(samples), "lanczos", m, exact)
        spec = _density(nodes, grid, n_grid, sigma) if nodes else None
        return Curvature(eig, tr, spec, hvp_eigen, hvp_spectrum, hvp_trace, H.calls)


def condition_top_k(top_eigs: Sequence[float]) -> float | None:
    """kappa_k = lambda_1 / lambda_k over the top-k eigenvalues (sorted or not); None when k < 2 or lambda_k <= 0."""
    eigs = sorted((float(e) for e in top_eigs), reverse=True)
    if len(eigs) < 2 or eigs[-1] <= 0 or eigs[0] <= 0:
        return None
    return eigs[0] / eigs[-1]


def condition_extremes(lambda_max: float, lambda_min: float) -> float:
    """kappa = lambda_max / |lambda_min| (inf when lambda_min is 0)."""
    return lambda_max / abs(lambda_min) if lambda_min != 0 else math.inf


def dense_hessian(f: Callable[[torch.Tensor], torch.Tensor], theta: torch.Tensor) -> torch.Tensor:
    """The exact Hessian of a scalar function of a flat vector (torch.func.hessian), symmetrised; use float64
    and small problems (it is theta.numel() squared entries)."""
    with warnings.catch_warnings():  # torch 2.14's forward-mode AD scripts a helper on first use: a FutureWarning
        warnings.filterwarnings("ignore", message=".*torch.jit.script.*", category=FutureWarning)
        H = torch.func.hessian(f)(theta)
    return 0.5 * (H + H.T)
