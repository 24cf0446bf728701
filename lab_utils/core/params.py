"""Flat parameter vectors: the one place that flattens and unflattens a model's weights.

Everything that treats a network as a point in weight space (probes, paths between minima, subspace training,
critical points, trajectory snapshots) goes through these functions. The order is always that of
`model.named_parameters()`, restricted to the parameters with `requires_grad` (the *trainable* ones).

    names, params = trainable(model)          # the trainable parameters, in order
    theta = flat_params(model)                # one flat copy on the model's device
    load_flat(model, theta)                   # write it back, in place
    functional_call(model, param_dict(model, theta), (x,))   # or evaluate without touching the model
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn


def trainable(model: nn.Module) -> tuple[list[str], list[nn.Parameter]]:
    """Names and tensors of the parameters with requires_grad, in `named_parameters()` order."""
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if not named:
        raise ValueError("model has no parameters with requires_grad=True")
    return [n for n, _ in named], [p for _, p in named]


def n_trainable(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def flatten(tensors: Sequence[torch.Tensor]) -> torch.Tensor:
    """Concatenate tensors into one flat vector (a new tensor; gradients flow through it)."""
    return torch.cat([t.reshape(-1) for t in tensors])


def unflatten(vec: torch.Tensor, like: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """Split a flat vector into views shaped like `like` (raises when the sizes do not add up)."""
    out, i = [], 0
    for t in like:
        out.append(vec[i : i + t.numel()].view_as(t))
        i += t.numel()
    if i != vec.numel():
        raise ValueError(f"flat vector has {vec.numel()} entries, parameters have {i}")
    return out


def flat_params(model: nn.Module) -> torch.Tensor:
    """The trainable parameters as one flat vector: a detached copy on the model's device and dtype."""
    return flatten([p.detach() for p in trainable(model)[1]]).clone()


@torch.no_grad()
def load_flat(model: nn.Module, flat: torch.Tensor) -> nn.Module:
    """Write a flat vector (from `flat_params` order) into the trainable parameters, in place; returns the model."""
    params = trainable(model)[1]
    for p, v in zip(params, unflatten(flat.to(params[0].device, params[0].dtype), params)):
        p.copy_(v)
    return model


def param_dict(model: nn.Module, flat: torch.Tensor) -> dict[str, torch.Tensor]:
    """{name: view of `flat`} for the trainable parameters, for `torch.func.functional_call` (differentiable in flat)."""
    names, params = trainable(model)
    return dict(zip(names, unflatten(flat, params)))


def param_slices(model: nn.Module) -> dict[str, slice]:
    """Where each trainable parameter lies in the flat vector."""
    out, i = {}, 0
    for n, p in zip(*trainable(model)):
        out[n] = slice(i, i + p.numel())
        i += p.numel()
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
