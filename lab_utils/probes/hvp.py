"""Hessian-vector products of the sample-weighted mean loss over `batches`, w.r.t. the trainable parameters,
as a function of flat vectors. The model runs through `torch.func.functional_call` in whatever mode it is in
(the probes put it in eval mode: BN uses running statistics, so samples are independent and chunking is exact).

Gradient graphs: with `keep_graph` (default: when there are at most KEEP_GRAPH_MAX_SAMPLES samples, double
backward only) the gradient graph of every chunk of at most KEEP_GRAPH_CHUNK samples is built once, on the first
HVP, and reused (autograd.grad(..., retain_graph=True)); otherwise it is rebuilt for every HVP and chunk. Kept
graphs cost memory (about +0.55 GB for ResNet-20 on 512 CIFAR images) and save time per HVP; the measurements
behind these defaults are in benchmarks/probes_README.md.

Two implementations: "double_backward" (autograd.grad of autograd.grad, the default) and "func"
(torch.func.jvp over torch.func.grad, forward-over-reverse; its graph is always rebuilt).
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn
from torch.func import functional_call, grad, jvp

from ..core.params import flatten, trainable, unflatten
from .batches import as_pairs, chunks

HVP_METHODS = ("double_backward", "func")
KEEP_GRAPH_MAX_SAMPLES = 1024  # keep the gradient graphs by default up to this many samples (memory ~ samples)
KEEP_GRAPH_CHUNK = 128  # samples per kept graph (kept graphs use chunks of min(chunk_size, this))


class HVP:
    """v (flat, n entries) -> H v, with H the Hessian of the mean loss over all batches. Counts calls in .calls.
    keep_graph: None (default) keeps per-chunk gradient graphs across calls when there are at most
    KEEP_GRAPH_MAX_SAMPLES samples (double backward only); True / False force it on / off."""

    def __init__(
        self,
        model: nn.Module,
        loss_fn: Callable,
        batches,
        chunk_size: int = 256,
        method: str = "double_backward",
        keep_graph: bool | None = None,
    ):
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
