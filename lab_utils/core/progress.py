"""Progress bars: `tqdm.auto` (a widget in JupyterLab, text in a terminal); `LAB_PROGRESS=0` turns them off,
as `render.sh` does so that rendered reports stay clean."""

from __future__ import annotations

import os
from typing import Iterable, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def enabled() -> bool:
    return os.environ.get("LAB_PROGRESS", "1") != "0"


def progress(iterable: Iterable[T] | None = None, **kwargs) -> tqdm:
    """`tqdm.auto.tqdm(iterable, **kwargs)`, disabled when `LAB_PROGRESS=0` or `disable=True`."""
    kwargs["disable"] = kwargs.get("disable", False) or not enabled()
    kwargs.setdefault("leave", False)
    return tqdm(iterable, **kwargs)
