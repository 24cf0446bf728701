"""Notices about the machinery, not the science: a cache entry recomputed, a retrained run. They belong in the
render's log, not in a chapter: inside a render (`$LAB_LOG` set by the renderer to the execution's log file)
a notice is appended there; interactively it goes to the Python logger `lab_utils`, which shows it on stderr
only when logging is configured (`logging.basicConfig()`), so it never lands in a report."""

from __future__ import annotations

import logging
import os
import time

LOGGER = logging.getLogger("lab_utils")


def log(message: str) -> None:
    """Record one notice line (module docstring)."""
    target = os.environ.get("LAB_LOG")
    if target:
        with open(target, "a", encoding="utf-8") as f:
            f.write(f"{time.strftime('%H:%M:%S')} notice: {message}\n")
    else:
        LOGGER.info(message)
