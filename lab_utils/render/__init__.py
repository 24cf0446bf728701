"""Render the notebook series: execute each notebook (papermill), convert it to HTML and Markdown, write the index.

    python -m lab_utils.render [--profile quick] [--device auto] [--seed 0 | --seeds 0-4] [--only 01,03]
                               [--jobs N] [--backend local|ray [--address HOST:PORT]] [--force]
                               [--out reports] [-p NAME VALUE ...] [--index-only]

(`./render.sh` sets up the venv and calls this.) Parameters are validated for every selected notebook before
anything runs. Each (notebook, base seed) is one execution with a key (`plan`); one whose outputs are complete
and carry the same key is skipped as up to date. The others run in their own processes (`local`, `--jobs N`)
or as Ray tasks (`ray_backend`), each one executing `execute.py` into a staging folder whose outputs are then
put in place (`outputs.install`). A failing notebook still gets its HTML (with the traceback) and is marked
failed in the index; the others go on, and the exit status is 1 with one line per failure.

    plan          executions, their keys (notebook, lab_utils source, parameters, data checksums), --seeds
    execute       one execution in its own process: papermill with start-up retries, conversion, manifest
    outputs       manifest, up-to-date check, staging and install by rename, the render lock
    local         the local process pool;   ray_backend: Ray tasks whose results come back to the driver
    progress      start/end lines, the overall bar, the summary;   cli: the command line
"""

from __future__ import annotations

from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """The command line (see `cli`); imported lazily so that a worker (`python -m lab_utils.render.execute`)
    does not pay for the driver's imports."""
    from .cli import main as _main

    return _main(argv)


def notebooks(folder: Path | None = None) -> list[Path]:
    """notebooks/NN_name.ipynb, in section order."""
    from .cli import notebooks as _notebooks

    return _notebooks(folder)


__all__ = ["main", "notebooks"]
