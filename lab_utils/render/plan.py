"""What a render will execute: one `Execution` per (notebook, base seed), with its folder and its key.

The key of an execution is a hash of everything that determines its outputs: the notebook's bytes, the source of
`lab_utils` (every .py file), requirements.txt, the resolved parameters (profile, device type, base seed, the
section's knobs and its resolved profile settings) and the checksums of the data files. An execution whose
installed outputs are complete and carry the same key is up to date and is skipped (`outputs.stale_reason`).
Thread counts are not part of the key: they change numbers in the last digits only (see README).
"""
from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from .. import sections
from ..core import data, paths, session
from ..report.index import sha256_file


@dataclass(frozen=True)
class Execution:
    """One notebook run for one base seed. `root` is the folder its report goes to (`<out>` for a single seed,
    `<out>/seeds/<seed>` in a sweep); `params` are exactly what papermill injects."""

    notebook: Path
    seed: int
    root: Path
    params: dict[str, Any]
    key: str
    fingerprint: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def name(self) -> str:
        return self.notebook.stem

    @property
    def ident(self) -> tuple[str, str]:
        return str(self.root), self.name

    @property
    def label(self) -> str:
        return f"{self.name} seed {self.seed}"


def source_digest(package: Path | None = None) -> str:
    """sha256 over every .py file of `lab_utils` (relative path and bytes, in path order)."""
    package = package or paths.REPO_ROOT / "lab_utils"
    h = hashlib.sha256()
    for p in sorted(package.rglob("*.py")):
        if "__pycache__" in p.parts:
            continue
        h.update(p.relative_to(package).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def data_digests(memo_file: Path | None = None) -> dict[str, str | None]:
    """{dataset: sha256 of the .npz a notebook would load} (None when not found locally). Checksums are
    remembered in `memo_file` by (path, size, mtime), so an unchanged 170 MB file is not hashed again."""
    memo: dict[str, str] = {}
    if memo_file is not None:
        try:
            memo = json.loads(memo_file.read_text())
        except (OSError, ValueError):
            memo = {}
    out: dict[str, str | None] = {}
    for name in sorted(data.STATS):
        path = next((d / f"{name}.npz" for d in data.data_dirs() if (d / f"{name}.npz").is_file()), None)
        if path is None:
            out[name] = None
            continue
        st = path.stat()
        stamp = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
        if stamp not in memo:
            memo[stamp] = sha256_file(path)
        out[name] = memo[stamp]
    if memo_file is not None:
        paths.atomic_write_bytes(memo_file, (json.dumps(memo, indent=1) + "\n").encode())
    return out


def parse_seeds(text: str) -> list[int]:
    """"0,1,2", "0-4" or "0-2,7" -> [0, 1, 2, ...] (order kept, duplicates dropped); ParameterError otherwise."""
    seeds: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        lo, sep, hi = part.partition("-")
        try:
            rng = range(int(lo), int(hi) + 1) if sep else [int(part)]
        except ValueError:
            raise session.ParameterError(f"--seeds {text!r} is not allowed: use e.g. 0,1,2 or 0-4") from None
        if sep and int(hi) < int(lo):
            raise session.ParameterError(f"--seeds {text!r} is not allowed: the range {part} is empty")
        for s in rng:
            session.check_seed(s)
            if s not in seeds:
                seeds.append(s)
    if not seeds:
        raise session.ParameterError(f"--seeds {text!r} is not allowed: use e.g. 0,1,2 or 0-4")
    return seeds


def notebook_parameters(notebook: Path) -> set[str]:
    """Names assigned in the notebook's cell tagged `parameters` (what papermill can set)."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    names: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            for node in ast.parse(cell.source).body:
                targets = node.targets if isinstance(node, ast.Assign) else \
                    [node.target] if isinstance(node, ast.AnnAssign) else []
                names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def knob_names(notebook: Path) -> set[str]:
    """The knobs a notebook takes: its section's profile fields, or (outside `sections`) its parameters cell."""
    if notebook.stem in sections.names():
        return set(sections.profiles(notebook.stem)["quick"].__dataclass_fields__)
    return notebook_parameters(notebook) - {"profile", "device", "seed"}


def section_knobs(notebook: Path, knobs: dict[str, Any]) -> dict[str, Any]:
    """The knobs that belong to this notebook."""
    names = knob_names(notebook)
    return {k: v for k, v in knobs.items() if k in names}


def resolved_settings(notebook: Path, profile: str, knobs: dict[str, Any]) -> dict[str, Any] | None:
    """The section's profile with the knobs applied, as a dict (None for a notebook outside `sections`)."""
    if notebook.stem not in sections.names():
        return None
    cfg = session.resolve_profile(notebook.stem, sections.profiles(notebook.stem), profile, knobs)
    return dataclasses.asdict(cfg)


def execution_key(fingerprint: dict[str, Any]) -> str:
    text = json.dumps(fingerprint, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def plan(notebooks: Sequence[Path], seeds: Sequence[int], out_dir: Path, *, sweep: bool, profile: str,
         device: str, knobs: dict[str, Any]) -> list[Execution]:
    """Every (notebook, seed) execution, seeds outermost so that a sweep finishes one base seed first.
    `device` is the resolved device ("cpu", "cuda", "cuda:1", ...); the key holds its type only."""
    common = {
        "source": source_digest(),
        "requirements": sha256_file(paths.REPO_ROOT / "requirements.txt")
        if (paths.REPO_ROOT / "requirements.txt").is_file() else None,
        "data": data_digests(out_dir / ".executed" / "data-checksums.json"),
    }
    nb_digest = {nb: sha256_file(nb) for nb in notebooks}
    out = []
    for seed in seeds:
        root = out_dir / "seeds" / str(seed) if sweep else out_dir
        for nb in notebooks:
            own = section_knobs(nb, knobs)
            params = {"profile": profile, "device": device, "seed": seed, **own}
            fp = {**common, "notebook": nb_digest[nb], "name": nb.stem, "profile": profile,
                  "device_type": device.split(":")[0], "seed": seed,
                  "knobs": {k: v for k, v in own.items() if v is not None},
                  "settings": resolved_settings(nb, profile, own)}
            out.append(Execution(nb, seed, root, params, execution_key(fp), fp))
    return out


def threads_per_job(jobs: int) -> int:
    """Torch threads of each of `jobs` parallel executions: the budget `$LAB_THREADS` (default: one per core)
    split evenly, at least 1. Fixed for the whole render, so numbers do not depend on scheduling order."""
    budget = int(os.environ.get("LAB_THREADS") or os.cpu_count() or 1)
    return max(1, budget // max(1, jobs))
