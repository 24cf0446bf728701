"""Gradient noise: per-sample gradients and the top eigenvalue of their covariance.

Definitions (n samples, p trainable parameters, g_i = grad of the loss of sample i at the current weights):

    G        the n x p matrix of per-sample gradients (row i = g_i), from `torch.func.vmap(grad(...))`
    g_bar    = (1/n) sum_i g_i, the full-batch gradient over the n samples
    C        = (1/n) sum_i (g_i - g_bar)(g_i - g_bar)^T  =  G^T G / n - g_bar g_bar^T   (p x p, never formed)
    lambda_C = the largest eigenvalue of C

C is the covariance of a single-sample stochastic gradient; a minibatch of B samples drawn with replacement has
gradient-noise covariance C / B. The SGD noise ratio of this section is lambda_C / lambda_H, with lambda_H the
largest Hessian eigenvalue of the mean loss over the same samples (both per sample, independent of B).

Two exact ways to get lambda_C without a p x p matrix:
    "gram":    the nonzero eigenvalues of C equal those of the n x n centred Gram matrix K = Gc Gc^T / n
               (Gc = G - 1 g_bar^T), so lambda_C = eigvalsh(K)[-1]  (O(n^2 p), exact);
    "lanczos": `linalg.eigsh` (the lab's one Lanczos) on the operator v -> G^T (G v) / n - g_bar (g_bar^T v),
               the product done in row chunks of G (O(n p) per step), stopped on the Ritz residual.
Models run in eval mode (BatchNorm on its running statistics), so the samples are independent. Every probe here
takes `(model, loss_fn, batches)` like the others (`probes.batches`): the n samples are all those of `batches`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn
from torch.func import functional_call, grad, vmap

from ..core.params import trainable
from .batches import chunks, joined
from .linalg import eigsh
from .state import preserved


def per_sample_grads(model: nn.Module, loss_fn: Callable, batches, chunk_size: int = 64) -> torch.Tensor:
    """The n x p matrix G of per-sample gradients of `loss_fn(model(x_i[None]), y_i[None])` over the n samples of
    `batches` (in order) with respect to the trainable parameters (flattened in `named_parameters` order),
    computed with `vmap(grad(...))` over chunks of `chunk_size` samples. The model is evaluated in eval mode and
    left exactly as it was."""
    return torch.cat(list(iter_per_sample_grads(model, loss_fn, batches, chunk_size)))


def iter_per_sample_grads(model: nn.Module, loss_fn: Callable, batches, chunk_size: int = 64):
    """Yield the rows of `per_sample_grads` chunk by chunk ((<= chunk_size) x p tensors)."""
    with preserved(model):
        names, ps = trainable(model)
        params = {n: p.detach() for n, p in zip(names, ps)}
        rest = {n: t.detach() for n, t in (*model.named_parameters(), *model.named_buffers()) if n not in params}

        def loss_one(ps, xi, yi):
            out = functional_call(model, {**ps, **rest}, (xi.unsqueeze(0),))
            return loss_fn(out, yi.unsqueeze(0))

        g_fn = vmap(grad(loss_one), in_dims=(None, 0, 0))
        for x, y, _ in chunks(batches, chunk_size, model):
            gs = g_fn(params, x, y)
            yield torch.cat([gs[n].reshape(gs[n].shape[0], -1) for n in names], dim=1).detach()


def covariance_matvec(G: torch.Tensor, chunk_size: int = 1024) -> Callable[[torch.Tensor], torch.Tensor]:
    """v -> C v = G^T (G v) / n - g_bar (g_bar^T v), with the products over row chunks of G (C is never formed)."""
    n = G.shape[0]
    g_bar = G.mean(0)

    def mv(v: torch.Tensor) -> torch.Tensor:
        out = torch.zeros_like(v)
        for s in range(0, n, chunk_size):
            Gc = G[s : s + chunk_size]
            out += Gc.T @ (Gc @ v)
        return out / n - g_bar * (g_bar @ v)

    return mv


def gram_top(G: torch.Tensor) -> float:
    """lambda_C exactly from the n x n centred Gram matrix (Gc Gc^T / n shares C's nonzero eigenvalues)."""
    Gc = (G - G.mean(0)).double()
    K = Gc @ Gc.T / G.shape[0]
    return float(torch.linalg.eigvalsh(K)[-1])


def covariance_top_eigenvalue(
    G: torch.Tensor, method: str = "gram", *, tol: float = 1e-6, max_iter: int = 60, seed: int = 0
) -> float:
    """lambda_C, the top eigenvalue of the per-sample gradient covariance C (module docstring), from G (n x p):
    exactly from the Gram matrix ("gram"), or by Lanczos to relative residual `tol` ("lanczos")."""
    if method == "gram":
        return gram_top(G)
    if method == "lanczos":
        Gd = G.double()
        res = eigsh(
            covariance_matvec(Gd),
            G.shape[1],
            1,
            "largest",
            tol=tol,
            max_iter=max_iter,
            gen=torch.Generator().manual_seed(seed),
            dtype=torch.float64,
            device=G.device,
            return_vectors=False,
        )
        return res.values[0]
    raise ValueError(f"method must be 'gram' or 'lanczos', got {method!r}")


@dataclass(frozen=True)
class NoiseStats:
    """Per-sample gradient statistics at one point: lambda_c (top eigenvalue of C), trace_c (total variance,
    tr C), grad_norm (|g_bar|, the full-batch gradient over the n samples), n samples, p parameters, method."""

    lambda_c: float
    trace_c: float
    grad_norm: float
    n: int
    p: int
    method: str


def gradient_noise(
    model: nn.Module, loss_fn: Callable, batches, *, method: str = "gram", chunk_size: int = 64
) -> NoiseStats:
    """Per-sample gradient statistics of `model` on the samples of `batches` with their own (true) targets, model
    in eval mode (left as found). G (n x p) is held in memory in the model's dtype; for n * p beyond memory, run
    `linalg.eigsh(covariance_matvec(...))` on chunks you keep elsewhere."""
    G = per_sample_grads(model, loss_fn, batches, chunk_size)
    g_bar = G.mean(0)
    trace = float(((G - g_bar) ** 2).sum() / G.shape[0])
    return NoiseStats(
        covariance_top_eigenvalue(G, method), trace, float(g_bar.norm()), int(G.shape[0]), int(G.shape[1]), method
    )


def noise_ratio(lambda_c: float, lambda_h: float) -> float:
    """The SGD noise ratio lambda_C / lambda_H (NaN when lambda_H is not positive)."""
    return lambda_c / lambda_h if lambda_h and lambda_h > 0 else math.nan


def fisher_top_eigenvalue(model: nn.Module, loss_fn: Callable, batches, *, chunk_size: int = 64) -> float:
    """lambda_F, the largest eigenvalue of the Fisher information of a softmax classifier on the inputs of
    `batches` (their targets are not used: the labels are drawn from the model):

        F = (1/n) sum_i sum_y p_i(y) g_i(y) g_i(y)^T,   g_i(y) = grad of loss_fn(model(x_i), y),
        p_i = softmax(model(x_i)),

    with `loss_fn` the negative log-likelihood of that softmax, F.cross_entropy (g_i(y) = grad of -log p_i(y));
    another loss gives a p-weighted gradient second moment, not the Fisher. F is the gradient second moment when
    the labels are drawn from the model itself. For softmax cross-entropy F equals
    the generalised Gauss-Newton part of the Hessian, (1/n) sum_i J_i^T (diag p_i - p_i p_i^T) J_i with J_i the
    Jacobian of the logits. With the true labels in place of the model's, the same statistic is the empirical
    Fisher, whose centred version is C above. Exact: the n*K rows sqrt(p_i(y) / n) g_i(y) (K classes) share F's
    nonzero eigenvalues with their (nK x nK) Gram matrix. Model in eval mode, left as found; n*K*p floats (the
    model's dtype) in memory."""
    with preserved(model):
        with torch.no_grad():
            probs = torch.cat([torch.softmax(model(x), dim=1) for x, _, _ in chunks(batches, 256, model)])
        n, k = probs.shape
        xs = joined(batches)[0].to(probs.device).repeat_interleave(k, dim=0)
        ys = torch.arange(k, device=probs.device).repeat(n)
        G = per_sample_grads(model, loss_fn, (xs, ys), chunk_size)
    G.mul_((probs.reshape(-1, 1).to(G.dtype) / n).sqrt())  # in place: the rows sqrt(p_i(y) / n) g_i(y)
    return float(torch.linalg.eigvalsh((G @ G.T).double())[-1])
