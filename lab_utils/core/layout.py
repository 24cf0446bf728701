"""Memory layout of conv nets: channels_last where it is faster, decided by a static rule, never by timing.

    fmt = memory_format(model, x)        # torch.channels_last or torch.contiguous_format
    with formatted(model, fmt):          # the model's 4-D weights in `fmt` for the block, then back in place
        out = model(to_format(xb, fmt))  # each 4-D batch in `fmt`

The rule: channels_last when the model has an `nn.Conv2d` submodule, the input is a 4-D (N, C, H, W) float32
tensor and the device is the CPU; contiguous otherwise (MLPs, 1-D inputs, float64 probes, models that run their
convs through `functional_call` on a shell that is not a registered submodule, e.g. `Ensemble`, `SubspaceModel`).
Same values up to float rounding (different summation orders inside the kernels; tests/test_layout.py).

Measured on this lab's 2-core AMD EPYC (AVX-512), torch 2.14, 2 threads, shared machine; channels_last over the
default layout, medians of interleaved rounds (benchmarks/train_loop.py, every model the sections train):

    training steps   every conv net 1.08-1.56x (ResNet-20 b32 1.17x, 01's MNIST CNNs 1.20-1.34x, 02 1.38x,
                     03 1.33-1.56x, 04 1.11-1.34x, 08's CIFAR CNN 1.08x); the MLP rows, where both columns run the
                     same code, 0.93-1.03x: that is the noise
    evaluate         1.35x (ResNet-20) to 1.89x (MNIST / CIFAR CNNs), chunks of 256

Why no finer rule (by size, batch or channel count): no float32 conv net measured slower. Why float32 only: in
float64 (no oneDNN kernels) channels_last made ResNet-20 and a small MNIST CNN slower, 0.8x. Why the weights too,
not only the inputs: with one input channel (MNIST) a batch's NCHW strides count as channels_last as well, so the
first conv follows its weights' layout, and MNIST CNNs with contiguous weights gained nothing (0.9-1.05x). CUDA is
not in the rule because it was not measured here (no GPU); add "cuda" to CHANNELS_LAST_DEVICES once
benchmarks/train_loop.py shows it faster there.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch
from torch import nn

CHANNELS_LAST_DEVICES = ("cpu",)
CHANNELS_LAST_DTYPES = (torch.float32,)


def has_conv2d(model: nn.Module) -> bool:
    """Whether any registered submodule of `model` is an `nn.Conv2d`."""
    return any(isinstance(m, nn.Conv2d) for m in model.modules())


def memory_format(model: nn.Module, x: torch.Tensor) -> torch.memory_format:
    """The faster layout for running `model` on inputs like `x` (see the module docstring for the rule)."""
    if (
        x.dim() == 4
        and x.device.type in CHANNELS_LAST_DEVICES
        and x.dtype in CHANNELS_LAST_DTYPES
        and has_conv2d(model)
    ):
        return torch.channels_last
    return torch.contiguous_format


def to_format(x: torch.Tensor, fmt: torch.memory_format) -> torch.Tensor:
    """`x` with channels_last strides when it is 4-D and `fmt` is channels_last (a copy unless it has them);
    otherwise `x` itself, untouched."""
    if fmt is torch.channels_last and x.dim() == 4:
        # .to, not .contiguous: with one channel (MNIST images, conv weights (c, 1, k, k)) .contiguous(channels_last)
        # keeps the NCHW strides, which count as both layouts, and the conv then runs in NCHW
        return x.to(memory_format=fmt)
    return x


def convert(model: nn.Module, fmt: torch.memory_format) -> nn.Module:
    """`model.to(memory_format=fmt)`, in place: its 4-D parameters and buffers get new storage in `fmt`, so
    tensors aliasing the old storage no longer see the model. Prefer `formatted`, which keeps the storage."""
    return model.to(memory_format=fmt)


@contextmanager
def formatted(model: nn.Module, fmt: torch.memory_format) -> Iterator[nn.Module]:
    """Run a block with the model's 4-D parameters and buffers (conv weights) in layout `fmt`.

    On exit (also on an exception) their current values are copied back into their original tensors, which
    become the parameters again: the model leaves with the storage, strides and Parameter objects it came with,
    so views, `.data` aliases, optimizers and `.view(-1)` on parameters made before or after keep working. Any
    `.grad` is returned in the parameter's original layout. A no-op for `torch.contiguous_format` and for tensors
    already in `fmt` (nested use inside `fit` costs nothing). The swap costs two copies of the conv weights.
    """
    swapped: list[tuple[torch.Tensor, torch.Tensor]] = []
    if fmt is not torch.contiguous_format:
        with torch.no_grad():
            for t in [*model.parameters(), *model.buffers()]:
                original = t.data
                if t.dim() == 4 and (converted := to_format(original, fmt)) is not original:
                    t.data = converted
                    swapped.append((t, original))
    try:
        yield model
    finally:
        with torch.no_grad():
            for t, original in swapped:
                original.copy_(t.data)
                t.data = original
                if t.grad is not None:
                    t.grad = torch.empty_like(original).copy_(t.grad)
