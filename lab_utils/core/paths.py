"""Where the lab reads and writes: repository root, report folder, run cache."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def reports_dir() -> Path:
    """Folder that holds one sub-folder per section: `$LAB_REPORTS`, else `<repo>/reports`."""
    return Path(os.environ.get("LAB_REPORTS") or REPO_ROOT / "reports")


def cache_dir() -> Path:
    """Folder of cached trained runs: `$LAB_CACHE`, else `<repo>/.cache/runs` (git-ignored)."""
    return Path(os.environ.get("LAB_CACHE") or REPO_ROOT / ".cache" / "runs")


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    """Write `payload` to `path` so that a crash leaves either the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(payload)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes (read in 1 MiB blocks)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()
