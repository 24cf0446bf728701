"""Cache of computed results (trained runs, probe results), keyed by a hash of everything that determines them.

An entry is `<cache_dir>/<key>.pt` holding a payload of tensors, dicts, lists, numbers and strings. Writes are
atomic; loads use `torch.load(..., weights_only=True)`; an unreadable entry is reported, deleted and recomputed,
never fatal. Bump `VERSION` when code changes the results of an existing key. Trained models are cached by
`lab_utils.models.trained`, which builds on `cached`.
"""
from __future__ import annotations

import hashlib
import io
import json
import warnings
from pathlib import Path
from typing import Any, Callable

import torch

from . import paths

VERSION = 2


def plain(obj: Any) -> Any:
    """A JSON-able stand-in for a key value: callables by their module and qualified name, torch devices/dtypes
    by str; containers recursively."""
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if callable(obj) and hasattr(obj, "__qualname__"):
        return f"{getattr(obj, '__module__', '')}.{obj.__qualname__}"
    if isinstance(obj, (torch.device, torch.dtype)):
        return str(obj)
    return obj


def key(config: dict) -> str:
    """Stable 20-hex-digit hash of a config dict (callables count by name, see `_plain`)."""
    text = json.dumps({"_v": VERSION, **plain(config)}, sort_keys=True, default=str)
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


def forget(config: dict) -> None:
    """Delete the entry of `config` (e.g. one whose payload no longer fits the code)."""
    entry_path(key(config)).unlink(missing_ok=True)
