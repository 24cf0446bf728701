"""Shared fixtures. `smoke_run(name)` executes notebooks/<name>.ipynb once per test session in the smoke
profile (reports and cache in a temporary folder) and returns its metrics and output folder."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def execute(nb: Path, out_dir: Path, cache_dir: Path, parameters: dict) -> Path:
    """papermill-execute `nb` with LAB_REPORTS/LAB_CACHE pointing at temporary folders; returns the executed copy."""
    import papermill as pm

    saved = {k: os.environ.get(k) for k in ("LAB_REPORTS", "LAB_CACHE", "LAB_PROGRESS")}
    os.environ.update(LAB_REPORTS=str(out_dir), LAB_CACHE=str(cache_dir), LAB_PROGRESS="0")
    try:
        executed = out_dir / nb.name
        pm.execute_notebook(str(nb), str(executed), parameters=parameters, kernel_name="python3",
                            progress_bar=False, cwd=str(nb.parent))
        return executed
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    done: dict[str, tuple[dict, Path]] = {}
    cache_dir = tmp_path_factory.mktemp("cache")

    def run(name: str) -> tuple[dict, Path]:
        if name not in done:
            out = tmp_path_factory.mktemp(name)
            execute(REPO / "notebooks" / f"{name}.ipynb", out, cache_dir, {"profile": "smoke", "device": "cpu", "seed": 0})
            section_dir = out / name
            done[name] = (json.loads((section_dir / "metrics.json").read_text()), section_dir)
        return done[name]

    return run
