"""Hessian probes of the mean loss over `batches` w.r.t. the trainable parameters: extreme eigenvalues
(Lanczos or power iteration), the trace (Hutchinson) and the spectral density (stochastic Lanczos quadrature).

All of them run the model in **eval mode** (BN uses its running statistics, no running-stat update) on the
sample-weighted mean of `loss_fn` (a mean-reduction loss) over all batches, chunked, and leave the model exactly
as they found it. Eigenvalues are in loss units per squared parameter unit. Random vectors come from a
`torch.Generator` seeded with `seed` (the global RNG is untouched), drawn on the CPU so results do not depend on
the device.
"""
from __future__ import annotations

import math
import warnings
from typing import Callable

import numpy as np
import torch
from scipy.linalg import eigh_tridiagonal
from torch import nn

from .hvp import HVP
from .state import preserved

WHICH = ("largest", "smallest")
METHODS = ("lanczos", "power")


def _rand(n: int, gen: torch.Generator, like: torch.Tensor, kind: str = "gaussian") -> torch.Tensor:
    if kind == "rademacher":
        v = torch.randint(0, 2, (n,), generator=gen, dtype=torch.float64).mul_(2).sub_(1)
    else:
        v = torch.randn(n, generator=gen, dtype=torch.float64)
    return v.to(like.device, like.dtype)


def _tridiag_eig(alphas, betas) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(alphas, dtype=np.float64)
    if len(a) == 1:
        return a.copy(), np.ones((1, 1))
    return eigh_tridiagonal(a, np.asarray(betas[: len(a) - 1], dtype=np.float64))


def lanczos(matvec: Callable, v0: torch.Tensor, max_iter: int, stop: Callable | None = None):
    """Lanczos with full reorthogonalisation (twice, classical Gram-Schmidt) from start vector v0.

    After each step calls `stop(theta, S, beta)` with the Ritz values/vectors of the current tridiagonal T and the
    next off-diagonal beta (residual of Ritz pair i = |beta * S[-1, i]|); stops when it returns True, at
    max_iter steps, or on breakdown (beta ~ 0: the Krylov space is invariant, the Ritz values are exact).
    Returns (alphas, betas, Q) with Q the (m, n) orthonormal Lanczos basis."""
    n = v0.numel()
    m_max = min(max_iter, n)
    Q = torch.empty(m_max, n, dtype=v0.dtype, device=v0.device)
    q = v0 / v0.norm()
    alphas: list[float] = []
    betas: list[float] = []
    scale = 0.0
    for j in range(m_max):
        Q[j] = q
        w = matvec(q)
        a = float(q @ w)
        alphas.append(a)
        w = w - a * q - (betas[-1] * Q[j - 1] if j > 0 else 0)
        for _ in range(2):
            w -= Q[: j + 1].T @ (Q[: j + 1] @ w)
        b = float(w.norm())
        theta, S = _tridiag_eig(alphas, betas)
        scale = max(scale, float(np.abs(theta).max()))
        breakdown = b <= 1e3 * torch.finfo(v0.dtype).eps * max(scale, 1e-300) * math.sqrt(j + 1)
        if (stop is not None and stop(theta, S, 0.0 if breakdown else b)) or breakdown or j + 1 == m_max:
            return alphas, betas, Q[: j + 1]
        betas.append(b)
        q = w / b
    return alphas, betas, Q  # unreachable


def _check(k: int, which: str, method: str) -> None:
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}")
    if which not in WHICH:
        raise ValueError(f"which must be one of {WHICH} (algebraic order), got {which!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def hessian_eigenvalues(
    model: nn.Module, loss_fn: Callable, batches, k: int = 1, which: str = "largest", method: str = "lanczos",
    return_vectors: bool = False, tol: float = 1e-4, max_iter: int = 100, seed: int = 0, chunk_size: int = 256,
    hvp_method: str = "double_backward", return_info: bool = False, bound: str = "residual",
):
    """The k largest or smallest (algebraic) eigenvalues of the Hessian of the mean loss over `batches`.

    Model in eval mode (BN running statistics); left exactly as found.
    which: "largest" (returned largest first) or "smallest" (smallest first).
    method: "lanczos" (own implementation, full reorthogonalisation, Ritz residuals checked after every HVP) or
        "power" (power iteration with deflation for k > 1; "smallest" runs on H - lambda_max I. "largest"
        runs on H; should a negative eigenvalue dominate, it reruns on H - lambda_min I).
    tol: stop when every wanted pair's residual ||H v - theta v|| <= tol * ||H||, with ||H|| estimated as the
        largest |Ritz value| seen (power: the largest |eigenvalue| or shift seen). This bounds the absolute error
        of each returned value by tol * ||H|| (usually far better: the error is ~ residual^2 / gap).
    bound: "residual" (the rigorous bound above) or "gap" (Lanczos only): stop on the estimate
        min(r, r^2 / gap) <= tol * ||H||, gap = distance to the nearest other Ritz value. That is the usual
        a-posteriori error estimate; it is not a guarantee (early Ritz gaps can overstate the true gap) but it
        saves HVPs when the wanted eigenvalues are well separated.
    max_iter: HVP budget: Lanczos steps (capped at the number of parameters), or power iterations per eigenvalue.
        Not converging within it warns and returns the current estimates.
    Lanczos finds one copy of an exactly repeated eigenvalue per start vector (generic Hessians have none).
    Returns a list of k floats; with return_vectors=True also a list of k unit-norm flat eigenvectors (tensors
    over the trainable parameters in `model.named_parameters()` order; `batches.unflatten` splits them);
    with return_info=True also a dict {"n_hvp", "converged", "residuals"}.
    """
    _check(k, which, method)
    if bound not in ("residual", "gap"):
        raise ValueError(f"bound must be 'residual' or 'gap', got {bound!r}")
    if tol <= 0 or max_iter < 1:
        raise ValueError(f"tol must be > 0 and max_iter >= 1, got tol={tol}, max_iter={max_iter}")
    if method == "lanczos" and max_iter < k:
        raise ValueError(f"Lanczos needs max_iter >= k, got max_iter={max_iter}, k={k}")
    with preserved(model):
        H = HVP(model, loss_fn, batches, chunk_size, hvp_method)
        if k > H.n:
            raise ValueError(f"k={k} exceeds the number of trainable parameters ({H.n})")
        gen = torch.Generator().manual_seed(seed)
        if method == "lanczos":
            vals, vecs, converged, res = _lanczos_eigs(H, k, which, tol, max_iter, gen, bound)
        else:
            vals, vecs, converged, res = _power_eigs(H, k, which, tol, max_iter, gen)
        if not converged:
            warnings.warn(f"hessian_eigenvalues ({method}, {which}) did not reach tol={tol} in max_iter={max_iter}"
                          f" (relative residuals {[f'{r:.1e}' for r in res]})", RuntimeWarning, stacklevel=2)
        out: list = [[float(v) for v in vals]]
        if return_vectors:
            out.append([v.detach() for v in vecs])
        if return_info:
            out.append({"n_hvp": H.calls, "converged": converged, "residuals": [float(r) for r in res]})
        return out[0] if len(out) == 1 else tuple(out)


def _lanczos_eigs(H: HVP, k, which, tol, max_iter, gen, bound="residual"):
    state = {}

    def stop(theta, S, beta):
        if len(theta) < k and beta > 0:
            return False
        idx = np.arange(len(theta))[::-1][:k] if which == "largest" else np.arange(len(theta))[:k]
        scale = max(float(np.abs(theta).max()), 1e-300)
        res = np.abs(beta * S[-1, idx]) / scale
        if bound == "gap" and len(theta) > 1:
            gaps = np.array([np.delete(np.abs(theta - theta[i]), i).min() for i in idx]) / scale
            res = np.minimum(res, res ** 2 / np.maximum(gaps, 1e-300))
        state.update(idx=idx, theta=theta, S=S, res=res)
        return bool(np.all(res <= tol))

    v0 = _rand(H.n, gen, H.params[0])
    _, _, Q = lanczos(H, v0, max_iter, stop)
    idx, theta, S, res = state["idx"], state["theta"], state["S"], state["res"]
    Sk = torch.as_tensor(S[:, idx], dtype=Q.dtype, device=Q.device)
    vecs = list((Q.T @ Sk).T)
    vecs = [v / v.norm() for v in vecs]
    converged = bool(np.all(res <= tol)) or len(theta) == H.n
    return [theta[i] for i in idx], vecs, converged, list(res)


MIN_POWER_ITERS = 5


def _power(H: HVP, sigma: float, k: int, tol: float, max_iter: int, gen, scale0: float = 0.0):
    """k dominant eigenpairs of H - sigma*I by power iteration with deflation (iterates kept orthogonal to the
    pairs found). Returns eigenvalues of H (Rayleigh quotients), vectors, converged flag, relative residuals."""
    vals, vecs, res_all, ok = [], [], [], True
    scale = max(abs(sigma), scale0)

    def project(w):
        for u in vecs:
            w = w - (u @ w) * u
        return w

    for _ in range(k):
        v = project(_rand(H.n, gen, H.params[0]))
        v = v / v.norm()
        theta, r = 0.0, math.inf
        for it in range(max_iter):
            Hv = project(H(v))
            prev, theta = theta, float(v @ Hv)
            scale = max(scale, abs(theta))
            r = float((Hv - theta * v).norm()) / max(scale, 1e-300)
            # A small residual alone certifies *an* eigenvalue near theta, not the dominant one: with a large
            # shift every vector of a flat bulk passes it after one step. Also ask for a settled Rayleigh
            # quotient over at least MIN_POWER_ITERS iterations.
            settled = it + 1 >= min(MIN_POWER_ITERS, max_iter) and abs(theta - prev) <= tol * scale
            if r <= tol and settled:
                break
            w = project(Hv - sigma * v)
            nw = w.norm()
            if nw == 0:
                break
            v = w / nw
        ok &= r <= tol
        vals.append(theta)
        vecs.append(v)
        res_all.append(r)
    return vals, vecs, ok, res_all


def _power_eigs(H: HVP, k, which, tol, max_iter, gen):
    if which == "largest":
        vals, vecs, ok, res = _power(H, 0.0, k, tol, max_iter, gen)
        if min(vals) >= 0:
            return vals, vecs, ok, res
        # a negative eigenvalue dominated: everything is >= lambda_min = min(vals), so shift by it
        warnings.warn("power iteration: a negative eigenvalue dominates, so lambda_max comes from H - lambda_min I,"
                      " which converges slowly when |lambda_min| > lambda_max; prefer method='lanczos'",
                      RuntimeWarning, stacklevel=3)
        sigma = min(vals)
        vals, vecs, ok, res = _power(H, sigma, k, tol, max_iter, gen, scale0=max(abs(v) for v in vals))
        return vals, vecs, ok, res
    lam_max, _, ok1, _ = _power_eigs(H, 1, "largest", tol, max_iter, gen)
    vals, vecs, ok, res = _power(H, lam_max[0], k, tol, max_iter, gen)
    return vals, vecs, ok and ok1, res


def hessian_trace(
    model: nn.Module, loss_fn: Callable, batches, n_samples: int = 100, seed: int = 0, chunk_size: int = 256,
    return_stderr: bool = False, hvp_method: str = "double_backward",
):
    """Hutchinson estimate of tr(H), H the Hessian of the mean loss over `batches`: mean of z^T H z over
    `n_samples` Rademacher vectors z. Model in eval mode (BN running statistics); left exactly as found.
    With return_stderr=True returns (trace, standard error of the mean over the samples)."""
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    with preserved(model):
        H = HVP(model, loss_fn, batches, chunk_size, hvp_method)
        gen = torch.Generator().manual_seed(seed)
        est = []
        for _ in range(n_samples):
            z = _rand(H.n, gen, H.params[0], "rademacher")
            est.append(float(z @ H(z)))
    est_a = np.asarray(est)
    tr = float(est_a.mean())
    if not return_stderr:
        return tr
    se = float(est_a.std(ddof=1) / math.sqrt(n_samples)) if n_samples > 1 else math.inf
    return tr, se


def hessian_spectrum(
    model: nn.Module, loss_fn: Callable, batches, n_iter: int = 30, n_runs: int = 3, seed: int = 0,
    grid: np.ndarray | None = None, n_grid: int = 1000, sigma: float | None = None, chunk_size: int = 256,
    return_nodes: bool = False, hvp_method: str = "double_backward",
):
    """Spectral density of the Hessian by stochastic Lanczos quadrature (Ghorbani et al. 2019; PyHessian).

    `n_runs` Lanczos runs of `n_iter` steps (full reorthogonalisation) from normalised Rademacher vectors give
    quadrature nodes theta_j (Ritz values) and weights tau_j (squared first components of the Ritz vectors,
    summing to 1); the density is their average, each node broadened by a Gaussian of standard deviation
    `sigma` (eigenvalue units; default 1% of the node range). The default grid spans the nodes +- 5 sigma with
    `n_grid` points; the density is renormalised to integrate to 1 over the grid (trapezoid), and its mean
    approximates tr(H)/n. Model in eval mode (BN running statistics); left exactly as found.
    Returns (grid, density) as float64 numpy arrays; with return_nodes=True also a list of (nodes, weights).
    """
    if n_iter < 1 or n_runs < 1:
        raise ValueError(f"n_iter and n_runs must be >= 1, got n_iter={n_iter}, n_runs={n_runs}")
    nodes = []
    with preserved(model):
        H = HVP(model, loss_fn, batches, chunk_size, hvp_method)
        gen = torch.Generator().manual_seed(seed)
        for _ in range(n_runs):
            alphas, betas, _ = lanczos(H, _rand(H.n, gen, H.params[0], "rademacher"), n_iter)
            theta, S = _tridiag_eig(alphas, betas)
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
    return (grid, dens, nodes) if return_nodes else (grid, dens)
