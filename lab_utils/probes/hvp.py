"""Hessian-vector products of the sample-weighted mean loss over `batches`, w.r.t. the trainable parameters,
as a function of flat vectors. The model runs through `torch.func.functional_call` in whatever mode it is in
(the probes put it in eval mode: BN uses running statistics, so samples are independent and chunking is exact).

Gradient graphs: with `keep_graph` (default: when there are at most KEEP_GRAPH_MAX_SAMPLES samples, double
backward only) the gradient graph of every chunk of at most KEEP_GRAPH_CHUNK samples is built once, on the first
HVP, and reused (autograd.grad(..., retain_graph=True)); otherwise it is rebuilt for every HVP and chunk. One big
graph for all 512 images was slower than rebuilding in chunks of 256 (REFERENCES.md: 6.2 vs 3.9 s per HVP), but
graphs kept per chunk are faster. ResNet-20, 512 CIFAR images, 1 thread, alternating, best of 3 (load 1-3 on 2
cores): kept, chunks of 128: 3.99 s; kept, 256: 4.39 s; kept, one graph of 512: 5.85 s; rebuilt, 256: 6.53 s.
Memory: peak RSS +1.8 GB kept (128) vs +1.25 GB rebuilt (256) over the data for those 512 images.

Two implementations, measured on this 2-core CPU (1 thread, other jobs running, graphs rebuilt):
"double_backward" (autograd.grad of autograd.grad, the default) and "func" (torch.func.jvp over torch.func.grad,
forward-over-reverse; its graph is always rebuilt). Per HVP: tiny conv+BN net, 40 samples: 3 ms vs 9-19 ms; small CNN,
512 CIFAR images: 1.30 vs 1.10 s; ResNet-20, 512 images: 6.9 vs 7.0 s (best of 3). torch.func's per-call
overhead dominates small problems and buys nothing measurable at scale, so double backward is the default.
Also tried (ResNet-20, double backward, graphs rebuilt, 1 thread, alternating, best of 2-3, load ~3 on 2 cores):
one graph for all 512 images 12.6 s vs chunks of 256 9.9 s; chunks of 128 5.6 s vs 3.7 s at 256 for 256 images;
channels_last inputs and weights 4.5 vs 3.7 s (256 images) and 9.6 vs 9.9 s (512): no measurable gain, not used.
Rerun with `python benchmarks/probes.py --only hvp`.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn
from torch.func import functional_call, grad, jvp

from .batches import as_pairs, chunks, flatten, trainable, unflatten

HVP_METHODS = ("double_backward", "func")
KEEP_GRAPH_MAX_SAMPLES = 1024  # keep the gradient graphs by default up to this many samples (memory ~ samples)
KEEP_GRAPH_CHUNK = 128  # samples per kept graph (kept graphs use chunks of min(chunk_size, this))


class HVP:
    """v (flat, n entries) -> H v, with H the Hessian of the mean loss over all batches. Counts calls in .calls.
    keep_graph: None (default) keeps per-chunk gradient graphs across calls when there are at most
    KEEP_GRAPH_MAX_SAMPLES samples (double backward only); True / False force it on / off."""

    def __init__(self, model: nn.Module, loss_fn: Callable, batches, chunk_size: int = 256,
                 method: str = "double_backward", keep_graph: bool | None = None):
        if method not in HVP_METHODS:
            raise ValueError(f"hvp method must be one of {HVP_METHODS}, got {method!r}")
        self.model, self.loss_fn, self.method = model, loss_fn, method
        self.names, params = trainable(model)
        self.params = [p.detach() for p in params]
        self.n = sum(p.numel() for p in self.params)
        self.dtype, self.device = self.params[0].dtype, self.params[0].device
        batches = as_pairs(batches)  # a list: a generator would be used up here
        total = sum(len(x) for x, _ in batches)
        if keep_graph is None:
            keep_graph = total <= KEEP_GRAPH_MAX_SAMPLES
        self.keep_graph = bool(keep_graph) and method == "double_backward"
        if self.keep_graph:
            chunk_size = min(chunk_size, KEEP_GRAPH_CHUNK)
        self.chunks = list(chunks(batches, chunk_size, model))
        self.calls = 0
        self._graphs: list | None = None  # per chunk: (parameter leaves, gradient with its graph), built lazily

    def _loss(self, ps, x, y):
        return self.loss_fn(functional_call(self.model, dict(zip(self.names, ps)), (x,)), y)

    def __call__(self, v: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        vs = unflatten(v.to(self.device, self.dtype), self.params)
        out = torch.zeros(self.n, dtype=self.dtype, device=self.device)
        if self.keep_graph:
            if self._graphs is None:
                self._graphs = [self._grad_graph(x, y) for x, y, _ in self.chunks]
            for (ps, g), (_, _, w) in zip(self._graphs, self.chunks):
                with torch.enable_grad():
                    out += w * flatten(torch.autograd.grad(g, ps, grad_outputs=vs, retain_graph=True))
            return out
        for x, y, w in self.chunks:
            out += w * flatten(self._chunk(x, y, vs))
        return out

    def _grad_graph(self, x, y):
        ps = [p.clone().requires_grad_(True) for p in self.params]
        with torch.enable_grad():
            return ps, torch.autograd.grad(self._loss(ps, x, y), ps, create_graph=True)

    def _chunk(self, x, y, vs):
        if self.method == "func":
            g = lambda ps: grad(lambda q: self._loss(q, x, y))(ps)  # noqa: E731
            return jvp(g, (tuple(self.params),), (tuple(vs),))[1]
        ps, g = self._grad_graph(x, y)
        with torch.enable_grad():
            return torch.autograd.grad(g, ps, grad_outputs=vs)

    def loss(self) -> float:
        """The mean loss itself (no grad)."""
        with torch.no_grad():
            return float(sum(w * self._loss(self.params, x, y) for x, y, w in self.chunks))
