"""Input sensitivity, two measures, each a mean over samples:

    jacobian_norm(model, loss_fn, batches)       ||d softmax(f(x_i)) / d x_i||_F, the Jacobian of the output
                                                probabilities (Novak et al. 2018); no loss and no targets enter
    input_gradient_norm(model, loss_fn, batches) ||d loss(f(x_i), y_i) / d x_i||_2, the gradient of the sample's
                                                own loss (what the loss, not the prediction, does under a nudge)

Both take the probes' one call shape (`probes.batches`). Eval mode, so samples are independent and the gradient of
a sum over the batch gives every sample's row at once."""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from .batches import chunks, model_dtype_device
from .state import preserved


def jacobian_norm(
    model: nn.Module,
    loss_fn: Callable | None,
    batches,
    exact: bool = True,
    n_proj: int = 10,
    seed: int = 0,
    chunk: int = 256,
) -> float:
    """Mean over the N inputs of `batches` of ||J_i||_F, J_i = d softmax(model(x_i)) / d x_i (C x input-size),
    unitless per input unit. `loss_fn` and the targets are not used (the Jacobian of the output probabilities
    involves no loss): they are there so that every probe is called as (model, loss_fn, batches); pass None or the
    loss the other probes get. Model in eval mode (BN running statistics); left exactly as found.

    exact=True: one backward pass per class (C passes per chunk). exact=False: the random-projection estimate
    ||J_i||_F^2 ~ mean over `n_proj` Gaussian v of ||v^T J_i||^2 (unbiased for the square; its square root is
    biased low by Jensen, roughly by Var/8 relative: ~1/(4 n_proj) for C >> 1)."""
    if n_proj < 1 or chunk < 1:
        raise ValueError(f"n_proj and chunk must be >= 1, got n_proj={n_proj}, chunk={chunk}")
    dtype, device = model_dtype_device(model)
    gen = torch.Generator().manual_seed(seed)
    total, n = 0.0, 0
    with preserved(model):
        for p in model.parameters():
            p.requires_grad_(False)  # only d/dx is needed; restored on exit
        for x, _, _ in chunks(batches, chunk, model):
            x = x.requires_grad_(True)
            with torch.enable_grad():
                prob = torch.softmax(model(x), dim=1)
                if prob.dim() != 2:
                    raise ValueError(f"model outputs must be (N, C) logits, got shape {tuple(prob.shape)}")
                sq = torch.zeros(len(x), dtype=dtype, device=device)
                n_dir = prob.shape[1] if exact else n_proj
                for c in range(n_dir):
                    if exact:
                        out = prob[:, c].sum()
                    else:
                        v = torch.randn(prob.shape, generator=gen, dtype=torch.float64).to(device, dtype)
                        out = (prob * v).sum()
                    (g,) = torch.autograd.grad(out, x, retain_graph=c + 1 < n_dir)
                    sq += g.reshape(len(x), -1).pow(2).sum(1)
            if not exact:
                sq /= n_proj
            total += float(sq.sqrt().sum())
            n += len(x)
    return total / n


def input_gradient_norm(model: nn.Module, loss_fn: Callable, batches, chunk: int = 256) -> float:
    """Mean over the samples of `batches` of ||d loss_fn(model(x_i), y_i) / d x_i||_2 (L2 over all input entries;
    the Frobenius norm of the sample's input-gradient image). `loss_fn` is a mean-reduction loss; each sample's
    gradient is that of its own loss. Model in eval mode (BN running statistics); left exactly as found."""
    total, n = 0.0, 0
    with preserved(model):
        for p in model.parameters():
            p.requires_grad_(False)
        for x, y, _ in chunks(batches, chunk, model):
            x = x.clone().requires_grad_(True)
            with torch.enable_grad():
                loss = loss_fn(model(x), y) * len(x)  # the sum of the per-sample losses
                (g,) = torch.autograd.grad(loss, x)
            total += float(g.reshape(len(x), -1).norm(dim=1).sum())
            n += len(x)
    return total / n
