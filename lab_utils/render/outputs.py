"""Where an execution's outputs live, how they are checked, and how they are put in place.

An execution of `NN_name` in a report folder `root` owns exactly

    root/NN_name.html   root/NN_name.md   root/NN_name/ (figures, metrics.json, render.json)
    root/.executed/NN_name.ipynb (the executed notebook, not part of the report)

`root/NN_name/render.json` is the manifest: the execution's key, status, timing and the sha256 of every other
file above; the outputs are complete only when every listed file is there with that checksum
(`report.index.outputs_intact`). An execution is staged in `root/.executed/staging/<id>/` (same layout) and
`install`ed by renames in an order that makes any interruption leave either the old complete outputs, or
outputs whose manifest does not match (shown and treated as incomplete, re-executed next time), never a mix
that passes for complete. The old `NN_name/` folder is replaced as a whole, so stale figures never survive.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..core.paths import atomic_write_bytes
from ..report.index import outputs_intact, read_manifest, sha256_file

if TYPE_CHECKING:  # plan imports the sections (torch); a worker process needs none of it
    from .plan import Execution

MANIFEST = "render.json"


def internal_dir(root: Path) -> Path:
    return root / ".executed"


def new_stage(root: Path) -> Path:
    """A fresh, empty staging folder on the same file system as `root` (so that install is by rename)."""
    stage = internal_dir(root) / "staging" / uuid.uuid4().hex[:12]
    stage.mkdir(parents=True)
    return stage


def clear_leftovers(root: Path) -> None:
    """Remove staging and trash folders left by a render that was killed (call with the render lock held)."""
    for sub in ("staging", "trash"):
        shutil.rmtree(internal_dir(root) / sub, ignore_errors=True)


def report_files(stage: Path, name: str) -> list[str]:
    """Paths (relative to the report folder) of an execution's report files in `stage`: html, md, folder."""
    rels = [f"{name}.html", f"{name}.md"]
    folder = stage / name
    if folder.is_dir():
        rels += sorted(p.relative_to(stage).as_posix() for p in folder.rglob("*")
                       if p.is_file() and p.name != MANIFEST)
    return [r for r in rels if (stage / r).is_file()]


def write_manifest(stage: Path, name: str, info: dict[str, Any]) -> dict[str, Any]:
    """Write `stage/<name>/render.json`: `info` plus the sha256 of every report file in `stage`."""
    (stage / name).mkdir(parents=True, exist_ok=True)
    doc = {**info, "files": {rel: sha256_file(stage / rel) for rel in report_files(stage, name)}}
    atomic_write_bytes(stage / name / MANIFEST, (json.dumps(doc, indent=2, default=str) + "\n").encode())
    return doc


def stale_reason(ex: "Execution") -> str | None:
    """Why `ex` must run ("new", "failed before", "incomplete", "changed: source, notebook", ...), or None when
    its installed outputs are complete, succeeded, and were made with the same key (up to date)."""
    m = read_manifest(ex.root, ex.name)
    if not m:
        return "new"
    if not outputs_intact(ex.root, ex.name, m):
        return "incomplete"
    if m.get("key") != ex.key:
        old = m.get("fingerprint") or {}
        changed = [k for k in ex.fingerprint if old.get(k) != ex.fingerprint[k]] if old else []
        return "changed: " + (", ".join(changed) if changed else "key")
    if m.get("status") != "ok":
        return "failed before"
    return None


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
        os.replace(stage / f"{name}.log", internal_dir(root) / f"{name}.log")
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


def lock(out_dir: Path) -> IO:
    """Hold `<out>/.executed/render.lock` for this render (released when the process ends, even by a kill).
    Raises Busy when another render writes to the same folder."""
    path = internal_dir(out_dir) / "render.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    f = open(path, "a+")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.seek(0)
        holder = f.read().strip() or "?"
        f.close()
        raise Busy(f"another render (pid {holder}) is writing to {out_dir}; wait for it or use --out") from None
    f.seek(0)
    f.truncate()
    f.write(str(os.getpid()))
    f.flush()
    return f
