"""08 optimizer probes: curvature, gradient noise, intrinsic dimension and connectivity of SGD, SGD+momentum and
AdamW minima of one small CIFAR-10 CNN."""
from dataclasses import dataclass

from ...core.profiles import knob


@dataclass(frozen=True)
class OptimizerProbes:
    # the CNN (lab_utils.models "cnn" kind, 3x32x32 inputs) and its training
    channels: tuple = knob()
    hidden: int = knob(min=0)
    batchnorm: bool = knob()
    n_train: int = knob(min=64)
    n_test: int = knob(min=64)
    epochs: int = knob(min=1)
    batch_size: int = knob(min=1)
    lr_sgd: float = knob(min=0)         # plain SGD
    lr_sgdm: float = knob(min=0)        # SGD with momentum 0.9
    lr_adamw: float = knob(min=0)
    wd_adamw: float = knob(min=0)
    # curvature and noise, on the first n_probe training images (BN in eval mode)
    n_probe: int = knob(min=8)
    lanczos_iter: int = knob(min=3)     # HVP budget of each hessian_eigenvalues call
    lanczos_tol: float = knob(min=0)
    slq_iter: int = knob(min=2)
    slq_runs: int = knob(min=1)
    line_steps: int = knob(min=3)       # points on the +- top-eigenvector / random-direction lines
    line_span: float = knob(min=0)      # the lines reach +- line_span along a unit-norm direction
    # intrinsic dimension
    sub_dims: tuple = knob()
    sub_n_train: int = knob(min=64)
    sub_epochs: int = knob(min=1)
    sub_lr: float = knob(min=0)         # Adam on z at d = 1000, scaled by sqrt(1000 / d) (subspace.scaled_lr)
    max_dense_entries: int = knob(min=1)
    # connectivity
    path_points: int = knob(min=3)      # linear path (41 in the reference)
    n_path_eval: int = knob(min=8)      # training images the path losses are measured on
    bn_images: int = knob(min=8)        # training images BN statistics are re-estimated on, at every path point
    neb_nodes: int = knob(min=5)        # movable nodes (>= 5)
    neb_iters: int = knob(min=1)
    neb_lr: float = knob(min=0)
    neb_spring: float = knob(min=0)
    neb_momentum: float = knob(min=0, max=0.99)
    neb_per_segment: int = knob(min=1)  # evaluation points per NEB segment
    bezier_steps: int = knob(min=1)
    bezier_lr: float = knob(min=0)
    bezier_points: int = knob(min=3)
    path_batch: int = knob(min=8)       # minibatch of NEB and Bezier training


_COMMON = dict(batchnorm=True, batch_size=128, lr_sgd=0.02, lr_sgdm=0.02, lr_adamw=1e-3, wd_adamw=1e-2,
               lanczos_tol=1e-3, neb_spring=1.0, neb_momentum=0.5, bezier_lr=0.02)

PROFILES = dict(
    smoke=OptimizerProbes(channels=(8, 16), hidden=16, n_train=512, n_test=256, epochs=1, n_probe=64,
                          lanczos_iter=10, slq_iter=8, slq_runs=1, line_steps=7, line_span=1.0,
                          sub_dims=(10, 100, 1000), sub_n_train=512, sub_epochs=1, sub_lr=0.03,
                          max_dense_entries=1 << 19, path_points=41, n_path_eval=64, bn_images=64, neb_nodes=5,
                          neb_iters=2, neb_lr=0.02, neb_per_segment=1, bezier_steps=5, bezier_points=5,
                          path_batch=32, **_COMMON),
    quick=OptimizerProbes(channels=(16, 32), hidden=32, n_train=6000, n_test=2000, epochs=8, n_probe=256,
                          lanczos_iter=30, slq_iter=20, slq_runs=1, line_steps=21, line_span=1.0,
                          sub_dims=(15, 100, 400, 1500, 6000, 20_000), sub_n_train=6000, sub_epochs=4, sub_lr=0.03,
                          max_dense_entries=1 << 24, path_points=41, n_path_eval=256, bn_images=256, neb_nodes=5,
                          neb_iters=20, neb_lr=0.02, neb_per_segment=2, bezier_steps=150, bezier_points=21,
                          path_batch=128, **_COMMON),
    full=OptimizerProbes(channels=(32, 64), hidden=40, n_train=50_000, n_test=10_000, epochs=12, n_probe=2048,
                         lanczos_iter=100, slq_iter=80, slq_runs=3, line_steps=41, line_span=1.0,
                         sub_dims=(15, 100, 300, 1000, 2000, 3000, 5000, 10_000, 20_000), sub_n_train=50_000,
                         sub_epochs=5, sub_lr=0.03, max_dense_entries=1 << 26, path_points=41, n_path_eval=5000,
                         bn_images=5000, neb_nodes=5, neb_iters=200, neb_lr=0.02, neb_per_segment=4,
                         bezier_steps=3000, bezier_points=41, path_batch=128, **_COMMON),
)
