"""Optimization trajectories: weight snapshots (rows of flat vectors) projected on their principal components."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class PCA2:
    """Rows projected on the first two principal components (centred, float64), and the fraction of the total
    variance each of the two explains."""

    coords: np.ndarray
    ratio: np.ndarray


def pca2(X: torch.Tensor) -> PCA2:
    """2-D PCA of the rows of X (N x P). With a single row or column the missing axis is zero, so callers can
    always plot in 2-D."""
    X = torch.as_tensor(X, dtype=torch.float64)
    Xc = X - X.mean(0, keepdim=True)
    _, S, Vh = torch.linalg.svd(Xc, full_matrices=False)
    var = S**2
    total = var.sum()
    ratio = (var[:2] / total) if total > 0 else torch.zeros(2, dtype=torch.float64)
    coords = Xc @ Vh[:2].T
    if coords.shape[1] < 2:
        coords = torch.cat([coords, torch.zeros(len(X), 2 - coords.shape[1], dtype=X.dtype)], 1)
        ratio = torch.cat([ratio, torch.zeros(2 - len(ratio), dtype=X.dtype)])
    return PCA2(coords.numpy(), ratio.numpy())
