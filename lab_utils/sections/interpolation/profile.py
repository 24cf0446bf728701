"""05 interpolation: the straight line between a small-batch and a large-batch minimum, before and after
permutation alignment."""
from dataclasses import dataclass

from ...core.profiles import knob


@dataclass(frozen=True)
class Interpolation:
    dataset: str = knob(choices=("mnist", "cifar10"))
    n_train: int = knob(min=64)        # training images (a fixed random subset)
    n_test: int = knob(min=64)         # test images (all of them are evaluated at every alpha)
    n_eval_train: int = knob(min=64)   # training images evaluated at every alpha (the first ones)
    channels: tuple = knob()           # conv channels of the CNN (a 2x2 max-pool after each)
    hidden: int = knob(min=0)          # hidden units of the dense head (0: none)
    batchnorm: bool = knob()           # BN after each conv; then BN statistics are recomputed at every alpha
    bn_images: int = knob(min=16)      # training images used to recompute BN statistics
    epochs: int = knob(min=1)          # Adam epochs for both minima
    batch_small: int = knob(min=1)     # the references: 64, lr 1e-3
    lr_small: float = knob(min=0)
    batch_large: int = knob(min=1)     # the references: 1024, lr 1e-2
    lr_large: float = knob(min=0)
    same_init: bool = knob()           # both minima from the same initial weights (else seeds differ)
    n_alphas: int = knob(min=3)        # points on [alpha_min, alpha_max] (0 and 1 are always added)
    alpha_min: float = knob(max=0)
    alpha_max: float = knob(min=1)
    match_iters: int = knob(min=1)     # max sweeps of weight matching
    bn_study: bool = knob()            # also: BN versions of both minima, path with stale vs recomputed BN statistics


PROFILES = dict(
    smoke=Interpolation(dataset="mnist", n_train=1024, n_test=256, n_eval_train=256, channels=(8, 16), hidden=32,
                        batchnorm=True, bn_images=256, epochs=1, batch_small=64, lr_small=1e-3, batch_large=128,
                        lr_large=1e-2, same_init=False, n_alphas=7, alpha_min=-1.0, alpha_max=2.0, match_iters=20,
                        bn_study=True),
    quick=Interpolation(dataset="mnist", n_train=12_000, n_test=4000, n_eval_train=4000, channels=(16, 32), hidden=64,
                        batchnorm=False, bn_images=2048, epochs=3, batch_small=64, lr_small=1e-3, batch_large=1024,
                        lr_large=1e-2, same_init=False, n_alphas=31, alpha_min=-1.0, alpha_max=2.0, match_iters=100,
                        bn_study=True),
    full=Interpolation(dataset="mnist", n_train=60_000, n_test=10_000, n_eval_train=10_000, channels=(32, 64),
                       hidden=128, batchnorm=False, bn_images=4096, epochs=20, batch_small=64, lr_small=1e-3,
                       batch_large=1024, lr_large=1e-2, same_init=False, n_alphas=101, alpha_min=-1.0, alpha_max=2.0,
                       match_iters=100, bn_study=True),
)
