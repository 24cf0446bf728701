"""A notebook run the way students and researchers run it: JupyterLab started headless on a free local port, the
notebook opened in the real JupyterLab page in headless Chromium, its parameters cell edited to the smoke profile,
Run All Cells, then its outputs checked (no error output, every figure shown once and loaded)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from chromium import Chromium, binary
from conftest import REPO

NOTEBOOK = "01_function_fitting"
pytestmark = pytest.mark.skipif(binary() is None, reason="chromium is not installed (.ci/setup.d/30-chromium.sh)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def smoke_copy(src: Path, dest: Path) -> Path:
    """The notebook as a user would set it: its parameters cell says profile "smoke" and device "cpu"."""
    nb = json.loads(src.read_text())
    for cell in nb["cells"]:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            text = "".join(cell["source"]).replace('profile = "quick"', 'profile = "smoke"')
            cell["source"] = text.replace('device = "auto"', 'device = "cpu"')
            assert 'profile = "smoke"' in cell["source"] and 'device = "cpu"' in cell["source"]
    dest.write_text(json.dumps(nb))
    return dest


@pytest.fixture
def jupyterlab(tmp_path):
    """(base URL, token, folder) of a JupyterLab serving `tmp_path`, its kernels writing reports there."""
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "LAB_REPORTS": str(tmp_path / "reports"),
        "LAB_CACHE": str(tmp_path / "cache"),
        "LAB_PROGRESS": "0",
        "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "jupyter-runtime"),
    }
    log = open(tmp_path / "jupyterlab.log", "w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--ServerApp.token={token}",
            f"--ServerApp.root_dir={tmp_path}",
            "--ServerApp.port_retries=0",
            *(["--allow-root"] if os.geteuid() == 0 else []),
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5):
                break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                pytest.fail("JupyterLab did not start:\n" + (tmp_path / "jupyterlab.log").read_text()[-3000:])
            time.sleep(0.5)
    try:
        yield base, token, tmp_path
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


PANEL = (
    "(window.jupyterapp && Array.from(window.jupyterapp.shell.widgets('main'))"
    ".find(w => w.context && w.context.path.endsWith('.ipynb')))"
)
CELLS_JSON = f"JSON.stringify(Array.from(({PANEL}).content.model.cells).map(c => c.toJSON()))"
KERNEL_IDLE = (
    f"(function(){{var p = {PANEL}; var k = p && p.sessionContext.session && p.sessionContext.session.kernel;"
    f" return k && k.status === 'idle' ? k.name : '';}})()"
)


def test_notebook_runs_in_jupyterlab(jupyterlab):
    base, token, folder = jupyterlab
    nb = smoke_copy(REPO / "notebooks" / f"{NOTEBOOK}.ipynb", folder / f"{NOTEBOOK}.ipynb")
    shots = Path(os.environ.get("LAB_SCREENSHOTS", folder))
    with Chromium(width=1400, height=1000, timeout=120) as browser:
        browser.open(f"{base}/lab/tree/{nb.name}?token={token}", settle=1)
        n_cells = len(json.loads(nb.read_text())["cells"])
        opened = f"(function(){{var p = {PANEL}; return !!p && p.context.isReady && p.content.widgets.length;}})()"
        assert browser.wait_for(opened, timeout=180) == n_cells, "JupyterLab did not open the notebook"
        assert browser.wait_for(KERNEL_IDLE, timeout=180) == "python3", "the kernel did not start"
        browser.evaluate(f"window.jupyterapp.shell.activateById(({PANEL}).id)")
        browser.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells'), true")  # resolves when done
        n_code = sum(c["cell_type"] == "code" for c in json.loads(nb.read_text())["cells"])
        done = f"""(function(){{ var cells = JSON.parse({CELLS_JSON}).filter(c => c.cell_type === 'code');
            return cells.length === {n_code} && cells.every(c => c.execution_count !== null) && {KERNEL_IDLE}; }})()"""
        finished = browser.wait_for(done, timeout=540, poll=1)
        cells = [c for c in json.loads(browser.evaluate(CELLS_JSON)) if c["cell_type"] == "code"]
        browser.screenshot(shots / "jupyterlab.png", full_page=False)
        assert finished, "Run All did not finish: " + ", ".join(str(c["execution_count"]) for c in cells)
        outputs = [o for c in cells for o in c.get("outputs", [])]
        errors = [f"{o.get('ename')}: {o.get('evalue')}" for o in outputs if o["output_type"] == "error"]
        assert not errors, errors
        warnings = [o["text"] for o in outputs if o["output_type"] == "stream" and o["name"] == "stderr"]
        assert not warnings, warnings
        figures = [o for o in outputs if "image/png" in o.get("data", {})]
        names = [(o.get("metadata") or {}).get("lab_utils", {}).get("figure") for o in figures]
        assert "fits.png" in names and "mnist_curves.png" in names, names
        assert len(names) == len(set(names)), f"a figure is shown twice: {names}"
        assert not any("PosixPath" in json.dumps(o.get("data", {})) for o in outputs), "an object repr is shown"
        # what the page shows: every figure output drawn as a loaded image
        shown = browser.evaluate(
            "Array.from(document.querySelectorAll('.jp-OutputArea .jp-RenderedImage img'))"
            ".map(i => i.complete && i.naturalWidth > 0)"
        )
        assert shown and all(shown) and len(shown) == len(figures), shown
    assert (folder / "reports" / NOTEBOOK / "metrics.json").exists()
    shutil.rmtree(folder / "cache", ignore_errors=True)
