"""Where an execution's outputs live, how they are checked, and how they are put in place.

An execution of `NN_name` in a report folder `root` owns exactly

    root/NN_name.html   root/NN_name.md   root/NN_name/ (figures, metrics.json, render.json)
    root/.executed/NN_name.ipynb (the executed notebook, not part of the report)

`root/NN_name/render.json` is the manifest (`render.manifest`): the execution's key, status, timing and the
sha256 of every other file above; the outputs are complete only when every listed file is there with that
checksum. An execution is staged in `root/.executed/staging/<id>/` (same layout) and
`install`ed by renames in an order that makes any interruption leave either the old complete outputs, or
outputs whose manifest does not match (shown and treated as incomplete, re-executed next time), never a mix
that passes for complete. The old `NN_name/` folder is replaced as a whole, so stale figures never survive.

What an execution needs (`staleness`): nothing (up to date), to be executed (its key changed: the code its
notebook imports, the notebook, the parameters, the data, the requirements), or only to be converted again (the
converter changed, the key did not): the stored executed notebook is converted into a stage and installed like
an execution, without running a cell (`reconvert`).
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock, Timeout

from . import manifest

if TYPE_CHECKING:  # plan imports the sections (torch); a worker process needs none of it
    from .plan import Execution

EXECUTE, CONVERT = "execute", "convert"


def internal_dir(root: Path) -> Path:
    return root / ".executed"


def log_path(root: Path, name: str) -> Path:
    """The installed log of execution `name` in `root`: the worker's output and the kernel's notices."""
    return internal_dir(root) / f"{name}.log"


def new_stage(root: Path) -> Path:
    """A fresh, empty staging folder on the same file system as `root` (so that install is by rename)."""
    stage = internal_dir(root) / "staging" / uuid.uuid4().hex[:12]
    stage.mkdir(parents=True)
    return stage


def clear_leftovers(root: Path) -> None:
    """Remove staging and trash folders left by a render that was killed (call with the render lock held)."""
    for sub in ("staging", "trash"):
        shutil.rmtree(internal_dir(root) / sub, ignore_errors=True)


@dataclass(frozen=True)
class Staleness:
    """What an execution needs: `action` EXECUTE or CONVERT, and why ("new", "changed: code, notebook", ...)."""

    action: str
    reason: str


def staleness(ex: "Execution") -> Staleness | None:
    """None when `ex`'s installed outputs are complete, succeeded, and were made with the same key and the same
    converter (up to date); CONVERT when only the converter changed and the executed notebook is stored; else
    EXECUTE ("new", "failed before", "incomplete", "changed: code, notebook", ...)."""
    m = manifest.read(ex.root, ex.name)
    if not m:
        return Staleness(EXECUTE, "new")
    if not manifest.intact(ex.root, m):
        return Staleness(EXECUTE, "incomplete")
    if m.get("key") != ex.key:
        old = m.get("fingerprint") or {}
        changed = [k for k in ex.fingerprint if old.get(k) != ex.fingerprint[k]] if old else []
        return Staleness(EXECUTE, "changed: " + (", ".join(changed) if changed else "key"))
    if m.get("status") != "ok":
        return Staleness(EXECUTE, "failed before")
    if m.get("converter") != ex.converter:
        if (internal_dir(ex.root) / f"{ex.name}.ipynb").is_file():
            return Staleness(CONVERT, "changed: converter")
        return Staleness(EXECUTE, "changed: converter, no executed notebook stored")
    return None


def reconvert(ex: "Execution") -> dict:
    """Convert `ex`'s stored executed notebook again with the current converter and install the result (figures
    and metrics.json as they are; a new manifest with the old key, timing and the new converter digest). Returns
    the new manifest. Runs no cell."""
    from ..report.convert import convert

    old = manifest.read(ex.root, ex.name) or {}
    stage = new_stage(ex.root)
    shutil.copytree(ex.root / ex.name, stage / ex.name, ignore=shutil.ignore_patterns(manifest.MANIFEST))
    executed = stage / f"{ex.name}.ipynb"
    shutil.copyfile(internal_dir(ex.root) / f"{ex.name}.ipynb", executed)
    t0 = time.time()
    convert(executed, stage)
    info = {k: v for k, v in old.items() if k != "files"}
    info.update(
        converter=ex.converter,
        converted_seconds=round(time.time() - t0, 1),
        converted=time.strftime("%Y-%m-%dT%H:%M:%S"),
    )
    doc = manifest.write(stage, ex.name, info)
    install(stage, ex.root, ex.name)
    return doc


def _replace(src: Path, dst: Path) -> None:
    if src.exists():
        os.replace(src, dst)
    else:
        dst.unlink(missing_ok=True)


def install(stage: Path, root: Path, name: str) -> None:
    """Move a staged execution into `root`. Order: old folder out (the old report is now incomplete), new
    folder in (manifest of the new outputs), Markdown, executed notebook, HTML last (complete)."""
    trash = internal_dir(root) / "trash" / uuid.uuid4().hex[:12]
    trash.mkdir(parents=True)
    root.mkdir(parents=True, exist_ok=True)
    if (root / name).exists():
        os.rename(root / name, trash / name)
    os.rename(stage / name, root / name)
    _replace(stage / f"{name}.md", root / f"{name}.md")
    if (stage / f"{name}.ipynb").exists():
        os.replace(stage / f"{name}.ipynb", internal_dir(root) / f"{name}.ipynb")
    if (stage / f"{name}.log").exists():
        os.replace(stage / f"{name}.log", log_path(root, name))
    _install_shared(stage, root, name)
    _replace(stage / f"{name}.html", root / f"{name}.html")
    shutil.rmtree(trash, ignore_errors=True)
    shutil.rmtree(stage, ignore_errors=True)


OWN = ("{name}.html", "{name}.md", "{name}", "{name}.ipynb", "{name}.log", "job.json")


def _install_shared(stage: Path, root: Path, name: str) -> None:
    """Files the conversion put next to the reports for all sections (e.g. `_static/` scripts of interactive
    figures): copied into `root`, each file replaced atomically; not part of any one section's manifest."""
    own = {p.format(name=name) for p in OWN}
    for top in stage.iterdir():
        if top.name in own:
            continue
        for src in [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file()):
            dst = root / src.relative_to(stage)
            dst.parent.mkdir(parents=True, exist_ok=True)
            tmp = dst.with_name(f".{dst.name}.{uuid.uuid4().hex[:8]}.tmp")
            shutil.copyfile(src, tmp)
            os.replace(tmp, dst)


class Busy(RuntimeError):
    """Another render holds the lock of this output folder."""


def lock(out_dir: Path) -> FileLock:
    """Hold `<out>/.executed/render.lock` for this render (released when the process ends, even by a kill; the
    same `filelock` the tests use). Raises Busy when another render writes to the same folder."""
    folder = internal_dir(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    held = FileLock(folder / "render.lock")
    try:
        held.acquire(timeout=0)
    except Timeout:
        try:
            holder = (folder / "render.pid").read_text().strip() or "?"
        except OSError:
            holder = "?"
        raise Busy(f"another render (pid {holder}) is writing to {out_dir}; wait for it or use --out") from None
    (folder / "render.pid").write_text(str(os.getpid()))
    return held
