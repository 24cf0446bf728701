"""What sections show and write: figures, formatted numbers, tables, claim checks, metrics.json, the index and the
conversion of an executed notebook into its report files. Used by the sections and the renderer; imports only
`core` and `references`.

    plotting  the series' theme, save_fig, shared curve plots
    fmt       fmt / num / pct: one number format everywhere
    tables    result tables for notebooks
    claims    ClaimCheck: a verdict on a registry claim with its evidence, and the claim table
    metrics   write_metrics / read_metrics (metrics.json)
    index     index.md / index.html over all sections
    convert   executed notebook -> NN_name.html, NN_name.md (+ figures)
"""

from .metrics import write_metrics
from .tables import table

__all__ = ["write_metrics", "table"]
