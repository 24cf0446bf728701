"""Leave a model exactly as a probe found it: `with preserved(model): ...`.

Snapshots every parameter and buffer value (BN running stats, num_batches_tracked), each module's train/eval
flag, each parameter's requires_grad flag and .grad (object and values), and restores them bit for bit on exit,
even when the probe raises. Inside the block the model is in eval mode (BN uses its running statistics)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch
from torch import nn


@contextmanager
def preserved(model: nn.Module, eval_mode: bool = True) -> Iterator[nn.Module]:
    params = list(model.named_parameters(remove_duplicate=True))
    buffers = list(model.named_buffers(remove_duplicate=True))
    p_vals = [p.detach().clone() for _, p in params]
    b_vals = [b.detach().clone() for _, b in buffers]
    flags = [p.requires_grad for _, p in params]
    grads = [(p.grad, None if p.grad is None else p.grad.detach().clone()) for _, p in params]
    modes = [(m, m.training) for m in model.modules()]
    if eval_mode:
        model.eval()
    try:
        yield model
    finally:
        with torch.no_grad():
            for (_, p), v, f, (g, gv) in zip(params, p_vals, flags, grads):
                p.copy_(v)
                p.requires_grad_(f)
                p.grad = g
                if g is not None:
                    g.copy_(gv)
            for (_, b), v in zip(buffers, b_vals):
                b.copy_(v)
        for m, t in modes:
            m.training = t
