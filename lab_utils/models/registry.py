"""The model kinds: a spec {"kind": ..., **builder keyword arguments} names its builder here."""

from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import nn

from ..core.params import n_trainable
from .cnn import cnn
from .mlp import mlp
from .resnet import resnet20

KINDS: dict[str, Callable[..., nn.Module]] = {"mlp": mlp, "cnn": cnn, "resnet20": resnet20}


def build(spec: dict) -> nn.Module:
    """Build the model a spec dict describes: {"kind": ..., **keyword arguments of that kind's builder}.
    Keys starting with "_" are labels (e.g. "_name") and are not passed on."""
    kind = spec.get("kind")
    if kind not in KINDS:
        raise ValueError(f"unknown model kind {kind!r}: use one of {sorted(KINDS)}")
    kwargs = {k: v for k, v in spec.items() if k != "kind" and not k.startswith("_")}
    return KINDS[kind](**kwargs)


def spec_n_params(spec: dict) -> int:
    """Parameter count of a spec without allocating its weights (built on the meta device)."""
    with torch.device("meta"):
        return n_trainable(build(spec))


def relative_mismatch(specs: Sequence[dict]) -> float:
    """max/min - 1 of the parameter counts of `specs` (0.02 = matched within 2%)."""
    counts = [spec_n_params(s) for s in specs]
    return max(counts) / min(counts) - 1
