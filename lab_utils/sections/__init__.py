"""The chapters of the series, one package per section, each in one place:

    sections/<name>/profile.py   the smoke / quick / full settings (a frozen dataclass, PROFILES)
    sections/<name>/compute.py   the experiment: training and probing, returning a results object
    sections/<name>/figures.py   figures drawn from the results object only
    sections/<name>/text.py      prose, claim checks and metrics from the results object only

A notebook starts with

    from lab_utils.sections import start
    run = start("01_function_fitting", globals())

which reads profile, device, seed and every knob (a field of the section's profile, e.g. one that papermill
injected) from the notebook's namespace, validates them against the section's profiles (one ParameterError line
when a value is not allowed), seeds everything, applies the plot theme and opens the section's report folder.
Interactively, keywords work too: `start("01_function_fitting", profile="smoke", n_seeds=2)`.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..core import session
from ..report import plotting
from .ablation import profile as _ablation
from .capacity import profile as _capacity
from .function_fitting import profile as _function_fitting
from .interpolation import profile as _interpolation
from .optimization import profile as _optimization
from .optimizer_probes import profile as _optimizer_probes
from .random_labels import profile as _random_labels
from .sensitivity import profile as _sensitivity

# notebook name -> the section's profiles
PROFILES: dict[str, dict[str, Any]] = {
    "01_function_fitting": _function_fitting.PROFILES,
    "02_optimization": _optimization.PROFILES,
    "03_random_labels": _random_labels.PROFILES,
    "04_capacity": _capacity.PROFILES,
    "05_interpolation": _interpolation.PROFILES,
    "06_sensitivity": _sensitivity.PROFILES,
    "07_ablation": _ablation.PROFILES,
    "08_optimizer_probes": _optimizer_probes.PROFILES,
}


def names() -> list[str]:
    """The notebook names of all sections, in order."""
    return sorted(PROFILES)


def profiles(section: str) -> dict[str, Any]:
    """The {profile name: settings} of a section (KeyError naming the known sections)."""
    if section not in PROFILES:
        raise KeyError(f"no section {section!r}; known: {', '.join(names())}")
    return PROFILES[section]


def start(section: str, namespace: Mapping[str, Any] | None = None, **params: Any) -> session.Run:
    """Validate a notebook's parameters and prepare its run (see `core.session.start`).

    namespace: the notebook's `globals()` (profile, device, seed and the knobs are read from it); `params`:
    profile=, device=, seed= and knobs as keywords, which win over the namespace."""
    return session.start(section, profiles(section), namespace, on_start=plotting.set_theme, **params)
