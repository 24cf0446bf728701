"""Page weight and load time of the interactive 3-D landscapes in headless Chromium, per JavaScript library.

    python benchmarks/report_interactive.py [--grids 11,25,51] [--reps 3]

Each page holds 07's figure: four 3-D surfaces (one per skip x BN variant, shared z scale) drawn by
`lab_utils.report.interactive.surfaces_figure`. Candidates: plotly.js's gl3d partial bundle (shipped in
`lab_utils/report/static/`), plotly.js's full bundle (from the `plotly` Python package, when installed), and the
static PNG alone (what the Markdown report shows). A fresh Chromium per load (cold cache), SwiftShader WebGL (no
GPU here, so a browser with a GPU draws faster). Printed: bytes (raw / gzip) of the page and its JavaScript, the
time from navigation to the last surface drawn (wall: inflated by any other load on the machine), and the CPU
seconds all Chromium processes spent on the page (user + system, above an empty page's; what a quiet 1-core
machine would need), medians over --reps loads.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from chromium import Chromium  # noqa: E402

from lab_utils.report import interactive  # noqa: E402


def grids(n: int) -> dict:
    c = np.linspace(-1, 1, n)
    a, b = np.meshgrid(c, c, indexing="ij")
    return {
        name: (c, c, np.exp(k + 3 * a**2 + 2 * b**2 + 0.3 * np.sin(8 * a)))
        for k, name in enumerate(["skip + BN", "skip, no BN", "no skip + BN", "no skip, no BN"])
    }


def static_png(n: int) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(16.8, 4.0))
    for k, (name, (x, y, z)) in enumerate(grids(n).items()):
        ax = fig.add_subplot(1, 4, k + 1, projection="3d")
        X, Y = np.meshgrid(x, y, indexing="ij")
        ax.plot_surface(X, Y, np.log10(z), cmap="viridis")
        ax.set_title(name)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def page(js: str | None, n: int, png: str) -> str:
    if js is None:
        return f'<!doctype html><html><body><img src="{png}" onload="window.__drawn=performance.now()"></body></html>'
    spec = json.dumps(
        interactive.surfaces_figure(grids(n), log_z=True, zlabel="loss", xlabel="α", ylabel="β"), separators=(",", ":")
    )
    return (
        f'<!doctype html><html><head><meta charset="utf-8"></head><body><div id="f" style="width:1000px"></div>'
        f'<script src="{js}"></script><script>var s={spec};Plotly.newPlot("f",s.data,s.layout,s.config)'
        f".then(function(){{window.__drawn=performance.now();}});</script></body></html>"
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` and all its descendants so far."""
    import psutil

    root = psutil.Process(pid)
    total = 0.0
    for p in [root, *root.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system + getattr(t, "children_user", 0) + getattr(t, "children_system", 0)
        except psutil.Error:
            pass
    return total


def load(url: str) -> tuple[float, float, list[str]]:
    """(ms to drawn, CPU seconds of the browser at that point, errors) for one cold load of `url`."""
    with Chromium(width=1100, height=900) as b:
        b.send("Page.navigate", url=url)
        d = b.wait_for("window.__drawn", timeout=180, poll=0.05)
        cpu = cpu_seconds(b._proc.pid)
        return d, cpu, b.page_report(url).errors


def gz(b: bytes) -> int:
    return len(gzip.compress(b, 9))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--grids", default="11,25,51")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-interactive-"))
    libs = {"plotly.js gl3d bundle": interactive.STATIC_DIR / interactive.PLOTLY_JS}
    try:
        import plotly

        libs["plotly.js full bundle"] = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    except ImportError:
        print("(plotly not installed: the full bundle is not measured)")
    for src in libs.values():
        shutil.copyfile(src, work / src.name)
    (work / "blank.html").write_text("<!doctype html><script>window.__drawn=performance.now()</script>")
    blank = statistics.median(load((work / "blank.html").as_uri())[1] for _ in range(args.reps))
    print(f"empty page: {blank:.2f} CPU s for the browser itself")
    print(f"{'library':<24}{'grid':>6}{'page KB':>9}{'JS KB':>8}{'JS gz KB':>10}{'drawn ms':>10}{'CPU ms':>9}")
    for n in [int(g) for g in args.grids.split(",")]:
        (work / f"static_{n}.png").write_bytes(static_png(n))
        for name, src in [("static PNG only", None), *libs.items()]:
            html = page(src.name if src else None, n, f"static_{n}.png")
            f = work / f"{name.split()[0]}_{n}_{'none' if src is None else src.stem}.html"
            f.write_text(html)
            drawn, busy = [], []
            for _ in range(args.reps):
                d, cpu, errors = load(f.as_uri())
                if errors or not d:
                    raise SystemExit(f"{name}, grid {n}: not drawn {errors}")
                drawn.append(d)
                busy.append(1000 * (cpu - blank))
            page_bytes = len(html.encode()) + (len((work / f"static_{n}.png").read_bytes()) if src is None else 0)
            js = src.read_bytes() if src else b""
            print(
                f"{name:<24}{n:>6}{page_bytes / 1024:>9.0f}{len(js) / 1024:>8.0f}{gz(js) / 1024:>10.0f}"
                f"{statistics.median(drawn):>10.0f}{statistics.median(busy):>9.0f}",
                flush=True,
            )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    t0 = time.time()
    main()
    print(f"({time.time() - t0:.0f} s)")
