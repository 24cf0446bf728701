"""Curvature and landscape probes. All of them evaluate the model in eval mode (BN running statistics), on the
sample-weighted mean of a mean-reduction `loss_fn` over in-memory `batches` (one (inputs, targets) pair or a list
of pairs), chunked, and leave the model exactly as they found it (parameters, buffers, modes, flags, grads).

    hessian_eigenvalues  -- extreme eigenvalues (own Lanczos with per-step Ritz residual check, or power iteration)
    hessian_trace        -- Hutchinson trace with Rademacher vectors (optionally its standard error)
    hessian_spectrum     -- stochastic Lanczos quadrature density on a grid
    loss_surface         -- 1-D / 2-D loss and accuracy grids along filter-normalised or given directions
    jacobian_norm        -- mean Frobenius norm of d softmax / d input
"""
from .hessian import hessian_eigenvalues, hessian_spectrum, hessian_trace, lanczos
from .hvp import HVP
from .jacobian import jacobian_norm
from .landscape import LossSurface, grid_coords, loss_surface, normalize_direction, random_direction
from .state import preserved

__all__ = ["hessian_eigenvalues", "hessian_trace", "hessian_spectrum", "loss_surface", "jacobian_norm",
           "LossSurface", "HVP", "lanczos", "preserved", "normalize_direction", "random_direction", "grid_coords"]
