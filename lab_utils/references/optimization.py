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

The settings below are each report's own, in `references.setting`'s keys, with the report's words beside them; a
key the report leaves open is absent or NOT_STATED (report 002's CNN, report 001's tiny MLP). The minimal-ratio
settings carry how the minima were found ("minima") and perturbed: neither report solved for critical points.
"""

from .claim import Claim
from .setting import NOT_STATED

SECTION = "02_optimization"

# report 000, part 2.1 / 2.2: "A DNN with 2 hidden layers of 32 neurons each", sin(2*pi*x), "Adam with a learning
# rate of 0.001", "trained 8 separate times for 150 epochs", weights "at the end of each epoch"; the gradient norm
# "against the number of training iterations". Activation, points, range and batch size are not stated.
MLP_000 = {
    "model": "MLP, 2 hidden layers of 32 units",
    "data": "sin(2πx)",
    "optimizer": "adam",
    "lr": 0.001,
    "epochs": 150,
    "seeds": 8,
    "snapshot_every_epochs": 1,
}
GRAD_000 = {**MLP_000, "grad_norm_every": "iteration"}
# report 000, part 2.3: "The model was trained 100 times to find 100 different minima", 100 samples "in a small
# neighborhood" of each; the part's only model is the 2 x 32 MLP on sin(2*pi*x). The minima are where training
# ended (no solver, no convergence criterion stated).
RATIO_000 = {
    "model": "MLP, 2 hidden layers of 32 units",
    "data": "sin(2πx)",
    "seeds": 100,
    "neighbours": 100,
    "minima": "where training ended",
}
# report 001, HW 1-2: "DeepCNN (same as before)": "widths (40, 16, 64, 56, 64, 56), MaxPool after every 2 Conv ->
# GAP -> FC(10). Params = 112,970"; "Adam optimizer(lr=1e-3), batch size = 128, CrossEntropy loss, trained for 9
# epochs", "8 independent runs", MNIST (the full training set: no subset is mentioned); test accuracy on MNIST's
# test set.
CNN_001 = {
    "model": "CNN, 3x3 convolutions 40-16-64-56-64-56, 2x2 max-pool after every two, global average pooling",
    "n_params": 112_970,
    "data": "MNIST",
    "n_train": 60_000,
    "n_test": 10_000,
    "optimizer": "adam",
    "lr": 0.001,
    "batch_size": 128,
    "epochs": 9,
    "seeds": 8,
}
GRAD_001 = {**CNN_001, "grad_norm_every": "iteration"}
# report 001, "What happens when gradient is almost zero?": "Trained a tiny MLP on synthetic function until
# convergence. I checked the final weights specifically for L2 norm of all parameter gradients", "samples gaussian
# noise around theta"; "Train the model for 100 times". Size, function and noise scale are not stated.
RATIO_001 = {
    "model": NOT_STATED,
    "data": NOT_STATED,
    "seeds": 100,
    "minima": "training until convergence, checked by the gradient norm",
    "perturbation": "Gaussian noise",
}
# report 002, HW 1-2: "the small CNN defined earlier" (its MNIST CNNs have 454,922 and 146,938 parameters and are
# not described further: which one is meant is not said), "trained it on MNIST for 8 epochs", "repeated the
# experiment 8 times", "saved the model weights every 3 epochs", "recorded gradient norms at each iteration"; its
# MNIST CNNs were trained with "Adam optimizer (learning rate = 0.001), batch size = 128".
CNN_002 = {
    "model": NOT_STATED,
    "n_params": NOT_STATED,
    "data": "MNIST",
    "n_train": 60_000,
    "optimizer": "adam",
    "lr": 0.001,
    "batch_size": 128,
    "epochs": 8,
    "seeds": 8,
}
GRAD_002 = {**CNN_002, "grad_norm_every": "iteration"}
BAND_002 = {**CNN_002, "snapshot_every_epochs": 3}

CLAIMS = (
    # ---- report 000: the 2 x 32 MLP on sin(2 pi x) --------------------------------------------------------
    Claim(
        "000.trajectories.common_region",
        "000",
        SECTION,
        "Runs that start from different random points of weight space all move towards a similar region (which "
        "the report reads as a broad attractive basin of low loss).",
        MLP_000,
        {"runs": 8, "epochs": 150, "width": 32},
    ),
    Claim(
        "000.gradient.falls_with_loss",
        "000",
        SECTION,
        "The gradient norm decreases in tandem with the loss: as the loss drops, the gradient norm becomes smaller.",
        GRAD_000,
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
        "The whole model spreads much more than layer 1 in the PCA: during training the later layers contribute "
        "most of the parameter variation (read per parameter: layer 1 holds under 1 % of the parameters, so in "
        "total it carries little of any spread).",
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
        GRAD_001,
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
        GRAD_002,
        {"epochs": 8},
    ),
    Claim(
        "002.gradient.sawtooth",
        "002",
        SECTION,
        "The gradient norm has a saw-tooth pattern from epoch restarts: it rises briefly at the beginning of "
        "each epoch and then decays.",
        GRAD_002,
        {"epochs": 8},
    ),
    Claim(
        "002.weight_norm.narrow_band",
        "002",
        SECTION,
        "Most snapshots lie in a narrow band of weight norms (about 17.9 to 18.3) in which the loss stays "
        "consistently low.",
        BAND_002,
        {"norm_low": 17.9, "norm_high": 18.3},
    ),
)
