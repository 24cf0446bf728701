"""06 sensitivity: test accuracy, input sensitivity (Jacobian norm) and sharpness (Hessian lambda_max) against
the batch size."""
from dataclasses import dataclass

from ...core.profiles import knob


@dataclass(frozen=True)
class Sensitivity:
    dataset: str = knob(choices=("mnist", "cifar10"))
    n_train: int = knob(min=64)          # training images (a fixed random subset); the gap is measured on all
    n_test: int = knob(min=64)
    channels: tuple = knob()             # conv channels of the CNN (no BN: sharpness of the plain loss)
    hidden: int = knob(min=0)
    batch_min: int = knob(min=1)         # batch sizes: n_batch sizes log-spaced from batch_min to batch_max
    batch_max: int = knob(min=2)
    n_batch: int = knob(min=5, max=20)
    mode: str = knob(choices=("epochs", "steps"))  # same number of epochs (equal compute) or of optimizer steps
    epochs: int = knob(min=1)            # mode "epochs"
    steps: int = knob(min=1)             # mode "steps" (the references: 6,000)
    optimizer: str = knob(choices=("sgd", "adam"))
    lr: float = knob(min=0)              # learning rate at batch size base_batch
    momentum: float = knob(min=0, max=0.999)  # SGD only
    lr_scaling: str = knob(choices=("fixed", "linear", "sqrt"))  # lr(b) = lr * (b / base_batch)^{0, 1, 1/2}
    base_batch: int = knob(min=1)
    jacobian_images: int = knob(min=1)   # test images for the Jacobian norm (exact, all 10 classes)
    hessian_images: int = knob(min=8)    # training images for lambda_max
    hessian_iters: int = knob(min=2)     # Lanczos HVP budget
    hessian_tol: float = knob(min=0)     # relative residual of the top Ritz pair


PROFILES = dict(
    smoke=Sensitivity(dataset="mnist", n_train=512, n_test=256, channels=(8, 16), hidden=32, batch_min=16,
                      batch_max=256, n_batch=5, mode="steps", epochs=1, steps=30, optimizer="sgd", lr=0.02,
                      momentum=0.9, lr_scaling="fixed", base_batch=64, jacobian_images=64, hessian_images=64,
                      hessian_iters=12, hessian_tol=1e-2),
    quick=Sensitivity(dataset="mnist", n_train=5000, n_test=4000, channels=(16, 32), hidden=64, batch_min=16,
                      batch_max=512, n_batch=6, mode="steps", epochs=3, steps=400, optimizer="sgd", lr=0.02,
                      momentum=0.9, lr_scaling="fixed", base_batch=64, jacobian_images=256, hessian_images=256,
                      hessian_iters=40, hessian_tol=1e-3),
    full=Sensitivity(dataset="mnist", n_train=60_000, n_test=10_000, channels=(32, 64), hidden=128, batch_min=16,
                     batch_max=1024, n_batch=7, mode="steps", epochs=20, steps=6000, optimizer="sgd", lr=0.02,
                     momentum=0.9, lr_scaling="fixed", base_batch=64, jacobian_images=1000, hessian_images=2048,
                     hessian_iters=100, hessian_tol=1e-4),
)
