"""What a render prints: one line per execution as it starts and as it ends, an overall bar (on a terminal),
and a closing summary with one line per failure."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

from tqdm import tqdm

from .outputs import log_path
from .plan import Execution


@dataclass
class Summary:
    executed: int = 0
    converted: int = 0
    up_to_date: int = 0
    failures: list[str] = field(default_factory=list)


class Reporter:
    """Prints progress to stdout (lines) and stderr (the bar, only on a terminal)."""

    def __init__(self, total: int, backend: str):
        self.total, self.backend, self.done = total, backend, 0
        self.summary = Summary()
        self.reasons: dict[tuple[str, str], str] = {}  # why an execution runs (new, changed: ..., --force)
        self.t0 = time.time()
        self.bar = tqdm(
            total=total,
            desc="render",
            unit="run",
            file=sys.stderr,
            leave=False,
            disable=not sys.stderr.isatty(),
            dynamic_ncols=True,
        )

    def _line(self, text: str) -> None:
        tqdm.write(text, file=sys.stdout)
        sys.stdout.flush()

    def up_to_date(self, ex: Execution) -> None:
        self.done += 1
        self.summary.up_to_date += 1
        self.bar.update(1)
        self._line(f"[{self.done}/{self.total}] up to date  {ex.label}")

    def converted(self, ex: Execution, manifest: dict, why: str) -> None:
        """`ex` was converted again from its stored executed notebook (no cell ran)."""
        self.done += 1
        self.summary.converted += 1
        self.bar.update(1)
        self._line(
            f"[{self.done}/{self.total}] converted   {ex.label} in {manifest.get('converted_seconds', 0):.1f} s, "
            f"nothing executed [{why}]"
        )

    def start(self, ex: Execution, worker: str) -> None:
        p = ex.params
        why = self.reasons.get(ex.ident)
        self._line(
            f"[{self.done}/{self.total}] start       {ex.label} ({p['profile']}, {p['device']}; {worker})"
            + (f" [{why}]" if why else "")
        )

    def end(self, ex: Execution, manifest: dict) -> None:
        self.done += 1
        self.summary.executed += 1
        self.bar.update(1)
        status = manifest.get("status", "failed")
        where = manifest.get("worker") or manifest.get("backend", "")
        retry = f", {manifest['attempts']} kernel starts" if (manifest.get("attempts") or 1) > 1 else ""
        notes = _notice_count(ex)
        self._line(
            f"[{self.done}/{self.total}] {status:<11} {ex.label} in {manifest.get('seconds', 0):.0f} s "
            f"({where}{retry})"
            + (f"; {notes} notice{'s' * (notes != 1)} in {log_path(ex.root, ex.name)}" if notes else "")
        )
        if status != "ok":
            self.summary.failures.append(f"{ex.label}: {manifest.get('error', '')}")

    def close(self) -> int:
        """Print the summary; return the exit status (1 when any execution failed)."""
        self.bar.close()
        s = self.summary
        minutes, secs = divmod(time.time() - self.t0, 60)
        self._line(
            f"summary: {s.executed} executed, {s.converted} converted, {s.up_to_date} up to date, "
            f"{len(s.failures)} failed "
            f"({self.backend}, {int(minutes)} min {secs:.0f} s)"
        )
        for line in s.failures:
            print(f"FAILED {line}", file=sys.stderr, flush=True)
        return 1 if s.failures else 0


def _notice_count(ex: Execution) -> int:
    """Notices (`core.notice`) in the installed log of `ex`: cache entries recomputed and the like."""
    try:
        return log_path(ex.root, ex.name).read_text(errors="replace").count(" notice: ")
    except OSError:
        return 0
