"""The manifest of an execution, `<root>/<NN_name>/render.json`: the renderer's own bookkeeping.

It holds the execution's key, its converter digest, status, timing and the sha256 of every report file of the
execution (`NN_name.html`, `NN_name.md`, everything in `NN_name/` but the manifest). The outputs are complete
only when every listed file is there with that checksum (`intact`). The index (`report.index`) does not read
manifests: the renderer hands it a `report.index.Rendered` per section (`rendered`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from ..core.paths import atomic_write_bytes, sha256_file
from ..report.index import INCOMPLETE, Rendered

MANIFEST = "render.json"


def read(root: Path, name: str) -> dict | None:
    """`<root>/<name>/render.json` as a dict, or None when missing or unreadable."""
    try:
        doc = json.loads((root / name / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def report_files(stage: Path, name: str) -> list[str]:
    """Paths (relative to the report folder) of an execution's report files in `stage`: html, md, folder."""
    rels = [f"{name}.html", f"{name}.md"]
    folder = stage / name
    if folder.is_dir():
        rels += sorted(p.relative_to(stage).as_posix() for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)
    return [r for r in rels if (stage / r).is_file()]


def write(stage: Path, name: str, info: dict[str, Any]) -> dict[str, Any]:
    """Write `stage/<name>/render.json`: `info` plus the sha256 of every report file in `stage`."""
    (stage / name).mkdir(parents=True, exist_ok=True)
    doc = {**info, "files": {rel: sha256_file(stage / rel) for rel in report_files(stage, name)}}
    atomic_write_bytes(stage / name / MANIFEST, (json.dumps(doc, indent=2, default=str) + "\n").encode())
    return doc


def intact(root: Path, manifest: dict) -> bool:
    """Every file the manifest lists (paths relative to `root`) exists with the listed sha256."""
    files = manifest.get("files")
    if not isinstance(files, dict):
        return False
    try:
        return all(sha256_file(root / rel) == digest for rel, digest in files.items())
    except OSError:
        return False


def rendered_one(root: Path, name: str) -> Rendered | None:
    """What the manifest of `name` in `root` says, for the index: None without a manifest; status
    "incomplete" when a listed file is missing or differs."""
    m = read(root, name)
    if m is None:
        return None
    status = INCOMPLETE if "files" in m and not intact(root, m) else str(m.get("status") or INCOMPLETE)
    return Rendered(
        status=status,
        seconds=m.get("seconds"),
        error=str(m.get("error") or ""),
        profile=m.get("profile"),
        seed=m.get("seed"),
        device=m.get("device"),
    )


def rendered(root: Path, names: Sequence[str]) -> dict[str, Rendered | None]:
    """{section: Rendered or None} for every section of `names`, in order."""
    return {n: rendered_one(root, n) for n in names}
