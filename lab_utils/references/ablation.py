"""Claims of report 003 (ResNet-20 skip x BN ablation on CIFAR-10) tested by the ablation section (07).

Report 003 gives one number per variant (one run each): test accuracy, "loss range" on a 10 x 10 grid on
[-1, 1]^2 along "random orthonormal vectors" "normalized by parameter count", the top Hessian eigenvalue by 5
power iterations and a "condition number" kappa = lambda_max / lambda_min. Its percentages stay percentages here.
It does not state data augmentation or on which images the landscape and the Hessian are evaluated.
"""

from .claim import Claim
from .setting import NOT_STATED, About

SECTION = "07_ablation"
SETTING = {
    "model": "ResNet-20, skip connections and batch norm each on or off",
    "n_params": About(270_000),
    "data": "CIFAR-10",
    "n_train": 50_000,
    "n_test": 10_000,
    "optimizer": "sgd",
    "lr": 0.1,
    "momentum": 0.9,
    "weight_decay": 1e-4,
    "batch_size": 32,
    "scheduler": "cosine",
    "augment": NOT_STATED,
    "epochs": 20,
    "seeds": 1,
}
# the loss range: max - min of the loss on the grid
LANDSCAPE = {
    "grid_steps": 10,
    "span": 1.0,
    "directions": "random orthonormal, normalized by parameter count",
}
# lambda_max: the report's 5 power iterations
HESSIAN = {"eigen_method": "power iteration", "power_iters": 5}
# kappa: the report does not say how it found lambda_min
CONDITION = {"kappa": "lambda_max / lambda_min"}

CLAIMS = (
    Claim(
        "003.ablation.skip_bn_beats_bn_only",
        "003",
        SECTION,
        "Skip connections plus batch norm reach a higher test accuracy than batch norm alone: batch norm cannot "
        "fully compensate for missing skip connections.",
        SETTING,
        {"acc_skip_bn": 85.05, "acc_bn_only": 84.51},
    ),
    Claim(
        "003.ablation.skip_only_diverges",
        "003",
        SECTION,
        "With skip connections but without batch norm, training diverges to NaN (gradient explosion).",
        SETTING,
        {},
    ),
    Claim(
        "003.ablation.plain_net_at_chance",
        "003",
        SECTION,
        "Without skip connections and batch norm the 20-layer net does not learn: 10 percent test accuracy "
        "(random predictions) and a loss of ln 10 = 2.3026.",
        SETTING,
        {"acc_neither": 10.00, "loss_neither": 2.3026},
    ),
    Claim(
        "003.ablation.skip_more_critical_than_bn",
        "003",
        SECTION,
        "Skip connections are more critical than batch norm for optimizing the deep network.",
        SETTING,
        {"acc_skip_bn": 85.05, "acc_bn_only": 84.51},
    ),
    Claim(
        "003.ablation.skip_reduces_lambda_max",
        "003",
        SECTION,
        "Without skip connections (batch norm kept) the minimum is much sharper: a 13-fold higher top Hessian "
        "eigenvalue, 90.58 versus 6.96.",
        {**SETTING, **HESSIAN},
        {"lambda_skip_bn": 6.96, "lambda_bn_only": 90.58, "fold": 13},
    ),
    Claim(
        "003.ablation.lambda_reduction_92_percent",
        "003",
        SECTION,
        "Skip connections reduce the top Hessian eigenvalue by 92 percent.",
        {**SETTING, **HESSIAN},
        {"reduction_percent": 92},
    ),
    Claim(
        "003.ablation.skip_lowers_loss_range",
        "003",
        SECTION,
        "Without skip connections (batch norm kept) the landscape around the minimum varies more: loss range "
        "0.0024 versus 0.0005 with skip connections.",
        {**SETTING, **LANDSCAPE},
        {"range_skip_bn": 0.0005, "range_bn_only": 0.0024},
    ),
    Claim(
        "003.ablation.plain_net_flat_landscape",
        "003",
        SECTION,
        "The plain net (no skip connections, no batch norm) sits on a completely flat landscape: loss range "
        "0.0000 on the grid.",
        {**SETTING, **LANDSCAPE},
        {"range_neither": 0.0},
    ),
    Claim(
        "003.ablation.plain_net_small_lambda",
        "003",
        SECTION,
        "The plain net's Hessian is degenerate, with a top eigenvalue of 0.100 against 6.96 for skip "
        "connections plus batch norm.",
        {**SETTING, **HESSIAN},
        {"lambda_neither": 0.1, "lambda_skip_bn": 6.96},
    ),
    Claim(
        "003.ablation.condition_number_near_one",
        "003",
        SECTION,
        "The Hessian condition number kappa = lambda_max / lambda_min is about one: 1.05 with skip connections "
        "and batch norm, 1.00 with batch norm only and 1.00 with neither.",
        {**SETTING, **CONDITION},
        {"kappa_skip_bn": 1.05, "kappa_bn_only": 1.0, "kappa_neither": 1.0},
    ),
    Claim(
        "003.ablation.vanishing_gradient",
        "003",
        SECTION,
        "The 20-layer net without skip connections and batch norm shows the vanishing gradient problem: the "
        "gradient decays exponentially with depth, by about (0.9)^20 = 0.12 across the 20 layers.",
        SETTING,
        {"factor_per_layer": 0.9, "layers": 20, "decay": 0.12},
    ),
    Claim(
        "003.ablation.lambda_predicts_generalization",
        "003",
        SECTION,
        "Landscape geometry predicts generalization: a higher top Hessian eigenvalue goes with worse "
        "generalization, with strong correlations (r > 0.85).",
        {**SETTING, **HESSIAN},
        {"r": 0.85},
    ),
)
