"""Profiles: the settings of every section at three scales, in one place.

    smoke -- seconds per notebook, for tests and CI
    quick -- every figure of a section on reduced data/epochs; the default of ./render.sh (~20 min for the series on 2 CPU cores)
    full  -- the references' real scale, for a GPU

Each section has a module here defining a frozen dataclass and one instance per profile, registered with
`register(section, smoke=..., quick=..., full=...)`. A field's `metadata` may hold `min`, `max` or `choices`,
checked when a notebook overrides it (see `lab_utils.session.start`).
"""
from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from typing import Any

PROFILE_NAMES = ("smoke", "quick", "full")

_REGISTRY: dict[str, dict[str, Any]] = {}


def knob(*, min: float | None = None, max: float | None = None, choices: tuple | None = None) -> Any:
    """A dataclass field with bounds that a notebook override is checked against."""
    meta = {k: v for k, v in dict(min=min, max=max, choices=choices).items() if v is not None}
    return dataclasses.field(metadata=meta)


def register(section: str, **profiles: Any) -> None:
    """Register the three profile instances of `section` (a notebook name such as "01_function_fitting")."""
    missing = set(PROFILE_NAMES) - set(profiles)
    if missing:
        raise ValueError(f"section {section!r} lacks profiles {sorted(missing)}")
    _REGISTRY[section] = profiles


def _load_all() -> None:
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")


def sections() -> list[str]:
    """Names of all sections that have profiles."""
    _load_all()
    return sorted(_REGISTRY)


def get(section: str, profile: str) -> Any:
    """The profile instance (a frozen dataclass) of `section` at scale `profile`."""
    _load_all()
    if section not in _REGISTRY:
        raise KeyError(f"no profiles for section {section!r}; known: {sorted(_REGISTRY)}")
    return _REGISTRY[section][profile]
