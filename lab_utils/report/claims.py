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
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Sequence

from ..core.stats import CONTRADICTED, HOLDS, UNDECIDED, VERDICTS
from ..references import claim as registry_claim
from .fmt import fmt


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


def check(
    claim_id: str,
    verdict: str,
    *,
    rule: str,
    ours: str,
    reproduced: dict[str, float | None] | None = None,
    **evidence: Any,
) -> ClaimCheck:
    """A check of registry claim `claim_id` (KeyError when the registry lacks it; ValueError for a verdict that is
    not one of the three, or a `reproduced` key the claim's numbers do not have)."""
    if verdict not in VERDICTS:
        raise ValueError(f"{claim_id}: verdict {verdict!r} is not one of {VERDICTS}")
    c = registry_claim(claim_id)
    extra = set(reproduced or {}) - set(c.numbers)
    if extra:
        raise ValueError(
            f"{claim_id}: reproduced keys {sorted(extra)} are not numbers of the claim ({sorted(c.numbers)})"
        )
    return ClaimCheck(c.id, c.report, verdict, rule, ours, dict(evidence), dict(reproduced or {}))


def counts(checks: Sequence[ClaimCheck | dict]) -> dict[str, int]:
    """{verdict: how many} over `checks` (ClaimCheck objects or their metrics.json dicts), every verdict present."""
    got = Counter(c.verdict if isinstance(c, ClaimCheck) else c["verdict"] for c in checks)
    return {v: got.get(v, 0) for v in VERDICTS}


def _numbers(numbers: dict) -> str:
    return "; ".join(f"{k.replace('_', ' ')} {fmt(v)}" for k, v in numbers.items()) or "–"


def table(checks: Sequence[ClaimCheck]) -> str:
    """A Markdown table: the claim in our words, its report, the report's numbers, our evidence, the verdict (bold)
    and the rule that decided it."""
    rows = ["| claim | report | the report's numbers | ours | verdict | rule |", "|---|---|---|---|---|---|"]
    for c in checks:
        reg = registry_claim(c.id)
        cells = [reg.claim, c.report, _numbers(reg.numbers), c.ours, f"**{c.verdict}**", c.rule]
        rows.append("| " + " | ".join(s.replace("|", "/").replace("\n", " ") for s in cells) + " |")
    return "\n".join(rows)


ANCHOR = "claims"  # the id of a report's claim table; the index links to <section>.html#claims


def counts_sentence(checks: Sequence[ClaimCheck]) -> str:
    """One sentence: how many of the claims hold, are contradicted, are undecided."""
    n = counts(checks)
    return (
        f"Of the {len(checks)} claims tested here, **{n[HOLDS]} {'holds' if n[HOLDS] == 1 else 'hold'}, "
        f"{n[CONTRADICTED]} {'is' if n[CONTRADICTED] == 1 else 'are'} contradicted and {n[UNDECIDED]} "
        f"{'is' if n[UNDECIDED] == 1 else 'are'} undecided** at this scale."
    )


def section(checks: Sequence[ClaimCheck]) -> str:
    """The claim table of a report as Markdown: an anchor `#claims` (the index links to it), the counts sentence
    and `table(checks)`."""
    return f'<a id="{ANCHOR}"></a>\n\n{counts_sentence(checks)}\n\n{table(checks)}'
