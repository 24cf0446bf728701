"""Report I/O: metrics.json per section, result tables, and the index of all sections.

Every notebook ends with `write_metrics(run, {...})`. Besides its own keys it may pass `headline`: a small
{label: value} dict that the index shows for the section.
"""
from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .paths import atomic_write_bytes


def to_jsonable(obj: Any) -> Any:
    """Plain JSON types: numpy/torch scalars and arrays to numbers and lists, NaN/inf to None (JSON has no
    NaN), tuples to lists, Paths to strings."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if hasattr(obj, "tolist") and not isinstance(obj, (str, bytes)):  # numpy arrays/scalars, torch tensors
        return to_jsonable(obj.tolist())
    if isinstance(obj, bool) or obj is None or isinstance(obj, (int, str)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot write {type(obj).__name__} to metrics.json")


def write_metrics(run, metrics: dict) -> Path:
    """Write `<run.out_dir>/metrics.json`: `metrics` plus profile, seed, device and elapsed_s (seconds)."""
    doc = {"section": run.section, "profile": run.profile, "seed": run.seed, "device": str(run.device),
           "elapsed_s": round(run.elapsed(), 2), **metrics}
    path = Path(run.out_dir) / "metrics.json"
    atomic_write_bytes(path, (json.dumps(to_jsonable(doc), indent=2) + "\n").encode())
    return path


def read_metrics(path: Path) -> dict | None:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def fmt(v: Any) -> str:
    """A number in 4 significant digits (scientific when tiny or huge); None as an en dash."""
    if v is None:
        return "–"
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if not math.isfinite(v):
        return str(v)
    return f"{v:.3e}" if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e5) else f"{v:.4g}"


def table(rows: Sequence[dict], columns: Sequence[str] | None = None):
    """A pandas DataFrame of `rows` (dicts) with numbers formatted by `fmt`, for display in a notebook."""
    import pandas as pd

    df = pd.DataFrame(list(rows))
    if columns:
        df = df[list(columns)]
    return df.map(fmt)


# ---- the index of all sections ----------------------------------------------------------------------------

def _headline(m: dict | None) -> str:
    if not m or not m.get("headline"):
        return ""
    return "; ".join(f"{k}: {fmt(v)}" for k, v in m["headline"].items())


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
        ))
    return rows


def write_index(out_dir: Path, sections: Sequence[str]) -> tuple[Path, Path]:
    """Write `index.md` and `index.html` in `out_dir`: a table of every section with links to its report."""
    rows = index_rows(out_dir, sections)
    md = ["# Deep-learning theory lab: report index", "",
          "| section | status | run time | profile / seed / device | headline |", "|---|---|---|---|---|"]
    for r in rows:
        link = f"[{r['section']}]({r['section']}.md)" if (out_dir / f"{r['section']}.md").exists() else r["section"]
        secs = f"{r['seconds']:.0f} s" if r["seconds"] is not None else "–"
        run_info = " / ".join(fmt(r[k]) for k in ("profile", "seed", "device"))
        md.append(f"| {link} | {r['status']} | {secs} | {run_info} | "
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
                     f"<td>{run_info}</td>"
                     f"<td>{html.escape(r['headline'])}</td></tr>")
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>Deep-learning theory lab</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}}
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ddd;padding:.45em .6em;text-align:left;vertical-align:top}}
th{{background:#f4f4f4}}.ok{{color:#1a7f37}}.bad{{color:#c0392b;font-weight:bold}}</style></head><body>
<h1>Deep-learning theory lab: report index</h1>
<table><tr><th>section</th><th>status</th><th>run time</th><th>profile / seed / device</th><th>headline</th></tr>
{chr(10).join(cells)}
</table></body></html>
"""
    html_path = out_dir / "index.html"
    atomic_write_bytes(html_path, page.encode())
    return md_path, html_path
