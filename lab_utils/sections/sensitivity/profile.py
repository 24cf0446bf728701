"""06 sensitivity: batch size against test accuracy, input sensitivity (two measures) and sharpness, in the three
reports' own sweeps: 000 (CIFAR-10, batch 32-512), 001 (MNIST, a fixed number of steps, batch 16-1024) and 002
(batch 5-1,500, the same protocol as 001 since it states none)."""

from dataclasses import dataclass

from ...core.profiles import knob


@dataclass(frozen=True)
class Sensitivity:
    n_seeds: int = knob(min=1, max=20)  # seeds per batch size (init and data order; shared across batch sizes)
    model: str = knob(choices=("mlp", "cnn"))
    widths: tuple = knob()  # MNIST net: MLP hidden widths, or CNN conv channels
    cifar_widths: tuple = knob()  # the same for CIFAR-10
    head: int = knob(min=0)  # CNN only: units of the dense head (0: none)
    global_pool: bool = knob()  # CNN only: global average pool before the head
    lr: float = knob(min=0)  # Adam learning rate of every run (report 001: 1e-3)
    scheduler: str = knob(choices=("constant", "cosine"))  # over each run; "constant": constant learning rate
    grad_tol: float = knob(min=0)  # a trained point is a minimum when its full-batch ||grad L|| <= grad_tol
    loss_tol: float = knob(min=0)  # ... and its full-batch training loss <= loss_tol
    probe_images: int = knob(min=8)  # test images for both sensitivity measures
    sharpness: bool = knob()  # also lambda_max of the training loss (Lanczos)
    hessian_images: int = knob(min=8)  # training images for lambda_max
    hessian_iters: int = knob(min=2)  # Lanczos HVP budget
    mnist_n_train: int = knob(min=64, max=60_000)  # MNIST sweeps (reports 001 and 002)
    mnist_n_test: int = knob(min=64, max=10_000)
    steps: int = knob(min=1)  # optimizer steps of every MNIST run (report 001: 6,000)
    batches_001: tuple = knob()  # report 001: 16, 32, ..., 1024
    batches_002: tuple = knob()  # report 002: 5, 25, 125, 500, 1500
    cifar_n_train: int = knob(min=64, max=50_000)  # the CIFAR-10 sweep (report 000)
    cifar_n_test: int = knob(min=64, max=10_000)
    cifar_epochs: int = knob(min=1)  # epochs of every CIFAR-10 run (report 000 does not say)
    batches_000: tuple = knob()  # report 000: 32, 64, 128, 256, 512


_REPORT_BATCHES = dict(
    batches_001=(16, 32, 64, 128, 256, 512, 1024),
    batches_002=(5, 25, 125, 500, 1500),
    batches_000=(32, 64, 128, 256, 512),
)

PROFILES = dict(
    smoke=Sensitivity(
        n_seeds=2,
        model="mlp",
        widths=(16,),
        cifar_widths=(16,),
        head=0,
        global_pool=False,
        lr=1e-3,
        scheduler="cosine",
        grad_tol=0.05,
        loss_tol=0.05,
        probe_images=64,
        sharpness=True,
        hessian_images=64,
        hessian_iters=10,
        mnist_n_train=1536,
        mnist_n_test=256,
        steps=20,
        cifar_n_train=1024,
        cifar_n_test=256,
        cifar_epochs=1,
        **_REPORT_BATCHES,
    ),
    quick=Sensitivity(
        n_seeds=3,
        model="mlp",
        widths=(32,),
        cifar_widths=(64,),
        head=0,
        global_pool=False,
        lr=1e-3,
        scheduler="cosine",
        grad_tol=0.05,
        loss_tol=0.05,
        probe_images=500,
        sharpness=True,
        hessian_images=500,
        hessian_iters=30,
        mnist_n_train=2000,
        mnist_n_test=4000,
        steps=1000,
        cifar_n_train=2500,
        cifar_n_test=2000,
        cifar_epochs=30,
        **_REPORT_BATCHES,
    ),
    full=Sensitivity(
        n_seeds=5,
        model="cnn",
        widths=(32, 64, 128),
        cifar_widths=(32, 64, 128),
        head=0,
        global_pool=True,
        lr=1e-3,
        scheduler="cosine",
        grad_tol=0.05,
        loss_tol=0.05,
        probe_images=2000,
        sharpness=True,
        hessian_images=2048,
        hessian_iters=60,
        mnist_n_train=60_000,
        mnist_n_test=10_000,
        steps=6000,
        cifar_n_train=50_000,
        cifar_n_test=10_000,
        cifar_epochs=30,
        **_REPORT_BATCHES,
    ),
)
