"""Stochastic trace estimators for a symmetric operator given only `matvec(v) -> A v` (the Hessian: `hvp.HVP`).

    hutchinson(matvec, n, n_samples)      mean of z^T A z over Rademacher z (Hutchinson 1989)
    hutchpp(matvec, n, n_matvec)          Hutch++ (Meyer, Musco, Musco, Woodruff 2021): the exact trace on the range of
                                          A S (S random, n_matvec/3 columns) plus Hutchinson on its complement
    lanczos_deflated(matvec, n, n_matvec) the same idea with a Krylov basis: `n_deflate` Lanczos steps give Q with
                                          Q^T A Q = T for free (Hutch++ pays n_matvec/3 extra products for Q^T A Q),
                                          then Hutchinson on the complement of span(Q)
    deflated_samples(Q, T, z, Az)         z^T P A P z, P = I - Q Q^T, from A z alone (no product with P z)

Why deflation helps: Hutchinson's variance is 2 (||A||_F^2 - sum_i A_ii^2) per sample; a trained net's Hessian has
a few outlier eigenvalues that carry most of ||A||_F, so removing them exactly leaves the low-variance bulk.

Standard errors: the sample standard error of the residual Hutchinson part, conditional on the deflation
subspace (which is built from random vectors independent of the residual probes, so every estimate is unbiased).

The one identity behind sharing products (`deflated_samples`): for an orthonormal Q (m, n) with T = Q^T A Q,
    z^T P A P z = z.Az - 2 (Qz).(Q Az) + (Qz)^T T (Qz),
so any probe z whose product Az is already known (an SLQ run's first step, a Hutchinson probe) gives a deflated
sample without another product. Random vectors are drawn on the CPU from a seeded `torch.Generator`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from .linalg import lanczos, rand_vector

Matvec = Callable[[torch.Tensor], torch.Tensor]
TRACE_METHODS = ("hutchinson", "hutch++", "lanczos")


@dataclass(frozen=True)
class Trace:
    """A stochastic trace estimate: the estimate, its standard error (inf with fewer than two residual samples),
    the number of probe vectors of the (residual) Hutchinson part, and the matrix-vector products (HVPs) it cost.
    method: "hutchinson", "hutch++" or "lanczos" (Lanczos-deflated Hutchinson); n_deflate: the dimension of the
    subspace whose trace was taken exactly (0 for plain Hutchinson); exact_part: that trace."""

    estimate: float
    stderr: float
    n_samples: int
    n_hvp: int
    method: str = "hutchinson"
    n_deflate: int = 0
    exact_part: float = 0.0


def _stats(samples) -> tuple[float, float]:
    a = np.asarray(samples, dtype=np.float64)
    se = float(a.std(ddof=1) / math.sqrt(len(a))) if len(a) > 1 else math.inf
    return float(a.mean()), se


def tridiag_matrix(alphas, betas) -> np.ndarray:
    """The symmetric tridiagonal matrix with diagonal `alphas` and off-diagonal `betas[:len(alphas) - 1]`."""
    m = len(alphas)
    T = np.diag(np.asarray(alphas, dtype=np.float64))
    if m > 1:
        off = np.asarray(betas[: m - 1], dtype=np.float64)
        T += np.diag(off, 1) + np.diag(off, -1)
    return T


def deflated_samples(Q: torch.Tensor | None, T: np.ndarray | None, Z: torch.Tensor, AZ: torch.Tensor) -> np.ndarray:
    """z^T (I - QQ^T) A (I - QQ^T) z for each row z of Z (s, n), given the rows of AZ = (A z)^T and an orthonormal
    basis Q (m, n) with T = Q^T A Q (m, m); Q None (or empty) gives plain z^T A z. Float64 arithmetic."""
    Z, AZ = Z.double(), AZ.double()
    zaz = (Z * AZ).sum(1)
    if Q is None or len(Q) == 0:
        return zaz.cpu().numpy()
    Qd = Q.double()
    C, D = Z @ Qd.T, AZ @ Qd.T  # (s, m)
    Tt = torch.as_tensor(T, dtype=torch.float64, device=C.device)
    return (zaz - 2 * (C * D).sum(1) + ((C @ Tt) * C).sum(1)).cpu().numpy()


def hutchinson(
    matvec: Matvec, n: int, n_samples: int, gen: torch.Generator, dtype=torch.float32, device="cpu"
) -> Trace:
    """Hutchinson: the mean of z^T A z over `n_samples` Rademacher vectors, with the standard error of the mean."""
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    est = []
    for _ in range(n_samples):
        z = rand_vector(n, gen, dtype, device, "rademacher")
        est.append(float(z @ matvec(z)))
    mean, se = _stats(est)
    return Trace(mean, se, n_samples, n_samples, "hutchinson")


def _residual(matvec: Matvec, n: int, Q, T, n_samples: int, gen, dtype, device) -> np.ndarray:
    """Deflated Hutchinson samples: products with Rademacher z (not P z), corrected by `deflated_samples`."""
    out = []
    for _ in range(n_samples):
        z = rand_vector(n, gen, dtype, device, "rademacher")
        out.append(deflated_samples(Q, T, z[None], matvec(z)[None])[0])
    return np.asarray(out)


def hutchpp(
    matvec: Matvec,
    n: int,
    n_matvec: int,
    gen: torch.Generator,
    dtype=torch.float32,
    device="cpu",
    n_sketch: int | None = None,
) -> Trace:
    """Hutch++ (Meyer et al. 2021, Algorithm 1) with `n_matvec` products: Q = orth(A S) for a Rademacher S of
    n_sketch columns (default n_matvec // 3), the exact tr(Q^T A Q) (n_sketch more products), and Hutchinson
    with the remaining n_matvec - 2 n_sketch Rademacher probes on (I - QQ^T) A (I - QQ^T). stderr: of that
    residual part, given Q."""
    k = n_matvec // 3 if n_sketch is None else n_sketch
    s = n_matvec - 2 * k
    if k < 0 or s < 1 or n_matvec < 1:
        raise ValueError(f"hutch++ needs n_matvec >= 2 n_sketch + 1 >= 1, got n_matvec={n_matvec}, n_sketch={k}")
    if k == 0:
        t = hutchinson(matvec, n, s, gen, dtype, device)
        return Trace(t.estimate, t.stderr, s, s, "hutch++")
    AS = torch.stack([matvec(rand_vector(n, gen, dtype, device, "rademacher")) for _ in range(k)])
    Q = torch.linalg.qr(AS.double().T, mode="reduced")[0].T.to(dtype)  # (k, n), orthonormal rows
    AQ = torch.stack([matvec(q) for q in Q])
    T = (Q.double() @ AQ.double().T).cpu().numpy()
    T = 0.5 * (T + T.T)
    exact = float(np.trace(T))
    mean, se = _stats(_residual(matvec, n, Q, T, s, gen, dtype, device))
    return Trace(exact + mean, se, s, 2 * k + s, "hutch++", k, exact)


def lanczos_deflated(
    matvec: Matvec,
    n: int,
    n_matvec: int,
    gen: torch.Generator,
    dtype=torch.float32,
    device="cpu",
    n_deflate: int | None = None,
) -> Trace:
    """Lanczos-deflated Hutchinson with `n_matvec` products: n_deflate (default n_matvec // 2) Lanczos steps
    (full reorthogonalisation) from a Gaussian start give Q with Q^T A Q = T, whose trace sum(alphas) is exact
    and free; the remaining probes are Hutchinson on the complement (`deflated_samples`). Krylov spaces capture
    both ends of the spectrum, so the negative outliers of an indefinite Hessian are removed too."""
    m = n_matvec // 2 if n_deflate is None else n_deflate
    s = n_matvec - m
    if m < 0 or s < 1:
        raise ValueError(f"lanczos deflation needs n_matvec > n_deflate >= 0, got n_matvec={n_matvec}, n_deflate={m}")
    if m == 0:
        t = hutchinson(matvec, n, s, gen, dtype, device)
        return Trace(t.estimate, t.stderr, s, s, "lanczos")
    alphas, betas, Q = lanczos(matvec, rand_vector(n, gen, dtype, device), min(m, n))
    T = tridiag_matrix(alphas, betas)
    exact = float(np.sum(alphas))
    mean, se = _stats(_residual(matvec, n, Q, T, s, gen, dtype, device))
    return Trace(exact + mean, se, s, len(alphas) + s, "lanczos", len(alphas), exact)
