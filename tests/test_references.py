"""The claim registry against the reference reports themselves: every claim names a report and a section that
exist, ids are unique, and every number in a claim's `numbers` is written in its report's text (so a mistyped or
invented reference number fails here)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lab_utils import references, sections
from lab_utils.references import CLAIMS, Claim

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"


def report_text(handle: str) -> str:
    (path,) = SEEDS.glob(f"{handle}_*.txt")
    return path.read_text()


def renderings(v: float | int) -> set[str]:
    """The ways a report may have written the number v."""
    out = {repr(v), str(v), f"{v:g}", f"{v:,}"}
    if isinstance(v, float):
        out |= {f"{v:.{d}f}" for d in range(1, 7)} | {f"{v:,.{d}f}" for d in range(1, 3)}
        if v == int(v):
            out |= {str(int(v)), f"{int(v):,}"}
    return {s for s in out if s}


def written_in(text: str, v: float | int) -> bool:
    plain = text.replace("\u2009", "").replace("\xa0", " ")
    for s in renderings(v):
        if re.search(r"(?<![\d.])" + re.escape(s) + r"(?![\d])", plain):
            return True
    return False


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not beside the repository")
@pytest.mark.parametrize("c", CLAIMS, ids=[c.id for c in CLAIMS])
def test_claim_numbers_are_in_the_report(c: Claim):
    text = report_text(c.report)
    missing = {k: v for k, v in c.numbers.items() if not written_in(text, v)}
    assert not missing, f"{c.id}: numbers not written in report {c.report}: {missing}"


@pytest.mark.parametrize("c", CLAIMS, ids=[c.id for c in CLAIMS])
def test_claim_is_well_formed(c: Claim):
    assert c.section in sections.names(), f"{c.id}: unknown section {c.section}"
    assert c.claim and c.claim[0].isupper() and len(c.claim) > 20, f"{c.id}: state the claim in a sentence"


def test_ids_unique_and_lookup():
    ids = [c.id for c in CLAIMS]
    assert len(ids) == len(set(ids))
    for c in CLAIMS:
        assert references.claim(c.id) is c
        assert c in references.for_section(c.section)
    with pytest.raises(KeyError, match="no claim"):
        references.claim("000.nothing.here")


def test_the_number_check_can_fail():
    text = "final MSE 0.000054 and 99.47% accuracy, 112,970 parameters"
    assert written_in(text, 5.4e-05) and written_in(text, 99.47) and written_in(text, 112970)
    assert not written_in(text, 99.4) and not written_in(text, 0.00005)


def test_claims_must_be_well_typed():
    with pytest.raises(ValueError):
        Claim("009.x.y", "009", "01_function_fitting", "A claim of a report that does not exist.")
    with pytest.raises(ValueError):
        Claim("001.x.y", "001", "01_function_fitting", "A claim whose number is text.", numbers={"n": "five"})
