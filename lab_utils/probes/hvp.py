"""Hessian-vector products of the sample-weighted mean loss over `batches`, w.r.t. the trainable parameters,
as a function of flat vectors. The model runs through `torch.func.functional_call` in whatever mode it is in
(the probes put it in eval mode: BN uses running statistics, so samples are independent and chunking is exact).

The gradient graph is rebuilt for every HVP and every chunk: holding one big graph across HVPs was slower here
(REFERENCES.md: 6.2 s vs 3.9 s per HVP on ResNet-20, 512 images). Two implementations, measured on this 2-core CPU (1 thread, other jobs
running): "double_backward" (autograd.grad of autograd.grad, the default) and "func" (torch.func.jvp over
torch.func.grad, forward-over-reverse). Per HVP: tiny conv+BN net, 40 samples: 3 ms vs 9-19 ms; small CNN,
512 CIFAR images: 1.30 vs 1.10 s; ResNet-20, 512 images: 6.9 vs 7.0 s (best of 3). torch.func's per-call
overhead dominates small problems and buys nothing measurable at scale, so double backward is the default.
Rerun with `python benchmarks/probes.py --hvp`.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn
from torch.func import functional_call, grad, jvp

from .batches import chunks, flatten, trainable, unflatten

HVP_METHODS = ("double_backward", "func")


class HVP:
    """v (flat, n entries) -> H v, with H the Hessian of the mean loss over all batches. Counts calls in .calls."""

    def __init__(self, model: nn.Module, loss_fn: Callable, batches, chunk_size: int = 256,
                 method: str = "double_backward"):
        if method not in HVP_METHODS:
            raise ValueError(f"hvp method must be one of {HVP_METHODS}, got {method!r}")
        self.model, self.loss_fn, self.method = model, loss_fn, method
        self.names, params = trainable(model)
        self.params = [p.detach() for p in params]
        self.n = sum(p.numel() for p in self.params)
        self.dtype, self.device = self.params[0].dtype, self.params[0].device
        self.chunks = list(chunks(batches, chunk_size, model))
        self.calls = 0

    def _loss(self, ps, x, y):
        return self.loss_fn(functional_call(self.model, dict(zip(self.names, ps)), (x,)), y)

    def __call__(self, v: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        vs = unflatten(v.to(self.device, self.dtype), self.params)
        out = torch.zeros(self.n, dtype=self.dtype, device=self.device)
        for x, y, w in self.chunks:
            out += w * flatten(self._chunk(x, y, vs))
        return out

    def _chunk(self, x, y, vs):
        if self.method == "func":
            g = lambda ps: grad(lambda q: self._loss(q, x, y))(ps)  # noqa: E731
            return jvp(g, (tuple(self.params),), (tuple(vs),))[1]
        ps = [p.clone().requires_grad_(True) for p in self.params]
        with torch.enable_grad():
            g = torch.autograd.grad(self._loss(ps, x, y), ps, create_graph=True)
            return torch.autograd.grad(g, ps, grad_outputs=vs)

    def loss(self) -> float:
        """The mean loss itself (no grad)."""
        with torch.no_grad():
            return float(sum(w * self._loss(self.params, x, y) for x, y, w in self.chunks))
