"""02 optimization: weight trajectories, gradient norms, and the minimal ratio of critical points."""
from dataclasses import dataclass

from ...core.profiles import knob


@dataclass(frozen=True)
class Optimization:
    # trajectories: n_runs seeds of a depth x width MLP on sin(2 pi x), snapshotted every snapshot_every epochs
    n_runs: int = knob(min=2, max=64)
    depth: int = knob(min=1, max=8)
    width: int = knob(min=2, max=512)
    n_points: int = knob(min=16)          # training points on [-1, 1]
    epochs: int = knob(min=1)
    batch_size: int = knob(min=1)
    lr: float = knob(min=0)
    snapshot_every: int = knob(min=1)
    # optional second picture: mnist_runs seeds of a 784-mnist_width-mnist_width-10 MLP on an MNIST subset
    mnist_runs: int = knob(min=0, max=64)   # 0: skip
    mnist_width: int = knob(min=2)
    mnist_train: int = knob(min=100, max=60_000)
    mnist_epochs: int = knob(min=1)
    mnist_snapshot_every: int = knob(min=1)
    # minimal ratio: ratio_runs small MLPs, Adam for a spread of epochs, then Adam on ||grad L||^2 (full batch)
    ratio_runs: int = knob(min=2, max=1000)
    ratio_width: int = knob(min=2, max=64)
    ratio_points: int = knob(min=8)
    ratio_epochs_min: int = knob(min=1)   # phase-1 (normal training) epochs, log-spaced over the runs
    ratio_epochs_max: int = knob(min=1)
    ratio_lr: float = knob(min=0)
    gn_steps: int = knob(min=1)           # phase 2: steps minimising ||grad L||^2
    gn_lr: float = knob(min=0)
    n_neighbours: int = knob(min=10)      # random neighbours for the sampling estimate
    radius: float = knob(min=0)           # neighbour distance, relative to ||theta||
    ensemble: str = knob(choices=("vmap", "loop"))  # how phase 2 trains the runs (see benchmarks/ensemble_vmap.py)


_common = dict(depth=2, width=32, lr=3e-3, ratio_width=16, ratio_lr=1e-2, radius=1e-3, ensemble="vmap")

PROFILES = dict(
    smoke=Optimization(n_runs=3, n_points=64, epochs=6, batch_size=32, snapshot_every=2, mnist_runs=2, mnist_width=32,
                       mnist_train=500, mnist_epochs=2, mnist_snapshot_every=1, ratio_runs=4,
                       ratio_points=32, ratio_epochs_min=5, ratio_epochs_max=50, gn_steps=100, gn_lr=1e-3,
                       n_neighbours=200, **_common),
    quick=Optimization(n_runs=8, n_points=200, epochs=150, batch_size=32, snapshot_every=5, mnist_runs=8, mnist_width=64,
                       mnist_train=5000, mnist_epochs=12, mnist_snapshot_every=1, ratio_runs=30,
                       ratio_points=64, ratio_epochs_min=20, ratio_epochs_max=2000, gn_steps=3000, gn_lr=1e-3,
                       n_neighbours=2000, **_common),
    full=Optimization(n_runs=8, n_points=1000, epochs=150, batch_size=32, snapshot_every=3, mnist_runs=8, mnist_width=100,
                      mnist_train=60_000, mnist_epochs=30, mnist_snapshot_every=3, ratio_runs=100,
                      ratio_points=100, ratio_epochs_min=20, ratio_epochs_max=5000, gn_steps=20000, gn_lr=1e-3,
                      n_neighbours=10000, **_common),
)
