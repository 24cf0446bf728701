"""Claims tested by the random-labels section (03): can a network fit labels that carry no information?

Three reports ran the experiment, each in its own setting:
  000  an MNIST CNN with one hidden fully connected layer, trained 20 epochs on the true and on permuted labels
       (optimiser, learning rate and batch size not stated); only training curves are reported;
  001  a small CNN (3 conv blocks + global average pooling -> FC) on a 12k-image MNIST subset with permuted
       training labels (test labels true), Adam lr 1e-2, batch 128, 12 epochs; train and test curves;
  002  five fully connected nets of 1,675 to 41,435 parameters with random training *and* test labels, Adam
       lr 1e-3, 50 epochs (dataset size and batch size not stated; the report's other parts use MNIST).
"""

from .claim import Claim
from .setting import About

SECTION = "03_random_labels"

# report 000: "Dataset: MNIST Training Set"; "A MnistCNN with one hidden fully connected layer"; "over 20 epochs";
# the labels "randomly permuted". Optimizer, learning rate and batch size are not stated.
_SETTING_000 = dict(
    model="CNN with one hidden fully connected layer",
    data="MNIST",
    n_train=60_000,
    epochs=20,
    labels="permuted training labels",
)
_SETTING_000_TRUE = {**_SETTING_000, "labels": "true and permuted training labels"}
# report 001: "a small CNN(3 conv blocks + GAP -> FC)", "randomly permuted training labels, test labels unchanged",
# "Adam, lr=1e-2, batch sizes 128(train)/512 (test), 12 epochs on a 12k sample train subset". Widths not stated.
_SETTING_001 = dict(
    model="CNN, 3 conv blocks, global average pooling, FC",
    data="MNIST",
    n_train=12_000,
    optimizer="adam",
    lr=1e-2,
    batch_size=128,
    epochs=12,
    labels="permuted training labels, true test labels",
)
# report 002: "randomized all training and test labels and trained five fully connected models with parameter
# counts ranging from 1,675 -> 41,435", "50 epochs using Adam with a learning rate of 0.001 and a batch size matched
# to each model's setup". Data (its other parts use MNIST), layers and batch size not stated. No fully connected
# net with one hidden layer on the 784 MNIST pixels has exactly 1,675 parameters (2 hidden units: 1,600), so the
# range is matched within 5 %.
_SETTING_002 = dict(
    model="fully connected nets",
    n_params_range=[About(1675, 0.05), About(41435, 0.05)],
    optimizer="adam",
    lr=1e-3,
    epochs=50,
    labels="random training and test labels",
)
# the report's expectation for a larger net (or a longer run): the same recipe, a net beyond the range
_SETTING_002_LARGER = dict(
    model="fully connected nets",
    optimizer="adam",
    lr=1e-3,
    labels="random training and test labels",
)

CLAIMS = (
    Claim(
        "000.random_labels.memorizes",
        "000",
        SECTION,
        "A CNN trained on permuted MNIST labels drives its training loss down and its training accuracy "
        "towards 100 % within 20 epochs: it memorizes labels that carry no information.",
        _SETTING_000,
        dict(epochs=20, train_acc_pct=100),
    ),
    Claim(
        "000.random_labels.true_labels_fast",
        "000",
        SECTION,
        "The same CNN on the true labels reaches near-perfect training accuracy quickly.",
        _SETTING_000_TRUE,
        dict(epochs=20),
    ),
    Claim(
        "001.random_labels.memorizes",
        "001",
        SECTION,
        "On a 12k-image subset with permuted training labels, Adam at lr 1e-2 for 12 epochs drives the "
        "training loss to about zero and the training accuracy up to 94 %.",
        _SETTING_001,
        dict(epochs=12, train_acc_pct=94),
    ),
    Claim(
        "001.random_labels.test_loss_rises",
        "001",
        SECTION,
        "While the permuted training labels are memorized, the test loss (true test labels) rises steadily.",
        _SETTING_001,
        dict(epochs=12),
    ),
    Claim(
        "001.random_labels.test_acc",
        "001",
        SECTION,
        "The test accuracy stays low, at 27 %, while the permuted training labels are memorized.",
        _SETTING_001,
        dict(test_acc_pct=27),
    ),
    Claim(
        "002.random_labels.fc_at_chance",
        "002",
        SECTION,
        "Fully connected nets of 1,675 to 41,435 parameters trained 50 epochs on random labels stay at chance: "
        "training loss near 2.303 (ln 10) and train and test accuracy around 10 %.",
        _SETTING_002,
        dict(params_min=1675, params_max=41435, epochs=50, train_loss=2.303, acc_pct=10),
    ),
    Claim(
        "002.random_labels.not_memorized",
        "002",
        SECTION,
        "In those 50 epochs the fully connected nets do not memorize the random labels.",
        _SETTING_002,
        dict(epochs=50),
    ),
    Claim(
        "002.random_labels.largest_starts",
        "002",
        SECTION,
        "The largest net (41,435 parameters) shows a slight upward trend of its training accuracy near the end "
        "of the 50 epochs: it starts to memorize some of the random labels.",
        _SETTING_002,
        dict(params_max=41435, epochs=50),
    ),
    Claim(
        "002.random_labels.larger_memorizes",
        "002",
        SECTION,
        "Expected by the report (not run there): a larger network, or a longer run, would bring the training "
        "accuracy on random labels towards 100 % while the test accuracy stays at chance.",
        _SETTING_002_LARGER,
        dict(train_acc_pct=100, acc_pct=10),
    ),
)
