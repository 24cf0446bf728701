"""Verdict rules declared as data: what is measured, the comparison, the margin; one declaration gives both the
verdict on the measured values and the sentence that states the rule on the page.

    rule = rules.Beyond("test accuracy, deep minus shallow, per seed", +1, margin=0.0, unit=" pp", scale=100)
    j = rule.judge([0.012, 0.020, 0.008])    # Judgement(verdict="holds", text="+1.33 pp (95 % CI ...)", ...)
    rule.sentence()                         # "holds when the 95 % confidence interval of the mean over seeds of ..."

Kinds (each `judge` returns a `Judgement`; every kind can give every one of holds / contradicted / undecided):

    Beyond(quantity, direction, margin)     per-seed values; the t-interval of their mean beyond `margin` on the
                                            side of `direction` (+1 above, -1 below): `stats.direction_verdict`
    Within(quantity, delta)                 per-seed values; the t-interval inside [-delta, delta]:
                                            `stats.equivalence_verdict`
    ShareBeyond(outcome, share, direction)  yes/no per run; the Wilson interval of the share of yes above (or
                                            below) `share`
    Correlated(x, y, direction)             pairs; Spearman's rho of the claimed sign with p < alpha:
                                            `stats.correlation_verdict`
    EverySeed(outcome)                      yes/no per seed: all yes holds, all no contradicts, a split is
                                            undecided: `stats.unanimous_verdict`
    AllOf(parts)                            named parts, each a rule; `stats.joint_verdict` of theirs

A section declares the rule of each claim once (beside the claim's check) and passes its data to
`report.claims.judge`, which makes the claim check from the judgement and the rule's own sentence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from . import stats


@dataclass(frozen=True)
class Judgement:
    """A rule's verdict on the data, the evidence in words ("+1.3 pp (95 % CI 0.4 – 2.2 pp, n = 3)") and in
    numbers (JSON-able: the interval or correlation, the per-seed values)."""

    verdict: str
    text: str
    evidence: Mapping[str, Any] = field(default_factory=dict)


def _side(direction: int) -> tuple[str, str]:
    if direction not in (1, -1):
        raise ValueError(f"direction must be +1 or -1, got {direction!r}")
    return ("above", "below") if direction == 1 else ("below", "above")


def _interval_evidence(iv: stats.Interval, values: Sequence[Any]) -> dict[str, Any]:
    finite = [float(v) if v is not None and math.isfinite(v) else None for v in values]
    return {"mean": iv.mean, "sd": iv.sd, "n": iv.n, "lo": iv.lo, "hi": iv.hi, "values": finite}


def _level() -> str:
    return f"{100 * stats.CONFIDENCE:g} %"


@dataclass(frozen=True)
class Beyond:
    """The mean over seeds of `quantity` lies beyond `margin` on the side of `direction`. Values are in the
    quantity's own units; `scale` and `unit` are for the page only (100 and " pp" for fractions)."""

    quantity: str
    direction: int
    margin: float = 0.0
    unit: str = ""
    scale: float = 1.0
    signed: bool = True

    def sentence(self) -> str:
        claimed, other = _side(self.direction)
        m = f"{self.scale * self.margin:g}{self.unit}"
        return (
            f"holds when the {_level()} confidence interval (Student t over seeds) of the mean {self.quantity} lies "
            f"wholly {claimed} {m}, contradicted when it lies wholly {other} {m}, undecided otherwise"
        )

    def judge(self, values: Sequence[float | None]) -> Judgement:
        iv = stats.mean_interval(values)
        verdict = stats.direction_verdict(iv, self.direction, self.margin)
        return Judgement(verdict, iv.text(self.scale, self.unit, signed=self.signed), _interval_evidence(iv, values))


@dataclass(frozen=True)
class Within:
    """The mean over seeds of `quantity` lies within ±`delta` (no difference beyond delta)."""

    quantity: str
    delta: float
    unit: str = ""
    scale: float = 1.0

    def sentence(self) -> str:
        d = f"{self.scale * self.delta:g}{self.unit}"
        return (
            f"holds when the {_level()} confidence interval (Student t over seeds) of the mean {self.quantity} lies "
            f"inside [-{d}, {d}], contradicted when it lies wholly outside, undecided otherwise"
        )

    def judge(self, values: Sequence[float | None]) -> Judgement:
        iv = stats.mean_interval(values)
        verdict = stats.equivalence_verdict(iv, self.delta)
        return Judgement(verdict, iv.text(self.scale, self.unit, signed=True), _interval_evidence(iv, values))


@dataclass(frozen=True)
class ShareBeyond:
    """The share of runs where `outcome` is true lies above (`direction` +1) or below (-1) `share` (a fraction)."""

    outcome: str
    share: float
    direction: int = 1

    def sentence(self) -> str:
        claimed, other = _side(self.direction)
        return (
            f"holds when the {_level()} Wilson interval of the share of runs where {self.outcome} lies wholly "
            f"{claimed} {100 * self.share:g} %, contradicted when it lies wholly {other}, undecided otherwise"
        )

    def judge(self, flags: Sequence[bool | None]) -> Judgement:
        got = [bool(f) for f in flags if f is not None]
        iv = stats.wilson_interval(sum(got), len(got))
        verdict = stats.direction_verdict(iv, self.direction, self.share)
        if not got:
            return Judgement(stats.UNDECIDED, "no run measured", {"k": 0, "n": 0})
        text = (
            f"{sum(got)} of {len(got)} runs ({100 * iv.mean:.3g} %; {_level()} Wilson interval "
            f"[{100 * iv.lo:.3g}, {100 * iv.hi:.3g}] %)"
        )
        return Judgement(verdict, text, {"k": sum(got), "n": len(got), "lo": iv.lo, "hi": iv.hi})


@dataclass(frozen=True)
class Correlated:
    """`y` rises (`direction` +1) or falls (-1) with `x`: Spearman's (or Pearson's) r of that sign, p < alpha."""

    x: str
    y: str
    direction: int
    method: str = "spearman"
    alpha: float = 0.05

    def sentence(self) -> str:
        _side(self.direction)
        sign = "positive" if self.direction == 1 else "negative"
        name = "Spearman's ρ" if self.method == "spearman" else "Pearson's r"
        return (
            f"holds when {name} between {self.x} and {self.y} is {sign} with p < {self.alpha:g}, contradicted when "
            f"it has the opposite sign with p < {self.alpha:g}, undecided otherwise"
        )

    def judge(self, x: Sequence[float | None], y: Sequence[float | None]) -> Judgement:
        c = stats.correlation(x, y, self.method)
        verdict = stats.correlation_verdict(c, self.direction, self.alpha)
        iv = stats.correlation_interval(c)
        if not math.isfinite(c.r):
            text = f"undefined (n = {c.n})"
        else:
            band = f"; {_level()} interval [{iv.lo:.2f}, {iv.hi:.2f}]" if iv.n else ""
            text = f"{'ρ' if self.method == 'spearman' else 'r'} = {c.r:+.2f} (p = {c.p:.2g}, n = {c.n}{band})"
        return Judgement(verdict, text, {"r": c.r, "p": c.p, "n": c.n, "lo": iv.lo, "hi": iv.hi})


@dataclass(frozen=True)
class EverySeed:
    """A yes/no `outcome` per seed: holds when every seed (at least `min_n`) says yes, contradicted when every
    seed says no, undecided when they split."""

    outcome: str
    min_n: int = 2

    def sentence(self) -> str:
        return (
            f"holds when {self.outcome} in every seed (at least {self.min_n}), contradicted when it is so in none, "
            "undecided when the seeds split"
        )

    def judge(self, flags: Sequence[bool | None]) -> Judgement:
        got = [bool(f) for f in flags if f is not None]
        verdict = stats.unanimous_verdict(flags, self.min_n)
        return Judgement(
            verdict, f"{sum(got)} of {len(got)} seeds", {"flags": [None if f is None else bool(f) for f in flags]}
        )


@dataclass(frozen=True)
class AllOf:
    """A claim made of named parts, each a rule: `stats.joint_verdict` of the parts' verdicts."""

    parts: tuple[tuple[str, Any], ...]

    def sentence(self) -> str:
        body = "; ".join(f"{name}: {rule.sentence()}" for name, rule in self.parts)
        return f"holds when every part holds, contradicted when any part is contradicted, undecided otherwise ({body})"

    def judge(self, data: Mapping[str, Any]) -> Judgement:
        """`data[name]` is the part's data: a sequence of values, or a tuple of arguments for `Correlated`."""
        got = {}
        for name, rule in self.parts:
            d = data[name]
            got[name] = rule.judge(*d) if isinstance(rule, Correlated) else rule.judge(d)
        verdict = stats.joint_verdict([j.verdict for j in got.values()])
        text = "; ".join(f"{name}: {j.text} ({j.verdict})" for name, j in got.items())
        return Judgement(verdict, text, {name: {"verdict": j.verdict, **j.evidence} for name, j in got.items()})


Rule = Beyond | Within | ShareBeyond | Correlated | EverySeed | AllOf
