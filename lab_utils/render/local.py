"""The local backend: up to `jobs` executions at once, each in its own process (`python -m
lab_utils.render.execute`), which starts its own kernel. Polled from the main thread, so installing results
and printing progress need no locks."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

from ..core import paths
from . import manifest, outputs
from .plan import Execution

WORKER_RETRIES = 1  # a worker process that died without a manifest (killed, out of memory) is started again


def job_spec(ex: Execution, stage: Path, threads: int, backend: str) -> dict:
    return {
        "notebook": str(ex.notebook),
        "name": ex.name,
        "stage": str(stage),
        "params": ex.params,
        "threads": threads,
        "key": ex.key,
        "converter": ex.converter,
        "fingerprint": ex.fingerprint,
        "backend": backend,
    }


def failed_manifest(stage: Path, ex: Execution, threads: int, backend: str, error: str, seconds: float) -> dict:
    """The manifest of an execution whose worker died before writing one."""
    return manifest.write(
        stage,
        ex.name,
        {
            "key": ex.key,
            "converter": ex.converter,
            "fingerprint": ex.fingerprint,
            "status": "failed",
            "error": error,
            "seconds": round(seconds, 1),
            **ex.params,
            "threads": threads,
            "backend": backend,
            "worker": "",
            "attempts": 0,
        },
    )


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def run_local(
    executions: Sequence[Execution],
    jobs: int,
    threads: int,
    on_start: Callable[[Execution, str], None],
    on_done: Callable[[Execution, Path, dict], None],
) -> None:
    """Run every execution; `on_start(ex, worker)` when its process starts, `on_done(ex, stage, manifest)` when
    it ends (the stage holds its outputs, not yet installed)."""
    queue = [(ex, 0) for ex in executions]
    running: dict[subprocess.Popen, tuple[Execution, Path, float, int]] = {}
    try:
        while queue or running:
            while queue and len(running) < jobs:
                ex, tries = queue.pop(0)
                stage = outputs.new_stage(ex.root)
                spec = stage / "job.json"
                spec.write_text(
                    json.dumps(
                        {**job_spec(ex, stage, threads, f"local/{jobs}"), "driver_pid": os.getpid()}, default=str
                    )
                )
                log = open(stage / f"{ex.name}.log", "ab")  # append: the kernel adds notices (core.notice)
                proc = subprocess.Popen(
                    [sys.executable, "-m", "lab_utils.render.execute", str(spec)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    cwd=paths.REPO_ROOT,
                    start_new_session=True,
                )
                log.close()
                running[proc] = (ex, stage, time.time(), tries)
                on_start(ex, f"local pid {proc.pid}")
            for proc in [p for p in running if p.poll() is not None]:
                ex, stage, t0, tries = running.pop(proc)
                done = manifest.read(stage, ex.name)
                if done is None and tries < WORKER_RETRIES:
                    shutil.rmtree(stage, ignore_errors=True)
                    queue.insert(0, (ex, tries + 1))
                    continue
                if done is None:
                    done = failed_manifest(
                        stage,
                        ex,
                        threads,
                        f"local/{jobs}",
                        f"worker exited with code {proc.returncode} before finishing "
                        f"(log: {outputs.log_path(ex.root, ex.name)})",
                        time.time() - t0,
                    )
                on_done(ex, stage, done)
            time.sleep(0.2)
    finally:
        for proc in running:
            _kill(proc)
