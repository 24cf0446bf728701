"""Cache of trained runs, keyed by a hash of everything that determines them.

An entry is `<cache_dir>/<key>.pt` holding the model's state_dict, its history and the config it came from.
Writes are atomic; loads use `torch.load(..., weights_only=True)`; an unreadable or mismatching entry is
reported, deleted and recomputed, never fatal. Bump `VERSION` when training code changes results.
"""
from __future__ import annotations

import hashlib
import io
import json
import warnings
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from . import models, paths
from .data import Split
from .train import fit

VERSION = 1


def key(config: dict) -> str:
    """Stable 20-hex-digit hash of a JSON-able config dict."""
    text = json.dumps({"_v": VERSION, **config}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def entry_path(k: str) -> Path:
    return paths.cache_dir() / f"{k}.pt"


def save(k: str, payload: dict) -> Path:
    """Write `payload` (tensors, dicts, lists, numbers, strings) atomically under key `k`."""
    buf = io.BytesIO()
    torch.save(payload, buf)
    path = entry_path(k)
    paths.atomic_write_bytes(path, buf.getvalue())
    return path


def load(k: str) -> dict | None:
    """The payload under key `k`, or None when absent or unreadable (an unreadable entry is deleted)."""
    path = entry_path(k)
    if not path.exists():
        return None
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated file, old format, ...
        warnings.warn(f"cache entry {path.name} is unreadable ({type(exc).__name__}); recomputing it")
        path.unlink(missing_ok=True)
        return None


def cached(config: dict, compute: Callable[[], dict]) -> dict:
    """`compute()` once per distinct `config`; later calls return the stored payload."""
    k = key(config)
    payload = load(k)
    if payload is None:
        payload = compute()
        save(k, payload)
    return payload


def train(
    spec: dict, data: Split, *, seed: int, device: torch.device | str, **fit_kwargs: Any
) -> tuple[nn.Module, dict]:
    """Build `models.build(spec)` with torch seeded by `seed`, train it with `train.fit(model, data, seed=seed,
    **fit_kwargs)` and return (model on `device`, history) -- or both from the cache when this exact spec,
    data spec, seed, device type and fit arguments were trained before. The model is returned in eval mode."""
    if "on_epoch" in fit_kwargs:
        raise ValueError("cache.train cannot cache an on_epoch callback: record what you need with fit's options")
    device = torch.device(device)
    fit_kwargs.setdefault("progress_bar", True)
    config = dict(kind="train", spec=spec, data=data.spec, seed=seed, device=device.type,
                  fit={k: v for k, v in fit_kwargs.items() if k not in ("progress_bar", "desc")})

    def compute() -> dict:
        torch.manual_seed(seed)
        model = models.build(spec).to(device)
        hist = fit(model, data, seed=seed, **fit_kwargs)
        return {"state_dict": {k: v.cpu() for k, v in model.state_dict().items()}, "history": hist, "config": json.dumps(config, default=str)}

    payload = cached(config, compute)
    model = _restore(spec, payload)
    if model is None:  # an entry whose weights no longer fit the model code
        warnings.warn(f"cache entry {key(config)} does not fit its model; retraining")
        entry_path(key(config)).unlink(missing_ok=True)
        payload = cached(config, compute)
        model = _restore(spec, payload)
    return model.to(device).eval(), payload["history"]


def _restore(spec: dict, payload: dict) -> nn.Module | None:
    """`models.build(spec)` with the payload's weights, or None when they do not fit."""
    model = models.build(spec)
    try:
        model.load_state_dict(payload["state_dict"])
    except (KeyError, RuntimeError):
        return None
    return model
