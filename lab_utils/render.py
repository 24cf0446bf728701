"""Render the notebook series: papermill-execute each notebook, convert it to HTML and Markdown, write the index.

    python -m lab_utils.render [--profile quick] [--device auto] [--seed 0] [--only 01,03] [--out reports]
                               [-p NAME VALUE ...]

(`./render.sh` sets up the venv and calls this.) Parameters are validated for every selected notebook before
anything runs. A failing notebook still gets its HTML (with the traceback) and is marked failed in the index;
the others go on, and the exit status is 1 with one line per failure.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import sys
import time
from pathlib import Path

from . import sections
from .core import paths, session
from .report import index
from .report.convert import convert

NOTEBOOKS_DIR = paths.REPO_ROOT / "notebooks"


def notebooks() -> list[Path]:
    """notebooks/NN_name.ipynb, in section order."""
    return sorted(p for p in NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


def _literal(text: str):
    """-p values: Python literals where they parse (3, 0.1, None, [1, 2]), else the string itself."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="render.sh", description="Execute and render the notebook series.")
    ap.add_argument("--profile", default="quick", help="smoke | quick | full (default: quick)")
    ap.add_argument("--device", default="auto", help="auto | cpu | cuda | mps (default: auto)")
    ap.add_argument("--seed", default="0", help="integer >= 0 (default: 0)")
    ap.add_argument("--only", default="", help="comma-separated section numbers, e.g. 01,03")
    ap.add_argument("--out", default=str(paths.reports_dir()), help="output folder (default: reports)")
    ap.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                    help="a notebook parameter passed through to papermill (repeatable)")
    ap.add_argument("--index-only", action="store_true",
                    help="only rebuild index.html/index.md from the sections already rendered in --out")
    return ap.parse_args(argv)


def select(only: str) -> list[Path]:
    nbs = notebooks()
    if not only:
        return nbs
    wanted = [w.strip().zfill(2) for w in only.split(",") if w.strip()]
    chosen = [nb for nb in nbs if nb.name[:2] in wanted]
    missing = sorted(set(wanted) - {nb.name[:2] for nb in chosen})
    if missing:
        raise session.ParameterError(f"--only {only!r}: no notebook numbered {', '.join(missing)}; "
                                     f"have {', '.join(nb.name[:2] for nb in nbs)}")
    return chosen


def build_parameters(args: argparse.Namespace, selected: list[Path]) -> dict:
    """The papermill parameters, validated against every selected section (ParameterError if any is bad).
    A knob (-p NAME VALUE) must belong to at least one selected notebook; it is checked against each that has it."""
    params = {"profile": args.profile, "device": args.device, "seed": _literal(args.seed)}
    params.update({name: _literal(value) for name, value in args.p})
    session.check_profile(params["profile"])
    session.resolve_device(params["device"])
    session.check_seed(params["seed"])
    knobs = {k: v for k, v in params.items() if k not in ("profile", "device", "seed")}
    fields = {nb.stem: set(sections.profiles(nb.stem)["quick"].__dataclass_fields__)
              for nb in selected if nb.stem in sections.names()}
    for name in knobs:
        if not any(name in f for f in fields.values()):
            raise session.ParameterError(f"-p {name}: no selected notebook has a parameter of that name")
    for section, f in fields.items():
        session.resolve_profile(section, sections.profiles(section), params["profile"],
                                {k: v for k, v in knobs.items() if k in f})
    return params


def run_one(nb: Path, params: dict, out_dir: Path) -> dict:
    """Execute one notebook; return {status, seconds, error}. Never raises for a notebook failure."""
    import papermill as pm

    executed_dir = out_dir / ".executed"
    executed_dir.mkdir(parents=True, exist_ok=True)
    executed = executed_dir / nb.name
    section_dir = out_dir / nb.stem
    section_dir.mkdir(parents=True, exist_ok=True)
    (section_dir / "metrics.json").unlink(missing_ok=True)  # a failed run must not show stale numbers
    t0 = time.time()
    status, error = "ok", ""
    try:
        pm.execute_notebook(str(nb), str(executed), parameters=params, kernel_name="python3", progress_bar=True,
                            cwd=str(nb.parent), log_output=False)
    except Exception as exc:  # PapermillExecutionError and kernel deaths alike
        status = "failed"
        error = f"{getattr(exc, 'ename', type(exc).__name__)}: {getattr(exc, 'evalue', exc)}".splitlines()[0][:300]
    seconds = time.time() - t0
    if executed.exists():
        try:
            convert(executed, out_dir)
        except Exception as exc:
            status, error = "failed", error or f"conversion failed: {exc}"
    info = dict(status=status, seconds=round(seconds, 1), error=error, **params)
    (section_dir / "render.json").write_text(json.dumps(info, indent=2, default=str) + "\n")
    return info


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        selected = select(args.only)
        params = build_parameters(args, selected)
    except session.ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out_dir = Path(args.out).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.index_only:
        print("index: {}  {}".format(*index.write_index(out_dir, [nb.stem for nb in notebooks()])))
        return 0
    os.environ["LAB_REPORTS"] = str(out_dir)  # the kernels inherit it and write their metrics and figures there
    os.environ["LAB_PROGRESS"] = "0"  # no progress bars inside the rendered reports
    failures = []
    for nb in selected:
        print(f"== {nb.stem} ({params['profile']}, seed {params['seed']}, device {params['device']})", flush=True)
        info = run_one(nb, params, out_dir)
        print(f"   {info['status']} in {info['seconds']:.0f} s", flush=True)
        if info["status"] != "ok":
            failures.append(f"{nb.stem}: {info['error']}")
    md, html = index.write_index(out_dir, [nb.stem for nb in notebooks()])
    print(f"index: {html}  {md}")
    for line in failures:
        print(f"FAILED {line}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
