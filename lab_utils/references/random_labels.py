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

SECTION = "03_random_labels"

_SETTING_000 = dict(
    data="MNIST training set (size not stated; presumably all 60,000 images)",
    model="MnistCNN with one hidden fully connected layer",
    labels="training labels permuted",
    epochs=20,
    optimizer="not stated",
)
_SETTING_001 = dict(
    data="MNIST, 12k-image training subset, full test set",
    model="small CNN: 3 conv blocks + global average pooling -> FC",
    labels="training labels permuted, test labels true",
    optimizer="Adam",
    lr=1e-2,
    batch_size=128,
    epochs=12,
)
_SETTING_002 = dict(
    data="not named (the report's other parts use MNIST); size not stated",
    model="five fully connected nets, 1,675 to 41,435 parameters",
    labels="training and test labels randomized",
    optimizer="Adam",
    lr=1e-3,
    batch_size="'matched to each model's setup' (not stated)",
    epochs=50,
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
        _SETTING_000,
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
        _SETTING_002,
        dict(train_acc_pct=100, acc_pct=10),
    ),
)
