"""Claims tested by the capacity section (04): how train and test performance change with the parameter count.

Two reports, two settings and opposite readings of the large end:
  000  CIFAR-10, 10 CNNs of about 100,000 to 500,000 parameters (conv channels and FC size/depth varied), 15
       epochs, one learning rate for all (optimiser and value not stated): underfitting at the small end, a test
       optimum mid-range, overfitting (test loss rising) at the large end;
  001  MNIST, 11 variants of a small CNN by conv channels (c1, c2), a 20k-image training subset, Adam lr 1e-3,
       batch 128, 5 epochs: test performance improves up to about 10^5 parameters and then saturates
       ("diminishing returns rather than overfitting").
"""

from .claim import Claim
from .setting import NOT_STATED, About

SECTION = "04_capacity"

# report 000 names its net only "CifarCNN" and says the sizes vary "the number of channels in the convolutional
# layers and the size/depth of the fully connected layers", "approximately 100,000 to 500,000" parameters; it
# states neither the optimizer, the learning rate (only "the same"), the batch size nor a subset: CIFAR-10 as it
# comes, 50,000 training and 10,000 test images. `n_params` is [smallest, largest].
_SETTING_000 = dict(
    model="CNN family, conv channels and FC width varied",
    n_params=[About(100_000, 0.1), About(500_000, 0.1)],
    n_models=10,
    data="CIFAR-10",
    n_train=50_000,
    n_test=10_000,
    optimizer=NOT_STATED,
    lr=NOT_STATED,
    batch_size=NOT_STATED,
    epochs=15,
    seeds=1,
    measure="final train and test accuracy and loss per size",
)
# report 001: "smallCNN backbone", 11 variants by the conv channels (c1, c2), presumably its ShallowCNN
# conv3x3(c1)-pool-conv3x3(c2)-pool-GAP-FC(10); a 20k random training subset, the full test set.
_SETTING_001 = dict(
    model="CNN family, 2 convolutions, conv channels varied, global average pooling",
    conv_channels=[
        [8, 8],
        [12, 12],
        [16, 16],
        [24, 24],
        [32, 32],
        [48, 48],
        [64, 64],
        [80, 64],
        [96, 64],
        [112, 80],
        [128, 96],
    ],
    n_models=11,
    data="MNIST",
    n_train=20_000,
    n_test=10_000,
    optimizer="adam",
    lr=1e-3,
    batch_size=128,
    epochs=5,
    seeds=1,
    measure="final train and test accuracy and loss per size",
)

CLAIMS = (
    Claim(
        "000.capacity.small_underfit",
        "000",
        SECTION,
        "On CIFAR-10 the smallest CNNs underfit: their training and test accuracy are both lower than those of "
        "mid-range sizes.",
        _SETTING_000,
        dict(n_models=10, params_min=100_000, params_max=500_000, epochs=15),
    ),
    Claim(
        "000.capacity.test_peaks_mid",
        "000",
        SECTION,
        "The test accuracy peaks in the middle of the parameter range (above both the smallest and the largest CNNs).",
        _SETTING_000,
        dict(n_models=10, params_min=100_000, params_max=500_000, epochs=15),
    ),
    Claim(
        "000.capacity.train_keeps_improving",
        "000",
        SECTION,
        "Training performance keeps improving into the largest CNNs (lower training loss than mid-range).",
        _SETTING_000,
        dict(n_models=10, params_min=100_000, params_max=500_000, epochs=15),
    ),
    Claim(
        "000.capacity.overfits_large",
        "000",
        SECTION,
        "The largest CNNs overfit: their test loss rises above the mid-range minimum while their test accuracy "
        "plateaus or slightly decreases.",
        _SETTING_000,
        dict(n_models=10, params_min=100_000, params_max=500_000, epochs=15),
    ),
    Claim(
        "000.capacity.gap_grows",
        "000",
        SECTION,
        "A clear gap between training and test accuracy opens as the capacity grows.",
        _SETTING_000,
        dict(n_models=10, params_min=100_000, params_max=500_000, epochs=15),
    ),
    Claim(
        "001.capacity.train_improves",
        "001",
        SECTION,
        "On MNIST the training accuracy rises (and the training loss falls) with the parameter count.",
        _SETTING_001,
        dict(n_models=11, epochs=5),
    ),
    Claim(
        "001.capacity.test_saturates",
        "001",
        SECTION,
        "The test accuracy improves with the parameter count up to about 10^5 parameters and then saturates.",
        _SETTING_001,
        dict(n_models=11, epochs=5, saturation_params_log10=5),
    ),
    Claim(
        "001.capacity.no_overfitting",
        "001",
        SECTION,
        "Beyond about 10^5 parameters the returns diminish without overfitting: the test loss does not rise.",
        _SETTING_001,
        dict(n_models=11, epochs=5, saturation_params_log10=5),
    ),
)
