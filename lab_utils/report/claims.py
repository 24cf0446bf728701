"""Claim checks: a section's verdict on one registry claim, with the evidence behind it.

    checks = [claims.check("002.fitting.deepest_fits_best", stats.direction_verdict(iv, +1), rule="...",
                           ours=f"log10 MSE ratio {iv}", reproduced={"mse_8x22": 3.1e-6}, ratio=iv)]
    Markdown(claims.table(checks))      # claim | report | the report's numbers | ours | verdict | rule
    Markdown(claims.section(checks))    # the same, under the anchor #claims the index links to, with the counts

The verdict comes from one of the rules in `lab_utils.core.stats`; `rule` says which, in words, so the prose
and the table state it; `ours` is the human-readable evidence, `evidence` the numbers behind the verdict
(JSON-able: intervals, correlations, per-seed values). `reproduced` holds our value of the claim's own `numbers`
where we measured the same quantity (same key, same units; the mean over seeds), for the index's reproduction
table; keys the claim does not have are refused.

Scope and preconditions (issue 19's machinery; a section opts in per claim): `setting=` is our run's setting in
the registry's keys (`references.setting`); the check computes the deviations from the claim's own setting and
the scope ("report", "reduced", "different"). `precondition=` says what must be true of the runs for the claim to
be testable. A "different" scope or a failed precondition makes the verdict "not tested", with the reason; the
rule's own verdict on this run is kept as `rule_verdict`, so the run is still shown. Checks without a setting
have scope None ("not computed").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Sequence

from ..core import rules
from ..core.stats import CONTRADICTED, HOLDS, NOT_TESTED, UNDECIDED, VERDICTS
from ..references import claim as registry_claim
from ..references import setting as settings
from .fmt import count, fmt


@dataclass(frozen=True)
class Precondition:
    """What must be true of the runs for a claim to be testable ("every end point converged: full-batch ‖∇L‖ ≤
    0.05"), whether it is (`met`), and the numbers it was judged on (`detail`, e.g. "2 of 3 converged")."""

    text: str
    met: bool
    detail: str = ""


@dataclass(frozen=True)
class ClaimCheck:
    """The verdict of this run on the registry claim `id` (of report `report`)."""

    id: str
    report: str
    verdict: str
    rule: str
    ours: str
    evidence: dict[str, Any] = field(default_factory=dict)
    reproduced: dict[str, float | None] = field(default_factory=dict)
    setting: dict[str, Any] = field(default_factory=dict)  # ours, in the registry's keys ({} when not given)
    deviations: tuple[dict[str, Any], ...] = ()  # {key, report, ours} where ours differs from the report's
    scope: str | None = None  # "report" | "reduced" | "different"; None when no setting was given
    precondition: dict[str, Any] | None = None  # {text, met, detail}
    rule_verdict: str = ""  # what the rule gave on this run (differs from `verdict` only when not tested)
    not_tested_because: str = ""


def check(
    claim_id: str,
    verdict: str,
    *,
    rule: str,
    ours: str,
    reproduced: dict[str, float | None] | None = None,
    setting: dict[str, Any] | None = None,
    precondition: Precondition | None = None,
    **evidence: Any,
) -> ClaimCheck:
    """A check of registry claim `claim_id` (KeyError when the registry lacks it; ValueError for a verdict that is
    not one of the four, or a `reproduced` key the claim's numbers do not have). With `setting` (ours) the scope
    is computed; a "different" scope or a failed `precondition` gives "not tested" (module docstring)."""
    if verdict not in VERDICTS:
        raise ValueError(f"{claim_id}: verdict {verdict!r} is not one of {VERDICTS}")
    c = registry_claim(claim_id)
    extra = set(reproduced or {}) - set(c.numbers)
    if extra:
        raise ValueError(
            f"{claim_id}: reproduced keys {sorted(extra)} are not numbers of the claim ({sorted(c.numbers)})"
        )
    devs = settings.deviations(c.setting, setting) if setting is not None else ()
    scope = settings.scope(devs) if setting is not None else None
    why = []
    if scope == settings.DIFFERENT:
        keys = [d for d in devs if not settings.reduced(d)]
        why.append("a different experiment: " + "; ".join(_deviation_text(d) for d in keys))
    if precondition is not None and not precondition.met:
        why.append(
            f"the precondition fails: {precondition.text}"
            + (f" ({precondition.detail})" if precondition.detail else "")
        )
    return ClaimCheck(
        c.id,
        c.report,
        NOT_TESTED if why else verdict,
        rule,
        ours,
        dict(evidence),
        dict(reproduced or {}),
        setting={k: settings.plain(v) for k, v in (setting or {}).items()},
        deviations=tuple(d.as_dict() for d in devs),
        scope=scope,
        precondition=None
        if precondition is None
        else dict(text=precondition.text, met=precondition.met, detail=precondition.detail),
        rule_verdict=verdict,
        not_tested_because="; ".join(why),
    )


def judge(
    claim_id: str,
    rule: rules.Rule,
    *data: Any,
    reproduced: dict[str, Any] | None = None,
    setting: dict[str, Any] | None = None,
    precondition: Precondition | None = None,
    **evidence: Any,
) -> ClaimCheck:
    """The check of registry claim `claim_id` by a declared rule (`core.rules`): the rule judges `data` (per-seed
    values, flags, or x and y for a correlation, as the rule's `judge` takes them); the check's rule text is the
    rule's own sentence and its evidence the judgement's, so the page states the rule the code applies. Scope and
    precondition as in `check`."""
    j = rule.judge(*data)
    return check(
        claim_id,
        j.verdict,
        rule=rule.sentence(),
        ours=j.text,
        reproduced=reproduced,
        setting=setting,
        precondition=precondition,
        judged=dict(j.evidence),
        **evidence,
    )


def _deviation_text(d: settings.Deviation) -> str:
    return f"{settings.words(d.key)} {fmt(settings.plain(d.report))} in the report, {fmt(settings.plain(d.ours))} here"


def counts(checks: Sequence[ClaimCheck | dict]) -> dict[str, int]:
    """{verdict: how many} over `checks` (ClaimCheck objects or their metrics.json dicts), every verdict present."""
    got = Counter(_get(c, "verdict") for c in checks)
    return {v: got.get(v, 0) for v in VERDICTS}


def _get(c: ClaimCheck | dict, key: str) -> Any:
    return getattr(c, key) if isinstance(c, ClaimCheck) else c.get(key)


TESTED_SCOPES = (settings.REPORT, settings.REDUCED)
SCOPE_WORDS = {
    settings.REPORT: "at the report's setting",
    settings.REDUCED: "at reduced scale",
    None: "scope not computed",
}


def scope_counts(checks: Sequence[ClaimCheck | dict]) -> dict[str, dict[str, int]]:
    """{scope: {verdict: how many}} of the tested claims, for "report" and "reduced" (and None where a check has no
    computed scope), plus "not tested": {"not tested": how many}. A claim is tested when its verdict is not "not
    tested" (a reduced-scale claim whose precondition fails is not tested)."""
    out: dict[str, dict[str, int]] = {}
    for sc in (*TESTED_SCOPES, None):
        got = [c for c in checks if _get(c, "scope") == sc and _get(c, "verdict") != NOT_TESTED]
        if got or sc is not None:
            out[sc] = {v: n for v, n in counts(got).items() if v != NOT_TESTED}
    out[NOT_TESTED] = {NOT_TESTED: sum(1 for c in checks if _get(c, "verdict") == NOT_TESTED)}
    return out


def scope_text(c: ClaimCheck | dict) -> str:
    """The scope of one check in words, with what differs from the report's setting ("reduced scale: training
    images 2,000 (report: 60,000)")."""
    sc = _get(c, "scope")
    devs = _get(c, "deviations") or ()
    if sc == settings.REPORT:
        return "the report's setting"
    if sc is None:
        return "not computed"
    what = "; ".join(f"{settings.words(d['key'])} {fmt(d['ours'])} (report: {fmt(d['report'])})" for d in devs)
    return f"{'reduced scale' if sc == settings.REDUCED else 'a different experiment'}: {what}"


def _numbers(numbers: dict) -> str:
    return "; ".join(f"{k.replace('_', ' ')} {fmt(v)}" for k, v in numbers.items()) or "–"


def table(checks: Sequence[ClaimCheck]) -> str:
    """A Markdown table: the claim in our words, its report, the report's numbers, our evidence, the scope (what
    differs from the report's setting), the verdict (bold, with the reason when not tested) and the rule."""
    rows = [
        "| claim | report | the report's numbers | ours | scope | verdict | rule |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in checks:
        reg = registry_claim(c.id)
        verdict = f"**{c.verdict}**"
        if c.verdict == NOT_TESTED and c.precondition and not c.precondition["met"]:
            verdict += f" (the precondition fails: {c.precondition['text']}"
            verdict += f"; {c.precondition['detail']})" if c.precondition["detail"] else ")"
        elif c.verdict == NOT_TESTED:
            verdict += " (a different experiment)"
        if c.verdict == NOT_TESTED and c.rule_verdict and c.rule_verdict != NOT_TESTED:
            verdict += f"; the rule alone would give {c.rule_verdict}"
        cells = [reg.claim, c.report, _numbers(reg.numbers), c.ours, scope_text(c), verdict, c.rule]
        rows.append("| " + " | ".join(s.replace("|", "/").replace("\n", " ") for s in cells) + " |")
    return "\n".join(rows)


ANCHOR = "claims"  # the id of a report's claim table; the index links to <section>.html#claims


def _are(n: int, single: str = "is", plural: str = "are") -> str:
    return single if n == 1 else plural


def counts_sentence(checks: Sequence[ClaimCheck]) -> str:
    """How many claims hold, are contradicted, are undecided, per scope (the report's setting, reduced scale), and
    how many this run does not test."""
    parts = [f"This section checks {count(len(checks), 'claim')}."]
    for sc, n in scope_counts(checks).items():
        total = sum(n.values())
        if sc == NOT_TESTED or not total:
            continue
        parts.append(
            f"Tested {SCOPE_WORDS[sc]} ({count(total, 'claim')}): **{n[HOLDS]} {_are(n[HOLDS], 'holds', 'hold')}, "
            f"{n[CONTRADICTED]} {_are(n[CONTRADICTED])} contradicted, {n[UNDECIDED]} {_are(n[UNDECIDED])} undecided**."
        )
    untested = counts(checks)[NOT_TESTED]
    if untested:
        parts.append(
            f"Not tested by this run: {untested} (a different experiment or a failed precondition; the reason is "
            "beside each)."
        )
    return " ".join(parts)


def section(checks: Sequence[ClaimCheck]) -> str:
    """The claim table of a report as Markdown: an anchor `#claims` (the index links to it), the counts sentence
    and `table(checks)`."""
    return f'<a id="{ANCHOR}"></a>\n\n{counts_sentence(checks)}\n\n{table(checks)}'
