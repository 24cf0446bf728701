"""Claims tested by 05 interpolation: the straight line between a small-batch and a large-batch minimum.
Report 000 does it on CIFAR-10 (α from 0 to 1, test set), report 001 on MNIST (train and test, and beyond
[0, 1]). Neither gives its α grid's resolution; 001 does not say how far beyond [0, 1] it went."""

from .claim import Claim

SECTION = "05_interpolation"

_SETTING_000 = dict(
    data="CIFAR-10",
    model="CifarCNN (architecture not given)",
    small_batch=64,
    large_batch=1024,
    optimizer="not stated",
    epochs="not stated",
    alpha="0 to 1",
    evaluated="test loss and accuracy",
)
_SETTING_001 = dict(
    data="MNIST",
    model="ShallowCNN: conv 32 -> 64, global average pool, FC",
    optimizer="Adam",
    epochs=6,
    small=dict(batch=64, lr=1e-3),
    large=dict(batch=1024, lr=1e-2),
    evaluated="train and test loss, test accuracy",
    alpha="beyond [0, 1], range not stated",
)

CLAIMS = (
    Claim(
        "000.interpolation.barrier",
        "000",
        SECTION,
        "On CIFAR-10 the straight line between a batch-64 and a batch-1024 minimum of the same CNN has a "
        "significant loss barrier: at intermediate α (e.g. α = 0.5) the test loss rises sharply and the test "
        "accuracy plummets, while both ends have low loss and high accuracy.",
        setting=_SETTING_000,
        numbers=dict(batch_small=64, batch_large=1024, alpha_mid=0.5),
    ),
    Claim(
        "000.interpolation.separate_basins",
        "000",
        SECTION,
        "The barrier shows that small- and large-batch training lead to qualitatively different solutions, in "
        "separate, distinct basins of the loss landscape.",
        setting=_SETTING_000,
        numbers=dict(batch_small=64, batch_large=1024),
    ),
    Claim(
        "001.interpolation.double_well",
        "001",
        SECTION,
        "On MNIST the cross-entropy along the line between the batch-64 (lr 1e-3) and the batch-1024 (lr 1e-2) "
        "Adam minima is a double well: low near α = 0 and α = 1 with a barrier between them, and the accuracy "
        "peaks near each end and dips sharply in between.",
        setting=_SETTING_001,
        numbers=dict(batch_small=64, batch_large=1024, epochs=6),
    ),
    Claim(
        "001.interpolation.collapse_below_0",
        "001",
        SECTION,
        "Beyond the batch-64 end of the line (α < 0) the loss increases and the accuracy collapses (the report "
        "says so for both sides at once).",
        setting=_SETTING_001,
        numbers=dict(batch_small=64, batch_large=1024),
    ),
    Claim(
        "001.interpolation.collapse_above_1",
        "001",
        SECTION,
        "Beyond the batch-1024 end of the line (α > 1) the loss increases and the accuracy collapses (the report "
        "says so for both sides at once).",
        setting=_SETTING_001,
        numbers=dict(batch_small=64, batch_large=1024),
    ),
)
