"""Claims tested by 01 function fitting: shallow vs deep nets at (nearly) equal parameter counts, on
sin(5πx)/(5πx) and on MNIST. Reports 000, 001 and 002 each fit their own nets; 001 and 002 disagree on MNIST.

Settings (`references.setting`): `model` is a list, one text per net in the order the claim names them, at the
detail the report gives. The 1-D settings carry no `n_params` where the report's stated counts are not those of
its own stated widths (those counts are claims of their own, checked by arithmetic); the architectures are exact.
None of the 1-D studies states its number of training points or its batch size, report 001 not its optimizer or
budget either: those are our choices (the section says which). The MNIST pairs train on MNIST as it comes (the
reports name no subset): 60,000 training and 10,000 test images.
"""

from .claim import Claim
from .setting import NOT_STATED

SECTION = "01_function_fitting"

_SINC_000 = "sin(5πx)/(5πx) on [0, 1]"
_SINC_001 = "sin(5πx)/(5πx) on [0.01, 1]"
_SINC_002 = "sin(5πx)/(5πx) on [-2, 2]"
_MLPS_000 = ["MLP, 1 hidden layer of 128 units", "MLP, 2 hidden layers of 18 units"]
_MLPS_001 = [
    "MLP, hidden layers of 5-10-10-10-5 units",
    "MLP, hidden layers of 10-18-15-10-4 units",
    "MLP, 1 hidden layer of 190 units",
]
_MLPS_002 = ["MLP, 2 hidden layers of 50 units", "MLP, 5 hidden layers of 28 units", "MLP, 8 hidden layers of 22 units"]
_MNIST = dict(data="MNIST", n_train=60_000, n_test=10_000, seeds=1)

CLAIMS = (
    Claim(
        "000.fitting.target_is_step",
        "000",
        SECTION,
        "The target sin(5πx)/(5πx) on [0, 1] is a step function: -1 for x below 0.5 and +1 above, a discontinuous "
        "function that is hard for continuous networks to approximate.",
        setting=dict(data=_SINC_000),
        numbers=dict(step_at=0.5, value_below=-1, value_above=1),
    ),
    Claim(
        "000.fitting.param_counts",
        "000",
        SECTION,
        "A 1×128 MLP and a 2×18 MLP have nearly identical parameter counts, 385 and 379.",
        setting=dict(model=_MLPS_000, data=_SINC_000),
        numbers=dict(params_1x128=385, params_2x18=379),
    ),
    Claim(
        "001.fitting.param_counts",
        "001",
        SECTION,
        "The three sinc models 1-5-10-10-10-5-1, 1-10-18-15-10-4-1 and 1-190-1 have about 571, 712 and 571 parameters.",
        setting=dict(model=_MLPS_001, data=_SINC_001),
        numbers=dict(params_model0=571, params_model1=712, params_model2=571),
    ),
    Claim(
        "001.fitting.shallow_190_best",
        "001",
        SECTION,
        "On sin(5πx)/(5πx) the one-hidden-layer 1-190-1 net reaches the lowest training loss, the six-layer "
        "1-10-18-15-10-4-1 net is second and the seven-layer 1-5-10-10-10-5-1 net plateaus highest (underfits).",
        setting=dict(
            model=_MLPS_001,
            data=_SINC_001,
            optimizer=NOT_STATED,
            lr=NOT_STATED,
            batch_size=NOT_STATED,
            epochs=NOT_STATED,
            seeds=1,
            measure="final training loss (MSE)",
        ),
    ),
    Claim(
        "001.mnist.deep_cnn_better",
        "001",
        SECTION,
        "On MNIST, at an equal 112,970 parameters, a six-conv CNN (widths 40, 16, 64, 56, 64, 56, max-pool after "
        "every two convs, global average pool) trains faster and reaches lower train and test loss than a two-conv "
        "CNN (96 and 128 channels, global average pool): 99-100 % accuracy by about epoch 3 against a shallow net "
        "climbing from ~62 % (train) / ~82 % (test) to ~95-96 %.",
        setting=dict(
            model=[
                "CNN, 3x3 convolutions 96-128, 2x2 max-pool after each, global average pooling, FC 10",
                "CNN, 3x3 convolutions 40-16-64-56-64-56, 2x2 max-pool after every 2, global average pooling, FC 10",
            ],
            n_params=[112_970, 112_970],
            **_MNIST,
            optimizer=NOT_STATED,
            lr=NOT_STATED,
            batch_size=128,
            epochs=8,
            measure="final train and test loss",
        ),
        numbers=dict(
            params=112970,
            shallow_start_train_acc_pct=62,
            shallow_start_test_acc_pct=82,
            shallow_final_acc_low_pct=95,
            shallow_final_acc_high_pct=96,
            deep_acc_low_pct=99,
            deep_acc_high_pct=100,
        ),
    ),
    Claim(
        "002.fitting.params_matched",
        "002",
        SECTION,
        "The 2×50, 5×28 and 8×22 MLPs have about the same number of parameters, ~2,600.",
        setting=dict(model=_MLPS_002, data=_SINC_002),
        numbers=dict(params_approx=2600),
    ),
    Claim(
        "002.fitting.deepest_best_shallow_beats_middle",
        "002",
        SECTION,
        "After 3,000 epochs on sin(5πx)/(5πx) over [-2, 2] the 8×22 MLP fits best (final MSE 4e-6), and the 2×50 "
        "MLP (5.4e-5) fits better than the 5×28 one (1.53e-4): the error is not monotone in depth.",
        setting=dict(
            model=_MLPS_002,
            data=_SINC_002,
            optimizer=NOT_STATED,
            lr=NOT_STATED,
            batch_size=NOT_STATED,
            epochs=3000,
            seeds=1,
            measure="final training loss (MSE)",
        ),
        numbers=dict(mse_2x50=0.000054, mse_5x28=0.000153, mse_8x22=0.000004),
    ),
    Claim(
        "002.mnist.shallow_cnn_better",
        "002",
        SECTION,
        "On MNIST a two-conv CNN (454,922 parameters) slightly outperforms a six-conv CNN (146,938): 99.47 % vs "
        "99.41 % test accuracy and 99.54 % vs 99.44 % training accuracy after 20 epochs of Adam (lr 0.001, "
        "batch 128).",
        setting=dict(
            model=["CNN, 2 convolutional layers", "CNN, 6 convolutional layers"],
            n_params=[454_922, 146_938],
            **_MNIST,
            optimizer="adam",
            lr=0.001,
            batch_size=128,
            epochs=20,
            measure="final test accuracy",
        ),
        numbers=dict(
            params_shallow=454922,
            params_deep=146938,
            test_acc_shallow_pct=99.47,
            test_acc_deep_pct=99.41,
            train_acc_shallow_pct=99.54,
            train_acc_deep_pct=99.44,
        ),
    ),
)
