"""Many small models of one architecture trained at once by the one loop (`core.train.fit`).

    members = [build(spec) for each seed]           # each built with its own torch seed
    ens = Ensemble(members)                          # forward(x) -> (K, N, ...) outputs, one row per member
    fit(ens, split, loss_fn=summed(F.mse_loss), ...)
    ens.member(i)                                    # member i as a plain model, with the trained weights

The members' parameters are stacked (K, ...) tensors and the forward pass is `torch.func.vmap` over them, so K
tiny nets cost about one step of Python overhead instead of K. With `summed(loss_fn)` (the sum over members of each
member's mean loss) each member's gradient is its own loss's gradient, and Adam, AdamW and SGD update every
coordinate from its own gradient alone: training the ensemble is training each member on its own, with the same
optimizer settings and the same batches (use full batches when the members must see different data orders).
"""

from __future__ import annotations

import copy
from typing import Callable, Sequence

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap


class Ensemble(nn.Module):
    """K models of one architecture as one module whose forward returns the K outputs stacked on dim 0."""

    def __init__(self, members: Sequence[nn.Module]):
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one member")
        params, buffers = stack_module_state(list(members))
        if buffers:
            raise ValueError("Ensemble supports members without buffers (no BatchNorm)")
        self.names = list(params)
        self.stacked = nn.ParameterList([nn.Parameter(params[n].detach().clone()) for n in self.names])
        self._shell = [copy.deepcopy(members[0]).to("meta")]  # a list: not registered as a submodule

    def __len__(self) -> int:
        return len(self.stacked[0])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shell = self._shell[0]

        def one(*ps: torch.Tensor) -> torch.Tensor:
            return functional_call(shell, dict(zip(self.names, ps)), (x,))

        return vmap(one)(*self.stacked)

    def member(self, i: int) -> nn.Module:
        """Member i as a model of the members' class (on the ensemble's device), with its current weights."""
        shell = self._shell[0]
        model = copy.deepcopy(shell).to_empty(device=self.stacked[0].device)
        with torch.no_grad():
            named = dict(model.named_parameters())
            for n, p in zip(self.names, self.stacked):
                named[n].copy_(p[i])
        return model


def summed(loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> Callable:
    """(K, N, ...) outputs, (N, ...) targets -> the sum over members of `loss_fn(output_k, targets)`."""

    def loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return vmap(loss_fn, in_dims=(0, None))(out, y).sum()

    loss.__qualname__ = f"summed({getattr(loss_fn, '__qualname__', repr(loss_fn))})"
    loss.__module__ = getattr(loss_fn, "__module__", __name__)
    return loss
