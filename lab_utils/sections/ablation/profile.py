"""07 ablation: ResNet-20 with and without skip connections and BatchNorm, and their loss landscapes."""
from dataclasses import dataclass

from ...core.profiles import knob


@dataclass(frozen=True)
class Ablation:
    # training: the four skip x BN variants, SGD momentum 0.9, weight decay 1e-4, cosine lr, crop + flip
    n_train: int = knob(min=64)           # CIFAR-10 training images (a fixed random subset; 50,000 = all)
    n_test: int = knob(min=64)            # test images for the accuracy
    epochs: int = knob(min=1)
    batch_size: int = knob(min=1)         # the reference: 32
    lr: float = knob(min=0)               # peak learning rate of the cosine schedule (the reference: 0.1)
    # probes, all on the first probe_images training images (no augmentation, eval-mode BN)
    probe_images: int = knob(min=16)      # images for the landscape grid
    hessian_images: int = knob(min=16)    # images for the Hessian probes (the first of the probe images)
    chunk: int = knob(min=16)             # images per forward pass in the probes
    grid_steps: int = knob(min=3, max=101)  # points per axis of the 2-D landscape on [-span, span]^2 (odd: centre on the grid)
    slice_steps: int = knob(min=3, max=401)  # points of the 1-D slice
    span: float = knob(min=0)             # half-width of the landscape in filter-normalized units (the reference: 1)
    power_iters: int = knob(min=1)        # power iterations for lambda_max (fixed count; the reference: 5)
    lanczos_steps: int = knob(min=2)      # at most this many Lanczos steps (HVPs) for the top-k eigenvalues
    eig_tol: float = knob(min=1e-12)      # Lanczos stops when every Ritz residual <= eig_tol * ||H||
    top_k: int = knob(min=1, max=20)      # eigenvalues from Lanczos
    trace_samples: int = knob(min=1)      # Hutchinson samples for the trace


PROFILES = dict(
    smoke=Ablation(n_train=256, n_test=256, epochs=1, batch_size=32, lr=0.1, probe_images=64, hessian_images=32,
                   chunk=64, grid_steps=3, slice_steps=5, span=1.0, power_iters=5,
                   lanczos_steps=5, eig_tol=1e-2, top_k=2, trace_samples=1),
    quick=Ablation(n_train=5000, n_test=2000, epochs=3, batch_size=64, lr=0.1, probe_images=512, hessian_images=256,
                   chunk=256, grid_steps=11, slice_steps=21, span=1.0, power_iters=10,
                   lanczos_steps=10, eig_tol=1e-2, top_k=4, trace_samples=4),
    full=Ablation(n_train=50_000, n_test=10_000, epochs=20, batch_size=32, lr=0.1, probe_images=2048,
                  hessian_images=2048, chunk=1024, grid_steps=25, slice_steps=101, span=1.0, power_iters=100,
                  lanczos_steps=60, eig_tol=1e-3, top_k=10, trace_samples=100),
)
