"""Claims tested by the optimizer_probes section (08): report 004, SGD / SGD+Momentum / AdamW on a small CIFAR-10
CNN, probed at the end of training.

Report 004 runs each optimizer once (seed 42) and names its three AutoNEB paths in the order SGD -> SGD+Momentum,
SGD+Momentum -> AdamW, AdamW -> SGD; the ids below keep that order. Its condition number is |lambda_max /
lambda_min| with lambda_min the most negative Lanczos eigenvalue (129.34 / 4.94 = 26.18, its 26.19), i.e. the
lab's `probes.condition_extremes` (numbers condition_extremes_*; 07's kappa_k = lambda_1 / lambda_k is the other
condition number, `condition_top_k`). Its "path_loss" is not defined in the report (we compare it with the maximum
loss along our relaxed path), nor is the exact gradient covariance behind its noise ratio lambda_C / lambda_H.

The settings (`references.setting`): the report gives "SimpleCNN with 3 conv layers, 64 base filters", "183K
parameters", CIFAR-10 with train batch 128, 12 epochs, seed 42, and one optimizer configuration in full (SGD: lr
0.01, momentum 0.0, weight decay 5e-4); SGD+Momentum's and AdamW's "specific lr, momentum, weight_decay" are not
given, nor is a learning-rate schedule (the config it shows lists none), augmentation, or which images its
validation accuracy is measured on. The three runs of a claim are one setting: `optimizer` lists the three in the
order SGD, SGD+Momentum, AdamW, and the keys of the one configuration the report states carry the suffix `_sgd`.
CIFAR-10's training set (50,000 images) is read as the report's, since it names no subset.
"""

from .claim import Claim
from .setting import About

SECTION = "08_optimizer_probes"

# the recipe every claim of 004 shares (module docstring)
RECIPE = dict(
    model="CNN, 3 conv layers, 64 base filters",
    n_params=About(183_000),
    data="CIFAR-10",
    n_train=50_000,
    optimizer=("sgd", "sgd", "adamw"),  # SGD, SGD+Momentum, AdamW
    lr_sgd=0.01,
    momentum_sgd=0.0,
    weight_decay_sgd=5e-4,
    batch_size=128,
    epochs=12,
    seeds=1,
)
LANCZOS = dict(lanczos_k=3)  # "--k 3": the top three Hessian eigenvalues by Lanczos
LINE = dict(path_points=41)  # "--steps 41" along the straight line
NEB = dict(neb_nodes=5)  # "5 nodes" (its iterations: "--iters 20" in the command, "12 iterations" in the results)
SUBSPACE = dict(subspace_dim=15)  # "--d_sub 15"


def _claim(name: str, claim: str, numbers: dict, **measure) -> Claim:
    return Claim(f"004.{name}", "004", SECTION, claim, {**RECIPE, **measure}, numbers)


CLAIMS = (
    _claim(
        "accuracy.sgd_lowest",
        "Plain SGD ends with the lowest validation accuracy of the three optimizers (the slowest of them).",
        dict(acc_sgd=63.64, acc_sgd_momentum=71.89, acc_adamw=71.91),
    ),
    _claim(
        "accuracy.adamw_best",
        "AdamW reaches the best validation accuracy of the three optimizers, despite the sharpest minimum.",
        dict(acc_adamw=71.91, acc_sgd_momentum=71.89),
    ),
    _claim(
        "training.adamw_fastest_early",
        "AdamW learns fastest early: after the first epoch it is far ahead of plain SGD.",
        dict(acc_epoch0_adamw=44.71, acc_epoch0_sgd=31.85),
    ),
    _claim(
        "curvature.momentum_flattest",
        "SGD+Momentum ends in the flattest region: its top Hessian eigenvalue is the smallest of the three.",
        dict(lambda_max_sgd=129.34, lambda_max_sgd_momentum=37.60, lambda_max_adamw=175.18),
        **LANCZOS,
    ),
    _claim(
        "curvature.adamw_sharpest",
        "AdamW ends in the sharpest region: its top Hessian eigenvalue is the largest of the three.",
        dict(lambda_max_adamw=175.18, lambda_max_sgd=129.34),
        **LANCZOS,
    ),
    _claim(
        "curvature.indefinite",
        "All three end points have indefinite Hessians (a negative smallest eigenvalue): non-convex but "
        "reasonable minima.",
        dict(lambda_min_sgd=-4.94, lambda_min_sgd_momentum=-2.01, lambda_min_adamw=-3.11),
        **LANCZOS,
    ),
    _claim(
        "curvature.condition_order",
        "The condition number lambda_max / abs(lambda_min) is smallest for SGD+Momentum and largest for AdamW.",
        dict(condition_extremes_sgd=26.19, condition_extremes_sgd_momentum=18.74, condition_extremes_adamw=56.39),
        **LANCZOS,
    ),
    _claim(
        "noise.ratio_above_one",
        "At every end point the top eigenvalue of the gradient-noise covariance exceeds the top Hessian "
        "eigenvalue (noise ratio lambda_C / lambda_H above 1).",
        dict(ratio_sgd=2.77, ratio_sgd_momentum=3.60, ratio_adamw=1.52),
    ),
    _claim(
        "noise.adamw_lowest",
        "AdamW has the lowest gradient-noise ratio of the three optimizers.",
        dict(ratio_adamw=1.52, ratio_sgd=2.77, ratio_sgd_momentum=3.60),
    ),
    _claim(
        "noise.sgd_highest",
        "Plain SGD has the highest gradient-noise ratio of the three (the report's own SGD+Momentum ratio, "
        "3.60, is higher than SGD's 2.77).",
        dict(ratio_sgd=2.77, ratio_sgd_momentum=3.60),
    ),
    _claim(
        "intrinsic.d15_near_chance",
        "Training in a random 15-dimensional subspace reaches only about 14 % test accuracy, against 71.9 % "
        "with all parameters.",
        dict(d=15, acc_d15=14, acc_full=71.9),
        **SUBSPACE,
    ),
    _claim(
        "intrinsic.full_space_needed",
        "All optimizers need the full parameter space (the report: 'require full 183K parameter space'): no "
        "random subspace much smaller than the network recovers the full model's accuracy.",
        dict(d=15, acc_d15=14),
    ),
    _claim(
        "interpolation.sgd_to_sgd_momentum_min_beyond",
        "On the straight line from the SGD to the SGD+Momentum end point the loss is lowest beyond the "
        "SGD+Momentum end.",
        dict(alpha_min=1.325),
        **LINE,
    ),
    _claim(
        "interpolation.sgd_momentum_to_adamw_min_at_start",
        "On the straight line from the SGD+Momentum to the AdamW end point the loss is lowest at its start, "
        "near SGD+Momentum.",
        dict(alpha_min=-0.025),
        **LINE,
    ),
    _claim(
        "interpolation.adamw_to_sgd_min_at_start",
        "On the straight line from the AdamW to the SGD end point the loss is lowest at its start, near AdamW, "
        "with a sharp barrier towards SGD.",
        dict(alpha_min=-0.025),
        **LINE,
    ),
    _claim(
        "neb.barriers_separate_minima",
        "Even along the AutoNEB minimum-energy paths a barrier separates AdamW's end point from the other two "
        "(SGD+Momentum to AdamW, AdamW to SGD): AdamW's minimum lies in a distinct valley.",
        dict(path_loss_sgd_momentum_to_adamw=4.667, path_loss_adamw_to_sgd=4.708),
        **NEB,
    ),
    _claim(
        "neb.sgd_sgd_momentum_most_connected",
        "The SGD to SGD+Momentum path has the lowest loss of the three AutoNEB paths: the momentum variants "
        "share a more connected region, AdamW's minimum is more isolated.",
        dict(path_loss_sgd_to_sgd_momentum=3.263, path_loss_sgd_momentum_to_adamw=4.667, path_loss_adamw_to_sgd=4.708),
        **NEB,
    ),
)
