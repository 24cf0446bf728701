"""Loss surfaces around the current weights along one or two directions (Li et al. 2018, filter normalisation).

Evaluation runs in eval mode (BN uses its running statistics, which are NOT recomputed at the perturbed weights),
in torch.no_grad, chunked, on in-memory batches; the model is left exactly as found.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from ..core.params import as_flat, trainable, unflatten
from ..core.progress import progress as _progress
from .batches import chunks
from .bn_fold import FoldedBN, FoldError
from .state import preserved

NORMALIZATIONS = ("filter", "layer", None)


@dataclass
class LossSurface:
    """coords: offsets along each direction (in units of the direction), symmetric, 0 at the centre for odd
    steps. loss / accuracy: shape (steps,) or (steps, steps), [i, j] = coords[i] along direction 1 and coords[j]
    along direction 2; accuracy (fraction in [0, 1]) is None unless the targets are integer class labels.
    directions: one list of per-parameter tensors (trainable parameters, `named_parameters()` order) per axis.
    cosine: cosine between the two directions (dims=2), else None."""

    coords: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray | None
    directions: list[list[torch.Tensor]]
    normalization: str | None = None
    cosine: float | None = None
    extra: dict = field(default_factory=dict)


def normalize_direction(
    direction: Sequence[torch.Tensor], params: Sequence[torch.Tensor], normalization: str | None = "filter"
) -> list[torch.Tensor]:
    """Rescale a direction (one tensor per parameter) like Li et al. 2018.

    "filter": every filter of a >=2-D parameter (slice along dim 0: an output unit of a Linear, an output channel
    of a conv) gets the norm of the matching filter of the parameter; 1-D parameters (biases, BN weight/bias)
    are set to zero. "layer": each >=2-D parameter's direction gets that parameter's norm; 1-D are zeroed.
    None: returned unchanged."""
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {normalization!r}")
    if normalization is None:
        return [d.clone() for d in direction]
    out = []
    for d, p in zip(direction, params):
        if p.dim() <= 1:
            out.append(torch.zeros_like(d))
        elif normalization == "filter":
            dn = d.reshape(len(d), -1).norm(dim=1)
            pn = p.detach().reshape(len(p), -1).norm(dim=1)
            out.append(d * _ratio(pn, dn).view(-1, *([1] * (d.dim() - 1))))
        else:
            out.append(d * _ratio(p.detach().norm(), d.norm()))
    return out


def _ratio(num: torch.Tensor, den: torch.Tensor) -> torch.Tensor:
    """num / den, 0 where den is 0 (a zero filter stays zero)."""
    return torch.where(den > 0, num / torch.where(den > 0, den, 1), 0)


def random_direction(
    params: Sequence[torch.Tensor], normalization: str | None = "filter", gen: torch.Generator | None = None
) -> list[torch.Tensor]:
    """A standard Gaussian direction (drawn on the CPU from `gen`) normalised by `normalize_direction`."""
    d = [torch.randn(p.shape, generator=gen, dtype=torch.float64).to(p.device, p.dtype) for p in params]
    return normalize_direction(d, params, normalization)


def _evaluate(model: nn.Module, loss_fn: Callable, data, with_acc: bool) -> tuple[float, float]:
    loss = torch.zeros((), dtype=torch.float64)
    correct = 0
    for x, y, w in data:
        out = model(x)
        loss += w * loss_fn(out, y).double().cpu()
        if with_acc:
            correct += int((out.argmax(1) == y).sum())
    n = sum(len(x) for x, _, _ in data)
    return float(loss), correct / n if with_acc else float("nan")


def grid_coords(steps: int, span: float) -> np.ndarray:
    """`steps` offsets from -span to span, exactly symmetric, exactly 0 in the middle when steps is odd."""
    if steps == 1:
        return np.zeros(1)
    c = (steps - 1) / 2
    return span * (np.arange(steps) - c) / c


def loss_surface(
    model: nn.Module,
    loss_fn: Callable,
    batches,
    steps: int = 21,
    span: float = 1.0,
    dims: int = 2,
    normalization: str | None = "filter",
    directions=None,
    seed: int = 0,
    progress: bool = True,
    chunk_size: int = 128,
    channels_last: bool = True,
    fold_bn: bool = False,
) -> LossSurface:
    """Mean loss (and accuracy) at theta + a d1 (+ b d2) for a, b in `grid_coords(steps, span)`.

    Model in eval mode (BN running statistics from the unperturbed model, not recomputed), torch.no_grad,
    chunks of `chunk_size` samples; only trainable parameters are perturbed; the model is left exactly as found.
    Directions: by default `dims` independent standard Gaussian directions normalised per `normalization`
    ("filter": Li et al.'s filter normalisation with 1-D parameters zeroed; "layer"; None: raw N(0, 1)). As in
    Li et al. they are not orthogonalised: in n dimensions their cosine is ~ 1/sqrt(n) (reported as .cosine).
    `directions`: your own (e.g. PCA components, theta_2 - theta_1), one per axis, each a flat vector or a list
    of per-parameter tensors; used as given (unnormalised); their number sets dims.
    progress: a tqdm.auto bar over grid points (off when env LAB_PROGRESS=0).
    chunk_size: samples per forward pass (see benchmarks/probes_README.md for the measurements behind it).
    channels_last: feed 4-D inputs in channels_last memory format (same values up to float rounding; faster for
        ResNet-20 on CPU); the model itself is not converted.
    fold_bn: evaluate a copy with every BatchNorm folded into its convolution (`bn_fold`), re-folded from the
        perturbed weights at every grid point: the same losses up to float rounding, fewer layers per forward
        (measurements in benchmarks/probes_README.md). Falls back to the model as it is (with a warning) when
        torch.fx cannot trace it.
    """
    if steps < 1 or span <= 0:
        raise ValueError(f"steps must be >= 1 and span > 0, got steps={steps}, span={span}")
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {normalization!r}")
    _, params = trainable(model)
    if directions is not None:
        if isinstance(directions, torch.Tensor):
            directions = [directions] if directions.dim() == 1 else list(directions)
        dirs = [unflatten(as_flat(d, params), params) for d in directions]
        dims = len(dirs)
    else:
        if dims not in (1, 2):
            raise ValueError(f"dims must be 1 or 2, got {dims}")
        gen = torch.Generator().manual_seed(seed)
        dirs = [random_direction(params, normalization, gen) for _ in range(dims)]
    if dims not in (1, 2):
        raise ValueError(f"pass one or two directions, got {dims}")
    coords = grid_coords(steps, span)
    shape = (steps,) * dims
    loss = np.empty(shape)
    acc = np.empty(shape)
    with preserved(model), torch.no_grad():
        data = list(chunks(batches, chunk_size, model))
        if channels_last:
            data = [(x.contiguous(memory_format=torch.channels_last) if x.dim() == 4 else x, y, w) for x, y, w in data]
        y0 = data[0][1]
        with_acc = not (y0.is_floating_point() or y0.is_complex() or y0.dtype == torch.bool) and y0.dim() == 1
        base = [p.detach().clone() for p in params]
        net, folded = model, None
        if fold_bn:
            try:
                folded = FoldedBN(model)
                net = folded.module
            except FoldError as e:
                warnings.warn(f"fold_bn: {e}; evaluating the model unfolded", RuntimeWarning, stacklevel=2)
        bar = _progress(total=loss.size, desc="loss surface", disable=not progress)
        for idx in np.ndindex(*shape):
            for p, b, *ds in zip(params, base, *dirs):
                p.copy_(b)
                for a, d in zip(idx, ds):
                    p.add_(d, alpha=float(coords[a]))
            if folded is not None:
                folded.refresh()
            loss[idx], acc[idx] = _evaluate(net, loss_fn, data, with_acc)
            bar.update()
        bar.close()
    cos = None
    if dims == 2:
        f1, f2 = (torch.cat([t.reshape(-1) for t in d]).double() for d in dirs)
        cos = float(f1 @ f2 / (f1.norm() * f2.norm() + 1e-300))
    return LossSurface(
        coords,
        loss,
        acc if with_acc else None,
        [[d.detach() for d in ds] for ds in dirs],
        normalization if directions is None else None,
        cos,
    )


@dataclass(frozen=True)
class GridStats:
    """min, max and range (max - min) of the finite losses of a grid, and how many points were not finite (None
    for the numbers when no point was finite)."""

    loss_min: float | None
    loss_max: float | None
    loss_range: float | None
    n_nonfinite: int


def grid_stats(loss: np.ndarray) -> GridStats:
    """The `GridStats` of a loss grid (any shape)."""
    a = np.asarray(loss, dtype=float)
    finite = a[np.isfinite(a)]
    if not len(finite):
        return GridStats(None, None, None, int(a.size))
    return GridStats(
        float(finite.min()), float(finite.max()), float(finite.max() - finite.min()), int(a.size - len(finite))
    )
