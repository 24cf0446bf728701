"""The Ray backend: each execution is a Ray task (a fresh worker process per task, `num_gpus=1` for cuda, Ray's
retries when a worker or node dies). The task gets the notebook's bytes, runs the same worker as the local
backend (`python -m lab_utils.render.execute`) in a temporary folder on whatever node Ray picks, and returns the
staged outputs (executed notebook, HTML/Markdown, figures, metrics.json, manifest) as one tar archive, which
the driver unpacks and installs: workers need no shared file system. With `--address` the driver's source tree
is shipped to the cluster (`runtime_env.working_dir`), and a task whose `lab_utils` differs from the driver's
fails instead of rendering under a wrong key.

Ray is optional (`pip install -r requirements-ray.txt`).
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Callable, Sequence

from ..core import paths
from . import manifest, outputs
from .local import failed_manifest, job_spec
from .plan import Execution, source_digest

INSTALL_HINT = "pip install -r requirements-ray.txt (in .venv: source .venv/bin/activate first)"
TASK_RETRIES = 3  # Ray re-runs a task whose worker process or node died
INIT_ATTEMPTS = 3  # a local Ray instance can fail to start on a loaded machine (agent start-up timeout)
SHIP_EXCLUDES = [
    ".git",
    ".venv",
    ".cache",
    "reports",
    "*.egg-info",
    "**/__pycache__",
    ".pytest_cache",
    "benchmarks/results",
]


def available() -> bool:
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def _pack(folder: Path) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=1) as tar:
        for p in sorted(folder.iterdir()):
            if p.name != "job.json":
                tar.add(p, arcname=p.name)
    return buf.getvalue()


def _unpack(payload: bytes, folder: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(payload), mode="r:gz") as tar:
        tar.extractall(folder, filter="data")


def task(job: dict, notebook: bytes, source: str) -> bytes:
    """Body of the Ray task, on a worker node: execute `job` in a temporary folder, return its outputs."""
    repo = paths.REPO_ROOT  # the tree this worker imported lab_utils from (shipped, or its own checkout)
    with tempfile.TemporaryDirectory(prefix="lab-ray-") as tmp:
        nb = Path(tmp) / "notebooks" / f"{job['name']}.ipynb"
        nb.parent.mkdir()
        nb.write_bytes(notebook)
        stage = Path(tmp) / "stage"
        stage.mkdir()
        job = {**job, "notebook": str(nb), "stage": str(stage)}
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(repo), os.environ.get("PYTHONPATH")]))}
        hint = job.get("data_hint")
        if hint and not os.environ.get("LAB_DATA") and Path(hint).is_dir():
            env["LAB_DATA"] = hint
        if source_digest(repo / "lab_utils") != source:
            from .manifest import write

            write(
                stage,
                job["name"],
                {
                    "key": job["key"],
                    "status": "failed",
                    "seconds": 0.0,
                    **job["params"],
                    "threads": job["threads"],
                    "backend": job["backend"],
                    "worker": os.uname().nodename,
                    "attempts": 0,
                    "error": f"worker {os.uname().nodename} has another lab_utils source than the driver ({repo})",
                },
            )
            return _pack(stage)
        spec = stage / "job.json"
        import json

        spec.write_text(json.dumps({**job, "driver_pid": os.getpid()}, default=str))
        with open(stage / f"{job['name']}.log", "ab") as log:  # append: the kernel adds notices
            subprocess.run(
                [sys.executable, "-m", "lab_utils.render.execute", str(spec)],
                env=env,
                cwd=tmp,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        return _pack(stage)


def _descendants(pid: int) -> list[int]:
    """Every process below `pid` (Linux /proc), e.g. the GCS, raylet and agents a local Ray instance started."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


@contextlib.contextmanager
def _start_priority():
    """Start a local Ray instance at a raised CPU priority, then put its processes back to ours. On a loaded
    machine Ray's agents can take longer than the raylet's fixed 15 s to start (ray-project/ray#65983), which
    fails the start; the priority needs root (elsewhere it is a no-op)."""
    old = os.getpriority(os.PRIO_PROCESS, 0)
    try:
        os.setpriority(os.PRIO_PROCESS, 0, old - 10)
    except OSError:
        yield
        return
    try:
        yield
    finally:
        os.setpriority(os.PRIO_PROCESS, 0, old)
        for pid in _descendants(os.getpid()):
            try:
                os.setpriority(os.PRIO_PROCESS, pid, old)
            except OSError:
                pass


def _init(address: str | None, num_cpus: int | None) -> None:
    import ray

    address = address or os.environ.get("RAY_ADDRESS") or None
    kwargs = dict(log_to_driver=False, configure_logging=True, logging_level="warning")
    if address:
        kwargs["runtime_env"] = {"working_dir": str(paths.REPO_ROOT), "excludes": SHIP_EXCLUDES}
        ray.init(address=address, **kwargs)
        return
    for attempt in range(1, INIT_ATTEMPTS + 1):
        try:
            with _start_priority():
                ray.init(
                    num_cpus=num_cpus or int(os.environ.get("LAB_RAY_NUM_CPUS") or os.cpu_count() or 1),
                    include_dashboard=False,
                    **kwargs,
                )
            return
        except Exception as exc:
            ray.shutdown()
            if attempt == INIT_ATTEMPTS:
                raise RuntimeError(f"a local Ray instance did not start in {attempt} attempts: {exc}") from exc
            print(f"ray: local instance did not start ({type(exc).__name__}), retrying", file=sys.stderr)


def cluster_has_gpus(address: str | None) -> bool:
    """Whether the Ray cluster (started or joined here) has a GPU; used to resolve --device auto."""
    import ray

    if not ray.is_initialized():
        _init(address, None)
    return ray.cluster_resources().get("GPU", 0) > 0


def run_ray(
    executions: Sequence[Execution],
    threads: int,
    address: str | None,
    jobs: int | None,
    on_start: Callable[[Execution, str], None],
    on_done: Callable[[Execution, Path, dict], None],
) -> None:
    """Submit every execution as a Ray task, at most `jobs` (default: what the cluster's CPUs or GPUs hold) at
    a time, and hand each result to `on_done` as it arrives."""
    import ray

    if not ray.is_initialized():
        _init(address, None)
    source = source_digest()
    data_hint = next((str(d) for d in paths_with_data()), None)
    try:
        resources = ray.cluster_resources()
        pending = list(executions)
        in_flight: dict = {}
        while pending or in_flight:
            while pending:
                ex = pending[0]
                gpu = ex.params["device"].startswith("cuda")
                cap = jobs or max(1, int(resources.get("GPU", 0)) if gpu else int(resources.get("CPU", 1)) // threads)
                if len(in_flight) >= cap:
                    break
                pending.pop(0)
                remote = ray.remote(task).options(
                    num_cpus=threads, num_gpus=1 if gpu else 0, max_retries=TASK_RETRIES, name=ex.label
                )
                spec = {**job_spec(ex, Path("."), threads, "ray"), "data_hint": data_hint}
                ref = remote.remote(spec, ex.notebook.read_bytes(), source)
                in_flight[ref] = (ex, time.time())
                on_start(ex, "ray" + (" gpu" if gpu else f" {threads} cpu"))
            done, _ = ray.wait(list(in_flight), num_returns=1, timeout=1.0)
            for ref in done:
                ex, t0 = in_flight.pop(ref)
                stage = outputs.new_stage(ex.root)
                try:
                    _unpack(ray.get(ref), stage)
                    record = manifest.read(stage, ex.name)
                    if record is None:
                        raise RuntimeError("the task returned no manifest")
                except Exception as exc:  # the task failed after Ray's retries, or returned nothing usable
                    err = (str(exc).strip().splitlines() or [type(exc).__name__])[-1][:300]
                    record = failed_manifest(stage, ex, threads, "ray", f"ray task failed: {err}", time.time() - t0)
                on_done(ex, stage, record)
    finally:
        for ref in list(locals().get("in_flight", {})):
            ray.cancel(ref, force=True)
        ray.shutdown()


def paths_with_data() -> list[Path]:
    """The driver's data folders that hold a dataset (passed to workers as a hint for LAB_DATA)."""
    from ..core import data

    return [d for d in data.data_dirs() if any((d / f"{n}.npz").is_file() for n in data.STATS)]
