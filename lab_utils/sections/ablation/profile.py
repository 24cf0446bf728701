"""07 ablation: ResNet-20 with and without skip connections and BatchNorm, and their loss landscapes.

full is report 003's own scale: all 50,000 CIFAR-10 images, 20 epochs, batch 32, SGD lr 0.1 (momentum 0.9, weight
decay 1e-4, cosine to 0), a 10 x 10 landscape on [-1, 1]^2 in its direction units and 5 power iterations; quick
keeps the model, the recipe and the report's measures (the 10 x 10 grid in its units, 5 power iterations) and cuts
only the images and epochs, so that three seeds of the four variants fit the section's CPU budget (its extra
probes: a coarser filter-normalized grid on fewer images, fewer Lanczos steps at a looser tolerance). smoke only
exercises the code.
"""

from dataclasses import dataclass

from ...core.profiles import knob


@dataclass(frozen=True)
class Ablation:
    n_seeds: int = knob(min=1)  # seeds per variant (init and data order differ per seed)
    # training: the four skip x BN variants, SGD momentum 0.9, weight decay 1e-4, cosine lr, crop + flip
    n_train: int = knob(min=64)  # CIFAR-10 training images (a fixed random subset; 50,000 = all)
    n_test: int = knob(min=64)  # test images for the accuracy
    epochs: int = knob(min=1)
    batch_size: int = knob(min=1)  # the reference: 32
    lr: float = knob(min=0)  # peak learning rate of the cosine schedule (the reference: 0.1)
    grad_tol: float = knob(min=0)  # a trained point counts as converged when its full-batch |grad L| <= this
    # probes, all on the first training images (no augmentation, eval-mode BN: running statistics)
    probe_images: int = knob(min=16)  # images for the landscape grids and the slice
    hessian_images: int = knob(min=16)  # images for the Hessian probes (the first of the probe images)
    chunk: int = knob(min=16)  # images per forward pass in the probes
    grid_steps: int = knob(min=3, max=101)  # points per axis of the filter-normalized 2-D grid (odd: centre on it)
    ref_grid_steps: int = knob(min=2, max=101)  # points per axis of the grid in the reference's units (report: 10)
    slice_steps: int = knob(min=3, max=401)  # points of the 1-D filter-normalized slice
    span: float = knob(min=0)  # both grids cover [-span, span]^2 (the reference: 1)
    power_iters: int = knob(min=1)  # power iterations for lambda_max (a fixed count; the reference: 5)
    lanczos_steps: int = knob(min=2)  # at most this many Lanczos steps (HVPs) for the top-k eigenvalues
    eig_tol: float = knob(min=1e-12)  # Lanczos converged when every Ritz residual <= eig_tol * ||H||
    top_k: int = knob(min=2, max=20)  # eigenvalues from Lanczos (k >= 2 for lambda_1 / lambda_k)
    trace_samples: int = knob(min=2)  # Hutchinson probes on the complement of the Lanczos space (stderr: >= 2)


PROFILES = dict(
    smoke=Ablation(
        n_seeds=2,
        n_train=64,
        n_test=64,
        epochs=1,
        batch_size=32,
        lr=0.1,
        grad_tol=0.05,
        probe_images=32,
        hessian_images=16,
        chunk=32,
        grid_steps=3,
        ref_grid_steps=10,
        slice_steps=3,
        span=1.0,
        power_iters=5,
        lanczos_steps=5,
        eig_tol=5e-2,
        top_k=2,
        trace_samples=2,
    ),
    # sized so that ./render.sh (--jobs 1) renders the quick series in <= 40 min on a 2-core CPU
    quick=Ablation(
        n_seeds=3,
        n_train=2000,
        n_test=1000,
        epochs=3,
        batch_size=32,
        lr=0.1,
        grad_tol=0.05,
        probe_images=128,
        hessian_images=64,
        chunk=128,
        grid_steps=7,
        ref_grid_steps=10,
        slice_steps=11,
        span=1.0,
        power_iters=5,
        lanczos_steps=15,
        eig_tol=2e-2,
        top_k=3,
        trace_samples=3,
    ),
    full=Ablation(
        n_seeds=3,
        n_train=50_000,
        n_test=10_000,
        epochs=20,
        batch_size=32,
        lr=0.1,
        grad_tol=0.05,
        probe_images=2048,
        hessian_images=2048,
        chunk=1024,
        grid_steps=21,
        ref_grid_steps=10,
        slice_steps=101,
        span=1.0,
        power_iters=5,
        lanczos_steps=100,
        eig_tol=1e-3,
        top_k=5,
        trace_samples=30,
    ),
)
