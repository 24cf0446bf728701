"""The registry of reference claims: every claim of the five reference reports (`../shared/seeds/`, handles
"000" to "004") that a section of the series tests, in our own words, with the report's own setting and numbers.

    from lab_utils.references import CLAIMS, claim, for_section
    c = claim("002.fitting.sinc_mse")      # Claim(id, report, section, claim, setting, numbers)
    c.numbers["mse_8x22"]                  # 4e-06, as the report gives it

Every reference number shown anywhere (prose, tables, verdicts, index) is read from here; none is typed twice.
Where two reports disagree, both claims are here, each to be checked against its own report. One module per
section holds that section's claims; this module only collects them.
"""

from __future__ import annotations

from .claim import REPORTS, Claim

__all__ = ["CLAIMS", "Claim", "REPORTS", "claim", "for_section"]


def _collect() -> tuple[Claim, ...]:
    from . import (
        ablation,
        capacity,
        function_fitting,
        interpolation,
        optimization,
        optimizer_probes,
        random_labels,
        sensitivity,
    )

    claims = tuple(
        c
        for m in (
            function_fitting,
            optimization,
            random_labels,
            capacity,
            interpolation,
            sensitivity,
            ablation,
            optimizer_probes,
        )
        for c in m.CLAIMS
    )
    ids = [c.id for c in claims]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ValueError(f"duplicate claim ids: {dup}")
    return claims


CLAIMS: tuple[Claim, ...] = _collect()
_BY_ID = {c.id: c for c in CLAIMS}


def claim(claim_id: str) -> Claim:
    """The claim with this id (KeyError naming the known ids of its report when there is none)."""
    try:
        return _BY_ID[claim_id]
    except KeyError:
        report = claim_id.split(".")[0]
        known = ", ".join(c.id for c in CLAIMS if c.report == report)
        raise KeyError(f"no claim {claim_id!r} in lab_utils.references (report {report}: {known or 'none'})") from None


def for_section(section: str) -> list[Claim]:
    """The claims a section tests, in registry order."""
    return [c for c in CLAIMS if c.section == section]
