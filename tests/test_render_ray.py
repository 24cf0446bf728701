"""The Ray backend on a local Ray instance (2 CPUs, no dashboard): two smoke executions of section 01 (base seeds 0
and 1) come back to the driver with the same metrics as the local backend's. Needs the extra
requirements-ray.txt (CI installs it in .ci/setup.d/20-ray.sh); skipped without it outside CI."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import REPO

if os.environ.get("CI") != "true":
    pytest.importorskip("ray")

TIMING_KEYS = {"elapsed_s", "seconds", "wall_s"}


def without_timings(obj):
    if isinstance(obj, dict):
        return {k: without_timings(v) for k, v in obj.items() if k not in TIMING_KEYS}
    if isinstance(obj, list):
        return [without_timings(v) for v in obj]
    return obj


def render(tmp_path, name, *args):
    env = {**os.environ, "LAB_THREADS": "1", "LAB_RAY_NUM_CPUS": "2", "LAB_CACHE": str(tmp_path / f"cache-{name}")}
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "lab_utils.render",
            "--profile",
            "smoke",
            "--device",
            "cpu",
            "--only",
            "01",
            "--seeds",
            "0,1",
            "--out",
            str(tmp_path / name),
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=1800,
    )
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    return p.stdout


def test_ray_backend_matches_local_backend(tmp_path):
    out = render(tmp_path, "ray", "--backend", "ray")
    assert "summary: 2 executed, 0 converted, 0 up to date, 0 failed (ray" in out
    render(tmp_path, "local", "--jobs", "2")
    name = "01_function_fitting"
    for seed in (0, 1):
        a, b = (tmp_path / d / "seeds" / str(seed) / name for d in ("ray", "local"))
        man = json.loads((a / "render.json").read_text())
        assert man["backend"] == "ray" and man["status"] == "ok" and man["threads"] == 1
        assert (a.parent / f"{name}.html").is_file() and list(a.glob("*.png"))
        assert (a.parent / ".executed" / f"{name}.ipynb").is_file()
        ma, mb = (json.loads((d / "metrics.json").read_text()) for d in (a, b))
        assert ma["seed"] == seed
        assert without_timings(ma) == without_timings(mb)
    assert "(n = 2)" in (tmp_path / "ray" / "seeds" / "index.md").read_text()
