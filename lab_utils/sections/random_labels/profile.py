"""03 random labels: one experiment per reference report's setting, each over `n_seeds` seeds.

    memorization  report 000: a CNN with one hidden FC layer on the true and on permuted MNIST labels
    high_lr       report 001: 3 conv blocks + global average pooling -> FC, permuted training labels, Adam lr 1e-2
    fc_sizes      report 002: one-hidden-layer FC nets on random training *and* test labels, Adam lr 1e-3

`full` is the reports' own scale (where a report leaves a setting open, the choice is ours and the notebook says
so); `quick` shrinks the training sets and the CNNs so that every claim is checked on 3 seeds in a few minutes on a
CPU, and the notebook states the quick scale next to each report's.
"""

from dataclasses import dataclass

from ...core.profiles import knob


@dataclass(frozen=True)
class RandomLabels:
    n_seeds: int = knob(min=1, max=10)  # seeds per setting: init, minibatch order and label shuffle
    n_test: int = knob(min=100)  # MNIST test images (all experiments)
    fit_threshold: float = knob(min=0.1, max=1.0)  # training accuracy that counts as "fitted" / memorized
    grad_tol: float = knob(min=0.0)  # end point is a minimum: full-batch ||grad L|| <= grad_tol ...
    loss_tol: float = knob(min=0.0)  # ... and full-batch training loss <= loss_tol
    # report 000: CNN (conv stages, one hidden FC layer) on true vs permuted labels
    n_train: int = knob(min=100)
    cnn_channels: tuple = knob()
    cnn_hidden: int = knob(min=1)
    epochs: int = knob(min=1)
    batch_size: int = knob(min=1)
    lr: float = knob(min=0)
    # report 001: conv blocks + global average pooling -> FC(10), permuted training labels, Adam
    n_train_001: int = knob(min=100)
    channels_001: tuple = knob()
    epochs_001: int = knob(min=1)
    batch_001: int = knob(min=1)
    lr_001: float = knob(min=0)
    # report 002: FC nets with one hidden layer, random training and test labels, Adam
    n_train_fc: int = knob(min=100)
    fc_widths: tuple = knob()  # hidden widths inside the report's range (1,675-41,435 parameters)
    fc_widths_beyond: tuple = knob()  # larger nets: the report's expectation that they would memorize
    epochs_fc: int = knob(min=1)
    batch_fc: int = knob(min=1)
    lr_fc: float = knob(min=0)


PROFILES = dict(
    smoke=RandomLabels(
        n_seeds=2,
        n_test=256,
        fit_threshold=0.95,
        grad_tol=1e-2,
        loss_tol=0.05,
        n_train=256,
        cnn_channels=(8, 16),
        cnn_hidden=64,
        epochs=3,
        batch_size=32,
        lr=1e-3,
        n_train_001=256,
        channels_001=(4, 8, 16),
        epochs_001=2,
        batch_001=128,
        lr_001=1e-2,
        n_train_fc=256,
        fc_widths=(2, 52),
        fc_widths_beyond=(128,),
        epochs_fc=3,
        batch_fc=128,
        lr_fc=1e-3,
    ),
    quick=RandomLabels(
        n_seeds=3,
        n_test=1000,
        fit_threshold=0.95,
        grad_tol=1e-2,
        loss_tol=0.05,
        n_train=1000,
        cnn_channels=(8, 16),
        cnn_hidden=256,
        epochs=20,
        batch_size=16,
        lr=1e-3,
        n_train_001=1000,
        channels_001=(16, 32, 64),
        epochs_001=12,
        batch_001=128,
        lr_001=1e-2,
        n_train_fc=6000,
        fc_widths=(2, 5, 11, 24, 52),
        fc_widths_beyond=(384,),
        epochs_fc=50,
        batch_fc=128,
        lr_fc=1e-3,
    ),
    full=RandomLabels(
        n_seeds=3,
        n_test=10_000,
        fit_threshold=0.95,
        grad_tol=1e-2,
        loss_tol=0.05,
        n_train=60_000,
        cnn_channels=(32, 64),
        cnn_hidden=512,
        epochs=20,
        batch_size=128,
        lr=1e-3,
        n_train_001=12_000,
        channels_001=(32, 64, 128),
        epochs_001=12,
        batch_001=128,
        lr_001=1e-2,
        n_train_fc=60_000,
        fc_widths=(2, 5, 11, 24, 52),
        fc_widths_beyond=(512,),
        epochs_fc=50,
        batch_fc=128,
        lr_fc=1e-3,
    ),
)
