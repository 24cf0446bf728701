"""The setting of an experiment as structured values, and how ours deviates from a report's.

A setting is a plain dict with the keys below (a claim may add the keys of its measure, e.g. `power_iters`);
a key a report does not state is absent or `NOT_STATED`. `deviations(report, ours)` lists every key where the two
differ, computed, never typed by hand; `scope(deviations)` reads them:

    "report"     no deviation: the report's own experiment
    "reduced"    only the data size, the epochs or steps, or the seeds differ, and ours are at most the
                 report's (the number of seeds may differ either way)
    "different"  anything else: another model, optimizer, learning rate, batch size, schedule or measure. A
                 verdict on such a run decides nothing about the claim (`report.claims.check` makes it "not
                 tested").

A key the report leaves open is not a deviation: it is our choice (the section says which and why). A key the
report states and our run does not record is a deviation (ours "not stated"). Numbers are equal when they agree
to 1e-9 relative; `About(v, rel)` in a report's setting matches any number within `rel` of `v` (a report's
"approximately 270,000 parameters").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

NOT_STATED = "not stated"
REPORT, REDUCED, DIFFERENT = "report", "reduced", "different"
SCOPES = (REPORT, REDUCED, DIFFERENT)

# the recipe every claim's setting is read for; a claim may add the keys of its measure
RECIPE_KEYS = (
    "model",  # the architecture, in words ("ResNet-20, skip connections and batch norm")
    "n_params",  # trainable parameters
    "data",  # "CIFAR-10", "MNIST", "sin(5πx)/(5πx) on [-1, 1]"
    "n_train",  # training images / points
    "n_test",  # test images / points the measure is evaluated on
    "optimizer",  # "sgd", "adam", "adamw"
    "lr",  # peak learning rate
    "momentum",
    "weight_decay",
    "batch_size",  # a number, or "full" (full-batch)
    "scheduler",  # "constant" or "cosine"
    "augment",  # None or "crop_flip"
    "epochs",
    "steps",
    "seeds",  # independent runs
)
# the keys in words, for the page (a measure key without an entry is written with spaces for underscores)
WORDS = {
    "n_params": "parameters",
    "n_train": "training examples",
    "n_test": "test examples",
    "lr": "learning rate",
    "weight_decay": "weight decay",
    "batch_size": "batch size",
    "scheduler": "learning-rate schedule",
    "augment": "data augmentation",
}


def words(key: str) -> str:
    """A setting key as words on the page ("n_train" -> "training examples")."""
    return WORDS.get(key, key.replace("_", " "))


# keys a profile may cut (scope "reduced"): to at most the report's value, seeds in either direction
REDUCIBLE = ("n_train", "n_test", "epochs", "steps", "seeds")
EITHER_WAY = ("seeds",)


@dataclass(frozen=True)
class About:
    """A number a report gives approximately: matches any number within `rel` (relative) of `value`."""

    value: float
    rel: float = 0.01

    def matches(self, x: Any) -> bool:
        return _is_number(x) and abs(x - self.value) <= self.rel * abs(self.value)

    def __str__(self) -> str:
        return f"about {self.value:,g}"


@dataclass(frozen=True)
class Deviation:
    """One key where our setting differs from the report's (values as stated; `About` as its text)."""

    key: str
    report: Any
    ours: Any

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "report": plain(self.report), "ours": plain(self.ours)}


def plain(v: Any) -> Any:
    """A JSON-able value: `About` as its text, tuples as lists."""
    if isinstance(v, About):
        return str(v)
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return v


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def same(report: Any, ours: Any) -> bool:
    """Whether our value is the report's (module docstring: numbers to 1e-9 relative, `About` within its band)."""
    if isinstance(report, About):
        return report.matches(ours.value if isinstance(ours, About) else ours)
    if _is_number(report) and _is_number(ours):
        return math.isclose(report, ours, rel_tol=1e-9, abs_tol=0.0)
    if isinstance(report, (list, tuple)) and isinstance(ours, (list, tuple)):
        return len(report) == len(ours) and all(same(a, b) for a, b in zip(report, ours))
    return report == ours


def deviations(report: Mapping[str, Any], ours: Mapping[str, Any]) -> tuple[Deviation, ...]:
    """Every key the report states where `ours` differs (or does not record it), in key order."""
    out = []
    for key in sorted(report):
        r = report[key]
        if r == NOT_STATED:
            continue
        o = ours.get(key, NOT_STATED)
        if o == NOT_STATED or not same(r, o):
            out.append(Deviation(key, r, o))
    return tuple(out)


def reduced(d: Deviation) -> bool:
    """Whether `d` only cuts a reducible key (module docstring): the data size, epochs or steps to at most the
    report's, or the number of seeds."""
    if d.key not in REDUCIBLE:
        return False
    r = d.report.value if isinstance(d.report, About) else d.report
    if not (_is_number(r) and _is_number(d.ours)):
        return False
    return d.key in EITHER_WAY or d.ours <= r


def scope(devs: tuple[Deviation, ...] | list[Deviation]) -> str:
    """ "report" (no deviation), "reduced" (only reducible keys, cut) or "different" (module docstring)."""
    if not devs:
        return REPORT
    return REDUCED if all(reduced(d) for d in devs) else DIFFERENT
