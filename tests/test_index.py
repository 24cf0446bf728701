"""The front page: claim counts that link to each report's claim table, and the reproduction table (every
registry number beside ours), built from constructed section folders."""

import json

from lab_utils import references
from lab_utils.render import manifest
from lab_utils.report import claims, index

SECTION = "07_ablation"


def _section(root, claim_checks, status="ok"):
    d = root / SECTION
    d.mkdir(parents=True)
    (d / "metrics.json").write_text(
        json.dumps(
            {
                "section": SECTION,
                "profile": "quick",
                "seed": 0,
                "seeds": [0, 1],
                "device": "cpu",
                "headline": {"acc": 0.5},
                "claims": claim_checks,
            }
        )
    )
    (d / "render.json").write_text(json.dumps({"status": status, "seconds": 12.0}))
    (root / f"{SECTION}.md").write_text("# 07\n")
    (root / f"{SECTION}.html").write_text("<h1>07</h1>")


def test_reproduction_lists_every_registry_number_with_ours_where_measured(tmp_path):
    regs = references.for_section(SECTION)
    first = next(c for c in regs if c.numbers)
    key = next(iter(first.numbers))
    chk = claims.check(first.id, "holds", rule="r", ours="o", setting={**first.setting, "epochs": 1})
    row = {"id": first.id, "report": first.report, "verdict": "holds", "scope": chk.scope}
    row |= {"deviations": list(chk.deviations), "reproduced": {key: [1.0, 1.5, None]}}
    _section(tmp_path, [row])
    rows = index.reproductions(index.section_runs(tmp_path, manifest.rendered(tmp_path, [SECTION])))
    assert len(rows) == sum(len(c.numbers) for c in regs)  # every number, measured or not
    mine = [r for r in rows if r.ours is not None]
    assert [(r.claim_id, r.quantity, r.ours, r.values, r.reference, r.profile, r.verdict) for r in mine] == [
        (first.id, key, 1.25, (1.0, 1.5), first.numbers[key], "quick", "holds")
    ]
    assert abs(mine[0].sd - 0.3535533905932738) < 1e-12 and mine[0].scope == "reduced"
    assert all(r.verdict is None and r.profile is None for r in rows if r.claim_id != first.id)
    assert all(r.profile is None for r in rows if r.ours is None)  # "from" names a profile only beside a number
    md_path, html_path = index.write_index(tmp_path, manifest.rendered(tmp_path, [SECTION]))
    md, page = md_path.read_text(), html_path.read_text()
    # counts by scope: at the report's setting 0/0/0, at reduced scale 1 holds, 0 not tested; each links
    assert f"[0 / 0 / 0]({SECTION}.md#{claims.ANCHOR}) | [1 / 0 / 0]({SECTION}.md#{claims.ANCHOR}) |" in md
    assert f'<a href="{SECTION}.html#{claims.ANCHOR}">1 / 0 / 0</a>' in page
    assert "reduced scale: epochs 1 (report: 20)" in md and "holds (at reduced scale)" in md
    assert "1.25 ± 0.35 (n = 2); per seed 1, 1.5" in md
    n_claim_rows = 1
    assert page.count("<tr>") == 3 + 1 + n_claim_rows + len(rows)  # three header rows, a section, claims, numbers


def test_a_failed_section_reproduces_nothing(tmp_path):
    c = next(c for c in references.for_section(SECTION) if c.numbers)
    _section(
        tmp_path,
        [{"id": c.id, "report": c.report, "verdict": "holds", "reproduced": {next(iter(c.numbers)): 1.0}}],
        status="failed",
    )
    rows = index.reproductions(index.section_runs(tmp_path, manifest.rendered(tmp_path, [SECTION])))
    assert rows and all(r.ours is None and r.verdict is None for r in rows)


def test_claim_section_carries_the_anchor_and_the_counts():
    c = next(iter(references.for_section(SECTION)))
    chk = claims.check(c.id, "undecided", rule="r", ours="o")
    text = claims.section([chk])
    assert text.startswith(f'<a id="{claims.ANCHOR}"></a>') and "This section checks 1 claim." in text
    assert "Tested scope not computed (1 claim): **0 hold, 0 are contradicted, 1 is undecided**" in text
    assert claims.table([chk]) in text


def test_spread_is_the_sample_sd_over_finite_values_and_prints_in_one_format():
    from lab_utils.report.metrics import headline_mean, spread

    s = spread([0.90, 0.92, None, float("nan"), 0.94], "%", 100)
    assert s["n"] == 3 and s["unit"] == "%" and abs(s["mean"] - 92.0) < 1e-9 and abs(s["sd"] - 2.0) < 1e-9
    assert index.headline_text(s) == "92 ± 2 % (n = 3)" and headline_mean(s) == s["mean"]
    assert spread([3.0])["sd"] is None and index.headline_text(spread([3.0], "nats")) == "3 nats (n = 1)"
    assert index.headline_text(spread([])) == "–" and index.headline_text(12345) == "12,345"
