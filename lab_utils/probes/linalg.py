"""Symmetric eigenproblems given only a matrix-vector product: the one Lanczos, the one power iteration.

Every operator of the lab goes through here: the Hessian of a loss (`hvp.HVP`), the gradient-noise covariance
(`noise.covariance_operator`), dense test matrices. An operator is a callable `matvec(v) -> A v` on flat vectors
of length n; vectors live on the operator's device and dtype, random start vectors are drawn on the CPU from a
seeded `torch.Generator` (so results do not depend on the device and the global RNG is untouched).

    lanczos(matvec, v0, max_iter, stop)              Lanczos with full reorthogonalisation -> (alphas, betas, Q)
    eigsh(matvec, n, k, which, tol, ...)             k extreme eigenpairs, stopping on Ritz residuals
    krylov_eigsh(...)                                the same, also returning the Krylov basis and tridiagonal
    power_eigsh(matvec, n, k, which, tol, ...)       the same by power iteration with deflation and shifts
    tridiag_eig(alphas, betas)                       eigenpairs of the Lanczos tridiagonal T

Stopping rule (both methods): every wanted pair's residual ||A v - theta v|| <= tol * ||A||, with ||A|| estimated
as the largest |Ritz value| seen. That bounds the absolute error of each returned eigenvalue by tol * ||A||
(usually far better: the error is ~ residual^2 / gap).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from scipy.linalg import eigh_tridiagonal

Matvec = Callable[[torch.Tensor], torch.Tensor]
WHICH = ("largest", "smallest")
MIN_POWER_ITERS = 5


@dataclass
class Eigen:
    """Eigenvalues (largest first for which="largest", smallest first for "smallest"), their unit eigenvectors
    (flat tensors, or None when not kept), the number of matrix-vector products used, whether every pair met the
    tolerance, and each pair's relative residual ||A v - theta v|| / ||A||."""

    values: list[float]
    vectors: list[torch.Tensor] | None
    n_matvec: int
    converged: bool
    residuals: list[float] = field(default_factory=list)


def rand_vector(n: int, gen: torch.Generator, dtype: torch.dtype, device, kind: str = "gaussian") -> torch.Tensor:
    """A standard Gaussian or Rademacher (+-1) vector drawn on the CPU from `gen`, then moved to device/dtype."""
    if kind == "rademacher":
        v = torch.randint(0, 2, (n,), generator=gen, dtype=torch.float64).mul_(2).sub_(1)
    elif kind == "gaussian":
        v = torch.randn(n, generator=gen, dtype=torch.float64)
    else:
        raise ValueError(f"kind must be 'gaussian' or 'rademacher', got {kind!r}")
    return v.to(device, dtype)


def tridiag_eig(alphas, betas) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (ascending) and eigenvectors of the symmetric tridiagonal matrix with diagonal `alphas` and
    off-diagonal `betas[:len(alphas) - 1]`, in float64."""
    a = np.asarray(alphas, dtype=np.float64)
    if len(a) == 1:
        return a.copy(), np.ones((1, 1))
    return eigh_tridiagonal(a, np.asarray(betas[: len(a) - 1], dtype=np.float64))


def lanczos(matvec: Matvec, v0: torch.Tensor, max_iter: int, stop: Callable | None = None):
    """Lanczos with full reorthogonalisation (twice, classical Gram-Schmidt) from start vector v0.

    After each step calls `stop(theta, S, beta)` with the Ritz values/vectors of the current tridiagonal T and the
    next off-diagonal beta (residual of Ritz pair i = |beta * S[-1, i]|); stops when it returns True, at
    max_iter steps, or on breakdown (beta ~ 0: the Krylov space is invariant, the Ritz values are exact; stop then
    sees beta = 0). Returns (alphas, betas, Q) with Q the (m, n) orthonormal Lanczos basis."""
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
        theta, S = tridiag_eig(alphas, betas)
        scale = max(scale, float(np.abs(theta).max()))
        breakdown = b <= 1e3 * torch.finfo(v0.dtype).eps * max(scale, 1e-300) * math.sqrt(j + 1)
        if (stop is not None and stop(theta, S, 0.0 if breakdown else b)) or breakdown or j + 1 == m_max:
            return alphas, betas, Q[: j + 1]
        betas.append(b)
        q = w / b
    return alphas, betas, Q  # unreachable


def _check(k: int, which: str, tol: float, max_iter: int) -> None:
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}")
    if which not in WHICH:
        raise ValueError(f"which must be one of {WHICH} (algebraic order), got {which!r}")
    if tol <= 0 or max_iter < 1:
        raise ValueError(f"tol must be > 0 and max_iter >= 1, got tol={tol}, max_iter={max_iter}")


def eigsh(
    matvec: Matvec,
    n: int,
    k: int = 1,
    which: str = "largest",
    *,
    tol: float = 1e-4,
    max_iter: int = 100,
    gen: torch.Generator | None = None,
    dtype=torch.float32,
    device="cpu",
    bound: str = "residual",
    return_vectors: bool = True,
) -> Eigen:
    """The k largest or smallest (algebraic) eigenpairs by Lanczos from one seeded Gaussian start vector.

    bound: "residual" (the rigorous bound of the module docstring) or "gap": stop on the a-posteriori estimate
        min(r, r^2 / gap) <= tol * ||A||, gap = distance to the nearest other Ritz value (not a guarantee: early
        Ritz gaps can overstate the true gap, but it saves products when the wanted values are well separated).
    max_iter: Lanczos steps (capped at n). Finds one copy of an exactly repeated eigenvalue per start vector."""
    return krylov_eigsh(
        matvec,
        n,
        k,
        which,
        tol=tol,
        max_iter=max_iter,
        gen=gen,
        dtype=dtype,
        device=device,
        bound=bound,
        return_vectors=return_vectors,
    ).eigen


@dataclass
class KrylovEigen:
    """An eigensolve by Lanczos together with its Krylov data, for reuse by other estimators (trace, SLQ):
    alphas / betas of the tridiagonal T (T = Q^T A Q exactly in exact arithmetic), the (m, n) orthonormal
    basis Q, the start vector's unit version q_1 = Q[0], and `steps_converged`: after how many steps every
    wanted pair first met the tolerance (None if it never did; the run may go on past it to min_iter)."""

    eigen: Eigen
    alphas: list[float]
    betas: list[float]
    Q: torch.Tensor
    steps_converged: int | None


def krylov_eigsh(
    matvec: Matvec,
    n: int,
    k: int = 1,
    which: str = "largest",
    *,
    tol: float = 1e-4,
    max_iter: int = 100,
    gen: torch.Generator | None = None,
    dtype=torch.float32,
    device="cpu",
    bound: str = "residual",
    return_vectors: bool = True,
    min_iter: int = 0,
    v0: torch.Tensor | None = None,
) -> KrylovEigen:
    """`eigsh`, also returning the Lanczos basis and tridiagonal. min_iter: run at least this many steps even
    when the wanted pairs have converged (e.g. to serve as an SLQ run of min_iter steps too); the returned
    eigenpairs are then those of the longer (more accurate) run. v0: the start vector (default: Gaussian from
    gen). With min_iter=0 and v0=None this is exactly `eigsh`."""
    _check(k, which, tol, max_iter)
    if bound not in ("residual", "gap"):
        raise ValueError(f"bound must be 'residual' or 'gap', got {bound!r}")
    if max_iter < k:
        raise ValueError(f"Lanczos needs max_iter >= k, got max_iter={max_iter}, k={k}")
    if k > n:
        raise ValueError(f"k={k} exceeds the dimension ({n})")
    gen = gen if gen is not None else torch.Generator().manual_seed(0)
    state: dict = {}
    calls = [0]

    def counted(v):
        calls[0] += 1
        return matvec(v)

    def stop(theta, S, beta):
        if len(theta) < k and beta > 0:
            return False
        idx = np.arange(len(theta))[::-1][:k] if which == "largest" else np.arange(len(theta))[:k]
        scale = max(float(np.abs(theta).max()), 1e-300)
        res = np.abs(beta * S[-1, idx]) / scale
        if bound == "gap" and len(theta) > 1:
            gaps = np.array([np.delete(np.abs(theta - theta[i]), i).min() for i in idx]) / scale
            res = np.minimum(res, res**2 / np.maximum(gaps, 1e-300))
        state.update(idx=idx, theta=theta, S=S, res=res)
        done = bool(np.all(res <= tol))
        if done and state.get("steps_converged") is None:
            state["steps_converged"] = len(theta)
        return done and len(theta) >= min_iter

    start = rand_vector(n, gen, dtype, device) if v0 is None else v0.to(device, dtype)
    alphas, betas, Q = lanczos(counted, start, max(max_iter, min_iter), stop)
    idx, theta, S, res = state["idx"], state["theta"], state["S"], state["res"]
    vecs = None
    if return_vectors:
        Sk = torch.as_tensor(S[:, idx], dtype=Q.dtype, device=Q.device)
        vecs = [v / v.norm() for v in (Q.T @ Sk).T]
    converged = bool(np.all(res <= tol)) or len(theta) == n
    eig = Eigen([float(theta[i]) for i in idx], vecs, calls[0], converged, [float(r) for r in res])
    return KrylovEigen(eig, alphas, betas, Q, state.get("steps_converged"))


def _power(
    matvec: Matvec, n: int, sigma: float, k: int, tol: float, max_iter: int, gen, dtype, device, scale0: float = 0.0
):
    """k dominant eigenpairs of A - sigma*I by power iteration with deflation (iterates kept orthogonal to the
    pairs found). Returns eigenvalues of A (Rayleigh quotients), vectors, converged flag, relative residuals."""
    vals, vecs, res_all, ok = [], [], [], True
    scale = max(abs(sigma), scale0)

    def project(w):
        for u in vecs:
            w = w - (u @ w) * u
        return w

    for _ in range(k):
        v = project(rand_vector(n, gen, dtype, device))
        v = v / v.norm()
        theta, r = 0.0, math.inf
        for it in range(max_iter):
            Av = project(matvec(v))
            prev, theta = theta, float(v @ Av)
            scale = max(scale, abs(theta))
            r = float((Av - theta * v).norm()) / max(scale, 1e-300)
            # A small residual alone certifies *an* eigenvalue near theta, not the dominant one: with a large
            # shift every vector of a flat bulk passes it after one step. Also ask for a settled Rayleigh
            # quotient over at least MIN_POWER_ITERS iterations.
            settled = it + 1 >= min(MIN_POWER_ITERS, max_iter) and abs(theta - prev) <= tol * scale
            if r <= tol and settled:
                break
            w = project(Av - sigma * v)
            nw = w.norm()
            if nw == 0:
                break
            v = w / nw
        ok &= r <= tol
        vals.append(theta)
        vecs.append(v)
        res_all.append(r)
    return vals, vecs, ok, res_all


def power_eigsh(
    matvec: Matvec,
    n: int,
    k: int = 1,
    which: str = "largest",
    *,
    tol: float = 1e-4,
    max_iter: int = 100,
    gen: torch.Generator | None = None,
    dtype=torch.float32,
    device="cpu",
) -> Eigen:
    """The k largest or smallest (algebraic) eigenpairs by power iteration with deflation.

    "largest" runs on A; should a negative eigenvalue dominate, it warns and reruns on A - lambda_min I.
    "smallest" runs on A - lambda_max I. max_iter is the budget per eigenvalue and pass. A pass stops when the
    residual meets tol and the Rayleigh quotient has settled over at least MIN_POWER_ITERS iterations."""
    _check(k, which, tol, max_iter)
    if k > n:
        raise ValueError(f"k={k} exceeds the dimension ({n})")
    gen = gen if gen is not None else torch.Generator().manual_seed(0)
    calls = [0]

    def counted(v):
        calls[0] += 1
        return matvec(v)

    vals, vecs, ok, res = _power_pass(counted, n, k, which, tol, max_iter, gen, dtype, device)
    order = np.argsort(vals)[::-1] if which == "largest" else np.argsort(vals)
    return Eigen(
        [float(vals[i]) for i in order], [vecs[i] for i in order], calls[0], bool(ok), [float(res[i]) for i in order]
    )


def _power_pass(matvec, n, k, which, tol, max_iter, gen, dtype, device):
    if which == "largest":
        vals, vecs, ok, res = _power(matvec, n, 0.0, k, tol, max_iter, gen, dtype, device)
        if min(vals) >= 0:
            return vals, vecs, ok, res
        warnings.warn(
            "power iteration: a negative eigenvalue dominates, so lambda_max comes from A - lambda_min I,"
            " which converges slowly when |lambda_min| > lambda_max; prefer Lanczos",
            RuntimeWarning,
            stacklevel=4,
        )
        return _power(matvec, n, min(vals), k, tol, max_iter, gen, dtype, device, max(abs(v) for v in vals))
    lam_max, _, ok1, _ = _power_pass(matvec, n, 1, "largest", tol, max_iter, gen, dtype, device)
    vals, vecs, ok, res = _power(matvec, n, lam_max[0], k, tol, max_iter, gen, dtype, device)
    return vals, vecs, ok and ok1, res
