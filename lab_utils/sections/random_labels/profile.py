"""03 random labels: memorising permuted labels, a label-noise sweep, and FC nets of growing size."""
from dataclasses import dataclass

from ...core.profiles import knob


@dataclass(frozen=True)
class RandomLabels:
    n_train: int = knob(min=100)            # MNIST training subset (memorising takes many epochs: keep it small on CPU)
    n_test: int = knob(min=100)
    # main experiment: one CNN trained on the true and on once-permuted labels
    cnn_channels: tuple = knob()
    cnn_hidden: int = knob(min=1)
    epochs: int = knob(min=1)
    batch_size: int = knob(min=1)
    lr: float = knob(min=0)
    # label-noise sweep (Zhang et al. 2017): a fraction of training labels replaced by uniformly random classes
    noise_levels: tuple = knob()
    sweep_model: str = knob(choices=("mlp", "cnn"))  # "cnn": the main CNN; "mlp": the MLP below (much faster)
    mlp_depth: int = knob(min=1)
    mlp_width: int = knob(min=1)
    epochs_sweep: int = knob(min=1)
    batch_sweep: int = knob(min=1)
    fit_threshold: float = knob(min=0.1, max=1.0)  # "fitted" = first epoch with train accuracy >= this
    # FC nets of growing size (1 hidden layer) on random vs true labels; () skips the experiment
    fc_widths: tuple = knob()
    epochs_fc: int = knob(min=1)


PROFILES = dict(
    smoke=RandomLabels(n_train=256, n_test=256, cnn_channels=(8, 16), cnn_hidden=64, epochs=3, batch_size=32,
                       lr=1e-3, noise_levels=(0.0, 0.5, 1.0), sweep_model="mlp", mlp_depth=1, mlp_width=128,
                       epochs_sweep=4, batch_sweep=64, fit_threshold=0.95, fc_widths=(2, 16), epochs_fc=3),
    quick=RandomLabels(n_train=2000, n_test=2000, cnn_channels=(16, 32), cnn_hidden=128, epochs=30, batch_size=32,
                       lr=1e-3, noise_levels=(0.0, 0.2, 0.5, 0.8, 1.0), sweep_model="mlp", mlp_depth=2,
                       mlp_width=512, epochs_sweep=40, batch_sweep=64, fit_threshold=0.95,
                       fc_widths=(2, 6, 18, 52, 160, 512), epochs_fc=50),
    full=RandomLabels(n_train=12_000, n_test=10_000, cnn_channels=(32, 64), cnn_hidden=512, epochs=100,
                      batch_size=64, lr=1e-3, noise_levels=(0.0, 0.2, 0.5, 0.8, 1.0), sweep_model="cnn",
                      mlp_depth=2, mlp_width=1024, epochs_sweep=100, batch_sweep=64, fit_threshold=0.99,
                      fc_widths=(2, 4, 8, 16, 32, 52, 128, 512), epochs_fc=50),
)
