"""01 function fitting: the reference reports' own parameter-matched nets, on sin(5πx)/(5πx) and on MNIST."""

from dataclasses import dataclass

from ...core.profiles import knob


@dataclass(frozen=True)
class Fitting:
    n_seeds: int = knob(min=1, max=20)  # seeds per net (initialisation and minibatch order)
    # 1-D fits: studies "000", "001", "002" (each report's nets and domain), Adam on the mean squared error
    n_points: int = knob(min=16)  # training points, evenly spaced on the study's domain
    sinc_epochs: tuple = knob()  # epochs of the studies 000, 001, 002 (the reports: 100, unstated, 3000)
    sinc_batch: int = knob(min=1)  # minibatch (the reports do not state theirs)
    sinc_lr: float = knob(min=0)  # Adam learning rate (reports 000 and 002: 0.001)
    grad_tol: float = knob(min=0)  # a fit counts as converged when its full-batch ||grad L|| <= grad_tol
    # MNIST pairs "001" (112,970 vs 112,970 parameters) and "002" (454,922 vs 146,938), Adam, batch 128
    n_train_mnist: int = knob(min=100, max=60_000)
    n_test_mnist: int = knob(min=100, max=10_000)
    mnist_epochs: tuple = knob()  # epochs of the pairs 001 and 002 (the reports: 8 and 20)
    mnist_lr: float = knob(min=0)


PROFILES = dict(
    smoke=Fitting(
        n_seeds=2,
        n_points=64,
        sinc_epochs=(4, 4, 4),
        sinc_batch=32,
        sinc_lr=3e-3,
        grad_tol=1e-3,
        n_train_mnist=256,
        n_test_mnist=256,
        mnist_epochs=(1, 1),
        mnist_lr=2e-3,
    ),
    quick=Fitting(
        n_seeds=3,
        n_points=256,
        sinc_epochs=(100, 2000, 2000),
        sinc_batch=128,
        sinc_lr=1e-3,
        grad_tol=1e-3,
        n_train_mnist=3000,
        n_test_mnist=1000,
        mnist_epochs=(2, 2),
        mnist_lr=1e-3,
    ),
    full=Fitting(
        n_seeds=5,
        n_points=1000,
        sinc_epochs=(100, 3000, 3000),
        sinc_batch=32,
        sinc_lr=1e-3,
        grad_tol=1e-3,
        n_train_mnist=60_000,
        n_test_mnist=10_000,
        mnist_epochs=(8, 20),
        mnist_lr=1e-3,
    ),
)
