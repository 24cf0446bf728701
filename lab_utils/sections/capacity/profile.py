"""04 capacity: train/test loss and accuracy against the number of parameters, over log-spaced CNN sizes."""
from dataclasses import dataclass

from ...core.profiles import knob


@dataclass(frozen=True)
class Capacity:
    dataset: str = knob(choices=("mnist", "cifar10"))
    n_train: int = knob(min=100)          # training subset (a small one makes the generalisation gap visible)
    n_test: int = knob(min=100)
    n_models: int = knob(min=2)           # CNN sizes, log-spaced in #parameters from p_min to p_max
    p_min: int = knob(min=100)
    p_max: int = knob(min=1000)
    epochs: int = knob(min=1)
    batch_size: int = knob(min=1)
    lr: float = knob(min=0)
    n_seeds: int = knob(min=1, max=10)    # > 1: mean and error bars (std over seeds) per size
    label_noise: float = knob(min=0.0, max=1.0)  # randomised training labels (> 0 makes double descent likelier)


PROFILES = dict(
    smoke=Capacity(dataset="mnist", n_train=500, n_test=500, n_models=4, p_min=1000, p_max=20_000, epochs=4,
                   batch_size=64, lr=2e-3, n_seeds=2, label_noise=0.0),
    quick=Capacity(dataset="mnist", n_train=4000, n_test=2000, n_models=10, p_min=1000, p_max=300_000, epochs=10,
                   batch_size=64, lr=1e-3, n_seeds=2, label_noise=0.0),
    full=Capacity(dataset="cifar10", n_train=50_000, n_test=10_000, n_models=12, p_min=10_000, p_max=1_000_000,
                  epochs=15, batch_size=128, lr=1e-3, n_seeds=3, label_noise=0.0),
)
