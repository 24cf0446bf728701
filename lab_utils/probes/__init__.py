"""Measurements of trained networks. One contract for all of them: `probe(model, loss_fn, batches, ...)`, with
`loss_fn` a mean-reduction loss and `batches` one in-memory `(inputs, targets)` pair or a list of pairs
(`batches.as_pairs`); the model runs in **eval mode** (BN uses its running statistics) unless a probe says
otherwise, and is left exactly as found (`preserved`); results are small dataclasses. Probes that need no loss
or no targets keep the shape and say what they ignore (`jacobian_norm` uses neither; `noise.fisher_top_eigenvalue`
draws its labels from the model). Not probes, so not in that shape: `connectivity.recompute_bn(model, inputs)`
writes BN buffers in place; the solvers of `critical`, `paths` (NEB, Bezier) and `linalg` work on functions of
flat vectors or on operators (`critical.flat_loss` and `paths.NetLoss` make those from (model, loss_fn, batches));
`subspace.train_subspace` trains (through `core.train.fit`); `trajectories` works on weight snapshots.

    linalg        the one Lanczos and power iteration, for any symmetric operator (Hessian, noise covariance)
    hvp           Hessian-vector products, chunked, with per-chunk gradient graphs
    hessian       extreme eigenvalues, trace, spectral density (SLQ), all three from shared Lanczos work
                  (hessian_curvature), condition numbers, dense Hessian
    trace         trace estimators for any symmetric operator: Hutchinson, Hutch++, Lanczos-deflated Hutchinson
    bn_fold       BatchNorm folded into the preceding convolution (eval mode), for fast loss grids
    jacobian      input sensitivity: mean Frobenius norm of d softmax / d input, mean norm of d loss / d input
    landscape     1-D / 2-D loss surfaces along filter-normalised or given directions, grid statistics
    noise         per-sample gradients and the gradient-noise covariance's top eigenvalue
    subspace      intrinsic dimension: training inside a random subspace (dense / Fastfood projections)
    connectivity  interpolation, BN re-estimation, evaluation at many weights, barriers, weight matching
    paths         nudged elastic band, Bezier curves between minima
    critical      critical points of small nets: index from the dense Hessian, sampling ratio
    trajectories  PCA of weight snapshots
    state         preserved(): leave the model exactly as found
"""

from .hessian import (
    Curvature,
    Spectrum,
    Trace,
    condition_extremes,
    condition_top_k,
    dense_hessian,
    hessian_curvature,
    hessian_eigenvalues,
    hessian_spectrum,
    hessian_trace,
)
from .hvp import HVP
from .jacobian import input_gradient_norm, jacobian_norm
from .landscape import (
    GridStats,
    LossSurface,
    grid_coords,
    grid_stats,
    loss_surface,
    normalize_direction,
    random_direction,
)
from .linalg import Eigen, eigsh, lanczos, power_eigsh
from .state import preserved

__all__ = [
    "hessian_eigenvalues",
    "hessian_trace",
    "hessian_spectrum",
    "loss_surface",
    "jacobian_norm",
    "Eigen",
    "Trace",
    "Spectrum",
    "LossSurface",
    "GridStats",
    "grid_stats",
    "HVP",
    "lanczos",
    "eigsh",
    "power_eigsh",
    "preserved",
    "normalize_direction",
    "random_direction",
    "grid_coords",
    "condition_top_k",
    "condition_extremes",
    "dense_hessian",
    "hessian_curvature",
    "Curvature",
    "input_gradient_norm",
]
