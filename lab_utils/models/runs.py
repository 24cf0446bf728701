"""Trained models, cached: `trained(spec, split, seed=..., device=..., **fit_kwargs)` builds the spec with torch
seeded by `seed`, trains it with `core.train.fit` and stores weights and history under a hash of everything that
determines them (spec, data spec, seed, device type, fit arguments) and of the code that trains them (this module,
`core.train` and everything they import: `core.cache`). A later call with the same arguments and the same code
loads them instead."""

from __future__ import annotations

import json
from typing import Any

import torch
from torch import nn

from ..core import cache, notice
from ..core.data import Split
from ..core.train import fit
from .registry import build


def trained(
    spec: dict, data: Split, *, seed: int, device: torch.device | str, **fit_kwargs: Any
) -> tuple[nn.Module, dict]:
    """(model on `device` in eval mode, history): `build(spec)` with torch seeded by `seed`, trained with
    `fit(model, data, seed=seed, **fit_kwargs)` -- or both from the cache when this exact spec, data spec, seed,
    device type and fit arguments were trained before by the same code."""
    if "on_epoch" in fit_kwargs:
        raise ValueError("trained() cannot cache an on_epoch callback: record what you need with fit's options")
    device = torch.device(device)
    fit_kwargs.setdefault("progress_bar", True)
    config = dict(
        kind="train",
        spec=spec,
        data=data.spec,
        seed=seed,
        device=device.type,
        fit={k: v for k, v in fit_kwargs.items() if k not in ("progress_bar", "desc")},
    )

    def compute() -> dict:
        torch.manual_seed(seed)
        model = build(spec).to(device)
        hist = fit(model, data, seed=seed, **fit_kwargs)
        return {
            "state_dict": {k: v.cpu() for k, v in model.state_dict().items()},
            "history": hist,
            "config": json.dumps(cache.plain(config), default=str),
        }

    payload = cache.cached(config, compute)
    model = _restore(spec, payload)
    if model is None:  # an entry whose weights no longer fit the model code
        notice.log(f"cache entry {cache.key(config, compute)} does not fit its model; retraining")
        cache.forget(config, compute)
        payload = cache.cached(config, compute)
        model = _restore(spec, payload)
    return model.to(device).eval(), payload["history"]


def _restore(spec: dict, payload: dict) -> nn.Module | None:
    """`build(spec)` with the payload's weights, or None when they do not fit."""
    model = build(spec)
    try:
        model.load_state_dict(payload["state_dict"])
    except (KeyError, RuntimeError):
        return None
    return model
