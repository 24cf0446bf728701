"""The reports as a reader opens them: `index.html` and every section page in headless Chromium (file:// URLs,
no server), on the committed `reports/` and on a fresh smoke render. A page fails on a JavaScript error, a
request that failed, an image that did not load, a local link that does not resolve (file or #anchor), anything
fetched from the internet, an interactive view that did not draw (its canvas stays blank), and, read from the
files, on a machine path, a notebook prompt, an object repr, a warning, or a figure file that is stale or
referenced twice.

LAB_SCREENSHOTS=<folder> keeps a full-page screenshot of every page opened (to look at them)."""

from __future__ import annotations

import io
import os
import re
import shutil
import urllib.parse
from pathlib import Path

import pytest
from chromium import Chromium, binary
from conftest import NOTEBOOKS, REPO

from lab_utils.report import convert as cv

SECTIONS = [nb.stem for nb in NOTEBOOKS]
PAGES = ["index", *SECTIONS]
pytestmark = pytest.mark.skipif(binary() is None, reason="chromium is not installed (.ci/setup.d/30-chromium.sh)")

MACHINE_PATH = re.compile(r"(?<![\w.~<>-])/(?:home|root|tmp|work|Users|private|var/folders|mnt)/[\w.-]")
PROMPT = re.compile(r"\bIn(?:&nbsp;| )\[[\d* ]*\]:|\bOut\[\d+\]:")
IMAGE = re.compile(r"\.(png|jpe?g|svg|gif)$", re.I)


@pytest.fixture(scope="module")
def browser():
    with Chromium(width=1200, height=900, timeout=120) as b:
        yield b


def file_problems(folder: Path, name: str) -> list[str]:
    """What the files of one page show a reader that they should not (no browser needed)."""
    problems = []
    for suffix in (".html", ".md"):
        path = folder / f"{name}{suffix}"
        if not path.exists():
            problems.append(f"{path.name} is missing")
            continue
        text = path.read_text(encoding="utf-8")
        for pattern, what in (
            (MACHINE_PATH, "a machine path"),
            (PROMPT, "a notebook prompt"),
            (re.compile(r"PosixPath\(|WindowsPath\("), "an object repr"),
        ):
            m = pattern.search(text)
            if m:
                problems.append(f"{path.name}: {what}: …{text[max(0, m.start() - 60) : m.end() + 60]!r}…")
        if suffix == ".md":
            if "<style" in text:
                problems.append(f"{path.name}: a raw <style> block (an HTML table instead of a Markdown one)")
            for link in re.findall(r"\]\(([^)\s]+)\)", text):
                target = urllib.parse.unquote(link.split("#")[0])
                if target and not re.match(r"[a-z]+:", target) and not (folder / target).exists():
                    problems.append(f"{path.name}: link {link} does not resolve")
        if suffix == ".html" and name != "index":
            for block in re.findall(r'<pre class="stderr">(.*?)</pre>', text, re.S):
                if re.search(r"\w*Warning\b", block):
                    problems.append(f"{path.name}: a warning is shown: {block.strip()[:200]!r}")
    section_dir = folder / name
    if name != "index" and section_dir.is_dir():
        files = {p.name for p in section_dir.iterdir() if IMAGE.search(p.name)}
        for suffix in (".html", ".md"):
            path = folder / f"{name}{suffix}"
            if not path.exists():
                continue
            text = path.read_text(encoding="utf-8")
            refs = re.findall(rf"{re.escape(name)}/([^\"')\s]+\.(?:png|jpe?g|svg|gif))", text)
            twice = sorted({r for r in refs if refs.count(r) > 1})
            if twice:
                problems.append(f"{path.name}: figures referenced more than once: {twice}")
            unused = sorted(files - set(refs))
            if unused:
                problems.append(f"{path.name}: figure files it does not show (stale or duplicates): {unused}")
    return problems


def _nonblank_fraction(png: bytes) -> float:
    from PIL import Image

    im = Image.open(io.BytesIO(png)).convert("L")
    hist = im.histogram()
    return 1 - sum(hist[245:]) / max(1, sum(hist))


def page_problems(browser: Chromium, folder: Path, name: str, shots: Path | None) -> list[str]:
    """What a reader meets in the browser on `<folder>/<name>.html`."""
    url = (folder / f"{name}.html").as_uri()
    page = browser.open(url, settle=0.3)
    problems = [f"request failed: {f}" for f in page.failed]
    n_views = browser.evaluate("document.querySelectorAll('div.lab-plotly').length") or 0
    if n_views:
        browser.wait_for(
            "Array.from(document.querySelectorAll('div.lab-plotly')).every(d => d.getAttribute('data-state'))",
            timeout=300,
            poll=0.5,
        )
        for v in browser.evaluate("""Array.from(document.querySelectorAll('div.lab-plotly')).map(d => {
                const r = d.getBoundingClientRect();
                return {id: d.id, state: d.getAttribute('data-state'), canvases: d.querySelectorAll('canvas').length,
                        x: r.left + window.scrollX, y: r.top + window.scrollY, w: r.width, h: r.height}; })"""):
            if v["state"] != "drawn" or not v["canvases"]:
                problems.append(f"interactive view {v['id']} did not draw: {v['state']}, {v['canvases']} canvases")
                continue
            import base64

            shot = browser.send(
                "Page.captureScreenshot",
                format="png",
                captureBeyondViewport=True,
                clip={"x": v["x"], "y": v["y"], "width": v["w"], "height": v["h"], "scale": 1},
            )
            if _nonblank_fraction(base64.b64decode(shot["data"])) < 0.03:
                problems.append(f"interactive view {v['id']} is blank")
    report = browser.page_report(url)
    problems += [f"JavaScript error: {e}" for e in page.errors + report.errors]
    problems += [f"request failed: {f}" for f in report.failed]
    for img in browser.evaluate(
        "Array.from(document.images).map(i => ({src: i.getAttribute('src'), "
        "ok: i.complete && i.naturalWidth > 0, hidden: i.hidden}))"
    ):
        if img["hidden"]:  # a fallback shown only without WebGL: its file must exist
            if not (folder / urllib.parse.unquote(img["src"])).is_file():
                problems.append(f"fallback image {img['src']} is missing")
        elif not img["ok"]:
            problems.append(f"image did not load: {img['src']}")
    resources = browser.evaluate(
        "Array.from(document.querySelectorAll('script[src], link[href], img[src], "
        "iframe[src]')).map(e => e.src || e.href)"
    )
    problems += [f"fetched from the internet: {r}" for r in resources if re.match(r"https?:", r)]
    for href in browser.evaluate("Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"):
        parsed = urllib.parse.urlparse(href)
        if parsed.scheme != "file":
            continue
        target = Path(urllib.parse.unquote(parsed.path))
        if not target.exists():
            problems.append(f"link does not resolve: {href}")
        elif parsed.fragment and target.suffix == ".html":
            if f'id="{parsed.fragment}"' not in target.read_text(encoding="utf-8"):
                problems.append(f"anchor does not resolve: {href}")
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
        browser.screenshot(shots / f"{folder.name}_{name}.png")
    return problems


def shots_dir() -> Path | None:
    return Path(os.environ["LAB_SCREENSHOTS"]) if os.environ.get("LAB_SCREENSHOTS") else None


# --- the committed reports -------------------------------------------------------------------------------------


def _written_by_this_converter(folder: Path) -> bool:
    return any(f'content="{cv.GENERATOR}"' in p.read_text(encoding="utf-8") for p in folder.glob("[0-9][0-9]_*.html"))


@pytest.mark.parametrize("name", PAGES)
def test_committed_report_page(browser, name):
    folder = REPO / "reports"
    if not _written_by_this_converter(folder):
        pytest.skip("reports/ predates report.convert's reader pages: re-render the series (./render.sh)")
    problems = file_problems(folder, name) + page_problems(browser, folder, name, shots_dir())
    assert not problems, "\n".join(problems)


# --- a fresh smoke render ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fresh_render(smoke_run, tmp_path_factory):
    """The smoke executions of every notebook (shared with test_notebooks.py) converted into one report folder,
    with the index: what `./render.sh --profile smoke` writes."""
    from lab_utils.render import manifest
    from lab_utils.report import index

    out = tmp_path_factory.mktemp("fresh") / "reports"
    out.mkdir()
    for name in SECTIONS:
        _, section_dir = smoke_run(name)
        shutil.copytree(section_dir, out / name)
        cv.convert(section_dir.parent / f"{name}.ipynb", out)
    index.write_index(out, manifest.rendered(out, SECTIONS))
    return out


@pytest.mark.parametrize("name", PAGES)
def test_fresh_smoke_render_page(browser, fresh_render, name):
    problems = file_problems(fresh_render, name) + page_problems(browser, fresh_render, name, shots_dir())
    assert not problems, "\n".join(problems)


# --- the interactive view itself ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """test_report_convert's demo page: an interactive 3-D figure with two panels."""
    from conftest import execute
    from test_report_convert import NAME, demo_notebook

    root = tmp_path_factory.mktemp("demo-browser")
    out = root / "reports"
    out.mkdir()
    executed = execute(
        demo_notebook(root / f"{NAME}.ipynb"), out, root / "cache", {"profile": "smoke", "device": "cpu", "seed": 0}
    )
    cv.convert(executed, out, index_link=None)
    return out, NAME


def test_interactive_view_draws_turns_together_and_falls_back(browser, demo):
    out, name = demo
    problems = file_problems(out, name) + page_problems(browser, out, name, shots_dir())
    assert not problems, "\n".join(problems)
    # turning one panel turns the other (what a reader comparing variants needs)
    browser.evaluate(
        "Plotly.relayout('lab-plotly-1', {'scene.camera': {eye: {x: 0.1, y: 2.2, z: 0.4}}}).then(() => true)",
        await_promise=True,
    )
    assert browser.wait_for("document.getElementById('lab-plotly-1').layout.scene2.camera.eye.y === 2.2", timeout=30), (
        "the cameras do not turn together"
    )
    # without plotly.js (or WebGL) the reader sees the static picture instead of an empty box
    page = (out / f"{name}.html").read_text()
    broken = out / f"{name}_noscript.html"
    broken.write_text(re.sub(r'<script src="_static/[^"]+"></script>', "", page))
    browser.open(broken.as_uri(), settle=0.5)
    state = browser.evaluate("document.getElementById('lab-plotly-1').getAttribute('data-state')")
    shown = browser.evaluate(
        "(() => { const i = document.querySelector('img.lab-fallback'); "
        "return !i.hidden && i.complete && i.naturalWidth > 0; })()"
    )
    assert state.startswith("fallback") and shown, state


def test_committed_reports_are_small():
    """No data sets or duplicated figures in reports/: every file is a page, a figure, metrics or a script."""
    folder = REPO / "reports"
    big = [
        (p, p.stat().st_size)
        for p in folder.rglob("*")
        if p.is_file() and ".executed" not in p.parts and p.stat().st_size > 2_500_000
    ]
    assert not big, big
