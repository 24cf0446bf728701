"""Low-loss paths between two minima: nudged elastic band (NEB) and a trained quadratic Bezier curve.

Both work on flat parameter vectors, so the same code runs on an analytic 2-D function (tests) and on a network:

NEB (Jonsson, Mills & Jacobsen 1998; AutoNEB of Draxler et al. 2018 without the automatic node insertion):
a chain theta_0, theta_1..theta_N, theta_{N+1} with fixed end points (the minima) and N movable nodes, initialised
evenly on the straight line. For a fixed number of iterations every movable node moves along the force

    F_i = -(g_i - (g_i . tau_i) tau_i)  +  k (|theta_{i+1} - theta_i| - |theta_i - theta_{i-1}|) tau_i

with g_i the (minibatch) loss gradient at theta_i, tau_i = (theta_{i+1} - theta_{i-1}) / |...| the central
tangent: the true gradient perpendicular to the path plus a spring force along it that keeps the nodes evenly
spaced. Steps are theta_i += lr * v_i with heavy-ball momentum v_i = m v_i + F_i. Optionally the highest node
climbs (`climbing=True`: its force is -g + 2 (g . tau) tau, no spring), which puts it on the saddle.

Bezier (Garipov et al. 2018): phi(t) = (1-t)^2 w_0 + 2 t (1-t) theta + t^2 w_1, with the control point theta
(initialised at the midpoint) trained by SGD with momentum on the loss at phi(t), t ~ U(0, 1) drawn anew every
step. The end points never move. Its steps are the training loop's own (`core.train.make_optimizer`,
`make_scheduler`, `optimizer_step`: the same finiteness check, zero_grad, backward, step). NEB is not a step on
one loss (its force is a projected gradient plus a spring term, the gradient of no single function), so it keeps
its own heavy-ball update.

For networks, losses during NEB/Bezier training use BatchNorm in train mode (batch statistics); evaluation along
any path (`connectivity.evaluate_points`) re-estimates the BN running statistics at every point before an
eval-mode pass, as Garipov et al. do.
"""

from __future__ import annotations

import copy
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.func import functional_call

from ..core.data import minibatches
from ..core.params import param_dict, trainable
from ..core.train import make_optimizer, make_scheduler, optimizer_step
from .batches import joined

# ---- generic: flat vectors ------------------------------------------------------------------------------------


def linear_points(w0: torch.Tensor, w1: torch.Tensor, n: int) -> list[torch.Tensor]:
    """n evenly spaced points on the segment from w0 to w1 (both included)."""
    return [torch.lerp(w0, w1, float(a)) for a in np.linspace(0.0, 1.0, n)]


def neb(
    grad_fn: Callable[[torch.Tensor, int], tuple[float, torch.Tensor]],
    start: torch.Tensor,
    end: torch.Tensor,
    *,
    n_nodes: int = 5,
    iters: int = 20,
    lr: float = 0.01,
    spring: float = 1.0,
    momentum: float = 0.0,
    climbing: bool = False,
    callback: Callable | None = None,
) -> dict:
    """Relax a nudged elastic band between `start` and `end` (module docstring).

    grad_fn(theta, it) -> (loss, gradient) at flat vector theta in iteration `it` (use `it` to pick a minibatch
    shared by all nodes of that iteration). Returns {"nodes": (n_nodes + 2, p) tensor including the end points,
    "losses": the losses of the movable nodes at their last evaluation, "iters", "diverged_at": None or the
    iteration where a loss or gradient became NaN/inf (the band stops there, keeping its last finite nodes)}."""
    if n_nodes < 1:
        raise ValueError("neb needs at least one movable node")
    nodes = torch.stack(linear_points(start, end, n_nodes + 2)).clone()
    vel = torch.zeros_like(nodes[1:-1])
    losses = [float("nan")] * n_nodes
    diverged = None
    for it in range(iters):
        grads = []
        for i in range(1, n_nodes + 1):
            losses[i - 1], g = grad_fn(nodes[i], it)
            grads.append(g.to(nodes.dtype))
        if not (np.all(np.isfinite(losses)) and all(bool(torch.isfinite(g).all()) for g in grads)):
            diverged = it
            break
        top = int(np.nanargmax(losses)) + 1 if climbing else -1
        forces = []
        for i in range(1, n_nodes + 1):
            tau = nodes[i + 1] - nodes[i - 1]
            tau = tau / tau.norm().clamp_min(1e-30)
            g = grads[i - 1]
            g_par = (g @ tau) * tau
            if i == top:
                forces.append(-g + 2 * g_par)
            else:
                stretch = (nodes[i + 1] - nodes[i]).norm() - (nodes[i] - nodes[i - 1]).norm()
                forces.append(-(g - g_par) + spring * stretch * tau)
        vel = momentum * vel + torch.stack(forces)
        nodes[1:-1] += lr * vel
        if callback:
            callback(it, nodes, losses)
    return dict(nodes=nodes, losses=losses, iters=iters, diverged_at=diverged)


def bezier(w0: torch.Tensor, theta: torch.Tensor, w1: torch.Tensor, t: float | torch.Tensor) -> torch.Tensor:
    """The quadratic Bezier point phi(t) = (1-t)^2 w0 + 2t(1-t) theta + t^2 w1."""
    return (1 - t) ** 2 * w0 + 2 * t * (1 - t) * theta + t**2 * w1


def train_bezier(
    loss_fn: Callable[[torch.Tensor, int], torch.Tensor],
    w0: torch.Tensor,
    w1: torch.Tensor,
    *,
    steps: int,
    lr: float,
    momentum: float = 0.9,
    scheduler: str = "constant",
    seed: int = 0,
    init: torch.Tensor | None = None,
) -> dict:
    """Train the control point theta of a quadratic Bezier curve from w0 to w1 (module docstring) for `steps`
    SGD steps (heavy-ball `momentum`; `scheduler` "constant": constant learning rate, or "cosine" from lr to 0).

    loss_fn(phi, step) -> scalar loss tensor at the flat vector phi (differentiable in phi). Returns
    {"theta": trained control point, "ts": the sampled t, "losses": the training losses, "diverged_at": None or
    the step whose loss was NaN/inf (training stops there, before that step, as in `core.train.fit`)}."""
    theta = (0.5 * (w0 + w1) if init is None else init.clone()).detach().requires_grad_(True)
    opt = make_optimizer([theta], "sgd", lr, momentum)
    sched = make_scheduler(opt, scheduler, steps)
    gen = torch.Generator().manual_seed(seed)
    ts, losses, diverged = [], [], None
    for step in range(steps):
        t = float(torch.rand((), generator=gen))
        loss = loss_fn(bezier(w0, theta, w1, t), step)
        if not optimizer_step(opt, loss, sched):
            diverged = step
            break
        ts.append(t)
        losses.append(float(loss.detach()))
    return dict(theta=theta.detach(), ts=ts, losses=losses, diverged_at=diverged)


def chain_points(nodes: torch.Tensor, per_segment: int = 2) -> tuple[list[torch.Tensor], np.ndarray]:
    """Points along the piecewise-linear chain through `nodes` ((m, p)): every node plus `per_segment - 1`
    evenly spaced points inside each segment; returns (points, normalised arc length in [0, 1], exactly 0 and 1
    at the ends)."""
    pts, s = [nodes[0]], [0.0]
    seg = (nodes[1:] - nodes[:-1]).norm(dim=1).double().cpu().numpy()
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    total = float(cum[-1]) or 1.0
    for j in range(len(nodes) - 1):
        for a in np.linspace(0, 1, per_segment + 1)[1:]:
            pts.append(torch.lerp(nodes[j], nodes[j + 1], float(a)))
            s.append((cum[j] + a * seg[j]) / total)
    s[-1] = 1.0
    return pts, np.asarray(s)


# ---- networks ---------------------------------------------------------------------------------------------------


class NetLoss:
    """The minibatch `loss_fn` of a network on the samples of `batches` (the probes' call shape), as a function of
    its flat trainable parameters (a private copy of the model runs in train mode through `functional_call`, so BN
    uses batch statistics). Minibatches of `batch_size` cycle through the samples in a seeded random order;
    `batch(step)` is deterministic in step."""

    def __init__(self, model: nn.Module, loss_fn: Callable, batches, *, batch_size: int = 128, seed: int = 0):
        self.shell = copy.deepcopy(model).train()
        trainable(self.shell)  # raises when nothing is trainable
        self.fn = loss_fn
        (self.x, self.y), self.batch_size = joined(batches), batch_size
        self.gen = torch.Generator().manual_seed(seed)
        self._batches: list = []

    def batch(self, step: int):
        while len(self._batches) <= step:
            self._batches += list(minibatches(self.x, self.y, self.batch_size, generator=self.gen))
        return self._batches[step]

    def __call__(self, flat: torch.Tensor, step: int) -> torch.Tensor:
        xb, yb = self.batch(step)
        return self.fn(functional_call(self.shell, param_dict(self.shell, flat), (xb,)), yb)

    def loss_and_grad(self, flat: torch.Tensor, step: int) -> tuple[float, torch.Tensor]:
        theta = flat.detach().clone().requires_grad_(True)
        with torch.enable_grad():
            loss = self(theta, step)
            (g,) = torch.autograd.grad(loss, theta)
        return float(loss.detach()), g
