"""Interactive figures for the HTML reports: rotatable, zoomable 3-D surfaces drawn by plotly.js, offline.

    from lab_utils.report import interactive
    interactive.save_surfaces(run, fig, "landscape_surfaces",
                              {name: (coords, coords, loss) for name, ... in ...},   # z[i, j] at (x[i], y[j])
                              xlabel="α", ylabel="β", zlabel="loss", log_z=True)

`save_surfaces` saves `fig`, the static matplotlib picture, as `<run.out_dir>/<name>.png` (as `plotting.save_fig`
does) and shows one output that carries both the plotly figure (mimetype `application/vnd.plotly.v1+json`) and
that PNG. The HTML report (`report.convert`) draws the plotly figure with the plotly.js bundle shipped in
`lab_utils/report/static/` and copied once to `<reports>/_static/`, so nothing is fetched from the internet, and
shows the PNG where the browser cannot draw WebGL; the Markdown report links the PNG; JupyterLab draws the plotly
figure when the `plotly` package (its JupyterLab extension) is installed, else the PNG.

Why plotly.js, and its gl3d bundle: measured in headless Chromium on 07's four 3-D landscapes (see
`tests/test_browser.py::test_interactive_library_budget` and the lead's README figures), the gl3d bundle is a third
of the full bundle's weight and loads in about half the time, and draws the same surfaces.
"""

from __future__ import annotations

import base64
import math
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from .quiet import QuietPath

MIME = "application/vnd.plotly.v1+json"
STATIC_DIR = Path(__file__).resolve().parent / "static"
PLOTLY_JS = "plotly-gl3d-4.1.1.min.js"  # plotly.js 4.1.1, gl3d partial bundle (npm plotly.js-gl3d-dist-min), MIT
COLORSCALE = "Viridis"


def _values(a: Any, digits: int) -> list:
    """A nested list of floats rounded to `digits` significant digits, non-finite values as None (gaps)."""
    arr = np.asarray(a, dtype=float)

    def r(v: float):
        return None if not math.isfinite(v) else float(f"{v:.{digits}g}")

    if arr.ndim == 1:
        return [r(v) for v in arr]
    return [[r(v) for v in row] for row in arr]


def surfaces_figure(
    grids: Mapping[str, tuple[Any, Any, Any]],
    *,
    xlabel: str = "x",
    ylabel: str = "y",
    zlabel: str = "z",
    log_z: bool = False,
    shared_z: bool = True,
    columns: int = 2,
    title: str = "",
    height: int = 420,
    digits: int = 5,
) -> dict:
    """A plotly figure (a JSON-able dict of data and layout) with one 3-D surface scene per entry of `grids`.

    grids: {variant: (x, y, z)} with 1-D coordinates x (n) and y (m) and z of shape (n, m), z[i, j] the value at
    (x[i], y[j]) (numpy's meshgrid "ij" order, as `probes.loss_surface` returns its grid); NaN/inf are gaps.
    log_z: draw log10 z (non-positive values are gaps) and say so on the axis. shared_z: one z range and one
    colour scale for all variants (compare heights across panels), else each its own. The cameras of all
    scenes turn together in the HTML report (layout.meta.lab_sync_cameras)."""
    if not grids:
        raise ValueError("surfaces_figure needs at least one grid")
    names = list(grids)
    cols = max(1, min(columns, len(names)))
    rows = math.ceil(len(names) / cols)
    zs = {}
    for name, (x, y, z) in grids.items():
        x, y, z = (np.asarray(v, dtype=float) for v in (x, y, z))
        if z.shape != (len(x), len(y)):
            raise ValueError(f"{name}: z has shape {z.shape}, expected (len(x), len(y)) = ({len(x)}, {len(y)})")
        if log_z:
            with np.errstate(divide="ignore", invalid="ignore"):
                z = np.where(z > 0, np.log10(np.where(z > 0, z, 1.0)), np.nan)
        zs[name] = (x, y, z)
    finite = np.concatenate([z[np.isfinite(z)] for _, _, z in zs.values()] or [np.array([])])
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    ztitle = f"log10 {zlabel}" if log_z else zlabel
    data, layout = (
        [],
        {
            "margin": {"l": 0, "r": 0, "t": 40 if title else 24, "b": 0},
            "height": height * rows,
            "paper_bgcolor": "white",
            "showlegend": False,
            "annotations": [],
            "meta": {"lab_sync_cameras": True},
            "font": {"family": "system-ui, -apple-system, 'Segoe UI', sans-serif", "size": 12},
        },
    )
    if title:
        layout["title"] = {"text": title, "x": 0.5, "font": {"size": 14}}
    top = 1.0 - (0.06 if title else 0.0)
    for k, name in enumerate(names):
        x, y, z = zs[name]
        r, c = divmod(k, cols)
        scene = "scene" if k == 0 else f"scene{k + 1}"
        x0, x1 = c / cols, (c + 1) / cols
        y1 = top - r * top / rows
        y0 = y1 - top / rows
        trace = {
            "type": "surface",
            "name": name,
            "x": _values(x, digits),
            "y": _values(y, digits),
            "z": _values(z.T, digits),  # plotly: z[row][col] is at (x[col], y[row])
            "scene": scene,
            "hovertemplate": f"{xlabel} %{{x:.3g}}<br>{ylabel} %{{y:.3g}}<br>{ztitle} %{{z:.4g}}<extra>{name}</extra>",
        }
        if shared_z:
            trace.update(coloraxis="coloraxis")
        else:
            trace.update(colorscale=COLORSCALE, showscale=False)
        data.append(trace)
        axis = {"backgroundcolor": "white", "gridcolor": "#ddd", "zerolinecolor": "#bbb", "showspikes": False}
        layout[scene] = {
            "domain": {"x": [x0, x1], "y": [y0, y1 - 0.05]},
            "xaxis": {**axis, "title": {"text": xlabel}},
            "yaxis": {**axis, "title": {"text": ylabel}},
            "zaxis": {**axis, "title": {"text": ztitle}, **({"range": [lo, hi]} if shared_z else {})},
            "aspectmode": "cube",
            "camera": {"eye": {"x": 1.6, "y": -1.6, "z": 0.9}},
        }
        layout["annotations"].append(
            {
                "text": f"<b>{name}</b>",
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": (x0 + x1) / 2,
                "y": y1,
                "xanchor": "center",
                "yanchor": "top",
                "font": {"size": 13},
            }
        )
    if shared_z:
        layout["coloraxis"] = {
            "colorscale": COLORSCALE,
            "cmin": lo,
            "cmax": hi,
            "colorbar": {"title": {"text": ztitle}, "len": 0.6, "thickness": 14},
        }
    return {
        "data": data,
        "layout": layout,
        "config": {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["toImage"]},
    }


def show(figure: dict, png: bytes | None = None, *, filename: str | None = None, text: str = "") -> None:
    """Display one output carrying the plotly `figure` and, when given, its static `png` (the file `filename`
    of the section's folder: convert links that file instead of extracting another copy). Outside IPython: nothing."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return
    if get_ipython() is None:
        return
    bundle: dict[str, Any] = {MIME: figure, "text/plain": text or "[interactive figure]"}
    metadata: dict[str, Any] = {}
    if png is not None:
        bundle["image/png"] = base64.b64encode(png).decode("ascii")
        if filename:
            metadata["lab_utils"] = {"figure": filename}
    display(bundle, raw=True, metadata=metadata)


def save_surfaces(run, fig, name: str, grids: Mapping[str, tuple[Any, Any, Any]], **figure_kw: Any) -> Path:
    """Save the static matplotlib `fig` as `<run.out_dir>/<name>.png` and show it together with the interactive
    `surfaces_figure(grids, **figure_kw)` as one output (the HTML report draws the interactive one, the Markdown
    report the PNG). Returns the PNG's path (shown as nothing when it is a cell's last value)."""
    from .plotting import _close

    path = Path(run.out_dir) / f"{name}.png"
    fig.savefig(path)
    _close(fig)
    show(surfaces_figure(grids, **figure_kw), path.read_bytes(), filename=path.name, text=f"[figure: {path.name}]")
    return QuietPath(path)


def static_files() -> Sequence[Path]:
    """The JavaScript a report with interactive figures needs (copied to `<reports>/_static/` by convert)."""
    return [STATIC_DIR / PLOTLY_JS]
