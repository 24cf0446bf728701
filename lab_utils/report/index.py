"""The index of all sections: one row per section with status, run time, profile/seed/device, claim counts and
headline numbers, written as `index.md` and `index.html` next to the section reports."""
from __future__ import annotations

import html
from pathlib import Path
from typing import Sequence

from ..core.paths import atomic_write_bytes
from .claims import counts
from .fmt import fmt
from .metrics import read_metrics


def _claim_cell(c: dict[str, int] | None) -> str:
    return "–" if c is None else f"{c['holds']} / {c['contradicted']} / {c['undecided']}"


def _headline(m: dict | None) -> str:
    if not m or not m.get("headline"):
        return ""
    return "; ".join(f"{k}: {fmt(v)}" for k, v in m["headline"].items())


def _claims(m: dict | None) -> dict[str, int] | None:
    return counts(m["claims"]) if m and m.get("claims") is not None else None


def index_rows(out_dir: Path, sections: Sequence[str]) -> list[dict]:
    """One row per section from `<out_dir>/<section>/render.json` (status, seconds) and metrics.json."""
    rows = []
    for s in sections:
        status = read_metrics(out_dir / s / "render.json") or {}
        m = read_metrics(out_dir / s / "metrics.json")
        rows.append(dict(
            section=s, status=status.get("status", "not rendered"), seconds=status.get("seconds"),
            profile=(m or status).get("profile"), seed=(m or status).get("seed"), device=(m or {}).get("device"),
            headline=_headline(m) if status.get("status") == "ok" else status.get("error", ""),
            claims=_claims(m) if status.get("status") == "ok" else None,
        ))
    return rows


def write_index(out_dir: Path, sections: Sequence[str]) -> tuple[Path, Path]:
    """Write `index.md` and `index.html` in `out_dir`: a table of every section with links to its report."""
    rows = index_rows(out_dir, sections)
    md = ["# Deep-learning theory lab: report index", "",
          "| section | status | run time | profile / seed / device | claims: holds / contradicted / undecided | headline |",
          "|---|---|---|---|---|---|"]
    for r in rows:
        link = f"[{r['section']}]({r['section']}.md)" if (out_dir / f"{r['section']}.md").exists() else r["section"]
        secs = f"{r['seconds']:.0f} s" if r["seconds"] is not None else "–"
        run_info = " / ".join(fmt(r[k]) for k in ("profile", "seed", "device"))
        md.append(f"| {link} | {r['status']} | {secs} | {run_info} | {_claim_cell(r['claims'])} | "
                  f"{r['headline'].replace('|', '/')} |")
    md_path = out_dir / "index.md"
    atomic_write_bytes(md_path, ("\n".join(md) + "\n").encode())

    cells = []
    for r in rows:
        name = html.escape(r["section"])
        link = f'<a href="{name}.html">{name}</a>' if (out_dir / f"{r['section']}.html").exists() else name
        cls = "ok" if r["status"] == "ok" else "bad"
        secs = f"{r['seconds']:.0f} s" if r["seconds"] is not None else "–"
        run_info = html.escape(" / ".join(fmt(r[k]) for k in ("profile", "seed", "device")))
        cells.append(f"<tr><td>{link}</td><td class='{cls}'>{html.escape(r['status'])}</td><td>{secs}</td>"
                     f"<td>{run_info}</td><td>{html.escape(_claim_cell(r['claims']))}</td>"
                     f"<td>{html.escape(r['headline'])}</td></tr>")
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>Deep-learning theory lab</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}}
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ddd;padding:.45em .6em;text-align:left;vertical-align:top}}
th{{background:#f4f4f4}}.ok{{color:#1a7f37}}.bad{{color:#c0392b;font-weight:bold}}</style></head><body>
<h1>Deep-learning theory lab: report index</h1>
<table><tr><th>section</th><th>status</th><th>run time</th><th>profile / seed / device</th><th>claims: holds / contradicted / undecided</th><th>headline</th></tr>
{chr(10).join(cells)}
</table></body></html>
"""
    html_path = out_dir / "index.html"
    atomic_write_bytes(html_path, page.encode())
    return md_path, html_path
