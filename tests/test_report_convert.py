"""report.convert on a small notebook that uses every kind of output a section makes (seconds, no training):
the HTML and Markdown read like a paper (parameters table, folded code, no prompts/reprs/warnings, one file per
figure, clean tables, no machine paths), stale figures go, interactive figures ship their JavaScript once."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from conftest import REPO, execute
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from lab_utils.report import convert as cv
from lab_utils.report import interactive

NAME = "98_demo"

CELLS = [
    (
        "md",
        "# 98 · Demo: a report that reads like a paper\n\nIntro with math $y = \\sin(5\\pi x)/(5\\pi x)$ and "
        "$\\lambda_\\max$.\n\n$$\\theta(\\alpha) = (1-\\alpha)\\,\\theta_1 + \\alpha\\,\\theta_2$$",
    ),
    ("params", 'profile = "quick"\ndevice = "auto"\nseed = 0\nwidth = None'),
    (
        "code",
        "import dataclasses, types, time, warnings\nfrom pathlib import Path\nimport numpy as np\n"
        "import matplotlib.pyplot as plt\nfrom IPython.display import Markdown, display\n"
        "from lab_utils import report\nfrom lab_utils.core import session\n"
        "from lab_utils.report import plotting, interactive\n"
        "@dataclasses.dataclass(frozen=True)\nclass Demo:\n    width: int = 8\n    sizes: tuple = (1, 2)\n"
        "    lr: float = 0.001\n"
        "run = session.start('98_demo', {p: Demo() for p in ('smoke', 'quick', 'full')}, profile=profile,\n"
        "                    device=device, seed=seed, on_start=plotting.set_theme, width=width)\n"
        "cfg = run.cfg\ncfg",
    ),
    ("md", "## 1 · Figures\n\nA saved figure, an inline one and an interactive one."),
    ("code", "fig, ax = plt.subplots()\nax.plot([0, 1], [0, 1])\nplotting.save_fig(run, fig, 'line')"),
    ("code", "fig, ax = plt.subplots()\nax.plot([0, 1], [1, 0]);"),
    (
        "code",
        "c = np.linspace(-1, 1, 5)\nA, B = np.meshgrid(c, c, indexing='ij')\n"
        "grids = {'plain': (c, c, np.exp(A**2 + 2 * B**2)), 'skip': (c, c, np.exp(A**2 + B**2 + 1))}\n"
        "fig = plt.figure()\nax = fig.add_subplot(projection='3d')\nax.plot_surface(A, B, grids['plain'][2])\n"
        "interactive.save_surfaces(run, fig, 'surfaces', grids, xlabel='α', ylabel='β', zlabel='loss', "
        "log_z=True)",
    ),
    ("md", "## 2 · Tables and text"),
    (
        "code",
        "report.table([{'name': 'a', 'n_params': 1200, 'acc': 0.5}, {'name': 'b|c', 'n_params': 3, 'acc': None}])",
    ),
    ("code", "import pandas as pd\npd.DataFrame({'variant': ['x', 'y'], 'λ': [1.5, 2.0]}).set_index('variant')"),
    (
        "code",
        "print('trained in', 3, 'epochs')\nprint('written to', run.out_dir / 'x.npz')\n"
        "display(Markdown('| claim | verdict |\\n|---|---|\\n| deep fits better | **holds** |'))",
    ),
    ("code", "report.write_metrics(run, {'headline': {'acc': 0.5}})"),
]


def demo_notebook(path: Path, extra: list[str] = ()) -> Path:
    cells = []
    for kind, src in CELLS:
        if kind == "md":
            cells.append(new_markdown_cell(src))
        else:
            cells.append(new_code_cell(src))
            if kind == "params":
                cells[-1].metadata["tags"] = ["parameters"]
    cells += [new_code_cell(src) for src in extra]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The demo notebook executed (smoke, width=12 set as a knob) and converted, with a stale figure planted."""
    root = tmp_path_factory.mktemp("demo")
    out = root / "reports"
    (out / NAME).mkdir(parents=True)
    (out / NAME / "stale_old_figure.png").write_bytes(b"\x89PNG old")
    nb = demo_notebook(root / f"{NAME}.ipynb")
    executed = execute(nb, out, root / "cache", {"profile": "smoke", "device": "cpu", "seed": 0, "width": 12})
    cv.convert(executed, out)
    return out, (out / f"{NAME}.html").read_text(), (out / f"{NAME}.md").read_text()


def test_parameters_table_replaces_the_parameter_cells(rendered):
    _, page, md = rendered
    assert 'class="run"' in page and "injected" not in page.lower() and "# Parameters" not in page
    for text in (page, md):
        assert "smoke" in text and "width" in text and "(1, 2)" in text and "0.001" in text
        assert "./render.sh --only 98 --profile smoke --seed 0 --device cpu -p width 12" in text
    assert '<td class="v set">12</td>' in page and "| width | **12** |" in md
    assert 'profile = "quick"' not in page and 'profile = "quick"' not in md


def test_code_folded_no_prompts_no_reprs(rendered):
    _, page, md = rendered
    assert page.count('<details class="code">') >= 5 and "<summary>code</summary>" in md
    assert "save_fig" in page  # the code is there, folded
    for text in (page, md):
        assert not re.search(r"In&nbsp;\[|In \[\d*\]|Out\[\d*\]", text)
        assert "PosixPath" not in text and "Demo(width" not in text and "<Figure size" not in text
        assert "<style" not in text.split("</head>")[-1]  # no pandas <style> blocks in the body
        assert "Warning" not in text


def test_no_machine_paths(rendered):
    out, page, md = rendered
    for text in (page, md):
        assert str(REPO) not in text and str(out) not in text and str(out.parent) not in text
        assert not re.search(r"(?<![\w.])/(home|root|tmp|work|Users)/", text), re.findall(
            r"/(?:tmp|work|root)/\S+", text
        )
    assert "written to reports/98_demo/x.npz" in page


def test_one_file_per_figure_referenced_once_and_stale_removed(rendered):
    out, page, md = rendered
    files = sorted(p.name for p in (out / NAME).glob("*.png"))
    assert "stale_old_figure.png" not in files
    assert "line.png" in files and "surfaces.png" in files and len(files) == 3, files
    for f in files:
        assert page.count(f"{NAME}/{f}") == 1, f
        assert md.count(f"]({NAME}/{f})") == 1, f
    assert "data:image/png;base64" not in page  # linked, not embedded a second time
    for link in re.findall(r"\]\(([^)#]+)\)", md) + re.findall(r'(?:src|href)="([^"#]+)"', page):
        if not link.startswith(("http:", "https:", "index.")):
            assert (out / link).exists(), link


def test_tables_are_plain_tables(rendered):
    _, page, md = rendered
    assert "| name | n_params | acc |" in md and "|---|---:|---:|" in md and "| b\\|c | 3 | – |" in md
    assert "| variant | λ |" in md  # the pandas index name became the first header
    assert '<td class="num">1,200</td>' in page
    assert "| claim | verdict |" in md and "<strong>holds</strong>" in page


def test_math_is_mathml_and_nothing_is_fetched(rendered):
    _, page, md = rendered
    assert "<math" in page and 'display="block"' in page and "$" not in page.split("<body>")[1].split("<script")[0]
    assert "$\\lambda_\\max$" in md
    assert not re.search(r"""(src|href)=["']https?:""", page), "a page must not load anything from the internet"


def test_interactive_figure_ships_its_javascript_once(rendered):
    out, page, md = rendered
    js = out / "_static" / interactive.PLOTLY_JS
    assert js.exists() and js.stat().st_size > 1_000_000
    assert page.count(f'src="_static/{interactive.PLOTLY_JS}"') == 1
    spec = json.loads(re.search(r'id="lab-plotly-1-json">(.*?)</script>', page, re.S).group(1))
    assert [t["type"] for t in spec["data"]] == ["surface", "surface"]
    assert spec["layout"]["scene2"]["zaxis"]["range"] == spec["layout"]["scene"]["zaxis"]["range"]
    assert "interactive 3-D version" in md and f"]({NAME}/surfaces.png)" in md


def test_rerender_keeps_only_what_it_makes(rendered, tmp_path):
    """Converting again after a figure is gone removes its file."""
    import shutil

    out = tmp_path / "reports"
    shutil.copytree(rendered[0], out)
    nb = nbformat.read(out / f"{NAME}.ipynb", as_version=4)
    for c in nb.cells:  # drop the interactive figure's output
        if "save_surfaces" in c.source:
            c.outputs = []
    again = tmp_path / "again" / f"{NAME}.ipynb"
    again.parent.mkdir()
    nbformat.write(nb, again)
    cv.convert(again, out)
    assert not (out / NAME / "surfaces.png").exists() and (out / NAME / "line.png").exists()


def test_failing_notebook_shows_its_traceback_with_short_paths(tmp_path):
    import papermill as pm

    nb = demo_notebook(
        tmp_path / f"{NAME}.ipynb",
        extra=["from lab_utils.core import paths\nraise RuntimeError(f'boom in {paths.REPO_ROOT}/x')"],
    )
    out = tmp_path / "reports"
    out.mkdir()
    with pytest.raises(pm.PapermillExecutionError):
        execute(nb, out, tmp_path / "cache", {"profile": "smoke", "device": "cpu", "seed": 0})
    cv.convert(out / f"{NAME}.ipynb", out)
    page, md = (out / f"{NAME}.html").read_text(), (out / f"{NAME}.md").read_text()
    assert 'class="error"' in page and "RuntimeError" in page and "boom in x" in md
    assert '<td class="v failed"><a href="#error">failed</a></td>' in page and "| status | **failed** |" in md
    assert str(REPO) not in page and str(tmp_path) not in page
    assert "papermill-error-cell" not in page and "In [" not in page and "In [" not in md
    assert 'href="#error"' in page and 'id="error"' in page


def test_scrub_paths():
    repl = [("/work/main/.venv/lib/python3.11/site-packages", "site-packages"), ("/work/main", ".")]
    assert cv.scrub("File /work/main/lab_utils/a.py, line 3", repl) == "File lab_utils/a.py, line 3"
    assert cv.scrub("/work/main/.venv/lib/python3.11/site-packages/torch/x.py", repl) == "site-packages/torch/x.py"
    assert cv.scrub("see /tmp/pytest-7/r/01/fits.png", []) == "see …/fits.png"
    assert cv.scrub("https://example.org/home/x and 1/tmp/2", []) == "https://example.org/home/x and 1/tmp/2"


def test_html_table_from_pandas():
    import pandas as pd

    t = cv.html_table(pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}).to_html())
    assert t.header == ["a", "b"] and t.rows == [["1", "x"], ["2", "y"]] and t.numeric == [True, False]
    t = cv.html_table(pd.DataFrame({"v": ["p", "q"], "x": [0.5, 1.0]}).set_index("v").to_html())
    assert t.header == ["v", "x"] and t.rows[0] == ["p", "0.5"]


def test_surfaces_figure_shapes_and_gaps():
    import numpy as np

    x, y = np.linspace(-1, 1, 3), np.linspace(0, 1, 2)
    z = np.array([[1.0, 2.0], [np.nan, 4.0], [5.0, np.inf]])
    fig = interactive.surfaces_figure({"a": (x, y, z)}, log_z=False)
    tr = fig["data"][0]
    assert tr["z"] == [[1.0, None, 5.0], [2.0, 4.0, None]]  # plotly's z[row][col] is at (x[col], y[row])
    assert fig["layout"]["coloraxis"]["cmin"] == 1.0 and fig["layout"]["coloraxis"]["cmax"] == 5.0
    with pytest.raises(ValueError, match="shape"):
        interactive.surfaces_figure({"a": (x, y, z.T)})
    json.dumps(fig, allow_nan=False)
