"""Models built from small spec dicts, so a spec can also key the run cache.

    build({"kind": "mlp", "depth": 2, "width": 18})            # 1 -> 18 -> 18 -> 1, ReLU
    build({"kind": "cnn", "channels": [16, 32], "hidden": 64})  # conv-relu-pool stages, then an MLP head

`depth` of an MLP counts hidden layers. Other modules add kinds with `register` (ResNet-20: `lab_utils.resnet`).
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import torch
from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU, "sigmoid": nn.Sigmoid}


def count_params(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


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
    """Closed form of `count_params(mlp(depth, width, in_dim, out_dim))`."""
    return (in_dim + 1) * width + (depth - 1) * (width + 1) * width + (width + 1) * out_dim


def cnn(
    channels: Sequence[int] = (32, 64),
    hidden: int = 128,
    in_channels: int = 1,
    image_size: int = 28,
    n_classes: int = 10,
    kernel: int = 3,
    pool_every: int = 1,
    batchnorm: bool = False,
) -> nn.Sequential:
    """Conv stages (conv 'same' padding -> [BN] -> ReLU, a 2x2 max-pool after every `pool_every` convs), then
    flatten -> Linear(hidden) -> ReLU -> Linear(n_classes). `hidden=0` means no hidden layer in the head."""
    layers: list[nn.Module] = []
    c, size = in_channels, image_size
    for i, c_out in enumerate(channels):
        layers.append(nn.Conv2d(c, c_out, kernel, padding=kernel // 2, bias=not batchnorm))
        if batchnorm:
            layers.append(nn.BatchNorm2d(c_out))
        layers.append(nn.ReLU())
        if (i + 1) % pool_every == 0 and size >= 2:
            layers.append(nn.MaxPool2d(2))
            size //= 2
        c = c_out
    layers.append(nn.Flatten())
    feat = c * size * size
    if hidden:
        layers += [nn.Linear(feat, hidden), nn.ReLU(), nn.Linear(hidden, n_classes)]
    else:
        layers.append(nn.Linear(feat, n_classes))
    return nn.Sequential(*layers)


BUILDERS: dict[str, Callable[..., nn.Module]] = {"mlp": mlp, "cnn": cnn}


def register(kind: str, builder: Callable[..., nn.Module]) -> None:
    """Make `build({"kind": kind, ...})` call `builder(**rest)`."""
    BUILDERS[kind] = builder


def build(spec: dict) -> nn.Module:
    """Build the model a spec dict describes: {"kind": ..., **keyword arguments of that kind's builder}.
    Keys starting with "_" are labels (e.g. "_name") and are not passed on."""
    kind = spec.get("kind")
    if kind == "resnet20" and kind not in BUILDERS:
        from . import resnet  # noqa: F401  (registers itself)
    if kind not in BUILDERS:
        raise ValueError(f"unknown model kind {kind!r}: use one of {sorted(BUILDERS)}")
    kwargs = {k: v for k, v in spec.items() if k != "kind" and not k.startswith("_")}
    return BUILDERS[kind](**kwargs)


def spec_n_params(spec: dict) -> int:
    """Parameter count of a spec without allocating its weights (built on the meta device)."""
    with torch.device("meta"):
        return count_params(build(spec))


def match_width(
    make_spec: Callable[[int], dict], budget: int, lo: int = 1, hi: int = 1 << 14,
    n_params: Callable[[dict], int] = spec_n_params,
) -> int:
    """The integer width w whose model `make_spec(w)` has the parameter count closest to `budget`.

    The count must grow with w (true for any of our families); found by bisection, then the nearer neighbour.
    `n_params(spec)` counts a spec's parameters (default: build it on the meta device).
    """
    n = lambda w: n_params(make_spec(w))  # noqa: E731
    if n(lo) >= budget:
        return lo
    while lo + 1 < hi:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if n(mid) < budget else (lo, mid)
    return min((lo, hi), key=lambda w: (abs(n(w) - budget), w))


def param_matched_mlps(
    depths: Sequence[int], budget: int, in_dim: int = 1, out_dim: int = 1, tol: float = 0.02
) -> list[dict]:
    """One MLP spec per depth with parameter counts within `tol` of each other (max/min - 1 <= tol), as close
    to `budget` as integer widths allow.

    With small budgets the widths are coarse (2 x 18 has 397 parameters, 2 x 17 has 358), so budgets near the
    requested one are scanned and the nearest that matches all depths within `tol` is used.
    """
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


def relative_mismatch(specs: Sequence[dict]) -> float:
    """max/min - 1 of the parameter counts of `specs` (0.02 = matched within 2%)."""
    counts = [spec_n_params(s) for s in specs]
    return max(counts) / min(counts) - 1


def log_widths(lo: int, hi: int, n: int) -> list[int]:
    """`n` distinct integers from lo to hi, spaced evenly in log scale."""
    return sorted({round(math.exp(math.log(lo) + i * (math.log(hi) - math.log(lo)) / max(n - 1, 1))) for i in range(n)})
