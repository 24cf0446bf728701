"""Claims tested by 01 function fitting: shallow vs deep nets at (nearly) equal parameter counts, on
sin(5πx)/(5πx) and on MNIST. Reports 000, 001 and 002 each fit their own nets; 001 and 002 disagree on MNIST."""

from .claim import Claim

SECTION = "01_function_fitting"

CLAIMS = (
    Claim(
        "000.fitting.target_is_step",
        "000",
        SECTION,
        "The target sin(5πx)/(5πx) on [0, 1] is a step function: -1 for x below 0.5 and +1 above, a discontinuous "
        "function that is hard for continuous networks to approximate.",
        setting=dict(target="sin(5πx)/(5πx)", x="uniform on [0, 1]"),
        numbers=dict(step_at=0.5, value_below=-1, value_above=1),
    ),
    Claim(
        "000.fitting.param_counts",
        "000",
        SECTION,
        "A 1×128 MLP and a 2×18 MLP have nearly identical parameter counts, 385 and 379.",
        setting=dict(
            models=["1 hidden layer of 128", "2 hidden layers of 18"], optimizer="Adam", lr=1e-3, epochs=100, loss="MSE"
        ),
        numbers=dict(params_1x128=385, params_2x18=379),
    ),
    Claim(
        "001.fitting.param_counts",
        "001",
        SECTION,
        "The three sinc models 1-5-10-10-10-5-1, 1-10-18-15-10-4-1 and 1-190-1 have about 571, 712 and 571 parameters.",
        setting=dict(models=["1-5-10-10-10-5-1", "1-10-18-15-10-4-1", "1-190-1"]),
        numbers=dict(params_model0=571, params_model1=712, params_model2=571),
    ),
    Claim(
        "001.fitting.shallow_190_best",
        "001",
        SECTION,
        "On sin(5πx)/(5πx) the one-hidden-layer 1-190-1 net reaches the lowest training loss, the six-layer "
        "1-10-18-15-10-4-1 net is second and the seven-layer 1-5-10-10-10-5-1 net plateaus highest (underfits).",
        setting=dict(
            target="sin(5πx)/(5πx)",
            x="(0.01, 1)",
            models=["1-5-10-10-10-5-1", "1-10-18-15-10-4-1", "1-190-1"],
            budget="not stated",
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
            data="MNIST, normalised",
            batch=128,
            epochs=8,
            shallow="conv3x3(96)-pool-conv3x3(128)-pool-GAP-FC(10)",
            deep="6 conv3x3 (40, 16, 64, 56, 64, 56), pool every 2, GAP-FC(10)",
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
        setting=dict(models=["2×50", "5×28", "8×22"]),
        numbers=dict(params_approx=2600),
    ),
    Claim(
        "002.fitting.deepest_best_shallow_beats_middle",
        "002",
        SECTION,
        "After 3,000 epochs on sin(5πx)/(5πx) over [-2, 2] the 8×22 MLP fits best (final MSE 4e-6), and the 2×50 "
        "MLP (5.4e-5) fits better than the 5×28 one (1.53e-4): the error is not monotone in depth.",
        setting=dict(target="sin(5πx)/(5πx)", x="[-2, 2]", epochs=3000, models=["2×50", "5×28", "8×22"]),
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
            data="MNIST, normalised",
            optimizer="Adam",
            lr=0.001,
            batch=128,
            epochs=20,
            architectures="conv counts and parameter totals only",
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
