"""Execute one notebook into a staging folder: the work of one execution, in its own process.

    python -m lab_utils.render.execute JOB.json      (what the local and the Ray backends start)

JOB.json holds {notebook, name, stage, params, threads, key, converter, backend}. The notebook writes its figures
and metrics.json to `<stage>/<name>/` (LAB_REPORTS=<stage>) and its notices to `<stage>/<name>.log` (LAB_LOG);
the executed copy goes to `<stage>/<name>.ipynb`, is converted to `<stage>/<name>.html` / `.md`, and the
manifest `<stage>/<name>/render.json` is written last.

Kernel start-up, the known weak spot of parallel papermill runs (papermill #511: ZMQ "Address already in use" when
two kernels pick the same free TCP port; papermill #239 / #776: "Kernel didn't respond in 60 seconds" under load),
is made robust in two ways: kernels talk over unix sockets in a private folder (transport "ipc", no ports to
race for), and a failure before the first cell ran is retried with a fresh kernel (up to START_ATTEMPTS times,
each with START_TIMEOUT_S). A failure inside a cell is the notebook's own and is not retried.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

START_ATTEMPTS = int(os.environ.get("LAB_KERNEL_START_ATTEMPTS") or 4)
START_TIMEOUT_S = int(os.environ.get("LAB_KERNEL_START_TIMEOUT") or 120)


class StartupFailure(RuntimeError):
    """The kernel did not start or did not answer before any cell ran."""


def _kernel_manager_class():
    """A KernelManager whose kernel listens on unix sockets in its own short-lived folder (no TCP ports)."""
    from jupyter_client.manager import KernelManager

    if os.name != "posix":
        return KernelManager

    class IPCKernelManager(KernelManager):
        def __init__(self, *args, **kwargs):
            folder = tempfile.mkdtemp(prefix="lab-k-")  # short path: unix socket names are limited to ~100 bytes
            kwargs.update(transport="ipc", connection_file=os.path.join(folder, "kernel.json"))
            super().__init__(*args, **kwargs)
            self._lab_folder = folder

        def cleanup_resources(self, restart: bool = False) -> None:
            super().cleanup_resources(restart=restart)
            if not restart:
                shutil.rmtree(self._lab_folder, ignore_errors=True)

    return IPCKernelManager


def _cells_started(executed: Path) -> bool:
    """Whether any code cell of the (partially) executed notebook began to run."""
    import nbformat

    try:
        nb = nbformat.read(executed, as_version=4)
    except Exception:
        return False
    return any(
        c.cell_type == "code" and (c.metadata.get("papermill", {}).get("start_time") or c.get("execution_count"))
        for c in nb.cells
    )


def _one_line(exc: BaseException) -> str:
    text = f"{getattr(exc, 'ename', None) or type(exc).__name__}: {getattr(exc, 'evalue', None) or exc}"
    return (text.strip().splitlines() or [type(exc).__name__])[0][:300]


def run_papermill(notebook: Path, executed: Path, params: dict[str, Any], log=print) -> int:
    """papermill-execute `notebook` into `executed`, retrying start-up failures; returns the attempts used.
    Raises the notebook's own error (PapermillExecutionError, DeadKernelError, ...) or StartupFailure."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    for attempt in range(1, START_ATTEMPTS + 1):
        executed.unlink(missing_ok=True)
        try:
            pm.execute_notebook(
                str(notebook),
                str(executed),
                parameters=params,
                kernel_name="python3",
                progress_bar=False,
                log_output=False,
                cwd=str(notebook.parent),
                start_timeout=START_TIMEOUT_S,
                kernel_manager_class=_kernel_manager_class(),
                extra_arguments=["--HistoryManager.enabled=False"],
            )
            return attempt
        except PapermillExecutionError:
            raise
        except Exception as exc:
            if _cells_started(executed):
                raise
            log(f"kernel start-up failed (attempt {attempt}/{START_ATTEMPTS}): {_one_line(exc)}")
            if attempt == START_ATTEMPTS:
                raise StartupFailure(f"kernel did not start after {attempt} attempts: {_one_line(exc)}") from exc
            time.sleep(min(2.0 * attempt, 10.0))
    raise AssertionError("unreachable")


def run_job(job: dict[str, Any], log=print) -> dict[str, Any]:
    """Execute `job` into its stage folder; returns the manifest. Never raises for a notebook failure."""
    from ..report.convert import convert
    from . import manifest

    name, stage = job["name"], Path(job["stage"])
    notebook = Path(job["notebook"])
    executed = stage / f"{name}.ipynb"
    (stage / name).mkdir(parents=True, exist_ok=True)
    threads = str(job["threads"])
    os.environ.update(
        LAB_REPORTS=str(stage),
        LAB_LOG=str(stage / f"{name}.log"),
        LAB_PROGRESS="0",
        LAB_THREADS=threads,
        OMP_NUM_THREADS=threads,
        MKL_NUM_THREADS=threads,
        OPENBLAS_NUM_THREADS=threads,
    )
    t0 = time.time()
    status, error, attempts = "ok", "", 0
    try:
        attempts = run_papermill(notebook, executed, job["params"], log)
    except Exception as exc:  # the notebook's error, a dead kernel, a kernel that never started
        status, error = "failed", _one_line(exc)
        attempts = START_ATTEMPTS if isinstance(exc, StartupFailure) else attempts
    seconds = time.time() - t0
    if executed.exists():
        try:
            convert(executed, stage)
        except Exception as exc:
            status, error = "failed", error or f"conversion failed: {_one_line(exc)}"
    info = {
        "key": job["key"],
        "converter": job.get("converter"),
        "status": status,
        "error": error,
        "seconds": round(seconds, 1),
        **job["params"],
        "threads": job["threads"],
        "backend": job.get("backend", "local"),
        "worker": f"{socket.gethostname()}:{os.getpid()}",
        "attempts": attempts,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "fingerprint": job.get("fingerprint", {}),
    }
    return manifest.write(stage, name, info)


def _exit_with_parent(parent: int | None) -> None:
    """End this process (and so its kernel, which polls its parent) when the renderer `parent` that started it
    is gone, at once if it already is (a render killed while this process was starting)."""
    if not parent:
        return
    if os.getppid() != parent:
        os._exit(3)

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(3)

    threading.Thread(target=watch, daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    job = json.loads(Path(argv[0]).read_text())
    _exit_with_parent(job.get("driver_pid"))

    def log(msg: str) -> None:
        print(f"[{job['name']} seed {job['params'].get('seed')}] {msg}", file=sys.stderr, flush=True)

    manifest = run_job(job, log)
    return 0 if manifest["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
