"""Fully connected nets: `depth` hidden layers of `width` units, and families matched in parameter count."""

from __future__ import annotations

from typing import Sequence

from torch import nn

from .sizing import match_width

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU, "sigmoid": nn.Sigmoid}


def mlp(
    depth: int | None = None,
    width: int | None = None,
    in_dim: int = 1,
    out_dim: int = 1,
    act: str = "relu",
    hidden: Sequence[int] | None = None,
    batchnorm: bool = False,
) -> nn.Sequential:
    """`depth` hidden layers of `width` units with activation `act`, then a linear output layer; or, with
    `hidden` (and no depth/width), hidden layers of the given sizes, e.g. hidden=[5, 10, 10, 10, 5].
    `batchnorm` puts a BatchNorm1d between each hidden Linear layer and its activation."""
    if hidden is None:
        if depth is None or width is None or depth < 1 or width < 1:
            raise ValueError(f"mlp needs depth >= 1 and width >= 1, got depth={depth}, width={width}")
        hidden = [width] * depth
    elif depth is not None or width is not None:
        raise ValueError("give either depth and width or hidden, not both")
    if not hidden or min(hidden) < 1:
        raise ValueError(f"mlp needs at least one hidden layer of >= 1 unit, got hidden={list(hidden)}")
    layers: list[nn.Module] = []
    d = in_dim
    for w in hidden:
        layers += [nn.Linear(d, w)] + ([nn.BatchNorm1d(w)] if batchnorm else []) + [ACTIVATIONS[act]()]
        d = w
    layers.append(nn.Linear(d, out_dim))
    return nn.Sequential(*layers)


def mlp_n_params(depth: int, width: int, in_dim: int = 1, out_dim: int = 1) -> int:
    """Closed form of the parameter count of `mlp(depth, width, in_dim, out_dim)`."""
    return (in_dim + 1) * width + (depth - 1) * (width + 1) * width + (width + 1) * out_dim


def param_matched_mlps(
    depths: Sequence[int], budget: int, in_dim: int = 1, out_dim: int = 1, tol: float = 0.02
) -> list[dict]:
    """One MLP spec per depth with parameter counts within `tol` of each other (max/min - 1 <= tol), as close
    to `budget` as integer widths allow.

    With small budgets the widths are coarse (2 x 18 has 397 parameters, 2 x 17 has 358), so budgets near the
    requested one are scanned and the nearest that matches all depths within `tol` is used."""

    def specs_for(b: int) -> list[dict]:
        out = []
        for d in depths:
            w = match_width(
                lambda w, d=d: dict(kind="mlp", depth=d, width=w, in_dim=in_dim, out_dim=out_dim),
                b,
                n_params=lambda s: mlp_n_params(s["depth"], s["width"], in_dim, out_dim),
            )
            out.append(dict(kind="mlp", depth=d, width=w, in_dim=in_dim, out_dim=out_dim))
        return out

    for b in sorted(range(int(budget * 0.75), int(budget * 1.5) + 1), key=lambda b: abs(b - budget)):
        counts = [mlp_n_params(s["depth"], s["width"], in_dim, out_dim) for s in specs_for(b)]
        if max(counts) / min(counts) - 1 <= tol:
            return specs_for(b)
    raise ValueError(f"no widths match depths {list(depths)} within {tol:.0%} near {budget} parameters")
