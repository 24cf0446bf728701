"""06 sensitivity: batch size against test accuracy, input sensitivity (two measures) and sharpness, in the three
reports' own sweeps: 000 (CIFAR-10, a CNN, batch 32-512), 001 (MNIST, report 001's CNN, Adam lr 1e-3, a fixed
number of steps, batch 16-1024) and 002 (batch 5-1,500; it states no net or budget: a fully connected net, like
the random-label nets of the same report, and a fixed number of steps like 001)."""

from dataclasses import dataclass

from ...core.profiles import knob


@dataclass(frozen=True)
class Sensitivity:
    n_seeds: int = knob(min=1, max=20)  # seeds per batch size (init and data order; shared across batch sizes)
    # the net of each sweep: kind "mlp" (hidden widths) or "cnn" (conv channels, a 2x2 max-pool after each conv,
    # a dense head of `head` units (0: none), optional global average pool before it); no BN anywhere
    model: str = knob(choices=("mlp", "cnn"))  # report 001's sweep (MNIST); the report: CNN 32-64-128, GAP, FC
    widths: tuple = knob()
    head: int = knob(min=0)
    global_pool: bool = knob()
    model_002: str = knob(choices=("mlp", "cnn"))  # report 002's sweep (MNIST; the report states no net)
    widths_002: tuple = knob()
    cifar_model: str = knob(choices=("mlp", "cnn"))  # report 000's sweep (CIFAR-10; the report: "CifarCNN")
    cifar_widths: tuple = knob()
    cifar_head: int = knob(min=0)
    cifar_global_pool: bool = knob()
    lr: float = knob(min=0)  # Adam learning rate of every run (report 001: 1e-3)
    scheduler: str = knob(choices=("constant", "cosine"))  # over each run; "constant": constant learning rate
    grad_tol: float = knob(min=0)  # a trained point is a minimum when its full-batch ||grad L|| <= grad_tol
    loss_tol: float = knob(min=0)  # ... and its full-batch training loss <= loss_tol
    probe_images: int = knob(min=8)  # test images for both sensitivity measures
    sharpness: bool = knob()  # also lambda_max of the training loss (Lanczos), sweep 000 only (its claim)
    hessian_images: int = knob(min=8)  # training images for lambda_max
    hessian_iters: int = knob(min=2)  # Lanczos HVP budget
    mnist_n_train: int = knob(min=64, max=60_000)  # MNIST sweeps (reports 001 and 002)
    mnist_n_test: int = knob(min=64, max=10_000)
    steps: int = knob(min=1)  # optimizer steps of every run of report 001's sweep (the report: 6,000)
    steps_002: int = knob(min=1)  # optimizer steps of every run of report 002's sweep (the report: not stated)
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
# report 001's net: "SimpleCNN (3conv blocks 32-> 64-> 128, Gap,FC)"
_REPORT_001_NET = dict(model="cnn", widths=(32, 64, 128), head=0, global_pool=True)

PROFILES = dict(
    # seconds: small MLPs everywhere (a different experiment: the claims are not tested, the code path is)
    smoke=Sensitivity(
        n_seeds=2,
        model="mlp",
        widths=(16,),
        head=0,
        global_pool=False,
        model_002="mlp",
        widths_002=(16,),
        cifar_model="mlp",
        cifar_widths=(16,),
        cifar_head=0,
        cifar_global_pool=False,
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
        steps_002=20,
        cifar_n_train=1024,
        cifar_n_test=256,
        cifar_epochs=1,
        **_REPORT_BATCHES,
    ),
    # the reports' nets and batch sizes; on a CPU only a few steps of report 001's CNN fit the budget (its
    # largest batch alone is 1,024 images a step), so its sweep stops far short of the report's 6,000 steps
    quick=Sensitivity(
        n_seeds=3,
        **_REPORT_001_NET,
        model_002="mlp",
        widths_002=(32,),
        cifar_model="cnn",
        cifar_widths=(8, 16),
        cifar_head=0,
        cifar_global_pool=False,
        lr=1e-3,
        scheduler="cosine",
        grad_tol=0.05,
        loss_tol=0.05,
        probe_images=100,
        sharpness=True,
        hessian_images=128,
        hessian_iters=15,
        mnist_n_train=1536,
        mnist_n_test=500,
        steps=8,
        steps_002=1000,
        cifar_n_train=2000,
        cifar_n_test=1000,
        cifar_epochs=5,
        **_REPORT_BATCHES,
    ),
    full=Sensitivity(
        n_seeds=5,
        **_REPORT_001_NET,
        model_002="mlp",
        widths_002=(64,),
        cifar_model="cnn",
        cifar_widths=(32, 64, 128),
        cifar_head=0,
        cifar_global_pool=True,
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
        steps_002=6000,
        cifar_n_train=50_000,
        cifar_n_test=10_000,
        cifar_epochs=30,
        **_REPORT_BATCHES,
    ),
)
