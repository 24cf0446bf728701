"""The render pipeline as a user runs it: parameter errors, HTML/Markdown/figures/index, failing notebooks."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from conftest import REPO
from lab_utils import render


@pytest.mark.parametrize("args, message", [
    (["--profile", "huge"], "profile='huge' is not allowed"),
    (["-p", "profile", "huge"], "profile='huge' is not allowed"),
    (["--seed", "x"], "seed='x' is not allowed"),
    (["--only", "99"], "no notebook numbered 99"),
    (["--only", "01", "-p", "n_seeds", "0"], "n_seeds=0 is not allowed"),
    (["--only", "01", "-p", "warp", "9"], "-p warp: no selected notebook has a parameter of that name"),
])
def test_bad_parameters_fail_fast(args, message, tmp_path):
    t0 = time.time()
    p = subprocess.run([sys.executable, "-m", "lab_utils.render", "--out", str(tmp_path), *args],
                       capture_output=True, text=True, cwd=REPO)
    assert p.returncode == 2
    assert message in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert time.time() - t0 < 30
    assert not list(tmp_path.iterdir()), "nothing may run or be written"


def tiny_notebook(path, body):
    nb = new_notebook(cells=[new_code_cell('profile = "quick"\ndevice = "auto"\nseed = 0'), new_code_cell(body)])
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nbformat.write(nb, path)


def test_failing_notebook_is_reported_and_others_go_on(tmp_path, monkeypatch, capsys):
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    tiny_notebook(nbs / "01_bad.ipynb", 'raise RuntimeError("boom")')
    tiny_notebook(nbs / "02_good.ipynb", "print(profile, seed)")
    monkeypatch.setattr(render, "NOTEBOOKS_DIR", nbs)
    out = tmp_path / "out"
    rc = render.main(["--profile", "smoke", "--device", "cpu", "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 1
    assert "FAILED 01_bad: RuntimeError: boom" in err and "02_good" not in err
    assert "boom" in (out / "01_bad.html").read_text()
    assert (out / "02_good.html").exists()
    assert json.loads((out / "02_good" / "render.json").read_text())["status"] == "ok"
    index = (out / "index.md").read_text()
    assert re.search(r"01_bad.*\| failed \|", index) and re.search(r"02_good.*\| ok \|", index)


def test_render_01_smoke_end_to_end(tmp_path):
    p = subprocess.run([sys.executable, "-m", "lab_utils.render", "--profile", "smoke", "--device", "cpu",
                        "--only", "01", "--out", str(tmp_path)], capture_output=True, text=True, cwd=REPO,
                       env={**__import__("os").environ, "LAB_CACHE": str(tmp_path / "cache")})
    assert p.returncode == 0, p.stderr[-2000:]
    name = "01_function_fitting"
    html = (tmp_path / f"{name}.html").read_text()
    assert "<img" in html and "Function fitting" in html
    md = (tmp_path / f"{name}.md").read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", md)
    assert links and all((tmp_path / link).is_file() for link in links)
    metrics = json.loads((tmp_path / name / "metrics.json").read_text())
    assert metrics["profile"] == "smoke"
    assert (tmp_path / name / "fits.png").is_file()
    index = (tmp_path / "index.md").read_text()
    assert f"[{name}]({name}.md) | ok |" in index and "smoke / 0 / cpu" in index
    assert "sinc MSE deep" in index
    assert (tmp_path / "index.html").read_text().count("<tr>") >= 2
