"""02 optimization: weight trajectories, gradient norms, and the minimal ratio of critical points.

full is the references' own scale: report 000's 2 x 32 MLP on sin(2 pi x) (Adam lr 0.001, 8 runs x 150 epochs,
weights every epoch), report 001's DeepCNN on all of MNIST (six convolutions 40-16-64-56-64-56, pooling after
every two, global average pooling, Adam lr 1e-3, batch 128, 9 epochs, 8 runs: 112,970 parameters), and 100 runs
for the minimal ratio (reports 000 and 001), here on a 2 x 32 net as report 000's part uses. quick keeps the
sine MLP as it is and report 001's DeepCNN with its recipe, on 768 MNIST images (6 steps per epoch) and 3 runs:
what two CPU cores allow; and keeps the 100 minimal-ratio runs on a 2 x 6 net (61 parameters, so the dense
Hessian and its Newton steps are cheap). The minimal-ratio experiment is ours in every profile (minima solved by
Newton's method), not the reports'. smoke shrinks everything to seconds (a 2-convolution CNN).
"""

from dataclasses import dataclass

from ...core.profiles import knob


@dataclass(frozen=True)
class Optimization:
    n_seeds: int = knob(min=2, max=64)  # runs of each trajectory experiment (own init and data order per seed)
    # trajectories of the sin(2 pi x) MLP (report 000): Adam, minibatches, weights snapshotted every few epochs
    depth: int = knob(min=1, max=8)
    width: int = knob(min=2, max=512)
    n_points: int = knob(min=16)  # training points on a grid of [-1, 1]
    epochs: int = knob(min=1)
    batch_size: int = knob(min=1)
    lr: float = knob(min=0)
    snapshot_every: int = knob(min=1)
    grad_tol: float = knob(min=0)  # an end point counts as converged when its full-batch |grad L| <= this
    # trajectories of an MNIST CNN (reports 001 and 002): Adam, batch mnist_batch_size, snapshots every epoch
    mnist: bool = knob()  # False: skip the MNIST part
    mnist_seeds: int = knob(min=2, max=64)  # runs of the MNIST part: the first this many of the run's seeds
    mnist_channels: tuple = knob()  # conv widths (3 x 3, 'same' padding)
    mnist_pool_every: int = knob(min=1)  # a 2 x 2 max-pool after every this many convolutions
    mnist_global_pool: bool = knob()  # global average pooling before the linear classifier (report 001's net)
    mnist_train: int = knob(min=100, max=60_000)
    mnist_test: int = knob(min=100, max=10_000)
    mnist_epochs: int = knob(min=1)
    mnist_batch_size: int = knob(min=1)
    mnist_lr: float = knob(min=0)
    mnist_grad_tol: float = knob(min=0)
    # minimal ratio: ratio_runs tiny tanh MLPs, full-batch Adam, then damped Newton to |grad L| <= solver_tol
    ratio_runs: int = knob(min=3, max=1000)
    ratio_width: int = knob(min=2, max=64)
    ratio_points: int = knob(min=8)
    ratio_steps: int = knob(min=1)  # full-batch Adam steps (cosine schedule to 0)
    ratio_lr: float = knob(min=0)
    weight_decay: float = knob(min=0)  # L2 penalty wd/2 |theta|^2 in the loss whose critical points we find
    solver_tol: float = knob(min=0)  # converged: full-batch |grad L| <= this (float64)
    solver_iters: int = knob(min=1)  # at most this many accepted Newton steps
    zero_tol: float = knob(min=0)  # |lambda| <= zero_tol * max|lambda| counts as a zero eigenvalue
    n_neighbours: int = knob(min=10)  # random neighbours for the sampling ratio (report 000: 100)
    radius: float = knob(min=0)  # neighbour distance, relative to |theta|


_sine = dict(depth=2, width=32, lr=1e-3, epochs=150, batch_size=32, snapshot_every=1, grad_tol=1e-3)
# report 001's DeepCNN and recipe: six 3 x 3 convolutions 40-16-64-56-64-56, a 2 x 2 max-pool after every two,
# global average pooling, a linear classifier (112,970 parameters); Adam lr 1e-3, batch 128, 9 epochs
_deep_cnn = dict(
    mnist_channels=(40, 16, 64, 56, 64, 56),
    mnist_pool_every=2,
    mnist_global_pool=True,
    mnist_epochs=9,
    mnist_batch_size=128,
    mnist_lr=1e-3,
    mnist_grad_tol=0.05,
)
_ratio = dict(ratio_lr=1e-2, weight_decay=1e-4, solver_tol=1e-6, zero_tol=1e-8, n_neighbours=100, radius=1e-3)

PROFILES = dict(
    smoke=Optimization(
        n_seeds=3,
        **{**_sine, "epochs": 6},
        n_points=64,
        mnist=True,
        mnist_seeds=3,
        mnist_channels=(4, 8),
        mnist_pool_every=1,
        mnist_global_pool=False,
        mnist_train=300,
        mnist_test=200,
        mnist_epochs=2,
        mnist_batch_size=64,
        mnist_lr=1e-3,
        mnist_grad_tol=0.05,
        ratio_runs=6,
        ratio_width=4,
        ratio_points=32,
        ratio_steps=300,
        solver_iters=100,
        **_ratio,
    ),
    quick=Optimization(
        n_seeds=8,
        **_sine,
        n_points=200,
        mnist=True,
        mnist_seeds=3,
        **_deep_cnn,
        mnist_train=768,
        mnist_test=1000,
        ratio_runs=100,
        ratio_width=6,
        ratio_points=64,
        ratio_steps=3000,
        solver_iters=400,
        **_ratio,
    ),
    full=Optimization(
        n_seeds=8,
        **_sine,
        n_points=1000,
        mnist=True,
        mnist_seeds=8,
        **_deep_cnn,
        mnist_train=60_000,
        mnist_test=10_000,
        ratio_runs=100,
        ratio_width=32,
        ratio_points=256,
        ratio_steps=20_000,
        solver_iters=1000,
        **_ratio,
    ),
)
