"""metrics.json: what every section writes at its end, and what the index and tests read.

    write_metrics(run, metrics, checks)   ->  <run.out_dir>/metrics.json

The document holds section, profile, seed (the base seed), seeds (every seed the section used), device,
elapsed_s (seconds), config (the run's effective settings: the profile with the knobs applied; the report's
parameter table shows them), claims (one {id, report, verdict, evidence} per reference claim the section checked, see
`report.claims`), headline (a few {label: value} pairs for the index) and the section's own keys.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any, Sequence

from ..core.paths import atomic_write_bytes
from ..core.stats import VERDICTS, mean_sd
from .claims import ClaimCheck
from .quiet import QuietPath


def to_jsonable(obj: Any) -> Any:
    """Plain JSON types: numpy/torch scalars and arrays to numbers and lists, NaN/inf to None (JSON has no NaN),
    tuples to lists, Paths to strings, dataclasses to dicts of their fields."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return to_jsonable(dataclasses.asdict(obj))
    if hasattr(obj, "tolist") and not isinstance(obj, (str, bytes)):  # numpy arrays/scalars, torch tensors
        return to_jsonable(obj.tolist())
    if isinstance(obj, bool) or obj is None or isinstance(obj, (int, str)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot write {type(obj).__name__} to metrics.json")


def spread(values: Sequence[float | None], unit: str = "", scale: float = 1.0) -> dict:
    """A headline number over seeds: {"mean", "sd" (sample sd, None for n < 2), "n" (finite values), "unit"}
    of `scale * v` over the finite values (None and NaN are left out). The index shows it as "mean ± sd unit (n)"."""
    mean, sd, n = mean_sd([None if v is None else scale * float(v) for v in values])
    return {"mean": mean if n else None, "sd": sd if n > 1 else None, "n": n, "unit": unit}


def headline_mean(value: Any) -> Any:
    """The number a headline entry stands for: its mean when it is a `spread`, else the value itself."""
    return value.get("mean") if isinstance(value, dict) else value


def _plain(value: Any) -> Any:
    """`to_jsonable(value)`, or its repr when JSON has no type for it (a setting must never stop write_metrics)."""
    try:
        return to_jsonable(value)
    except TypeError:
        return repr(value)


def write_metrics(run, metrics: dict, checks: Sequence[ClaimCheck] = ()) -> Path:
    """Write `<run.out_dir>/metrics.json`: the run's identity (section, profile, seed, seeds, device, elapsed_s),
    the claim checks, then `metrics` (which should hold a `headline` dict for the index), then `config` (the
    fields of `run.cfg`). The returned path shows nothing as a notebook cell's last value."""
    for c in checks:
        if c.verdict not in VERDICTS:
            raise ValueError(f"claim {c.id}: verdict {c.verdict!r} is not one of {VERDICTS}")
    ids = [c.id for c in checks]
    if len(set(ids)) != len(ids):
        raise ValueError(f"a claim is checked twice: {ids}")
    doc = {
        "section": run.section,
        "profile": run.profile,
        "seed": run.seed,
        "seeds": list(run.seeds),
        "device": str(run.device),
        "elapsed_s": round(run.elapsed(), 2),
        "claims": [dataclasses.asdict(c) for c in checks],
        **metrics,
    }
    cfg = getattr(run, "cfg", None)
    if "config" not in doc and dataclasses.is_dataclass(cfg) and not isinstance(cfg, type):
        doc["config"] = {f.name: _plain(getattr(cfg, f.name)) for f in dataclasses.fields(cfg)}
    path = Path(run.out_dir) / "metrics.json"
    atomic_write_bytes(path, (json.dumps(to_jsonable(doc), indent=2) + "\n").encode())
    return QuietPath(path)


def read_metrics(path: Path) -> dict | None:
    """The parsed JSON at `path`, or None when it is missing or unreadable."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
