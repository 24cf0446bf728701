"""A claim of a reference report, as the registry holds it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

REPORTS = ("000", "001", "002", "003", "004")


@dataclass(frozen=True)
class Claim:
    """One claim of one reference report.

    id: unique, "<report>.<section topic>.<name>"; report: the handle "000".."004"; section: the notebook name
    that tests it (e.g. "01_function_fitting"); claim: the claim in our words; setting: the report's own model,
    data and budget (plain values); numbers: the numbers the report gives for it (plain numbers, the report's
    units; a percentage stays a percentage)."""

    id: str
    report: str
    section: str
    claim: str
    setting: dict[str, Any] = field(default_factory=dict)
    numbers: dict[str, float | int] = field(default_factory=dict)

    def __post_init__(self):
        if self.report not in REPORTS:
            raise ValueError(f"{self.id}: report {self.report!r} is not one of {REPORTS}")
        if not self.id.startswith(self.report + "."):
            raise ValueError(f"{self.id}: the id must start with its report handle {self.report!r}")
        for k, v in self.numbers.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ValueError(f"{self.id}: numbers[{k!r}] = {v!r} is not a plain number")
