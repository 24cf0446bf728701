"""Claims tested by 05 interpolation: the straight line between a small-batch and a large-batch minimum.
Report 000 does it on CIFAR-10 (α from 0 to 1, test set) with its `CifarCNN`, whose architecture, optimizer and
epochs it does not give; report 001 on MNIST with its ShallowCNN (conv channels 32 -> 64, global average pooling,
FC), Adam for 6 epochs, batch 64 at lr 1e-3 and batch 1024 at lr 1e-2, train and test, and beyond [0, 1]. Neither
gives its α grid's resolution; 001 does not say how far beyond [0, 1] it went.

Settings: `batch_size` and `lr` are the pair's two recipes [small-batch end, large-batch end]; `family` is the
kind of net ("CNN", "MLP") where a report names it without its architecture; `path` the curve evaluated;
`alpha_range` where the report states it."""

from .claim import Claim
from .setting import NOT_STATED

SECTION = "05_interpolation"

# report 000, Part 5: "Two identical `CifarCNN` models ... batch size of 64 ... batch size of 1024"; "α was varied
# from 0 to 1"; "the test loss and accuracy were calculated on the CIFAR-10 test set". One pair of runs.
_SETTING_000 = dict(
    model=NOT_STATED,  # a `CifarCNN`, architecture not given
    family="CNN",
    data="CIFAR-10",
    n_train=50_000,  # "CIFAR-10": its training set
    n_test=10_000,  # "the CIFAR-10 test set"
    batch_size=[64, 1024],
    seeds=1,
    path="straight line",
    alpha_range=[0.0, 1.0],
)
# report 001, "Flatness v.s. Generalization": "MNIST digit classification", "ShallowCNN(conv channels 32->64,GAP
# +FC)", "Adam + CE for 6 epochs", "A(bs = 64, lr = 1e - 3), B (bs = 1024, lr = 1e - 2)". One pair of runs.
_SETTING_001 = dict(
    model="CNN, convolutions 32-64, global average pooling, FC",
    family="CNN",
    data="MNIST",
    n_train=60_000,  # "MNIST digit classification": its training set
    n_test=10_000,
    optimizer="adam",
    lr=[1e-3, 1e-2],
    batch_size=[64, 1024],
    epochs=6,
    seeds=1,
    path="straight line",
)

CLAIMS = (
    Claim(
        "000.interpolation.barrier",
        "000",
        SECTION,
        "On CIFAR-10 the straight line between two good minima of the same CNN, one trained with batch 64 and one "
        "with batch 1024, has a significant loss barrier: at intermediate α (e.g. α = 0.5) the test loss rises "
        "sharply and the test accuracy plummets, while both ends have low loss and high accuracy.",
        setting=_SETTING_000,
        numbers=dict(batch_small=64, batch_large=1024, alpha_mid=0.5),
    ),
    Claim(
        "000.interpolation.separate_basins",
        "000",
        SECTION,
        "The barrier suggests that the two minima, trained with different batch sizes, lie in separate, distinct "
        "basins of the loss landscape (qualitatively different solutions).",
        setting=_SETTING_000,
        numbers=dict(batch_small=64, batch_large=1024),
    ),
    Claim(
        "001.interpolation.double_well",
        "001",
        SECTION,
        "On MNIST the cross-entropy along the line between the batch-64 (lr 1e-3) and the batch-1024 (lr 1e-2) "
        "Adam solutions is a double well: low near α = 0 and α = 1 with a barrier between them, and the accuracy "
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
