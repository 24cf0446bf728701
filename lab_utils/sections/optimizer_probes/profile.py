"""08 optimizer probes: curvature, gradient noise, intrinsic dimension and connectivity of SGD, SGD+momentum and
AdamW end points of one small CIFAR-10 CNN, over several seeds."""

from dataclasses import dataclass

from ...core.profiles import knob


@dataclass(frozen=True)
class OptimizerProbes:
    n_seeds: int = knob(min=1)  # seeds per optimizer (each: its own initialisation and minibatch order)
    control: bool = knob()  # also train the same-start control (SGD+momentum from SGD's start) and its paths
    # the CNN (lab_utils.models "cnn" kind, 3x32x32 inputs) and its training
    channels: tuple = knob()
    hidden: int = knob(min=0)
    batchnorm: bool = knob()
    n_train: int = knob(min=64)
    n_test: int = knob(min=64)
    epochs: int = knob(min=1)
    eval_every: int = knob(min=1)  # test metrics after every eval_every-th epoch, the first and the last
    batch_size: int = knob(min=1)
    scheduler: str = knob(choices=("constant", "cosine"))  # over each run; "constant": constant learning rate
    lr_sgd: float = knob(min=0)  # plain SGD
    lr_sgdm: float = knob(min=0)  # SGD with momentum 0.9
    wd_sgd: float = knob(min=0)  # weight decay of both SGD variants
    lr_adamw: float = knob(min=0)
    wd_adamw: float = knob(min=0)
    # an end point is a minimum when full-batch ||grad L|| <= grad_tol and training loss <= loss_tol (eval mode)
    grad_tol: float = knob(min=0)
    loss_tol: float = knob(min=0)
    # curvature and noise, on the first n_probe training images (BN in eval mode)
    n_probe: int = knob(min=8)
    n_fisher: int = knob(min=2)  # the Fisher on the first n_fisher probe images (n_fisher * 10 * p floats)
    lanczos_iter: int = knob(min=3)  # HVP budget of each Lanczos run
    lanczos_tol: float = knob(min=0)  # eigenvalue error bound: lanczos_tol * ||H||
    slq_iter: int = knob(min=2)
    slq_runs: int = knob(min=1)
    trace_samples: int = knob(min=2)  # Hutchinson probes beyond the Lanczos basis (trace of the rest)
    line_steps: int = knob(min=3)  # points on the +- top-eigenvector / random-direction lines
    line_span: float = knob(min=0)  # the lines reach +- line_span along a unit-norm direction
    # intrinsic dimension
    sub_dims: tuple = knob()
    sub_n_train: int = knob(min=64)
    sub_epochs: int = knob(min=1)
    sub_lr: float = knob(min=0)  # Adam on z at d = 1000, scaled by sqrt(1000 / d) (subspace.scaled_lr)
    max_dense_entries: int = knob(min=1)
    # connectivity
    alpha_lo: float = knob(max=0)  # the straight line runs over alpha in [alpha_lo, alpha_hi] ...
    alpha_hi: float = knob(min=1)
    path_points: int = knob(min=3)  # ... at path_points points (0 and 1 among them)
    n_path_eval: int = knob(min=8)  # training images the path losses are measured on
    bn_images: int = knob(min=8)  # training images BN statistics are re-estimated on, at every path point
    neb_nodes: int = knob(min=5)  # movable nodes (report 004: 5)
    neb_iters: int = knob(min=1)
    neb_lr: float = knob(min=0)
    neb_spring: float = knob(min=0)
    neb_momentum: float = knob(min=0, max=0.99)
    neb_per_segment: int = knob(min=1)  # evaluation points per NEB segment
    bezier_steps: int = knob(min=1)
    bezier_lr: float = knob(min=0)
    bezier_points: int = knob(min=3)
    path_batch: int = knob(min=8)  # minibatch of NEB and Bezier training


_COMMON = dict(
    batchnorm=True,
    wd_sgd=5e-4,
    wd_adamw=1e-2,
    lanczos_tol=1e-3,
    trace_samples=2,
    line_span=0.3,
    alpha_lo=-0.5,
    alpha_hi=1.5,
    path_points=41,
    neb_nodes=5,
    neb_spring=1.0,
    neb_momentum=0.5,
    bezier_lr=0.02,
)

PROFILES = dict(
    smoke=OptimizerProbes(
        n_seeds=2,
        control=True,
        channels=(4, 8),
        hidden=16,
        n_train=256,
        n_test=128,
        epochs=2,
        eval_every=1,
        batch_size=64,
        scheduler="cosine",
        lr_sgd=0.1,
        lr_sgdm=0.02,
        lr_adamw=3e-3,
        grad_tol=0.1,
        loss_tol=0.05,
        n_probe=32,
        n_fisher=16,
        lanczos_iter=8,
        slq_iter=6,
        slq_runs=1,
        line_steps=5,
        sub_dims=(15, 100, 1000),
        sub_n_train=256,
        sub_epochs=1,
        sub_lr=0.03,
        max_dense_entries=1 << 16,
        n_path_eval=32,
        bn_images=32,
        neb_iters=2,
        neb_lr=0.02,
        neb_per_segment=1,
        bezier_steps=3,
        bezier_points=5,
        path_batch=32,
        **_COMMON,
    ),
    # report 004's CNN (3 conv layers, 64 base filters, 182,848 parameters), optimizers, learning rates and batch
    # size, constant learning rate, cut to 1,024 images, 8 epochs and 3 seeds to fit the quick budget; the probes
    # on fewer images and with fewer Lanczos iterations than full; no same-start control (full trains it)
    quick=OptimizerProbes(
        n_seeds=3,
        control=False,
        channels=(64, 64, 128),
        hidden=34,
        n_train=1024,
        n_test=1000,
        epochs=8,
        eval_every=4,
        batch_size=128,
        scheduler="constant",
        lr_sgd=0.01,
        lr_sgdm=0.01,
        lr_adamw=1e-3,
        grad_tol=0.1,
        loss_tol=0.05,
        n_probe=64,
        n_fisher=16,
        lanczos_iter=10,
        slq_iter=6,
        slq_runs=1,
        line_steps=11,
        sub_dims=(15, 1000),
        sub_n_train=1024,
        sub_epochs=3,
        sub_lr=0.03,
        max_dense_entries=1 << 24,
        n_path_eval=128,
        bn_images=64,
        neb_iters=8,
        neb_lr=0.02,
        neb_per_segment=1,
        bezier_steps=30,
        bezier_points=11,
        path_batch=32,
        **_COMMON,
    ),
    # report 004's setting: 3 conv layers with 64 base filters, ~183K parameters, all of CIFAR-10, 12 epochs,
    # batch 128, SGD lr 0.01 with weight decay 5e-4; its schedule and its SGD+Momentum and AdamW settings are not
    # given (constant lr and the lrs below are ours). Whether 12 epochs reach a minimum is what the convergence record says.
    full=OptimizerProbes(
        n_seeds=5,
        control=True,
        channels=(64, 64, 128),
        hidden=34,
        n_train=50_000,
        n_test=10_000,
        epochs=12,
        eval_every=1,
        batch_size=128,
        scheduler="constant",
        lr_sgd=0.01,
        lr_sgdm=0.01,
        lr_adamw=1e-3,
        grad_tol=0.02,
        loss_tol=0.02,
        n_probe=2048,
        n_fisher=512,
        lanczos_iter=100,
        slq_iter=80,
        slq_runs=3,
        line_steps=41,
        sub_dims=(15, 100, 300, 1000, 2000, 3000, 5000, 10_000, 20_000, 50_000),
        sub_n_train=50_000,
        sub_epochs=10,
        sub_lr=0.03,
        max_dense_entries=1 << 26,
        n_path_eval=5000,
        bn_images=5000,
        neb_iters=200,
        neb_lr=0.02,
        neb_per_segment=4,
        bezier_steps=3000,
        bezier_points=41,
        path_batch=128,
        **_COMMON,
    ),
)
