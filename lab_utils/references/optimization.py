"""Claims of reports 000, 001 and 002 tested by the optimization section (02): weight trajectories of independent
runs, the gradient norm during training, and the minimal ratio of the points training ends at.

Who did what (each report's own words):
  000  a 2 x 32 MLP on sin(2 pi x), Adam lr 0.001, 8 runs x 150 epochs, weights recorded every epoch, PCA of the
       whole model and of the first layer; loss and gradient norm per iteration; the minimal ratio by sampling 100
       neighbours of each of 100 found minima. Its own words on the ratio: most runs reach 1.0, and "there appears
       to be no strong correlation between a lower loss and a higher minimal ratio". (It never says the ratio rises
       as the loss falls.)
  001  its DeepCNN (six 3 x 3 convolutions of widths 40, 16, 64, 56, 64, 56, 112,970 parameters) on MNIST, Adam
       lr 1e-3, batch 128, 9 epochs, snapshots at epochs 1, 3, 6, 9 of 8 runs, one global PCA; gradient norm and
       loss per iteration; the minimal ratio of a tiny MLP on a synthetic function, by Gaussian perturbation.
  002  "the small CNN defined earlier" (its MNIST CNNs have 454,922 and 146,938 parameters; which one it means is
       not said) on MNIST, 8 epochs, 8 runs, weights saved every 3 epochs; gradient norm and loss per iteration;
       the weight norm against the loss at each snapshot. No minimal-ratio experiment.
"""

from .claim import Claim

SECTION = "02_optimization"

MLP_000 = {
    "model": "MLP, 2 hidden layers of 32 units (activation not stated)",
    "data": "sin(2 pi x)",
    "optimizer": "Adam",
    "lr": 0.001,
    "epochs": 150,
    "runs": 8,
    "snapshot_every_epochs": 1,
    "projection": "PCA of the whole model and of the first hidden layer",
}
RATIO_000 = {
    "model": "not stated in the minimal-ratio part (the part's model is the 2 x 32 MLP on sin(2 pi x))",
    "runs": 100,
    "neighbours": 100,
    "method": "fraction of sampled neighbours with a higher loss",
    "neighbourhood": "small, radius not stated",
}
CNN_001 = {
    "model": "DeepCNN: six 3x3 convolutions, widths 40, 16, 64, 56, 64, 56, max-pool after every two, "
    "global average pooling, linear classifier (112,970 parameters)",
    "data": "MNIST",
    "optimizer": "Adam",
    "lr": "1e-3",
    "batch_size": 128,
    "epochs": 9,
    "runs": 8,
    "snapshot_epochs": [1, 3, 6, 9],
    "projection": "one global PCA of all snapshots, layer 1 and whole model",
}
RATIO_001 = {
    "model": "a tiny MLP on a synthetic function (size not stated)",
    "runs": 100,
    "training": "until convergence, then the L2 norm of all parameter gradients checked",
    "method": "Gaussian perturbations around theta, fraction with a higher loss",
}
CNN_002 = {
    "model": "'the small CNN defined earlier' (its MNIST CNNs: 454,922 or 146,938 parameters)",
    "data": "MNIST",
    "optimizer": "Adam (lr 0.001, batch 128 in its MNIST part before)",
    "epochs": 8,
    "runs": 8,
    "snapshot_every_epochs": 3,
}

CLAIMS = (
    # ---- report 000: the 2 x 32 MLP on sin(2 pi x) --------------------------------------------------------
    Claim(
        "000.trajectories.common_region",
        "000",
        SECTION,
        "Runs that start from different random points of weight space all move towards a similar region (a "
        "broad attractive basin of low loss).",
        MLP_000,
        {"runs": 8, "epochs": 150, "width": 32},
    ),
    Claim(
        "000.gradient.falls_with_loss",
        "000",
        SECTION,
        "The gradient norm decreases in tandem with the loss: as the loss drops, the gradient norm becomes smaller.",
        MLP_000,
        {"epochs": 150, "width": 32},
    ),
    Claim(
        "000.minimal_ratio.mostly_one",
        "000",
        SECTION,
        "Most of the 100 runs end at a minimal ratio of 1.0 (every sampled neighbour has a higher loss): the "
        "optimizer consistently finds true local minima.",
        RATIO_000,
        {"runs": 100, "neighbours": 100, "ratio": 1.0},
    ),
    Claim(
        "000.minimal_ratio.no_loss_correlation",
        "000",
        SECTION,
        "There is no strong correlation between a lower loss and a higher minimal ratio: good solutions are "
        "found across the board, as long as they are proper minima.",
        RATIO_000,
        {"runs": 100},
    ),
    # ---- report 001: the DeepCNN on MNIST, and a tiny MLP --------------------------------------------------
    Claim(
        "001.trajectories.end_clustering",
        "001",
        SECTION,
        "Across the 8 runs the trajectories drift consistently from start to end and the end points cluster, "
        "at 98-99 % test accuracy.",
        CNN_001,
        {"runs": 8, "epochs": 9, "test_acc_low": 98, "test_acc_high": 99},
    ),
    Claim(
        "001.trajectories.later_layers_vary_most",
        "001",
        SECTION,
        "The whole model spreads much more than layer 1: during training the later layers contribute most of "
        "the parameter variation.",
        CNN_001,
        {"runs": 8, "epochs": 9},
    ),
    Claim(
        "001.trajectories.early_layers_settle",
        "001",
        SECTION,
        "The early features (layer 1) stabilize quickly, sooner than the rest of the network.",
        CNN_001,
        {"runs": 8, "epochs": 9},
    ),
    Claim(
        "001.gradient.falls_with_loss",
        "001",
        SECTION,
        "Loss and gradient norm fall together (with minibatch spikes): lower gradient norms coincide with lower "
        "loss, and the loss settles once the gradient norm is small.",
        CNN_001,
        {"epochs": 9},
    ),
    Claim(
        "001.minimal_ratio.mostly_high_low_loss",
        "001",
        SECTION,
        "Most runs land at a high minimal ratio with a low loss: true minima with locally positive curvature.",
        RATIO_001,
        {"runs": 100},
    ),
    Claim(
        "001.minimal_ratio.minima_differ",
        "001",
        SECTION,
        "A few runs have a clearly higher loss even with a high minimal ratio: not all minima are equally good.",
        RATIO_001,
        {"runs": 100},
    ),
    # ---- report 002: a CNN on MNIST -----------------------------------------------------------------------
    Claim(
        "002.trajectories.distinct_but_equally_good",
        "002",
        SECTION,
        "Each of the 8 runs follows a slightly different path to its own minimum, and these minima perform "
        "similarly well on MNIST.",
        CNN_002,
        {"runs": 8, "epochs": 8},
    ),
    Claim(
        "002.gradient.falls_with_loss",
        "002",
        SECTION,
        "The loss decreases steadily while the gradient norm starts large and becomes gradually smaller as the "
        "model approaches convergence.",
        CNN_002,
        {"epochs": 8},
    ),
    Claim(
        "002.gradient.sawtooth",
        "002",
        SECTION,
        "The gradient norm has a saw-tooth pattern from epoch restarts: it rises briefly at the beginning of "
        "each epoch and then decays.",
        CNN_002,
        {"epochs": 8},
    ),
    Claim(
        "002.weight_norm.narrow_band",
        "002",
        SECTION,
        "Most snapshots lie in a narrow band of weight norms (about 17.9 to 18.3) in which the loss stays "
        "consistently low.",
        CNN_002,
        {"norm_low": 17.9, "norm_high": 18.3},
    ),
)
