"""What a render will execute: one `Execution` per (notebook, base seed), with its folder and its key.

The key of an execution is a hash of everything that determines what its notebook computes and shows: the
notebook's bytes, the code it runs (the digest of every `lab_utils` module its cells import, transitively:
`core.code`; the HTML converter and the index are not among them), requirements.txt, the resolved parameters
(profile, device type, base seed, the section's knobs and its resolved profile settings) and the checksums of
the data files. The converter (`report.convert`, what it imports and its static files) has a digest of its own
(`converter_digest`): when only that changed, the stored executed notebook is converted again and nothing runs
(`outputs.staleness`). Thread counts are not part of the key: they change numbers in the last digits only.
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
from ..core import code, data, paths, session
from ..core.paths import sha256_file

CONVERTER = "lab_utils.report.convert"


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
    converter: str = ""

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
    """sha256 over every .py file of `lab_utils` (relative path and bytes, in path order): whether a Ray worker
    runs the driver's tree."""
    package = package or paths.REPO_ROOT / "lab_utils"
    h = hashlib.sha256()
    for p in sorted(package.rglob("*.py")):
        if "__pycache__" in p.parts:
            continue
        h.update(p.relative_to(package).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def notebook_code_digest(notebook: Path) -> str:
    """Digest of the code a notebook runs: the `lab_utils` modules its code cells import, and theirs."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    return code.digest(code.notebook_modules(c.source for c in nb.cells if c.cell_type == "code"))


def converter_digest() -> str:
    """Digest of the converter: the code of `report.convert` (and what it imports) and the files beside it that
    end up in a page (`report/static/`)."""
    h = hashlib.sha256(code.digest([CONVERTER]).encode())
    static = code.PACKAGE_DIR / "report" / "static"
    for p in sorted(static.rglob("*")) if static.is_dir() else []:
        if p.is_file():
            h.update(p.relative_to(static).as_posix().encode() + b"\0" + sha256_file(p).encode())
    return h.hexdigest()[:16]


def data_digests() -> dict[str, str | None]:
    """{dataset: sha256 of the .npz a notebook would load} (None when not found locally); each file is hashed
    once per version (`core.data.file_sha256`)."""
    out: dict[str, str | None] = {}
    for name in sorted(data.STATS):
        path = data.find_file(name)
        out[name] = data.file_sha256(path) if path is not None else None
    return out


def parse_seeds(text: str) -> list[int]:
    """ "0,1,2", "0-4" or "0-2,7" -> [0, 1, 2, ...] (order kept, duplicates dropped); ParameterError otherwise."""
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
                targets = (
                    node.targets
                    if isinstance(node, ast.Assign)
                    else [node.target]
                    if isinstance(node, ast.AnnAssign)
                    else []
                )
                names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def knob_names(notebook: Path) -> set[str]:
    """The knobs a notebook takes: its section's profile fields, or (outside `sections`) its parameters cell."""
    if notebook.stem in sections.names():
        return set(session.knob_fields(notebook.stem, sections.profiles(notebook.stem)))
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


def plan(
    notebooks: Sequence[Path],
    seeds: Sequence[int],
    out_dir: Path,
    *,
    sweep: bool,
    profile: str,
    device: str,
    knobs: dict[str, Any],
) -> list[Execution]:
    """Every (notebook, seed) execution, seeds outermost so that a sweep finishes one base seed first.
    `device` is the resolved device ("cpu", "cuda", "cuda:1", ...); the key holds its type only."""
    common = {
        "requirements": sha256_file(paths.REPO_ROOT / "requirements.txt")
        if (paths.REPO_ROOT / "requirements.txt").is_file()
        else None,
        "data": data_digests(),
    }
    nb_digest = {nb: sha256_file(nb) for nb in notebooks}
    nb_code = {nb: notebook_code_digest(nb) for nb in notebooks}
    converter = converter_digest()
    out = []
    for seed in seeds:
        root = out_dir / "seeds" / str(seed) if sweep else out_dir
        for nb in notebooks:
            own = section_knobs(nb, knobs)
            params = {"profile": profile, "device": device, "seed": seed, **own}
            fp = {
                **common,
                "code": nb_code[nb],
                "notebook": nb_digest[nb],
                "name": nb.stem,
                "profile": profile,
                "device_type": device.split(":")[0],
                "seed": seed,
                "knobs": {k: v for k, v in own.items() if v is not None},
                "settings": resolved_settings(nb, profile, own),
            }
            fp = json.loads(json.dumps(fp, default=str))  # as the manifest stores it (tuples as lists)
            out.append(Execution(nb, seed, root, params, execution_key(fp), fp, converter))
    return out


def threads_per_job(jobs: int) -> int:
    """Torch threads of each of `jobs` parallel executions: the budget `$LAB_THREADS` (default: one per core)
    split evenly, at least 1. Fixed for the whole render, so numbers do not depend on scheduling order."""
    budget = int(os.environ.get("LAB_THREADS") or os.cpu_count() or 1)
    return max(1, budget // max(1, jobs))
