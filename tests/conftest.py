"""Shared fixtures. `smoke_run(name)` executes notebooks/<name>.ipynb once per test run in the smoke profile
(reports and cache in a temporary folder shared by the xdist workers) and returns its metrics and output folder."""

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
        pm.execute_notebook(
            str(nb), str(executed), parameters=parameters, kernel_name="python3", progress_bar=False, cwd=str(nb.parent)
        )
        return executed
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _split_threads() -> None:
    """Under pytest-xdist (./test.sh runs one worker per core) each worker and the kernels it starts get an equal
    share of the cores' torch threads: two workers with two threads each on two cores run 5-10x slower."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 0)
    if workers > 1 and not os.environ.get("LAB_THREADS"):
        import torch

        from lab_utils.render.plan import threads_per_job  # the render's own split of $LAB_THREADS / the cores

        threads = threads_per_job(workers)
        os.environ.update(LAB_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
        torch.set_num_threads(threads)


_split_threads()


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """Executes each notebook once per test run, shared by all xdist workers: the first worker that asks runs it
    (under a file lock) into a folder beside the workers' own temporary folders, the others read its metrics."""
    from filelock import FileLock

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by every worker of this run
    root = root / "smoke"
    root.mkdir(exist_ok=True)

    def run(name: str) -> tuple[dict, Path]:
        out, section_dir = root / name, root / name / name
        failed = root / f"{name}.failed"
        with FileLock(str(root / f"{name}.lock")):
            if not (section_dir / "metrics.json").is_file() and not failed.is_file():
                out.mkdir(exist_ok=True)
                try:
                    execute(
                        REPO / "notebooks" / f"{name}.ipynb",
                        out,
                        root / "cache",
                        {"profile": "smoke", "device": "cpu", "seed": 0},
                    )
                except Exception as e:  # every test of this notebook reports it; none executes it again
                    failed.write_text(f"{type(e).__name__}: {e}")
                    raise
        if failed.is_file():
            pytest.fail(f"the smoke execution of {name} failed: {failed.read_text()[-2000:]}")
        return json.loads((section_dir / "metrics.json").read_text()), section_dir

    return run
