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
from ..core.stats import VERDICTS, mean_sd
from ..references import CLAIMS
from .claims import ANCHOR, counts
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


def _claim_counts(run: SectionRun) -> str:
    if run.status != "ok" or not run.claims:
        return "–"
    c = counts(run.claims)
    return " / ".join(str(c[v]) for v in VERDICTS)


def _repro_rows(rows: Sequence[Reproduction]) -> tuple[list[str], str]:
    """The reproduction table as Markdown lines and as an HTML table."""
    head = ["section", "claim", "report", "quantity", "report's value", "ours", "from", "verdict"]
    md = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    cells = []
    for x in rows:
        vals = [
            x.claim_id,
            x.report,
            x.quantity.replace("_", " "),
            fmt(x.reference),
            "–" if x.ours is None else fmt(x.ours),
            x.profile or "–",
            x.verdict or "–",
        ]
        md.append(f"| [{x.section}]({x.section}.md#{ANCHOR}) | " + " | ".join(_md_cell(v) for v in vals) + " |")
        name = html.escape(x.section)
        cells.append(
            f'<tr><td><a href="{name}.html#{ANCHOR}">{name}</a></td>'
            + "".join(f"<td>{html.escape(v)}</td>" for v in vals)
            + "</tr>"
        )
    table = (
        '<table class="repro"><tr>'
        + "".join(f"<th>{html.escape(h)}</th>" for h in head)
        + "</tr>\n"
        + "\n".join(cells)
        + "\n</table>"
    )
    return md, table


_REPRO_NOTE = (
    "Every number of the reference registry (`lab_utils.references`) beside ours: ours is the mean over "
    "the section's seeds of the same quantity in the same units, from the profile named; – where the "
    "section measures it differently or not at all (its claim table says how it was checked instead)."
)


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


@dataclass(frozen=True)
class Reproduction:
    """One number of a registry claim beside ours: `ours` is the section's mean over its seeds of the same
    quantity (same key and units; None where the section did not measure it or was not rendered); `profile` is
    the profile `ours` came from (None without `ours`), `verdict` the section's verdict on the claim."""

    section: str
    claim_id: str
    report: str
    quantity: str
    reference: float
    ours: float | None
    profile: str | None
    verdict: str | None


def reproductions(runs: Sequence[SectionRun]) -> list[Reproduction]:
    """Every number of every registry claim of the given sections, in registry order, with ours where the
    section's check reported it (`ClaimCheck.reproduced`)."""
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
            ours = v if _is_number(v) else None
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
                )
            )
    return out


def _secs(s: float | None) -> str:
    return f"{s:.0f} s" if s is not None else "–"


def write_index(root: Path, rendered: Mapping[str, Rendered | None]) -> tuple[Path, Path]:
    """Write `index.md` and `index.html` in `root`: one row per section of `rendered` with status, run time,
    profile / seed / device, claim counts and headline numbers, linking each report."""
    runs = section_runs(root, rendered)
    head = [
        "section",
        "status",
        "run time",
        "profile / seed / device",
        "claims: holds / contradicted / undecided / not tested",
        "headline",
    ]
    md = ["# Deep-learning theory lab: report index", "", "| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    cells = []
    for r in runs:
        run_info = " / ".join(fmt(v) for v in (r.profile, r.seed, r.device))
        link = f"[{r.section}]({r.section}.md)" if r.has_md else r.section
        counts_md = f"[{_claim_counts(r)}]({r.section}.md#{ANCHOR})" if r.has_md and r.claims else _claim_counts(r)
        md.append(
            f"| {link} | {r.status} | {_secs(r.seconds)} | {run_info} | {counts_md} | {_md_cell(_headline_text(r))} |"
        )
        name = html.escape(r.section)
        hlink = f'<a href="{name}.html">{name}</a>' if r.has_html else name
        cls = "ok" if r.status == "ok" else "bad"
        counts_html = (
            f'<a href="{name}.html#{ANCHOR}">{html.escape(_claim_counts(r))}</a>'
            if r.has_html and r.claims
            else html.escape(_claim_counts(r))
        )
        cells.append(
            f"<tr><td>{hlink}</td><td class='{cls}'>{html.escape(r.status)}</td><td>{_secs(r.seconds)}</td>"
            f"<td>{html.escape(run_info)}</td><td>{counts_html}</td>"
            f"<td>{html.escape(_headline_text(r))}</td></tr>"
        )
    repro_md, repro_html = _repro_rows(reproductions(runs))
    md += ["", "## Reproduction: the reference numbers beside ours", "", _REPRO_NOTE, ""] + repro_md
    md_path, html_path = root / "index.md", root / "index.html"
    atomic_write_bytes(md_path, ("\n".join(md) + "\n").encode())
    table = "<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>\n" + "\n".join(cells)
    body = (
        table
        + "\n</table>\n<h2>Reproduction: the reference numbers beside ours</h2>\n<p>"
        + html.escape(_REPRO_NOTE).replace("`lab_utils.references`", "<code>lab_utils.references</code>")
        + "</p>\n"
        + repro_html
    )
    atomic_write_bytes(html_path, _page("Deep-learning theory lab: report index", body).encode())
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
