"""Executed notebook -> the section's report, written for readers rather than as a notebook dump:

    <out>/<name>.html   prose, figures, tables and the run's parameters at the top; code folded in <details>
    <out>/<name>.md     the same content in Markdown: Markdown tables, figure links relative to <out>
    <out>/<name>/       one PNG per figure, referenced once by each page; images no longer made are removed

What the conversion changes, compared with the executed notebook:
  * the `parameters` / `injected-parameters` cells become one table of the run's effective parameters (profile,
    seeds, device, status, run time and every setting of the profile, from metrics.json's `config`);
  * no prompts; object reprs (`PosixPath(...)`, a config's repr) as a cell's only output are dropped;
  * a figure shown by `plotting.save_fig` links the file it saved (no second copy); other inline figures are
    written once as `<name>_<cell>_<k>.png`;
  * pandas tables become plain tables (Markdown tables in the .md; no <style> blocks; a 0..n-1 index dropped);
  * interactive figures (`report.interactive`) are drawn by the plotly.js shipped in the package, copied once to
    `<out>/_static/` (nothing is fetched from the internet); the .md and browsers without WebGL show their PNG;
  * math is MathML in the HTML (the browser draws it; no MathJax download), `$...$` in the Markdown;
  * absolute paths of the machine that rendered it are made relative (`lab_utils/...`, `reports/...`,
    `site-packages/...`, `~/...`); a traceback stays, with its paths shortened the same way.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import struct
import sys
import sysconfig
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..core import paths
from .fmt import fmt
from .interactive import MIME as PLOTLY_MIME
from .interactive import static_files

GENERATOR = "lab_utils.report.convert"  # tests/test_browser.py tells the pages of this converter by it
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg", ".gif")
STATIC = "_static"

# --- the report as blocks, rendered twice (HTML and Markdown) so both pages hold the same content -------------


@dataclass
class Prose:
    markdown: str


@dataclass
class Code:
    sources: list[str]


@dataclass
class Figure:
    file: str  # relative to the output folder: "<name>/<file>.png"
    alt: str
    width: int | None = None
    height: int | None = None
    plotly: dict | None = None  # an interactive figure drawn in the HTML page


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    numeric: list[bool] = field(default_factory=list)


@dataclass
class RawHtml:
    html: str


@dataclass
class Text:
    text: str
    kind: str  # "stdout" | "stderr" | "error"


@dataclass
class RunInfo:
    rows: list[tuple[str, str, bool]]  # (name, value, set for this run)
    failed: bool
    rerun: str


# --- paths of this machine -----------------------------------------------------------------------------------


def _path_replacements(out_dir: Path) -> list[tuple[str, str]]:
    """(absolute prefix, what a reader sees instead), longest first."""
    pairs: dict[str, str] = {}
    for key in ("purelib", "platlib"):
        p = sysconfig.get_paths().get(key)
        if p:
            pairs[p] = "site-packages"
    for p in sys.path:
        if p.endswith("site-packages"):
            pairs[p] = "site-packages"
    for key in ("stdlib", "platstdlib"):
        p = sysconfig.get_paths().get(key)
        if p:
            pairs[p] = f"python{sys.version_info.major}.{sys.version_info.minor}"
    pairs[str(sys.prefix)] = "<python>"
    pairs[str(paths.cache_dir())] = "<cache>"
    pairs[str(out_dir)] = "reports"
    pairs[str(paths.REPO_ROOT)] = "."
    pairs[tempfile.gettempdir()] = "<tmp>"
    home = os.path.expanduser("~")
    if home not in ("/", ""):
        pairs[home] = "~"
    out = []
    for prefix, repl in pairs.items():
        for variant in {prefix, os.path.realpath(prefix)}:
            if len(variant) > 1:
                out.append((variant.rstrip("/"), repl))
    return sorted(out, key=lambda t: -len(t[0]))


_LEFTOVER = re.compile(
    r"(?<![\w.:/~<>-])/(?:home|root|tmp|work|Users|private|var/folders|mnt|opt|srv)/[^\s'\"<>)\]:,]*"
)


def scrub(text: str, replacements: list[tuple[str, str]]) -> str:
    """`text` with every absolute path of this machine made relative (see `_path_replacements`); any other
    absolute path under a home, temporary or work folder is cut to `…/<last part>`."""
    for prefix, repl in replacements:
        if prefix in text:
            text = re.sub(
                re.escape(prefix) + r"(/|\b)",
                lambda m, repl=repl: ("" if repl == "." else repl + "/") if m.group(1) == "/" else repl,
                text,
            )
    return _LEFTOVER.sub(lambda m: "…/" + m.group(0).rstrip("/").rsplit("/", 1)[-1], text)


# --- outputs -------------------------------------------------------------------------------------------------

_REPR = re.compile(r"^(?:[A-Za-z_][\w.]*\(.*\)|<[^>]*>|None)$", re.S)


def _is_repr(text: str) -> bool:
    """An object repr such as PosixPath('/x'), Config(a=1, ...), <Figure ...> or None: no content for a reader."""
    return bool(_REPR.match(text.strip()))


def _png_size(data: bytes) -> tuple[int | None, int | None]:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    return None, None


def _cell_text(cell) -> str:
    return " ".join(cell.get_text(" ", strip=True).split())


def html_table(markup: str) -> Table | None:
    """The first <table> of `markup` (e.g. a pandas DataFrame's HTML) as a Table, or None when there is none.
    A pandas index named in a second header row becomes the first column's header; an unnamed 0..n-1 index is
    dropped."""
    import bs4

    soup = bs4.BeautifulSoup(markup, "html.parser")
    t = soup.find("table")
    if t is None:
        return None
    head_rows = t.find("thead").find_all("tr") if t.find("thead") else []
    body = t.find("tbody") or t
    rows = [[_cell_text(c) for c in tr.find_all(["th", "td"])] for tr in body.find_all("tr", recursive=False)]
    if not head_rows and rows:
        head, rows = rows[0], rows[1:]
    else:
        heads = [[_cell_text(c) for c in tr.find_all(["th", "td"])] for tr in head_rows]
        head = heads[0] if heads else []
        if len(heads) > 1 and heads[1] and heads[1][0] and not any(heads[1][1:]) and head and not head[0]:
            head = [heads[1][0], *head[1:]]
    width = max([len(head), *map(len, rows)] or [0])
    head = head + [""] * (width - len(head))
    rows = [r + [""] * (width - len(r)) for r in rows]
    if head and not head[0] and rows and all(r[0] == str(i) for i, r in enumerate(rows)):
        head, rows = head[1:], [r[1:] for r in rows]
    return Table(head, rows, _numeric_columns(head, rows))


_NUMBER = re.compile(r"^[−+-]?(?:\d[\d,]*\.?\d*|\.\d+)(?:e[−+-]?\d+)?\s*%?$|^[–-]$|^nan$", re.I)


def _numeric_columns(head: list[str], rows: list[list[str]]) -> list[bool]:
    return [
        bool(rows) and all(_NUMBER.match(r[j]) for r in rows if r[j]) and any(r[j] for r in rows)
        for j in range(len(head))
    ]


class _Outputs:
    """Turns a cell's outputs into blocks, writing image files into the section folder."""

    def __init__(self, section_dir: Path, name: str, replacements: list[tuple[str, str]]):
        self.section_dir, self.name, self.repl = section_dir, name, replacements
        self.images: set[str] = set()

    def figure(self, data: bytes, suffix: str, file: str | None, fallback_name: str) -> Figure:
        target = self.section_dir / (file or f"{fallback_name}{suffix}")
        if file is None or not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists() or target.read_bytes() != data:
                target.write_bytes(data)
        self.images.add(target.name)
        w, h = _png_size(target.read_bytes()) if suffix == ".png" else (None, None)
        alt = target.stem.replace("_", " ")
        return Figure(f"{self.name}/{target.name}", alt, w, h)

    def blocks(self, cell, index: int) -> list:
        out: list = []
        k = 0
        for o in cell.get("outputs", []):
            kind = o.get("output_type")
            if kind == "stream":
                text = scrub(o.get("text", ""), self.repl)
                if out and isinstance(out[-1], Text) and out[-1].kind == o.get("name"):
                    out[-1].text += text
                elif text.strip():
                    out.append(Text(text, o.get("name", "stdout")))
            elif kind == "error":
                tb = "\n".join(o.get("traceback") or [f"{o.get('ename')}: {o.get('evalue')}"])
                out.append(Text(scrub(tb, self.repl), "error"))
            elif kind in ("display_data", "execute_result"):
                k += 1
                block = self._rich(o, index, k)
                if block is not None:
                    out.append(block)
        return out

    def _rich(self, o, index: int, k: int):
        data, meta = o.get("data", {}), o.get("metadata", {}) or {}
        file = (meta.get("lab_utils") or {}).get("figure")
        if PLOTLY_MIME in data:
            fig = None
            if "image/png" in data:
                fig = self.figure(base64.b64decode(data["image/png"]), ".png", file, f"{self.name}_{index}_{k}")
            else:
                fig = Figure("", "interactive figure")
            fig.plotly = data[PLOTLY_MIME]
            return fig
        if "text/html" in data and "text/markdown" not in data:
            markup = scrub(_joined(data["text/html"]), self.repl)
            table = html_table(markup) if "<table" in markup else None
            if table is not None and markup.count("<table") == 1:
                return table
            return RawHtml(re.sub(r"<style.*?</style>", "", markup, flags=re.S))
        if "text/markdown" in data:
            return Prose(scrub(_joined(data["text/markdown"]), self.repl))
        for mime, suffix in (("image/svg+xml", ".svg"), ("image/png", ".png"), ("image/jpeg", ".jpg")):
            if mime in data:
                raw = _joined(data[mime])
                payload = raw.encode() if mime == "image/svg+xml" else base64.b64decode(raw)
                return self.figure(payload, suffix, file, f"{self.name}_{index}_{k}")
        if "text/latex" in data:
            return Prose(_joined(data["text/latex"]))
        text = _joined(data.get("text/plain", ""))
        if not text.strip() or _is_repr(text):
            return None
        return Text(scrub(text, self.repl), "stdout")


def _joined(v: Any) -> str:
    return "".join(v) if isinstance(v, list) else str(v)


# --- the run's parameters ------------------------------------------------------------------------------------


def _value(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        return "(" + ", ".join(_value(x) for x in v) + ")"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e5:
        return f"{v:g}"
    return fmt(v)


def run_info(nb, metrics: dict | None, name: str) -> RunInfo:
    """The run's effective parameters: papermill's record of what was passed, metrics.json's of what ran."""
    pm = nb.metadata.get("papermill", {}) or {}
    params = dict(pm.get("parameters") or {})
    m = metrics or {}
    failed = bool(pm.get("exception")) or any(
        o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", [])
    )
    rows: list[tuple[str, str, bool]] = []
    profile = m.get("profile", params.get("profile", "–"))
    rows.append(("profile", str(profile), False))
    seeds = m.get("seeds") or ([m["seed"]] if "seed" in m else [params.get("seed", "–")])
    rows.append(("seeds" if len(seeds) > 1 else "seed", ", ".join(map(str, seeds)), False))
    device = m.get("device", params.get("device", "–"))
    if params.get("device") not in (None, device):
        device = f"{device} ({params['device']})"
    rows.append(("device", str(device), False))
    secs = pm.get("duration") or m.get("elapsed_s")
    rows.append(("status", "failed" if failed else "ok", False))
    if secs is not None:
        rows.append(("run time", f"{secs:.0f} s" if secs < 120 else f"{secs / 60:.1f} min", False))
    knobs = {k: v for k, v in params.items() if k not in ("profile", "device", "seed") and v is not None}
    config = m.get("config")
    if config:
        for k, v in config.items():
            rows.append((k, _value(v), k in knobs))
    else:
        for k, v in knobs.items():
            rows.append((k, _value(v), True))
    args = [
        f"--only {name[:2]}",
        f"--profile {profile}",
        f"--seed {params.get('seed', m.get('seed', 0))}",
        f"--device {params.get('device', 'auto')}",
    ]
    args += [f"-p {k} {json.dumps(v) if isinstance(v, str) else _value(v).replace(' ', '')}" for k, v in knobs.items()]
    return RunInfo(rows, failed, "./render.sh " + " ".join(args))


# --- HTML ----------------------------------------------------------------------------------------------------

CSS = """
:root{--fg:#1f2328;--muted:#57606a;--line:#d0d7de;--soft:#f6f8fa;--accent:#0b5cad;--bad:#b42318}
*{box-sizing:border-box}
body{margin:0;color:var(--fg);background:#fff;font:16px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:64rem;margin:0 auto;padding:1.5rem 1.5rem 4rem}
nav.top{font-size:.9rem;margin-bottom:.5rem}nav.top a{color:var(--muted);text-decoration:none}
h1{font-size:1.9rem;line-height:1.25;margin:.4rem 0 1rem}h2{font-size:1.4rem;margin:2.2rem 0 .6rem;
padding-bottom:.25rem;border-bottom:1px solid var(--line)}h3{font-size:1.15rem;margin:1.6rem 0 .4rem}
a{color:var(--accent)}a.anchor-link{visibility:hidden;margin-left:.3em;text-decoration:none;color:var(--muted)}
h1:hover a.anchor-link,h2:hover a.anchor-link,h3:hover a.anchor-link{visibility:visible}
p,li{max-width:48rem}
figure{margin:1.2rem 0;text-align:center}figure img{max-width:100%;height:auto}
figcaption{font-size:.85rem;color:var(--muted)}
.table-wrap{overflow-x:auto;margin:1rem 0}
table{border-collapse:collapse;font-size:.88rem;font-variant-numeric:tabular-nums}
th,td{padding:.3rem .65rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{border-bottom:2px solid var(--fg);white-space:nowrap}td.num,th.num{text-align:right;white-space:nowrap}
tbody tr:nth-child(even){background:#fafbfc}
section.run{margin:1rem 0 1.6rem;padding:.7rem 1rem;background:var(--soft);border:1px solid var(--line);border-radius:6px}
section.run h2{font-size:1rem;margin:0 0 .4rem;border:0;padding:0}
section.run table{font-size:.82rem;width:100%}section.run tr{background:none!important}section.run td{border:0;padding:.12rem .5rem}
section.run td.k{color:var(--muted);white-space:nowrap}section.run td.v{font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
section.run .set{font-weight:700}section.run p{margin:.4rem 0 0;font-size:.8rem;color:var(--muted)}
section.run code{font-size:.8rem}.failed{color:var(--bad);font-weight:700}
details.code{margin:.4rem 0;font-size:.85rem}details.code>summary{cursor:pointer;color:var(--muted);
list-style:none;display:inline-block;padding:.05rem .5rem;border:1px solid var(--line);border-radius:4px;user-select:none}
details.code>summary::-webkit-details-marker{display:none}details.code>summary::before{content:"▸ "}
details.code[open]>summary::before{content:"▾ "}
pre{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:.6rem .8rem;overflow-x:auto;
font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.highlight pre{margin:.4rem 0}
pre.stderr{background:#fff8e6;border-color:#f0d58c}pre.error{background:#fdecea;border-color:#f1aeb5}
math{font-family:"STIX Two Math","Latin Modern Math","Cambria Math",math,serif}math[display=block]{margin:.8rem 0}
.lab-plotly{width:100%;min-height:300px}img.lab-fallback[hidden]{display:none}
footer{margin-top:3rem;padding-top:.6rem;border-top:1px solid var(--line);font-size:.8rem;color:var(--muted)}
"""

PLOTLY_INIT = """
(function () {
  function webgl() {
    try { var c = document.createElement('canvas'); return !!(c.getContext('webgl2') || c.getContext('webgl')); }
    catch (e) { return false; }
  }
  function fallback(div, why) {
    div.hidden = true; div.setAttribute('data-state', 'fallback: ' + why);
    var img = div.parentNode.querySelector('img.lab-fallback'); if (img) img.hidden = false;
  }
  function syncCameras(div) {
    var busy = false;
    div.on('plotly_relayout', function (ev) {
      if (busy) return;
      var cam = null, src = null;
      Object.keys(ev).forEach(function (k) { var m = k.match(/^(scene\\d*)\\.camera$/); if (m) { cam = ev[k]; src = m[1]; } });
      if (!cam) return;
      var upd = {};
      Object.keys(div.layout).forEach(function (k) { if (/^scene\\d*$/.test(k) && k !== src) upd[k + '.camera'] = cam; });
      busy = true; Plotly.relayout(div, upd).then(function () { busy = false; }, function () { busy = false; });
    });
  }
  document.querySelectorAll('div.lab-plotly').forEach(function (div) {
    if (!window.Plotly) return fallback(div, 'plotly.js did not load');
    if (!webgl()) return fallback(div, 'this browser draws no WebGL');
    var spec = JSON.parse(document.getElementById(div.id + '-json').textContent);
    Plotly.newPlot(div, spec.data, spec.layout, spec.config).then(function () {
      div.setAttribute('data-state', 'drawn');
      if (spec.layout.meta && spec.layout.meta.lab_sync_cameras) syncCameras(div);
    }, function (e) { fallback(div, String(e)); });
  });
})();
"""


_FUNCTION = re.compile(r"(<mi>(?:sin|cos|tan|log|ln|exp|max|min|arg|det|lim|sup|inf|tr)</mi>)(?!<mo[^>]*>&#x00028;)")


def _function_spacing(mathml: str) -> str:
    """A thin space after a function name not followed by "(" (latex2mathml writes \\sin 2x as sin2x)."""
    return _FUNCTION.sub(r'\1<mspace width="0.1667em"></mspace>', mathml)


def _math_html(source: str) -> str:
    """Markdown -> HTML with math as MathML (drawn by the browser itself, offline)."""
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    class Renderer(IPythonRenderer):
        def _math(self, body: str, display: str) -> str:
            try:
                import latex2mathml.converter

                return _function_spacing(latex2mathml.converter.convert(body.strip(), display=display))
            except Exception:  # a construct latex2mathml lacks: show the TeX
                return f"<code>{html.escape(body)}</code>"

        def inline_math(self, body: str) -> str:
            return self._math(body, "inline")

        def block_math(self, body: str) -> str:
            return self._math(body, "block")

        def latex_environment(self, name: str, body: str) -> str:
            return self._math(f"\\begin{{{name}}}{body}\\end{{{name}}}", "block")

    return MarkdownWithMath(renderer=Renderer(escape=False)).render(source)


def _highlight(source: str) -> str:
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    return highlight(source, PythonLexer(), HtmlFormatter(cssclass="highlight"))


def _pygments_css() -> str:
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(style="friendly").get_style_defs(".highlight")


def _html_table(t: Table) -> str:
    num = t.numeric or [False] * len(t.header)
    cls = lambda j: ' class="num"' if j < len(num) and num[j] else ""  # noqa: E731
    head = "".join(f"<th{cls(j)}>{html.escape(h)}</th>" for j, h in enumerate(t.header))
    body = "".join(
        "<tr>" + "".join(f"<td{cls(j)}>{html.escape(v)}</td>" for j, v in enumerate(r)) + "</tr>" for r in t.rows
    )
    return f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _run_html(info: RunInfo) -> str:
    cells = []
    for k, v, is_set in info.rows:
        cls = " failed" if k == "status" and info.failed else (" set" if is_set else "")
        value = html.escape(v)
        if k == "status" and info.failed:
            value = f'<a href="#error">{value}</a>'
        cells.append(f'<td class="k">{html.escape(k)}</td><td class="v{cls}">{value}</td>')
    per_row = 3
    rows = "".join("<tr>" + "".join(cells[i : i + per_row]) + "</tr>" for i in range(0, len(cells), per_row))
    note = "Bold: set for this run; the others are the profile's values. " if any(s for *_, s in info.rows) else ""
    return (
        f'<section class="run"><h2>This run</h2><table>{rows}</table>'
        f"<p>{note}Reproduce: <code>{html.escape(info.rerun)}</code></p></section>"
    )


def _title(blocks: list) -> str:
    for b in blocks:
        if isinstance(b, Prose):
            m = re.search(r"^#\s+(.+)$", b.markdown, re.M)
            if m:
                return re.sub(r"[*_`$]", "", m.group(1)).strip()
    return "report"


def to_html(blocks: list, *, index_link: str | None, static: str | None, source: str) -> str:
    parts, n_fig, n_err = [], 0, 0
    for b in blocks:
        if isinstance(b, Prose):
            parts.append(_math_html(b.markdown))
        elif isinstance(b, Code):
            code = "".join(_highlight(s) for s in b.sources)
            parts.append(f'<details class="code"><summary>code</summary>{code}</details>')
        elif isinstance(b, Figure):
            size = f' width="{b.width}" height="{b.height}"' if b.width else ""
            img = f'<img src="{html.escape(b.file)}" alt="{html.escape(b.alt)}"{size}' if b.file else ""
            if b.plotly is not None:
                n_fig += 1
                fid = f"lab-plotly-{n_fig}"
                spec = json.dumps(b.plotly, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
                parts.append(
                    f'<figure class="interactive"><div class="lab-plotly" id="{fid}" role="img" '
                    f'aria-label="{html.escape(b.alt)}"></div>'
                    f'<script type="application/json" id="{fid}-json">{spec}</script>'
                    + (f'{img} class="lab-fallback" hidden>' if img else "")
                    + "<figcaption>Interactive: drag to turn, scroll to zoom, hover for values; all panels "
                    "turn together. The static picture is in the Markdown report.</figcaption></figure>"
                )
            else:
                parts.append(f"<figure>{img}></figure>")
        elif isinstance(b, Table):
            parts.append(_html_table(b))
        elif isinstance(b, RawHtml):
            parts.append(f'<div class="output">{b.html}</div>')
        elif isinstance(b, Text):
            if b.kind == "error":
                from nbconvert.filters.ansi import ansi2html

                anchor = "" if n_err else ' id="error"'
                n_err += 1
                parts.append(f'<pre class="error"{anchor}>{ansi2html(b.text)}</pre>')
            else:
                from nbconvert.filters.ansi import strip_ansi

                parts.append(f'<pre class="{b.kind}">{html.escape(strip_ansi(b.text))}</pre>')
        elif isinstance(b, RunInfo):
            parts.append(_run_html(b))
    nav = f'<nav class="top"><a href="{index_link}">← all sections</a></nav>' if index_link else ""
    scripts = ""
    if n_fig:
        scripts = f'<script src="{static}"></script><script>{PLOTLY_INIT}</script>' if static else ""
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="{GENERATOR}">'
        f"<title>{html.escape(_title(blocks))}</title><style>{CSS}{_pygments_css()}</style></head>\n"
        f"<body><main>{nav}\n"
        + "\n".join(parts)
        + f"\n<footer>Rendered from <code>{html.escape(source)}</code>; the code of every step is folded "
        f"under “code”.</footer></main>{scripts}</body></html>\n"
    )


# --- Markdown ------------------------------------------------------------------------------------------------


def _md_cell(v: str) -> str:
    return v.replace("|", "\\|").replace("\n", " ") or " "


def _md_table(t: Table) -> str:
    num = t.numeric or [False] * len(t.header)
    lines = [
        "| " + " | ".join(_md_cell(h) for h in t.header) + " |",
        "|" + "|".join("---:" if j < len(num) and num[j] else "---" for j in range(len(t.header))) + "|",
    ]
    lines += ["| " + " | ".join(_md_cell(v) for v in r) + " |" for r in t.rows]
    return "\n".join(lines)


def _run_md(info: RunInfo) -> str:
    per_row = 3
    cells = [(k, f"**{v}**" if s or (k == "status" and info.failed) else v) for k, v, s in info.rows]
    lines = [
        "**This run**",
        "",
        "| " + " | ".join(["parameter", "value"] * per_row) + " |",
        "|" + "|".join(["---", "---"] * per_row) + "|",
    ]
    for i in range(0, len(cells), per_row):
        chunk = cells[i : i + per_row] + [("", "")] * (per_row - len(cells[i : i + per_row]))
        lines.append("| " + " | ".join(f"{_md_cell(k)} | {_md_cell(v)}" for k, v in chunk) + " |")
    note = "Bold: set for this run; the others are the profile's values. " if any(s for *_, s in info.rows) else ""
    lines += ["", f"{note}Reproduce: `{info.rerun}`"]
    return "\n".join(lines)


def to_markdown(blocks: list, *, index_link: str | None, html_name: str, source: str) -> str:
    parts = [f"[← all sections]({index_link})"] if index_link else []
    for b in blocks:
        if isinstance(b, Prose):
            parts.append(b.markdown.strip())
        elif isinstance(b, Code):
            code = "\n\n".join(f"```python\n{s.rstrip()}\n```" for s in b.sources)
            parts.append(f"<details><summary>code</summary>\n\n{code}\n\n</details>")
        elif isinstance(b, Figure):
            if b.file:
                parts.append(f"![{b.alt}]({b.file})")
            if b.plotly is not None:
                parts.append(f"*An interactive 3-D version of this figure is in [{html_name}]({html_name}).*")
        elif isinstance(b, Table):
            parts.append(_md_table(b))
        elif isinstance(b, RawHtml):
            parts.append(re.sub(r"<(style|script).*?</\1>", "", b.html, flags=re.S).strip())
        elif isinstance(b, Text):
            from nbconvert.filters.ansi import strip_ansi

            parts.append("```text\n" + strip_ansi(b.text).rstrip() + "\n```")
        elif isinstance(b, RunInfo):
            parts.append(_run_md(b))
    parts.append(f"---\n\n*Rendered from `{source}`; the code of every step is folded under “code”.*")
    return "\n\n".join(p for p in parts if p) + "\n"


# --- the conversion ------------------------------------------------------------------------------------------


def _tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def notebook_blocks(nb, name: str, section_dir: Path, metrics: dict | None, out_dir: Path) -> tuple[list, set[str]]:
    """The report's blocks in order, and the image files of `section_dir` they reference."""
    repl = _path_replacements(out_dir)
    outputs = _Outputs(section_dir, name, repl)
    blocks: list = []
    info = run_info(nb, metrics, name)
    placed = False
    for i, cell in enumerate(nb.cells):
        tags = _tags(cell)
        if tags & {"parameters", "injected-parameters"}:
            if not placed:
                blocks.append(info)
                placed = True
            continue
        if "remove-cell" in tags or "papermill-error-cell-tag" in tags:  # papermill's "An Exception was..." note
            continue
        if cell.cell_type == "markdown":
            if cell.source.strip():
                blocks.append(Prose(cell.source))
        elif cell.cell_type == "code":
            src = cell.source.strip()
            if src and "remove-input" not in tags:
                if blocks and isinstance(blocks[-1], Code):
                    blocks[-1].sources.append(src)
                else:
                    blocks.append(Code([src]))
            if "remove-output" not in tags:
                blocks.extend(outputs.blocks(cell, i))
    if not placed:
        first_prose = next((j for j, b in enumerate(blocks) if isinstance(b, Prose)), -1)
        blocks.insert(first_prose + 1, info)
    return blocks, outputs.images


def _copy_static(out_dir: Path) -> str:
    """Copy the JavaScript of interactive figures to `<out_dir>/_static/` (once) and return its relative URL."""
    dest = out_dir / STATIC
    dest.mkdir(parents=True, exist_ok=True)
    first = None
    for src in static_files():
        target = dest / src.name
        if not target.exists() or target.stat().st_size != src.stat().st_size:
            shutil.copyfile(src, target)
        first = first or f"{STATIC}/{src.name}"
    for lic in src.parent.glob("*LICENSE*"):
        if not (dest / lic.name).exists():
            shutil.copyfile(lic, dest / lic.name)
    return first


def _remove_stale_images(section_dir: Path, keep: Iterable[str]) -> list[Path]:
    keep = set(keep)
    removed = []
    if section_dir.is_dir():
        for p in section_dir.iterdir():
            if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and p.name not in keep:
                p.unlink()
                removed.append(p)
    return removed


def convert(
    executed: Path, out_dir: Path, *, section_dir: Path | None = None, index_link: str | None = "index"
) -> None:
    """Write `<out_dir>/<name>.html` and `<out_dir>/<name>.md` for the executed notebook `executed` (figures as
    files in `section_dir`, default `<out_dir>/<name>/`, where the run wrote them and its metrics.json); remove
    the images of that folder that the report no longer shows. `index_link`: the index page's stem, linked at
    the top of each page (None: no link)."""
    import nbformat

    executed, out_dir = Path(executed), Path(out_dir)
    name = executed.stem
    section_dir = Path(section_dir) if section_dir is not None else out_dir / name
    section_dir.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(executed, as_version=4)
    metrics = None
    try:
        metrics = json.loads((section_dir / "metrics.json").read_text())
    except (OSError, ValueError):
        pass
    blocks, images = notebook_blocks(nb, name, section_dir, metrics, out_dir)
    if section_dir != out_dir / name:  # figure links are relative to out_dir
        rel = os.path.relpath(section_dir, out_dir)
        for b in blocks:
            if isinstance(b, Figure) and b.file:
                b.file = f"{rel}/{b.file.split('/', 1)[1]}"
    source = f"notebooks/{name}.ipynb"
    static = _copy_static(out_dir) if any(isinstance(b, Figure) and b.plotly is not None for b in blocks) else None
    page = to_html(blocks, index_link=f"{index_link}.html" if index_link else None, static=static, source=source)
    md = to_markdown(
        blocks, index_link=f"{index_link}.md" if index_link else None, html_name=f"{name}.html", source=source
    )
    paths.atomic_write_bytes(out_dir / f"{name}.html", page.encode("utf-8"))
    paths.atomic_write_bytes(out_dir / f"{name}.md", md.encode("utf-8"))
    _remove_stale_images(section_dir, images)
