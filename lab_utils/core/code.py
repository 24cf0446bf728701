"""Digests of the code that computes something, so that a cache or a render key changes when that code does.

The code of a module is its own source plus every `lab_utils` module it imports, transitively (`closure`),
found by reading the import statements (anywhere in the file, so imports inside functions count) without
importing anything. `from .x import name` depends on module `x.name` when that is a module the package's
`__init__` does not shadow, else on the package `__init__` (as Python resolves it: an attribute the `__init__`
binds, a function `claim` beside a module `claim.py`, wins over the submodule); the `__init__` files of the packages above a module count only when something is imported from
them. Each module counts by its syntax tree without docstrings (`ast.dump`), so a comment, a docstring or a
reformatting changes no digest, while any change to what the code does changes it.
"""

from __future__ import annotations

import ast
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Iterable

PACKAGE = "lab_utils"
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def module_file(name: str, package_dir: Path = PACKAGE_DIR) -> Path | None:
    """The file of module `name` (e.g. "lab_utils.core.train") under `package_dir`, or None if there is none."""
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    base = package_dir.joinpath(*parts[1:])
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.is_file():
            return path
    return None


def _stamp(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return str(path), st.st_size, st.st_mtime_ns


@lru_cache(maxsize=None)
def _parsed(stamp: tuple[str, int, int]) -> ast.Module:
    return ast.parse(Path(stamp[0]).read_text(encoding="utf-8"))


def _imported(tree: ast.AST, package: str, package_dir: Path) -> set[str]:
    """The `lab_utils` modules that the import statements in `tree` name; relative imports resolve against
    `package` (the package the code is in; "" for a notebook cell, which has none)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == PACKAGE}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                up = package.split(".")
                base = ".".join(up[: len(up) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if base.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                shadowed = alias.name in _bound_by_init(base, package_dir)
                found.add(sub if module_file(sub, package_dir) and not shadowed else base)
    return found


def _bound_by_init(package: str, package_dir: Path) -> frozenset[str]:
    """The names a package's `__init__` binds at its top level (functions, classes, assignments, imports)."""
    path = module_file(package, package_dir)
    if path is None or path.name != "__init__.py":
        return frozenset()
    return _bound_of(_stamp(path))


@lru_cache(maxsize=None)
def _bound_of(stamp: tuple[str, int, int]) -> frozenset[str]:
    names: set[str] = set()
    for node in _parsed(stamp).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.ImportFrom) and node.level == 1 and node.module is None:
            names |= {a.asname for a in node.names if a.asname and a.asname != a.name}  # `from . import x`: x itself
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return frozenset(names)


def _imports(name: str, package_dir: Path) -> frozenset[str]:
    """The `lab_utils` modules that module `name` imports directly."""
    path = module_file(name, package_dir)
    return frozenset() if path is None else _imports_of(name, package_dir, _stamp(path))


@lru_cache(maxsize=None)
def _imports_of(name: str, package_dir: Path, stamp: tuple[str, int, int]) -> frozenset[str]:
    # per file version: walking the tree is most of the cost of a digest, and a cache key needs one per lookup
    path = Path(stamp[0])
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = _imported(_parsed(stamp), package, package_dir)
    return frozenset(m for m in found if module_file(m, package_dir) is not None)


def closure(names: Iterable[str], package_dir: Path = PACKAGE_DIR) -> list[str]:
    """`names` and every `lab_utils` module they import, transitively, sorted."""
    seen: set[str] = set()
    todo = [n for n in names if module_file(n, package_dir) is not None]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(_imports(name, package_dir) - seen)
    return sorted(seen)


def _without_docstrings(tree: ast.Module) -> ast.Module:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                node.body = body[1:] or [ast.Pass()]
    return tree


@lru_cache(maxsize=None)
def _module_digest(stamp: tuple[str, int, int]) -> str:
    tree = _without_docstrings(ast.parse(Path(stamp[0]).read_text(encoding="utf-8")))
    return hashlib.sha256(ast.dump(tree).encode()).hexdigest()


def digest(names: Iterable[str], package_dir: Path = PACKAGE_DIR) -> str:
    """16-hex-digit digest of the code of modules `names` and everything they import (module docstring)."""
    h = hashlib.sha256()
    for name in closure(names, package_dir):
        h.update(name.encode() + b"\0" + _module_digest(_stamp(module_file(name, package_dir))).encode() + b"\0")
    return h.hexdigest()[:16]


def notebook_modules(sources: Iterable[str], package_dir: Path = PACKAGE_DIR) -> list[str]:
    """The `lab_utils` modules that code cells `sources` import (`from lab_utils.x import y`, `import lab_utils`)."""
    found: set[str] = set()
    for src in sources:
        try:
            tree = ast.parse(src)
        except SyntaxError:  # IPython magics: a cell we cannot read imports nothing we can see
            continue
        found |= _imported(tree, "", package_dir)
    return sorted(found)
