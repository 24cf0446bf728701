"""Small conv nets: conv stages then an MLP head, and specs for the datasets' input shapes."""

from __future__ import annotations

from typing import Sequence

from torch import nn

IMAGE_SHAPES = {"mnist": (1, 28), "cifar10": (3, 32)}  # in_channels, image size


def cnn(
    channels: Sequence[int] = (32, 64),
    hidden: int = 128,
    in_channels: int = 1,
    image_size: int = 28,
    n_classes: int = 10,
    kernel: int = 3,
    pool_every: int = 1,
    batchnorm: bool = False,
    global_pool: bool = False,
) -> nn.Sequential:
    """Conv stages (conv 'same' padding -> [BN] -> ReLU, a 2x2 max-pool after every `pool_every` convs), then
    [global average pool] -> flatten -> Linear(hidden) -> ReLU -> Linear(n_classes). `hidden=0` means no hidden
    layer in the head; `global_pool` averages each channel over the remaining image (the head then sees one
    number per channel)."""
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
    if global_pool:
        layers.append(nn.AdaptiveAvgPool2d(1))
        size = 1
    layers.append(nn.Flatten())
    feat = c * size * size
    if hidden:
        layers += [nn.Linear(feat, hidden), nn.ReLU(), nn.Linear(hidden, n_classes)]
    else:
        layers.append(nn.Linear(feat, n_classes))
    return nn.Sequential(*layers)


def cnn_spec(
    dataset: str,
    channels: Sequence[int],
    hidden: int,
    *,
    batchnorm: bool = False,
    kernel: int = 3,
    pool_every: int = 1,
    n_classes: int = 10,
    global_pool: bool = False,
) -> dict:
    """The spec of a `cnn` for the input shape of `dataset` ("mnist" or "cifar10"); `global_pool` is recorded only
    when set, so specs without it keep their cache keys."""
    if dataset not in IMAGE_SHAPES:
        raise ValueError(f"unknown dataset {dataset!r}: use one of {sorted(IMAGE_SHAPES)}")
    c, size = IMAGE_SHAPES[dataset]
    spec = dict(
        kind="cnn",
        channels=list(channels),
        hidden=hidden,
        in_channels=c,
        image_size=size,
        n_classes=n_classes,
        kernel=kernel,
        pool_every=pool_every,
        batchnorm=bool(batchnorm),
    )
    if global_pool:
        spec["global_pool"] = True
    return spec


def image_mlp_spec(dataset: str, hidden: Sequence[int], *, batchnorm: bool = False, n_classes: int = 10) -> dict:
    """The spec of an `mlp` on the flattened images of `dataset` (load them with `data.load(..., flatten=True)`):
    hidden widths `hidden`, ReLU, optional BatchNorm1d after each hidden Linear (recorded only when set)."""
    if dataset not in IMAGE_SHAPES:
        raise ValueError(f"unknown dataset {dataset!r}: use one of {sorted(IMAGE_SHAPES)}")
    c, size = IMAGE_SHAPES[dataset]
    spec = dict(kind="mlp", hidden=list(hidden), in_dim=c * size * size, out_dim=n_classes)
    if batchnorm:
        spec["batchnorm"] = True
    return spec


def image_classifier_spec(
    kind: str, dataset: str, widths: Sequence[int], *, head: int = 0, global_pool: bool = False, batchnorm: bool = False
) -> dict:
    """An image classifier for `dataset`: kind "mlp" (hidden widths `widths` on the flattened images; `head` and
    `global_pool` unused) or "cnn" (conv channels `widths`, a dense head of `head` units, optional global average
    pool)."""
    if kind == "mlp":
        return image_mlp_spec(dataset, widths, batchnorm=batchnorm)
    if kind == "cnn":
        return cnn_spec(dataset, widths, head, batchnorm=batchnorm, global_pool=global_pool)
    raise ValueError(f"unknown kind {kind!r}: use 'mlp' or 'cnn'")


def spec_label(spec: dict) -> str:
    """A short description of an `mlp` or `cnn` spec, e.g. "MLP 784-128-64-10" or "CNN conv 32-64, global
    average pool, BN"."""
    bn = ", BN" if spec.get("batchnorm") else ""
    if spec["kind"] == "mlp":
        return "MLP " + "-".join(str(w) for w in [spec["in_dim"], *spec["hidden"], spec["out_dim"]]) + bn
    if spec["kind"] != "cnn":
        raise ValueError(f"spec_label describes mlp and cnn specs, not {spec['kind']!r}")
    pool = ", global average pool" if spec.get("global_pool") else ""
    head = f", FC {spec['hidden']}" if spec["hidden"] else ""
    return f"CNN conv {'-'.join(map(str, spec['channels']))}{pool}{head}{bn}"
