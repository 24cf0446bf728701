"""04 capacity: two size sweeps, one per reference report's setting, each size over `n_seeds` seeds.

    cifar  report 000: CIFAR-10, CNNs of about 100k-500k parameters, 15 epochs
    mnist  report 001: MNIST, 11 sizes, Adam lr 1e-3, 5 epochs (its own conv-channel variants in `full`)

A size family here is either a list of report 001's (c1, c2) conv channels with global average pooling
(`mnist_channel_pairs`), or fixed conv channels with the hidden FC width chosen so that the parameter counts are
log-spaced between p_min and p_max (cheap on a CPU: the FC layer holds most parameters and few FLOPs). The CIFAR-10
family grows the conv channels (c, 2c) and the hidden FC width together, as report 000 varied both
(`cifar_conv_range`); quick keeps the channels small, where the FC layer holds most of the 100k-500k parameters.
"""

from dataclasses import dataclass

from ...core.profiles import knob


@dataclass(frozen=True)
class Capacity:
    n_seeds: int = knob(min=1, max=10)  # seeds per size: initialisation and minibatch order
    grad_tol: float = knob(min=0.0)  # an end point is a minimum: full-batch ||grad L|| <= grad_tol
    # report 000: CIFAR-10
    cifar_n_train: int = knob(min=100)
    cifar_n_test: int = knob(min=100)
    cifar_conv_range: tuple = knob()  # (c_lo, c_hi): conv (c, 2c) grows over it with the FC width; () -> fixed
    cifar_channels: tuple = knob()  # fixed conv channels when cifar_conv_range is (): only the FC width varies
    cifar_n_models: int = knob(min=3)
    cifar_p_min: int = knob(min=100)
    cifar_p_max: int = knob(min=1000)
    cifar_epochs: int = knob(min=1)
    cifar_batch: int = knob(min=1)
    cifar_lr: float = knob(min=0.0)
    # report 001: MNIST
    mnist_n_train: int = knob(min=100)
    mnist_n_test: int = knob(min=100)
    mnist_channel_pairs: tuple = knob()  # report 001's (c1, c2) variants (GAP head); () -> the FC family
    mnist_channels: tuple = knob()  # fixed conv channels of the FC family
    mnist_n_models: int = knob(min=3)
    mnist_p_min: int = knob(min=100)
    mnist_p_max: int = knob(min=1000)
    mnist_epochs: int = knob(min=1)
    mnist_batch: int = knob(min=1)
    mnist_lr: float = knob(min=0.0)


CHANNELS_001 = (
    (8, 8),
    (12, 12),
    (16, 16),
    (24, 24),
    (32, 32),
    (48, 48),
    (64, 64),
    (80, 64),
    (96, 64),
    (112, 80),
    (128, 96),
)

PROFILES = dict(
    smoke=Capacity(
        n_seeds=2,
        grad_tol=1e-2,
        cifar_n_train=300,
        cifar_n_test=300,
        cifar_conv_range=(),
        cifar_channels=(4, 8),
        cifar_n_models=3,
        cifar_p_min=100_000,
        cifar_p_max=500_000,
        cifar_epochs=2,
        cifar_batch=64,
        cifar_lr=1e-3,
        mnist_n_train=300,
        mnist_n_test=300,
        mnist_channel_pairs=(),
        mnist_channels=(4, 8),
        mnist_n_models=5,
        mnist_p_min=1_000,
        mnist_p_max=300_000,
        mnist_epochs=2,
        mnist_batch=64,
        mnist_lr=1e-3,
    ),
    quick=Capacity(
        n_seeds=3,
        grad_tol=1e-2,
        cifar_n_train=500,
        cifar_n_test=1000,
        cifar_conv_range=(4, 12),
        cifar_channels=(),
        cifar_n_models=10,
        cifar_p_min=100_000,
        cifar_p_max=500_000,
        cifar_epochs=15,
        cifar_batch=64,
        cifar_lr=1e-3,
        mnist_n_train=2000,
        mnist_n_test=1000,
        mnist_channel_pairs=CHANNELS_001,
        mnist_channels=(),
        mnist_n_models=11,
        mnist_p_min=750,
        mnist_p_max=113_000,
        mnist_epochs=2,
        mnist_batch=128,
        mnist_lr=1e-3,
    ),
    full=Capacity(
        n_seeds=3,
        grad_tol=1e-2,
        cifar_n_train=50_000,
        cifar_n_test=10_000,
        cifar_conv_range=(16, 32),
        cifar_channels=(),
        cifar_n_models=10,
        cifar_p_min=100_000,
        cifar_p_max=500_000,
        cifar_epochs=15,
        cifar_batch=128,
        cifar_lr=1e-3,
        mnist_n_train=20_000,
        mnist_n_test=10_000,
        mnist_channel_pairs=CHANNELS_001,
        mnist_channels=(),
        mnist_n_models=11,
        mnist_p_min=750,
        mnist_p_max=113_000,
        mnist_epochs=5,
        mnist_batch=128,
        mnist_lr=1e-3,
    ),
)
