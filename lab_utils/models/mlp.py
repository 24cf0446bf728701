"""Fully connected nets: `depth` hidden layers of `width` units, and families matched in parameter count."""
from __future__ import annotations

from typing import Sequence

from torch import nn

from .sizing import match_width

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU, "sigmoid": nn.Sigmoid}


def mlp(depth: int, width: int, in_dim: int = 1, out_dim: int = 1, act: str = "relu") -> nn.Sequential:
    """`depth` hidden layers of `width` units with activation `act`, then a linear output layer."""
    if depth < 1 or width < 1:
        raise ValueError(f"mlp needs depth >= 1 and width >= 1, got depth={depth}, width={width}")
    layers: list[nn.Module] = []
    d = in_dim
    for _ in range(depth):
        layers += [nn.Linear(d, width), ACTIVATIONS[act]()]
        d = width
    layers.append(nn.Linear(d, out_dim))
    return nn.Sequential(*layers)


def mlp_n_params(depth: int, width: int, in_dim: int = 1, out_dim: int = 1) -> int:
    """Closed form of the parameter count of `mlp(depth, width, in_dim, out_dim)`."""
    return (in_dim + 1) * width + (depth - 1) * (width + 1) * width + (width + 1) * out_dim


def param_matched_mlps(depths: Sequence[int], budget: int, in_dim: int = 1, out_dim: int = 1,
                       tol: float = 0.02) -> list[dict]:
    """One MLP spec per depth with parameter counts within `tol` of each other (max/min - 1 <= tol), as close
    to `budget` as integer widths allow.

    With small budgets the widths are coarse (2 x 18 has 397 parameters, 2 x 17 has 358), so budgets near the
    requested one are scanned and the nearest that matches all depths within `tol` is used."""
    def specs_for(b: int) -> list[dict]:
        out = []
        for d in depths:
            w = match_width(lambda w: dict(kind="mlp", depth=d, width=w, in_dim=in_dim, out_dim=out_dim), b,
                            n_params=lambda s: mlp_n_params(s["depth"], s["width"], in_dim, out_dim))
            out.append(dict(kind="mlp", depth=d, width=w, in_dim=in_dim, out_dim=out_dim))
        return out

    for b in sorted(range(int(budget * 0.75), int(budget * 1.5) + 1), key=lambda b: abs(b - budget)):
        counts = [mlp_n_params(s["depth"], s["width"], in_dim, out_dim) for s in specs_for(b)]
        if max(counts) / min(counts) - 1 <= tol:
            return specs_for(b)
    raise ValueError(f"no widths match depths {list(depths)} within {tol:.0%} near {budget} parameters")
