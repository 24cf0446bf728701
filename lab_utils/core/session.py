"""Start a notebook: validate its parameters, seed everything, pick the device, open its report folder.

A notebook's `parameters` cell holds literals only (`profile`, `device`, `seed` and a few knobs whose default
`None` means "take the profile's value"); the next cell calls `lab_utils.sections.start("<name>", globals())`,
which looks up the section's profiles and calls `start` here. `start` reads profile, device, seed and every name
that is a field of the section's profile from the notebook's namespace, so each knob that papermill injects (any
profile field, also one the parameters cell does not list) reaches the run. A value that is not allowed stops with
one `ParameterError` line.
"""

from __future__ import annotations

import dataclasses
import os
import random
import time
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch

from . import paths
from .profiles import PROFILE_NAMES, check_profiles

DEVICES = ("auto", "cpu", "cuda", "mps")
RUN_PARAMETERS: dict[str, Any] = {"profile": "quick", "device": "auto", "seed": 0}  # besides the knobs, with defaults


class ParameterError(ValueError):
    """A notebook parameter has a value that is not allowed. Its message is one line naming both."""


@dataclass(frozen=True)
class Run:
    """One execution of a section notebook: resolved settings plus where its outputs go.

    seed is the base seed; `seeds` are the seeds the section's repeated experiments use: seed, seed + 1, ...,
    as many as the profile's `n_seeds` (one when the profile has no such field)."""

    section: str
    profile: str
    cfg: Any  # the section's frozen profile dataclass, with overrides applied
    device: torch.device
    seed: int
    out_dir: Path
    started: float

    @property
    def seeds(self) -> list[int]:
        return [self.seed + i for i in range(int(getattr(self.cfg, "n_seeds", 1)))]

    def elapsed(self) -> float:
        """Seconds since `start`."""
        return time.time() - self.started


def _fail(msg: str) -> typing.NoReturn:
    raise ParameterError(msg)


def check_profile(profile: Any) -> str:
    if profile not in PROFILE_NAMES:
        _fail(f"profile={profile!r} is not allowed: use one of {', '.join(map(repr, PROFILE_NAMES))}")
    return profile


def check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        _fail(f"seed={seed!r} is not allowed: use an integer >= 0")
    return seed


def resolve_device(device: Any) -> torch.device:
    """ "auto" -> cuda > mps > cpu; an explicit device that this machine lacks is an error."""
    name = device.split(":")[0] if isinstance(device, str) else None
    if name not in DEVICES:
        _fail(f"device={device!r} is not allowed: use one of {', '.join(map(repr, DEVICES))}")
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        _fail(f"device={device!r} was requested but CUDA is not available on this machine: use 'auto' or 'cpu'")
    if name == "mps" and not torch.backends.mps.is_available():
        _fail(f"device={device!r} was requested but MPS is not available on this machine: use 'auto' or 'cpu'")
    return torch.device(device)


def _as_tuple(value: Any) -> Any:
    """Lists as tuples, also nested ones: papermill injects [[8, 8], [16, 16]] where the profile holds
    ((8, 8), (16, 16)), and a frozen profile must stay hashable."""
    return tuple(_as_tuple(v) for v in value) if isinstance(value, (list, tuple)) else value


def _check_knob(field: dataclasses.Field, value: Any, default: Any) -> Any:
    """Type- and range-check one override against the profile field it replaces."""
    name, meta = field.name, field.metadata
    allowed = typing.get_origin(field.type) or field.type
    if isinstance(default, bool) or allowed is bool:
        ok, what = isinstance(value, bool), "True or False"
    elif isinstance(default, int) and not isinstance(default, bool):
        ok, what = isinstance(value, int) and not isinstance(value, bool), "an integer"
    elif isinstance(default, float):
        ok, what = isinstance(value, (int, float)) and not isinstance(value, bool), "a number"
        value = float(value) if ok else value
    elif isinstance(default, str):
        ok, what = isinstance(value, str), "a string"
    elif isinstance(default, tuple):
        ok, what = isinstance(value, (list, tuple)), "a list"
        value = _as_tuple(value) if ok else value
    else:
        ok, what = True, ""
    if ok and "choices" in meta and value not in meta["choices"]:
        ok, what = False, "one of " + ", ".join(map(repr, meta["choices"]))
    if ok and "min" in meta and value < meta["min"]:
        ok, what = False, f"{what} >= {meta['min']}"
    if ok and "max" in meta and value > meta["max"]:
        ok, what = False, f"{what} <= {meta['max']}"
    if not ok:
        _fail(f"{name}={value!r} is not allowed: use {what}, or None for the profile's value")
    return value


def resolve_profile(section: str, profiles: Mapping[str, Any], profile: str, knobs: dict[str, Any]) -> Any:
    """The section's profile with every non-None knob validated and applied."""
    base = check_profiles(section, profiles)[check_profile(profile)]
    fields = {f.name: f for f in dataclasses.fields(base)}
    overrides = {}
    for key, value in knobs.items():
        if key not in fields:
            _fail(f"{key}={value!r} is not a parameter of {section}: use one of {', '.join(sorted(fields))}")
        if value is not None:
            overrides[key] = _check_knob(fields[key], value, getattr(base, key))
    return dataclasses.replace(base, **overrides)


def set_threads() -> int:
    """Use `$LAB_THREADS` threads, else one per core (on 2 cores more threads only add contention)."""
    n = int(os.environ.get("LAB_THREADS") or os.cpu_count() or 1)
    torch.set_num_threads(max(1, n))
    return n


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices) and ask for deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    torch.use_deterministic_algorithms(True, warn_only=True)


def knob_fields(section: str, profiles: Mapping[str, Any]) -> list[str]:
    """The knobs of a section: the field names of its profile dataclass (what the render accepts with -p)."""
    return [f.name for f in dataclasses.fields(check_profiles(section, profiles)["quick"])]


def namespace_parameters(namespace: Mapping[str, Any], knobs: typing.Iterable[str]) -> dict[str, Any]:
    """The run parameters a notebook namespace holds: profile, device, seed and every name in `knobs`. Other names
    (imports, IPython's own) are not parameters and are left alone."""
    wanted = set(RUN_PARAMETERS) | set(knobs)
    return {k: v for k, v in namespace.items() if k in wanted}


def gather_parameters(
    section: str, profiles: Mapping[str, Any], namespace: Mapping[str, Any] | None, params: Mapping[str, Any]
) -> dict[str, Any]:
    """Defaults, then what `namespace` holds, then the keyword `params` (the most explicit wins)."""
    found = namespace_parameters(namespace, knob_fields(section, profiles)) if namespace is not None else {}
    return {**RUN_PARAMETERS, **found, **params}


def start(
    section: str,
    profiles: Mapping[str, Any],
    namespace: Mapping[str, Any] | None = None,
    *,
    on_start: typing.Callable[[], None] | None = None,
    **params: Any,
) -> Run:
    """Validate the notebook's parameters and prepare the run.

    namespace: the notebook's `globals()`. `profile` ("quick"), `device` ("auto"), `seed` (0) and every name that
    is a field of the section's profile are read from it; the knobs, given as keywords in `params`, override it.
    A knob that is None takes the profile's value; a keyword that is no parameter of the section is an error.
    Raises `ParameterError` (one line) for a bad profile, device, seed or knob. Seeds every RNG, sets the thread
    count, calls `on_start` (e.g. the plot theme) and creates `<reports>/<section>/`."""
    _one_line_errors()
    knobs = gather_parameters(section, profiles, namespace, params)
    profile, device, seed = (knobs.pop(k) for k in RUN_PARAMETERS)
    cfg = resolve_profile(section, profiles, profile, knobs)
    seed = check_seed(seed)
    dev = resolve_device(device)
    set_threads()
    seed_everything(seed)
    if on_start is not None:
        on_start()
    out = paths.reports_dir() / section
    out.mkdir(parents=True, exist_ok=True)
    return Run(section, profile, cfg, dev, seed, out, time.time())


def _one_line_errors() -> None:
    """In IPython, show a ParameterError as its one line instead of a traceback (the cell still fails)."""
    try:
        ip = get_ipython()  # type: ignore[name-defined]  # noqa: F821
    except NameError:
        return

    def handler(shell, etype, value, tb, tb_offset=None):
        stb = [f"ParameterError: {value}"]
        shell._showtraceback(etype, value, stb)  # an error output (ename/evalue) whose traceback is one line
        return stb

    ip.set_custom_exc((ParameterError,), handler)
