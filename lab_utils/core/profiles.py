"""Profiles: the settings of a section at three scales, as frozen dataclasses.

    smoke -- seconds per notebook, for tests and CI
    quick -- every figure; the reports' models and recipes on fewer images, epochs and seeds (at least 3 where a
             verdict rests on a difference between runs); the default of ./render.sh (the whole series <= 60 min
             on a 2-core CPU)
    full  -- the reference reports' own scale, for a GPU

A section's `profile.py` defines one frozen dataclass whose fields are made with `knob(...)` (bounds that a
notebook override is checked against) and a dict `PROFILES = {"smoke": ..., "quick": ..., "full": ...}`.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

PROFILE_NAMES = ("smoke", "quick", "full")


def knob(*, min: float | None = None, max: float | None = None, choices: tuple | None = None) -> Any:
    """A dataclass field with bounds that a notebook override is checked against."""
    meta = {k: v for k, v in dict(min=min, max=max, choices=choices).items() if v is not None}
    return dataclasses.field(metadata=meta)


def check_profiles(section: str, profiles: Mapping[str, Any]) -> Mapping[str, Any]:
    """`profiles` has exactly the three profile names, each an instance of the same frozen dataclass."""
    if set(profiles) != set(PROFILE_NAMES):
        raise ValueError(f"section {section!r} must define profiles {PROFILE_NAMES}, has {sorted(profiles)}")
    kinds = {type(p) for p in profiles.values()}
    if len(kinds) != 1 or not dataclasses.is_dataclass(next(iter(kinds))):
        raise ValueError(f"section {section!r}: the profiles must be instances of one dataclass")
    return profiles
