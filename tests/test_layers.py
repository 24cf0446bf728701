"""The layers of lab_utils import one way only, and no module imports itself round a cycle (AST, no imports run).

    render -> sections -> probes -> models -> core -> references,   report used by sections and render

A layer may import the layers listed for it below and its own package; a section may not import another
section. Imports inside functions count as much as module-level ones.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "lab_utils"

ALLOWED = {
    "references": set(),
    "core": {"references"},
    "models": {"core"},
    "probes": {"core", "models"},
    "report": {"core", "references"},
    "sections": {"core", "models", "probes", "report", "references"},
    "render": {"core", "report", "sections", "references"},
    "": set(),  # lab_utils/__init__.py
}


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """lab_utils modules that `name` imports (relative imports resolved; `from pkg import mod` names the module)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_pkg = path.name == "__init__.py"
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - (node.level - 1)]
                mod = ".".join(anchor + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in known else mod for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t.startswith("lab_utils") and t != name:
                out.add(t)
    return out


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {n: imports_of(n, p, known) for n, p in mods.items()}


def layer(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def section(name: str) -> str | None:
    parts = name.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "sections" else None


def test_every_module_is_in_a_layer():
    assert {layer(n) for n in modules()} <= set(ALLOWED), "a module outside the known layers"


def test_imports_point_down():
    bad = []
    for src, targets in graph().items():
        for dst in targets:
            a, b = layer(src), layer(dst)
            if a != b and b not in ALLOWED[a]:
                bad.append(f"{src} -> {dst}")
            if a == b == "sections" and section(src) and section(dst) and section(src) != section(dst):
                bad.append(f"{src} -> {dst} (one section importing another)")
    assert not bad, "imports against the layer direction:\n" + "\n".join(bad)


def test_no_cycles():
    g = graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(g[n]):
            if state.get(m) == 1:
                pytest.fail("import cycle: " + " -> ".join(stack[stack.index(m) :] + [m]))
            if not state.get(m):
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(g):
        if not state.get(n):
            visit(n)


def test_the_checker_sees_a_violation(tmp_path):
    """The walker must resolve relative imports: a core module importing probes is flagged."""
    known = {"lab_utils.core.x", "lab_utils.probes", "lab_utils.probes.hessian", "lab_utils.core"}
    f = tmp_path / "x.py"
    f.write_text("from ..probes import hessian\n\ndef g():\n    from ..probes.hessian import y\n")
    assert imports_of("lab_utils.core.x", f, known) == {"lab_utils.probes.hessian"}
