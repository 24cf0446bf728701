"""The probes' data contract: `batches` is one `(inputs, targets)` pair or an iterable of pairs, tensors already
in memory (no DataLoader). A probe uses the sample-weighted mean of a mean-reduction `loss_fn(outputs, targets)`
over all of them, evaluated in chunks of at most `chunk_size` samples (the same value, less memory)."""

from __future__ import annotations

from typing import Iterator

import torch
from torch import nn

Pair = tuple[torch.Tensor, torch.Tensor]


def as_pairs(batches) -> list[Pair]:
    """One (inputs, targets) pair or an iterable of pairs -> a list of pairs."""
    if isinstance(batches, (tuple, list)) and len(batches) == 2 and isinstance(batches[0], torch.Tensor):
        batches = [batches]
    pairs = [tuple(b) for b in batches]
    if not pairs or any(len(b) != 2 or len(b[0]) != len(b[1]) for b in pairs) or not sum(len(b[0]) for b in pairs):
        raise ValueError(
            "batches must be an (inputs, targets) pair or a non-empty iterable of such pairs "
            "with as many targets as inputs, and at least one sample"
        )
    return pairs  # type: ignore[return-value]


def joined(batches) -> Pair:
    """Every sample of `batches` as one (inputs, targets) pair, in order (the pair itself when there is one: no
    copy), for probes that need all samples at once."""
    pairs = as_pairs(batches)
    if len(pairs) == 1:
        return pairs[0]
    return torch.cat([x for x, _ in pairs]), torch.cat([y for _, y in pairs])


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
            xc, yc = x[s : s + chunk_size], y[s : s + chunk_size]
            xc = xc.to(device, dtype) if xc.is_floating_point() else xc.to(device)
            yc = yc.to(device, dtype) if yc.is_floating_point() else yc.to(device)
            yield xc, yc, len(xc) / total


def first(x: torch.Tensor, y: torch.Tensor, n: int, chunk: int | None = None) -> list[Pair]:
    """The first `n` samples of (x, y) as batches (in pairs of `chunk` samples when given)."""
    n = min(n, len(x))
    chunk = chunk or n
    return [(x[i : min(i + chunk, n)], y[i : min(i + chunk, n)]) for i in range(0, n, chunk)]
