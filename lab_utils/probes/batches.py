"""Batches as the probes take them: one `(inputs, targets)` pair or an iterable of pairs, tensors already in
memory (no DataLoader). The probes use the sample-weighted mean of a mean-reduction `loss_fn` over all of them,
evaluated in chunks of at most `chunk_size` samples (same value, less memory, faster on CPU)."""
from __future__ import annotations

from typing import Iterable, Iterator, Sequence

import torch
from torch import nn

Pair = tuple[torch.Tensor, torch.Tensor]


def as_pairs(batches) -> list[Pair]:
    """One (inputs, targets) pair or an iterable of pairs -> a list of pairs."""
    if isinstance(batches, (tuple, list)) and len(batches) == 2 and isinstance(batches[0], torch.Tensor):
        batches = [batches]
    pairs = [tuple(b) for b in batches]
    if not pairs or any(len(b) != 2 or len(b[0]) != len(b[1]) for b in pairs):
        raise ValueError("batches must be an (inputs, targets) pair or a non-empty iterable of such pairs "
                         "with as many targets as inputs")
    return pairs  # type: ignore[return-value]


def model_dtype_device(model: nn.Module) -> tuple[torch.dtype, torch.device]:
    p = next(model.parameters())
    return p.dtype, p.device


def chunks(batches, chunk_size: int, model: nn.Module) -> Iterator[tuple[torch.Tensor, torch.Tensor, float]]:
    """Yield (inputs, targets, weight) with weight = chunk size / total samples, inputs moved to the model's
    device (and dtype, when floating point), targets to its device (and dtype, when floating point)."""
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    pairs = as_pairs(batches)
    dtype, device = model_dtype_device(model)
    total = sum(len(x) for x, _ in pairs)
    for x, y in pairs:
        for s in range(0, len(x), chunk_size):
            xc, yc = x[s:s + chunk_size], y[s:s + chunk_size]
            xc = xc.to(device, dtype) if xc.is_floating_point() else xc.to(device)
            yc = yc.to(device, dtype) if yc.is_floating_point() else yc.to(device)
            yield xc, yc, len(xc) / total


def trainable(model: nn.Module) -> tuple[list[str], list[nn.Parameter]]:
    """Names and tensors of the parameters the probes differentiate/perturb: those with requires_grad."""
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if not named:
        raise ValueError("model has no parameters with requires_grad=True")
    return [n for n, _ in named], [p for _, p in named]


def flatten(tensors: Sequence[torch.Tensor]) -> torch.Tensor:
    return torch.cat([t.reshape(-1) for t in tensors])


def unflatten(vec: torch.Tensor, like: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    out, i = [], 0
    for t in like:
        out.append(vec[i:i + t.numel()].view_as(t))
        i += t.numel()
    if i != vec.numel():
        raise ValueError(f"flat vector has {vec.numel()} entries, parameters have {i}")
    return out


def as_flat(v, like: Sequence[torch.Tensor]) -> torch.Tensor:
    """A flat vector or a list of per-parameter tensors -> one flat vector on the parameters' device/dtype."""
    p = like[0]
    if isinstance(v, torch.Tensor):
        v = v.reshape(-1)
    else:
        v = list(v)
        if len(v) != len(like) or any(a.shape != b.shape for a, b in zip(v, like)):
            raise ValueError("a direction given as a list must have one tensor per trainable parameter, same shapes")
        v = flatten(v)
    n = sum(t.numel() for t in like)
    if v.numel() != n:
        raise ValueError(f"direction has {v.numel()} entries, trainable parameters have {n}")
    return v.to(p.device, p.dtype)
