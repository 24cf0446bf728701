"""The command line of the renderer (`./render.sh ARGS` = `python -m lab_utils.render ARGS`)."""

from __future__ import annotations

import argparse
import ast
import os
import sys
from pathlib import Path

from .. import sections
from ..core import paths, session
from ..report import index
from . import manifest, outputs, ray_backend
from .local import run_local
from .plan import Execution, knob_names, parse_seeds, plan, threads_per_job
from .progress import Reporter

NOTEBOOKS_DIR = paths.REPO_ROOT / "notebooks"


def notebooks(folder: Path | None = None) -> list[Path]:
    """notebooks/NN_name.ipynb, in section order."""
    return sorted((folder or NOTEBOOKS_DIR).glob("[0-9][0-9]_*.ipynb"))


def _literal(text: str):
    """-p values: Python literals where they parse (3, 0.1, None, [1, 2]), else the string itself. Tuples become
    lists (papermill writes a tuple into the notebook as its string; the profile turns lists back into tuples)."""
    try:
        return _lists(ast.literal_eval(text))
    except (ValueError, SyntaxError):
        return text


def _lists(value):
    return [_lists(v) for v in value] if isinstance(value, (list, tuple)) else value


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="render.sh", description="Execute and render the notebook series.")
    ap.add_argument("--profile", default="quick", help="smoke | quick | full (default: quick)")
    ap.add_argument("--device", default="auto", help="auto | cpu | cuda | mps (default: auto)")
    ap.add_argument("--seed", default=None, help="one base seed, report in --out (default: 0)")
    ap.add_argument(
        "--seeds",
        default=None,
        help="a sweep over base seeds, e.g. 0,1,2 or 0-4: one report folder per seed in "
        "<out>/seeds/<seed>/ and an index over them in <out>/seeds/index.*",
    )
    ap.add_argument("--only", default="", help="comma-separated section numbers, e.g. 01,03")
    ap.add_argument("--out", default=str(paths.reports_dir()), help="output folder (default: reports)")
    ap.add_argument(
        "-p",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="a notebook parameter passed through to papermill (repeatable)",
    )
    ap.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="executions at once (default: 2 on a machine with 2 or more cores, else 1); torch threads "
        "($LAB_THREADS, default one per core) are split between them. With --backend ray: at most this many "
        "tasks in flight (default: no limit)",
    )
    ap.add_argument(
        "--backend",
        default="local",
        choices=("local", "ray"),
        help="local processes (default) or Ray tasks (pip install -r requirements-ray.txt)",
    )
    ap.add_argument(
        "--address",
        default=None,
        help="with --backend ray: the cluster's HOST:PORT (default: $RAY_ADDRESS, else a Ray instance on this machine)",
    )
    ap.add_argument("--force", action="store_true", help="execute even what is up to date")
    ap.add_argument(
        "--index-only", action="store_true", help="only rebuild the index pages from what is already rendered in --out"
    )
    ap.add_argument("--notebooks", default=None, help=argparse.SUPPRESS)  # another notebook folder (tests)
    return ap.parse_args(argv)


def select(only: str, folder: Path | None = None) -> list[Path]:
    nbs = notebooks(folder)
    if not only:
        return nbs
    wanted = [w.strip().zfill(2) for w in only.split(",") if w.strip()]
    chosen = [nb for nb in nbs if nb.name[:2] in wanted]
    missing = sorted(set(wanted) - {nb.name[:2] for nb in chosen})
    if missing:
        raise session.ParameterError(
            f"--only {only!r}: no notebook numbered {', '.join(missing)}; have {', '.join(nb.name[:2] for nb in nbs)}"
        )
    return chosen


def build_parameters(args: argparse.Namespace, selected: list[Path], seed: int) -> dict:
    """The common papermill parameters, validated against every selected section (ParameterError if any is
    bad). A knob (-p NAME VALUE) must belong to at least one selected notebook; it is checked against each that
    has it. The device is checked for availability here only for the local backend (a Ray cluster has its own)."""
    params = {"profile": args.profile, "device": args.device, "seed": seed}
    params.update({name: _literal(value) for name, value in args.p})
    session.check_profile(params["profile"])
    if args.backend == "local":
        session.resolve_device(params["device"])
    elif not isinstance(params["device"], str) or params["device"].split(":")[0] not in session.DEVICES:
        session.resolve_device(params["device"])  # the same one-line error
    session.check_seed(params["seed"])
    knobs = {k: v for k, v in params.items() if k not in ("profile", "device", "seed")}
    fields = {nb.stem: knob_names(nb) for nb in selected}
    for name in knobs:
        if not any(name in f for f in fields.values()):
            raise session.ParameterError(f"-p {name}: no selected notebook has a parameter of that name")
    for section, f in fields.items():
        if section in sections.names():
            session.resolve_profile(
                section, sections.profiles(section), params["profile"], {k: v for k, v in knobs.items() if k in f}
            )
    return params


def _seeds(args: argparse.Namespace) -> tuple[list[int], bool]:
    if args.seed is not None and args.seeds is not None:
        raise session.ParameterError("use --seed N (one report) or --seeds LIST (a sweep), not both")
    if args.seeds is not None:
        return parse_seeds(args.seeds), True
    return [session.check_seed(_literal(args.seed if args.seed is not None else "0"))], False


def _resolved_device(device: str, backend: str, address: str | None) -> str:
    """The device every execution gets: "auto" resolved on this machine, or on the Ray cluster."""
    if device != "auto":
        return device
    if backend == "ray":
        return "cuda" if ray_backend.cluster_has_gpus(address) else "cpu"
    return str(session.resolve_device("auto"))


def write_indexes(out_dir: Path, seeds: list[int], sweep: bool, names: list[str]) -> list[Path]:
    if not sweep:
        return list(index.write_index(out_dir, manifest.rendered(out_dir, names)))
    roots = {s: out_dir / "seeds" / str(s) for s in seeds}
    records = {}
    for seed, root in roots.items():
        root.mkdir(parents=True, exist_ok=True)
        records[seed] = manifest.rendered(root, names)
        index.write_index(root, records[seed])
    return list(index.write_sweep_index(out_dir, roots, records))


def default_jobs() -> int:
    """Executions at once by default: 2 where there are 2 or more cores (on this project's 2-core machines two
    one-thread executions finish the series about 1.35x sooner than one with two threads), else 1."""
    return min(2, os.cpu_count() or 1)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    folder = Path(args.notebooks) if args.notebooks else None
    try:
        seeds, sweep = _seeds(args)
        selected = select(args.only, folder)
        base = build_parameters(args, selected, seeds[0])
        if args.jobs is None:
            args.jobs = default_jobs() if args.backend == "local" else 1
        if args.jobs < 1:
            raise session.ParameterError(f"--jobs {args.jobs} is not allowed: use an integer >= 1")
        if args.backend == "ray" and not ray_backend.available():
            raise session.ParameterError(f"--backend ray needs Ray, which is not installed: {ray_backend.INSTALL_HINT}")
    except session.ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out_dir = Path(args.out).resolve()
    names = [nb.stem for nb in notebooks(folder)]
    if args.index_only:
        if not out_dir.is_dir():
            print(f"error: {out_dir} does not exist", file=sys.stderr)
            return 2
        print("index: " + "  ".join(map(str, write_indexes(out_dir, seeds, sweep, names))))
        return 0
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        held = outputs.lock(out_dir)
    except outputs.Busy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        return _render(args, out_dir, selected, seeds, sweep, base, names)
    finally:
        held.release()


def _render(
    args, out_dir: Path, selected: list[Path], seeds: list[int], sweep: bool, base: dict, names: list[str]
) -> int:
    device = _resolved_device(base["device"], args.backend, args.address)
    knobs = {k: v for k, v in base.items() if k not in ("profile", "device", "seed")}
    executions = plan(selected, seeds, out_dir, sweep=sweep, profile=base["profile"], device=device, knobs=knobs)
    for root in {ex.root for ex in executions}:
        outputs.clear_leftovers(root)
    backend = (
        f"ray{' ' + args.address if args.address else ''}" if args.backend == "ray" else f"local, {args.jobs} jobs"
    )
    reporter = Reporter(len(executions), backend)
    todo: list[Execution] = []
    for ex in executions:
        need = outputs.Staleness(outputs.EXECUTE, "--force") if args.force else outputs.staleness(ex)
        if need is None:
            reporter.up_to_date(ex)
        elif need.action == outputs.CONVERT:
            reporter.converted(ex, outputs.reconvert(ex), need.reason)
        else:
            reporter.reasons[ex.ident] = need.reason
            todo.append(ex)

    def done(ex: Execution, stage: Path, record: dict) -> None:
        outputs.install(stage, ex.root, ex.name)
        reporter.end(ex, record)

    interrupted = False
    try:
        if todo and args.backend == "ray":
            threads = int(os.environ.get("LAB_THREADS") or 1)
            ray_backend.run_ray(todo, threads, args.address, args.jobs if args.jobs > 1 else None, reporter.start, done)
        elif todo:
            run_local(todo, args.jobs, threads_per_job(args.jobs), reporter.start, done)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        paths_written = write_indexes(out_dir, seeds, sweep, names)
    print("index: " + "  ".join(map(str, paths_written)), flush=True)
    rc = reporter.close()
    if interrupted:
        print("interrupted: what finished is in place; the same command finishes the rest", file=sys.stderr)
        return 130
    return rc
