"""01 function fitting: shallow vs deep networks at equal parameter counts."""
from dataclasses import dataclass

from ...core.profiles import knob


@dataclass(frozen=True)
class Fitting:
    depths: tuple = knob()              # hidden layers of the param-matched MLPs (shallow, medium, deep)
    sinc_budget: int = knob(min=10)     # parameter budget of each MLP
    n_points: int = knob(min=16)        # training points on the domain
    epochs_sinc: int = knob(min=1)      # full-batch-ish Adam epochs for the 1-D targets
    batch_sinc: int = knob(min=1)
    lr_sinc: float = knob(min=0)
    targets: tuple = knob()             # 1-D targets (see lab_utils.data.TARGETS)
    mnist_budget: int = knob(min=1000)  # parameter budget of both MNIST CNNs
    n_train_mnist: int = knob(min=100)
    n_test_mnist: int = knob(min=100)
    epochs_mnist: int = knob(min=1)
    lr_mnist: float = knob(min=0)


PROFILES = dict(
    smoke=Fitting(depths=(1, 2, 4), sinc_budget=385, n_points=200, epochs_sinc=15, batch_sinc=64, lr_sinc=3e-3,
                  targets=("sinc", "sines"), mnist_budget=20_000, n_train_mnist=2000, n_test_mnist=500,
                  epochs_mnist=2, lr_mnist=2e-3),
    quick=Fitting(depths=(1, 2, 5), sinc_budget=385, n_points=1000, epochs_sinc=600, batch_sinc=128, lr_sinc=1e-3,
                  targets=("sinc", "sines"), mnist_budget=112_970, n_train_mnist=10_000, n_test_mnist=10_000,
                  epochs_mnist=3, lr_mnist=1e-3),
    full=Fitting(depths=(1, 2, 5, 8), sinc_budget=2600, n_points=1000, epochs_sinc=3000, batch_sinc=128, lr_sinc=1e-3,
                 targets=("sinc", "sines"), mnist_budget=112_970, n_train_mnist=60_000, n_test_mnist=10_000,
                 epochs_mnist=20, lr_mnist=1e-3),
)
