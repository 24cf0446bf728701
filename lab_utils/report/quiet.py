"""A Path that shows nothing as a notebook cell's last value (no `PosixPath('/abs/path')` in a report)."""

from __future__ import annotations

from pathlib import Path


class QuietPath(type(Path())):
    """A path like any other; IPython displays nothing for it (the figure or file it names is shown elsewhere)."""

    def _ipython_display_(self) -> None:
        pass
