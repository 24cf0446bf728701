"""Claims tested by 06 sensitivity: batch size against test accuracy and input sensitivity. Three reports, three
settings and two sensitivity measures:

    000  CIFAR-10, batch 32-512, sensitivity = mean Frobenius norm of the Jacobian of the softmax w.r.t. the input
    001  MNIST, a fixed 6,000 Adam steps, batch 16-1024, sensitivity = mean Frobenius norm of the input gradients
    002  batch 5-1,500, sensitivity = "average gradient norm" (model, data and budget not given)

No report claims that sensitivity falls steadily as the batch grows: 000 says it rises, 001 and 002 describe a
U-shape."""

from .claim import Claim

SECTION = "06_sensitivity"

# the sensitivity measures, in the reports' words at the detail they give
JACOBIAN = "average Frobenius norm of the Jacobian of the softmax outputs with respect to the input"
INPUT_GRAD = "average Frobenius norm of the input gradients"
GRADIENT = "average gradient norm"

# report 000: "Dataset: CIFAR-10", "Five identical CifarCNN models", "a different batch size: 32, 64, 128, 256, and
# 512", sensitivity "the Frobenius norm of the Jacobian matrix of the model's output probabilities with respect to
# its input image", "average norm over a sample of test images". Net, optimizer, lr and budget not stated; no subset
# is named, so the training set is read as CIFAR-10's 50,000 images (as for the report's other CIFAR-10 parts).
_SETTING_000 = dict(model="CNN", data="CIFAR-10", n_train=50_000, batch_size=[32, 64, 128, 256, 512])
_SETTING_000_SENS = {**_SETTING_000, "sensitivity": JACOBIAN}
# report 001: "MNIST", "SimpleCNN (3conv blocks 32-> 64-> 128, Gap,FC)", "Adam, lr=1e-3, CE loss, fixed 6,000
# optimizer steps with batch sizes(16,32,64,128,256,512,1024)", "sensitivity = average frobenius norm of input
# gradients". Schedule not stated; no subset is named, so the training set is read as MNIST's 60,000 images.
_SETTING_001 = dict(
    model="CNN, 3 conv blocks 32-64-128, global average pooling, FC",
    data="MNIST",
    n_train=60_000,
    optimizer="adam",
    lr=1e-3,
    steps=6000,
    batch_size=[16, 32, 64, 128, 256, 512, 1024],
)
_SETTING_001_SENS = {**_SETTING_001, "sensitivity": INPUT_GRAD}
# report 002: "sensitivity (average gradient norm) across five batch sizes: 5, 25, 125, 500, 1500"; nothing else
_SETTING_002 = dict(batch_size=[5, 25, 125, 500, 1500], sensitivity=GRADIENT)

CLAIMS = (
    Claim(
        "000.sensitivity.accuracy_falls",
        "000",
        SECTION,
        "On CIFAR-10, smaller batches give higher test accuracy: it tends to decrease as the batch size grows "
        "from 32 to 512.",
        setting=_SETTING_000,
        numbers=dict(batch_min=32, batch_max=512),
    ),
    Claim(
        "000.sensitivity.sensitivity_rises",
        "000",
        SECTION,
        "Models trained with larger batches are more sensitive to their input (larger softmax-Jacobian norm on "
        "test images); small-batch models are less sensitive.",
        setting=_SETTING_000_SENS,
        numbers=dict(batch_min=32, batch_max=512),
    ),
    Claim(
        "000.sensitivity.inverse_relation",
        "000",
        SECTION,
        "Test accuracy and input sensitivity are inversely related across the batch sizes: the more accurate "
        "models are the less sensitive ones.",
        setting=_SETTING_000_SENS,
        numbers=dict(batch_min=32, batch_max=512),
    ),
    Claim(
        "000.sensitivity.large_batch_sharp",
        "000",
        SECTION,
        "Large batches converge to sharp minima and small batches, through their gradient noise, to flat ones (the "
        "report's reading of its results; it did not measure sharpness).",
        setting=_SETTING_000,
        numbers=dict(batch_min=32, batch_max=512),
    ),
    Claim(
        "001.sensitivity.train_fit_rises",
        "001",
        SECTION,
        "At a fixed 6,000 steps the fit of the training set improves steadily with the batch size (the report "
        "writes 'train loss/acc increases steadily'; we read it as training accuracy rising).",
        setting=_SETTING_001,
        numbers=dict(steps=6000, batch_min=16, batch_max=1024),
    ),
    Claim(
        "001.sensitivity.test_peaks_mid",
        "001",
        SECTION,
        "Test accuracy rises with the batch size up to 128-512 and then slightly decreases at 1024: mid-range "
        "batches generalize better than very small and very large ones.",
        setting=_SETTING_001,
        numbers=dict(steps=6000, bottom_from=128, bottom_to=512, batch_max=1024),
    ),
    Claim(
        "001.sensitivity.u_shape",
        "001",
        SECTION,
        "Input-gradient sensitivity is U-shaped in the batch size: it drops sharply from 16 to 128, stays low at "
        "256-512 and rises again at 1024.",
        setting=_SETTING_001_SENS,
        numbers=dict(steps=6000, batch_min=16, bottom_from=128, bottom_to=512, batch_max=1024),
    ),
    Claim(
        "001.sensitivity.low_sensitivity_generalizes",
        "001",
        SECTION,
        "The best generalization coincides with lower sensitivity: across batch sizes, higher test accuracy goes "
        "with lower input-gradient sensitivity.",
        setting=_SETTING_001_SENS,
        numbers=dict(steps=6000, batch_min=16, batch_max=1024),
    ),
    Claim(
        "002.sensitivity.u_shape",
        "002",
        SECTION,
        "Sensitivity is U-shaped in the batch size: highest at batch 5, lowest near 125, and slowly rising again "
        "for very large batches (500 and 1,500).",
        setting=_SETTING_002,
        numbers=dict(batch_min=5, bottom=125, batch_max=1500),
    ),
    Claim(
        "002.sensitivity.highest_at_smallest",
        "002",
        SECTION,
        "Of the five batch sizes, the smallest (5) gives the highest sensitivity.",
        setting=_SETTING_002,
        numbers=dict(batch_min=5, batch_max=1500),
    ),
)
