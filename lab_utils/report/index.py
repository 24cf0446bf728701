"""The index of the rendered sections, as data and as pages.

Data (small frozen dataclasses, no formatting):

    section_runs(root, sections)          -> [SectionRun]       one report folder (one base seed)
    sweep_summaries(seed_roots, sections) -> [SectionSummary]   several base seeds: headline numbers as
                                                                mean ± sample sd (n), claim verdicts counted
                                                                over base seeds
Pages (Markdown and HTML drawn from that data only):

    write_index(root, sections)              -> root/index.md, root/index.html
    write_sweep_index(out, seed_roots, ...)  -> out/seeds/index.md, out/seeds/index.html

A section's status, run time and error come from the renderer as a `Rendered` per section (it reads its own
manifests, `render.manifest.rendered`): "ok" or "failed", "incomplete" (a render was interrupted while putting
it in place), or "not rendered" (None).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..core.paths import atomic_write_bytes
from ..core.stats import CONTRADICTED, HOLDS, NOT_TESTED, UNDECIDED, VERDICTS, mean_sd
from ..references import CLAIMS
from .claims import ANCHOR, SCOPE_WORDS, TESTED_SCOPES, counts, scope_counts, scope_text
from .fmt import fmt, num
from .metrics import headline_mean, read_metrics

NOT_RENDERED, INCOMPLETE = "not rendered", "incomplete"


# ---- one report folder -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    """What the renderer recorded of one section's execution: status ok | failed | incomplete, wall seconds."""

    status: str
    seconds: float | None = None
    error: str = ""
    profile: str | None = None
    seed: int | None = None
    device: str | None = None


@dataclass(frozen=True)
class SectionRun:
    """One section as rendered in one report folder. `headline` and `claims` are empty unless status is ok."""

    section: str
    status: str  # ok | failed | incomplete | not rendered
    seconds: float | None  # wall time of the execution
    profile: str | None
    seed: int | None
    device: str | None
    error: str
    headline: Mapping[str, Any]
    claims: tuple[dict, ...]  # metrics.json claims: {id, report, verdict, ...}
    seeds: tuple[int, ...]  # every seed the section used (base seed, base + 1, ...)
    has_md: bool
    has_html: bool


def section_run(root: Path, section: str, rendered: Rendered | None) -> SectionRun:
    """One section of report folder `root`: the renderer's record of it and its metrics.json."""
    m = read_metrics(root / section / "metrics.json")
    status = rendered.status if rendered else NOT_RENDERED
    ok = status == "ok"
    man = {} if rendered is None else {"profile": rendered.profile, "seed": rendered.seed, "device": rendered.device}
    src = m if (ok and m) else man
    return SectionRun(
        section=section,
        status=status,
        seconds=rendered.seconds if rendered else None,
        profile=src.get("profile"),
        seed=src.get("seed"),
        device=(m or {}).get("device") if ok else src.get("device"),
        error=rendered.error if rendered and status == "failed" else "",
        headline=dict((m or {}).get("headline") or {}) if ok else {},
        claims=tuple((m or {}).get("claims") or ()) if ok else (),
        seeds=tuple((m or {}).get("seeds") or ()) if ok else (),
        has_md=(root / f"{section}.md").is_file(),
        has_html=(root / f"{section}.html").is_file(),
    )


def section_runs(root: Path, rendered: Mapping[str, Rendered | None]) -> list[SectionRun]:
    """One SectionRun per section of `rendered` ({section: the renderer's record or None}), in its order."""
    return [section_run(root, s, r) for s, r in rendered.items()]


# ---- several base seeds ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeadlineStat:
    """One headline number over base seeds: mean and sample sd (ddof=1, NaN for n < 2) of the n finite values;
    `values` per base seed in seed order (None where missing); `text` summarises non-numeric values; `unit` is
    the section's own (from its `metrics.spread`)."""

    label: str
    mean: float
    sd: float
    n: int
    values: tuple[Any, ...]
    text: str = ""
    unit: str = ""


@dataclass(frozen=True)
class ClaimTally:
    """In how many base seeds a claim holds / is contradicted / is undecided / is not tested (`n`: seeds that
    checked it)."""

    id: str
    report: str
    holds: int
    contradicted: int
    undecided: int
    not_tested: int = 0

    @property
    def n(self) -> int:
        return self.holds + self.contradicted + self.undecided + self.not_tested


@dataclass(frozen=True)
class SectionSummary:
    """One section over the base seeds of a sweep."""

    section: str
    seeds: tuple[int, ...]  # the base seeds asked for
    ok: tuple[int, ...]  # base seeds whose execution succeeded
    failed: tuple[tuple[int, str], ...]  # (base seed, error)
    missing: tuple[int, ...]  # not rendered or incomplete
    seconds_mean: float | None
    profile: str | None
    device: str | None
    headline: tuple[HeadlineStat, ...]
    claims: tuple[ClaimTally, ...]
    overlapping_seeds: bool  # two base seeds shared a seed (their runs are not independent)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _headline_stats(runs: Sequence[SectionRun]) -> tuple[HeadlineStat, ...]:
    labels: list[str] = []
    for r in runs:
        labels += [k for k in r.headline if k not in labels]
    stats = []
    for label in labels:
        values = tuple(headline_mean(r.headline.get(label)) for r in runs)
        numeric = [v for v in values if _is_number(v)]
        mean, sd, n = mean_sd(numeric) if numeric else (math.nan, math.nan, 0)
        others = [str(v) for v in values if v is not None and not _is_number(v)]
        text = ", ".join(f"{v} ({others.count(v)})" for v in dict.fromkeys(others))
        units = [r.headline[label].get("unit", "") for r in runs if isinstance(r.headline.get(label), dict)]
        stats.append(HeadlineStat(label, mean, sd, n, values, text, units[0] if units else ""))
    return tuple(stats)


def _claim_tallies(runs: Sequence[SectionRun]) -> tuple[ClaimTally, ...]:
    by_id: dict[str, list[dict]] = {}
    for r in runs:
        for c in r.claims:
            by_id.setdefault(c["id"], []).append(c)
    out = []
    for cid, checks in by_id.items():
        c = counts(checks)
        out.append(ClaimTally(cid, checks[0].get("report", ""), *(c[v] for v in VERDICTS)))
    return tuple(out)


def sweep_summaries(
    seed_roots: Mapping[int, Path], rendered: Mapping[int, Mapping[str, Rendered | None]]
) -> list[SectionSummary]:
    """Per section, over the base seeds `seed_roots` ({base seed: its report folder}; `rendered`: {base seed:
    {section: the renderer's record}}): which succeeded, failed or are missing, the headline numbers as mean ±
    sd and the claim verdicts counted over seeds."""
    out = []
    sections = list(next(iter(rendered.values()), {}))
    for s in sections:
        runs = {seed: section_run(root, s, rendered[seed].get(s)) for seed, root in seed_roots.items()}
        ok = [seed for seed, r in runs.items() if r.status == "ok"]
        ok_runs = [runs[seed] for seed in ok]
        used = [set(r.seeds or (r.seed,)) for r in ok_runs]
        overlap = any(a & b for i, a in enumerate(used) for b in used[i + 1 :])
        secs = [r.seconds for r in runs.values() if r.seconds is not None]
        first = ok_runs[0] if ok_runs else next(iter(runs.values()), None)
        out.append(
            SectionSummary(
                section=s,
                seeds=tuple(seed_roots),
                ok=tuple(ok),
                failed=tuple((seed, r.error) for seed, r in runs.items() if r.status == "failed"),
                missing=tuple(seed for seed, r in runs.items() if r.status in (NOT_RENDERED, INCOMPLETE)),
                seconds_mean=sum(secs) / len(secs) if secs else None,
                profile=first.profile if first else None,
                device=first.device if first else None,
                headline=_headline_stats(ok_runs),
                claims=_claim_tallies(ok_runs),
                overlapping_seeds=overlap,
            )
        )
    return out


# ---- pages -------------------------------------------------------------------------------------------------

_STYLE = """<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.45em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4}.ok{color:#1a7f37}.bad{color:#c0392b;font-weight:bold}
table.repro{font-size:.85em}table.repro td:nth-child(2){overflow-wrap:anywhere}</style>"""


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>\n{_STYLE}'
        f"</head><body>\n<h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n"
    )


def _md_cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


def headline_text(value: Any) -> str:
    """One headline entry in the index's one format: a `metrics.spread` as "mean ± sd unit (n = k)" (sample sd),
    a plain number or text as it is."""
    if not isinstance(value, dict):
        return fmt(value)
    mean, sd, n, unit = value.get("mean"), value.get("sd"), value.get("n", 0), value.get("unit", "")
    if mean is None:
        return "–"
    body = num(mean, 3) if sd is None else f"{num(mean, 3)} ± {num(sd, 2)}"
    return f"{body}{' ' + unit if unit else ''} (n = {n})"


def _headline_text(run: SectionRun) -> str:
    if run.status == "failed":
        return run.error
    return "; ".join(f"{k}: {headline_text(v)}" for k, v in run.headline.items())


Cell = str | tuple[str, str]  # text, or (text, link target without the extension: ".md" / ".html" is added)


def _table(head: Sequence[str], rows: Sequence[Sequence[Cell]], cls: str = "") -> tuple[list[str], str]:
    """One table as Markdown lines and as HTML, from the same cells (a cell with a target links to it)."""
    md = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    attr = f' class="{cls}"' if cls else ""
    out = [f"<table{attr}><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"]
    for row in rows:
        md_cells, html_cells = [], []
        for c in row:
            text, target = (c, None) if isinstance(c, str) else c
            if target is None:
                md_cells.append(_md_cell(text))
                html_cells.append(f"<td>{html.escape(text)}</td>")
            else:
                page, _, anchor = target.partition("#")
                frag = f"#{anchor}" if anchor else ""
                md_cells.append(f"[{_md_cell(text)}]({page}.md{frag})")
                html_cells.append(f'<td><a href="{html.escape(page)}.html{frag}">{html.escape(text)}</a></td>')
        md.append("| " + " | ".join(md_cells) + " |")
        out.append("<tr>" + "".join(html_cells) + "</tr>")
    return md, "\n".join(out) + "\n</table>"


def _scope_cells(run: SectionRun) -> list[Cell]:
    """The claim counts of one section by scope: at the report's setting and at reduced scale as
    holds / contradicted / undecided, and the number not tested; each links to the claim table."""
    if run.status != "ok" or not run.claims:
        return ["–", "–", "–"]
    sc = scope_counts(run.claims)
    cells = [" / ".join(str(sc[k][v]) for v in (HOLDS, CONTRADICTED, UNDECIDED)) for k in TESTED_SCOPES]
    cells.append(str(sc[NOT_TESTED][NOT_TESTED]))
    if sc.get(None) and sum(sc[None].values()):
        cells[-1] += f" (+ {sum(sc[None].values())} without a computed scope)"
    target = f"{run.section}#{ANCHOR}"
    return [(c, target) if run.has_md else c for c in cells]


_SETTING_NOTE = (
    "What each claim's run changes against the report's own setting, computed from the two settings (the "
    'registry\'s and the one our run records): "reduced scale" when only the number of images, epochs, steps or '
    'seeds differ, "a different experiment" otherwise (then the claim is not tested).'
)
_RESULTS_NOTE = (
    "Every result number the reports give for a claim, beside ours where the section measures the same quantity "
    "in the same units: the mean ± sample standard deviation over the section's seeds with the number of seeds, "
    "and the value of each seed; – where the section measures it differently or not at all (its claim table says "
    "how it was checked instead). The verdict is the claim's, with its scope."
)


def _ours_text(x: Reproduction) -> str:
    if x.ours is None:
        return "–"
    if len(x.values) < 2:
        return fmt(x.ours)
    body = f"{num(x.ours, 3)} ± {num(x.sd, 2)} (n = {len(x.values)})"
    return body + "; per seed " + ", ".join(fmt(v) for v in x.values)


def _verdict_text(verdict: str | None, scope: str | None) -> str:
    if not verdict:
        return "–"
    if verdict == NOT_TESTED or scope not in SCOPE_WORDS:
        return verdict
    return f"{verdict} ({SCOPE_WORDS[scope]})"


def _secs(s: float | None) -> str:
    return f"{s:.0f} s" if s is not None else "–"


@dataclass(frozen=True)
class Reproduction:
    """One result number of a registry claim beside ours: `ours` is the section's mean over its seeds of the same
    quantity (same key and units; None where the section did not measure it or was not rendered), `sd` the
    sample sd and `values` the per-seed values when the section gave them; `profile` is the profile `ours` came
    from (None without `ours`), `verdict` and `scope` the section's on the claim."""

    section: str
    claim_id: str
    report: str
    quantity: str
    reference: float
    ours: float | None
    profile: str | None
    verdict: str | None
    scope: str | None = None
    sd: float | None = None
    values: tuple[float, ...] = ()


def reproductions(runs: Sequence[SectionRun]) -> list[Reproduction]:
    """Every result number of every registry claim of the given sections, in registry order, with ours where
    the section's check reported it (`ClaimCheck.reproduced`: a number, or a list of per-seed values)."""
    by_section = {r.section: r for r in runs}
    out = []
    for c in CLAIMS:
        r = by_section.get(c.section)
        if r is None:
            continue
        check = next((k for k in r.claims if k.get("id") == c.id), None) if r.status == "ok" else None
        mine = (check or {}).get("reproduced") or {}
        for key, ref in c.numbers.items():
            v = mine.get(key)
            values = tuple(x for x in v if _is_number(x) and math.isfinite(x)) if isinstance(v, list) else ()
            if values:
                ours, sd, _ = mean_sd(values)
                sd = None if len(values) < 2 else sd
            else:
                ours, sd = (v if _is_number(v) else None), None
            out.append(
                Reproduction(
                    c.section,
                    c.id,
                    c.report,
                    key,
                    ref,
                    ours,
                    r.profile if ours is not None else None,
                    (check or {}).get("verdict"),
                    (check or {}).get("scope"),
                    sd,
                    values,
                )
            )
    return out


def settings_rows(runs: Sequence[SectionRun]) -> list[list[Cell]]:
    """One row per checked claim: section, claim, report, its scope and what differs from the report's setting."""
    rows = []
    for r in runs:
        if r.status != "ok":
            continue
        section: Cell = (r.section, f"{r.section}#{ANCHOR}") if r.has_md else r.section
        for c in r.claims:
            rows.append(
                [
                    section,
                    c.get("id", ""),
                    c.get("report", ""),
                    scope_text(c),
                    _verdict_text(c.get("verdict"), c.get("scope")),
                ]
            )
    return rows


def write_index(root: Path, rendered: Mapping[str, Rendered | None]) -> tuple[Path, Path]:
    """Write `index.md` and `index.html` in `root`: one row per section of `rendered` with status, run time,
    profile / seed / device, the claim counts by scope and the headline numbers, linking each report; then the
    reproduction tables: the settings (ours against the report's) and the results (the report's numbers beside
    ours)."""
    runs = section_runs(root, rendered)
    head = [
        "section",
        "status",
        "run time",
        "profile / seed / device",
        "at the report's setting: holds / contradicted / undecided",
        "at reduced scale: holds / contradicted / undecided",
        "not tested",
        "headline",
    ]
    rows = []
    for r in runs:
        run_info = " / ".join(fmt(v) for v in (r.profile, r.seed, r.device))
        rows.append(
            [
                (r.section, r.section) if r.has_md else r.section,
                r.status,
                _secs(r.seconds),
                run_info,
                *_scope_cells(r),
                _headline_text(r),
            ]
        )
    sec_md, sec_html = _table(head, rows)
    set_head = ["section", "claim", "report", "scope: what differs from the report's setting", "verdict"]
    set_md, set_html = _table(set_head, settings_rows(runs), "repro")
    res_head = ["section", "claim", "report", "quantity", "report's value", "ours", "from", "verdict"]
    res_rows = [
        [
            (x.section, f"{x.section}#{ANCHOR}"),
            x.claim_id,
            x.report,
            x.quantity.replace("_", " "),
            fmt(x.reference),
            _ours_text(x),
            x.profile or "–",
            _verdict_text(x.verdict, x.scope),
        ]
        for x in reproductions(runs)
    ]
    res_md, res_html = _table(res_head, res_rows, "repro")
    title = "Deep-learning theory lab: report index"
    md = [f"# {title}", "", *sec_md]
    md += ["", "## Reproduction: the setting of each claim", "", _SETTING_NOTE, "", *set_md]
    md += ["", "## Reproduction: the reference numbers beside ours", "", _RESULTS_NOTE, "", *res_md]
    md_path, html_path = root / "index.md", root / "index.html"
    atomic_write_bytes(md_path, ("\n".join(md) + "\n").encode())
    body = "\n".join(
        [
            sec_html,
            "<h2>Reproduction: the setting of each claim</h2>",
            f"<p>{html.escape(_SETTING_NOTE)}</p>",
            set_html,
            "<h2>Reproduction: the reference numbers beside ours</h2>",
            f"<p>{html.escape(_RESULTS_NOTE)}</p>",
            res_html,
        ]
    )
    atomic_write_bytes(html_path, _page(title, body).encode())
    return md_path, html_path


def _stat_text(h: HeadlineStat) -> str:
    if h.n == 0:
        return h.text or "–"
    body = headline_text({"mean": h.mean, "sd": h.sd if h.n > 1 else None, "n": h.n, "unit": h.unit})
    return body + (f"; {h.text}" if h.text else "")


def _status_text(s: SectionSummary) -> str:
    parts = [f"{len(s.ok)}/{len(s.seeds)} ok"]
    if s.failed:
        parts.append("failed: " + ", ".join(str(seed) for seed, _ in s.failed))
    if s.missing:
        parts.append("missing: " + ", ".join(map(str, s.missing)))
    return "; ".join(parts)


def _tally_text(t: ClaimTally) -> str:
    return f"{t.holds} / {t.contradicted} / {t.undecided} / {t.not_tested}"


def write_sweep_index(
    out_dir: Path, seed_roots: Mapping[int, Path], rendered: Mapping[int, Mapping[str, Rendered | None]]
) -> tuple[Path, Path]:
    """Write `<out>/seeds/index.md` and `.html`: per section, the base seeds that succeeded, each headline number
    as mean ± sample sd (n) over base seeds, and per claim the base seeds it holds / is contradicted / is
    undecided in; links to every seed's report."""
    base = out_dir / "seeds"
    base.mkdir(parents=True, exist_ok=True)
    summaries = sweep_summaries(seed_roots, rendered)
    seeds_txt = ", ".join(map(str, seed_roots))
    title = "Deep-learning theory lab: index over base seeds"
    note = (
        f"Base seeds {seeds_txt}. Headline numbers: mean ± sample standard deviation over the base seeds that "
        f"succeeded (n). Claims: in how many base seeds each holds / is contradicted / is undecided."
    )
    md = [
        f"# {title}",
        "",
        note,
        "",
        "| section | base seeds | mean run time | profile / device | headline (mean ± sd, n) | reports |",
        "|---|---|---|---|---|---|",
    ]
    rows, claim_md, claim_rows, notes = [], [], [], []
    for s in summaries:
        rel = {
            seed: seed_roots[seed].relative_to(base).as_posix()
            if seed_roots[seed].is_relative_to(base)
            else str(seed_roots[seed])
            for seed in s.seeds
        }
        links_md = " ".join(
            f"[{seed}]({rel[seed]}/{s.section}.md)"
            for seed in s.seeds
            if (seed_roots[seed] / f"{s.section}.md").is_file()
        )
        links_html = " ".join(
            f'<a href="{html.escape(rel[seed])}/{html.escape(s.section)}.html">{seed}</a>'
            for seed in s.seeds
            if (seed_roots[seed] / f"{s.section}.html").is_file()
        )
        headline = "; ".join(f"{h.label}: {_stat_text(h)}" for h in s.headline)
        run_info = f"{fmt(s.profile)} / {fmt(s.device)}"
        md.append(
            f"| {s.section} | {_status_text(s)} | {_secs(s.seconds_mean)} | {run_info} | "
            f"{_md_cell(headline)} | {links_md} |"
        )
        cls = "ok" if len(s.ok) == len(s.seeds) else "bad"
        rows.append(
            f"<tr><td>{html.escape(s.section)}</td><td class='{cls}'>{html.escape(_status_text(s))}</td>"
            f"<td>{_secs(s.seconds_mean)}</td><td>{html.escape(run_info)}</td>"
            f"<td>{html.escape(headline)}</td><td>{links_html}</td></tr>"
        )
        for t in s.claims:
            claim_md.append(f"| {t.id} | {t.report} | {s.section} | {_tally_text(t)} | {t.n} |")
            claim_rows.append(
                f"<tr><td>{html.escape(t.id)}</td><td>{html.escape(t.report)}</td>"
                f"<td>{html.escape(s.section)}</td><td>{_tally_text(t)}</td><td>{t.n}</td></tr>"
            )
        for seed, err in s.failed:
            notes.append(f"{s.section} seed {seed} failed: {err}")
        if s.overlapping_seeds:
            notes.append(
                f"{s.section}: base seeds share seeds (the section uses base, base + 1, ... per profile), "
                f"so their results are not independent; space base seeds further apart"
            )
    claims_head = "| claim | report | section | base seeds: holds / contradicted / undecided / not tested | n |\n|---|---|---|---|---|"
    md += ["", "## Claims over base seeds", ""]
    md += [claims_head, *claim_md] if claim_md else ["No section reported claim checks."]
    if notes:
        md += ["", "## Notes", "", *(f"- {_md_cell(n)}" for n in notes)]
    md_path, html_path = base / "index.md", base / "index.html"
    atomic_write_bytes(md_path, ("\n".join(md) + "\n").encode())
    body = [
        f"<p>{html.escape(note)}</p>",
        "<table><tr><th>section</th><th>base seeds</th><th>mean run time</th><th>profile / device</th>"
        "<th>headline (mean ± sd, n)</th><th>reports</th></tr>",
        *rows,
        "</table>",
        "<h2>Claims over base seeds</h2>",
    ]
    if claim_rows:
        body += [
            "<table><tr><th>claim</th><th>report</th><th>section</th>"
            "<th>base seeds: holds / contradicted / undecided / not tested</th><th>n</th></tr>",
            *claim_rows,
            "</table>",
        ]
    else:
        body.append("<p>No section reported claim checks.</p>")
    if notes:
        body += ["<h2>Notes</h2><ul>", *(f"<li>{html.escape(n)}</li>" for n in notes), "</ul>"]
    atomic_write_bytes(html_path, _page(title, "\n".join(body)).encode())
    return md_path, html_path
