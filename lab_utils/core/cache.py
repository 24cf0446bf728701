"""Cache of computed results (trained runs, probe results), keyed by a hash of everything that determines them.

An entry is `<cache_dir>/<key>.pt` holding a payload of tensors, dicts, lists, numbers and strings. The key
hashes the config and the code that computes it: the digest (`core.code`) of the module that defines the
`compute` callable and of every `lab_utils` module it imports, and of the module of every `lab_utils` callable
inside the config (a loss function, say). A change to that code gives new keys, so a cache never serves numbers
of old code; a change elsewhere (prose, figures, the HTML converter) keeps them. Writes are atomic; loads use
`torch.load(..., weights_only=True)`; an unreadable entry is deleted and recomputed, never fatal, with a notice
in the render's log (`core.notice`). Trained models are cached by `lab_utils.models.trained`, which builds on
`cached`.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any, Callable

import torch

from . import code, notice, paths


def plain(obj: Any) -> Any:
    """A JSON-able stand-in for a key value: callables by their module and qualified name (a `lab_utils` one
    also by the digest of its module's code), torch devices/dtypes by str; containers recursively."""
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if callable(obj) and hasattr(obj, "__qualname__"):
        module = getattr(obj, "__module__", "") or ""
        own = module.split(".")[0] == code.PACKAGE
        return f"{module}.{obj.__qualname__}" + (f"@{code.digest([module])}" if own else "")
    if isinstance(obj, (torch.device, torch.dtype)):
        return str(obj)
    return obj


def key(config: dict, compute: Callable | None = None) -> str:
    """Stable 20-hex-digit hash of a config dict and, when given, of the code of `compute` (module docstring)."""
    doc = plain(config)
    if compute is not None:
        doc = {"config": doc, "code": code.digest([getattr(compute, "__module__", "") or ""])}
    text = json.dumps(doc, sort_keys=True, default=str)
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
        notice.log(f"cache entry {path.name} is unreadable ({type(exc).__name__}); recomputing it")
        path.unlink(missing_ok=True)
        return None


def cached(config: dict, compute: Callable[[], dict]) -> dict:
    """`compute()` once per distinct `config` and code of `compute`; later calls return the stored payload."""
    k = key(config, compute)
    payload = load(k)
    if payload is None:
        payload = compute()
        save(k, payload)
    return payload


def forget(config: dict, compute: Callable | None = None) -> None:
    """Delete the entry of `config` and `compute` (e.g. one whose payload no longer fits the code)."""
    entry_path(key(config, compute)).unlink(missing_ok=True)
