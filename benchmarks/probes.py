"""Probe speed against the field's tools, measured side by side in one run (same model, data, threads).

    python benchmarks/probes.py [--quick] [--threads 1] [--only lmax|grid|hvp]

(1) lambda_max of the Hessian on a ResNet-20 (random init + a few dozen SGD steps on CIFAR-10), one batch of 512
    images: ours (Lanczos, Ritz residual checked every HVP) vs PyHessian 0.1 `hessian(...).eigenvalues()` (power
    iteration, one retained graph). Same answer within 1e-3 relative? Time ratio (goal >= 2x).
(2) 21 x 21 filter-normalised loss grid on 2,048 CIFAR images: ours vs loss-landscapes 3.0.6 `random_plane` and
    vs a naive per-point DataLoader loop (goal >= 3x). loss-landscapes draws different directions (uniform[0,1],
    its own scaling), so only the time per grid point is comparable, not the values.
(hvp) seconds per HVP, double backward vs torch.func, on a small CNN and on the ResNet-20.
--quick: 256 images for (1), a 7 x 7 grid on 512 images for (2), fewer SGD steps (about 2 minutes on 2 cores).
Needs `pip install --no-deps -r benchmarks/requirements-bench.txt` (PyHessian, loss-landscapes).
"""
from __future__ import annotations

import argparse
import copy
import os
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from lab_utils.models import cnn
from lab_utils.probes import hessian_eigenvalues, loss_surface
from lab_utils.probes.hvp import HVP
from lab_utils.probes.state import preserved
from lab_utils.resnet import resnet20

DATA = os.environ.get("LAB_CIFAR", "/work/shared/data/cifar10.npz")
MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)


def cifar(n: int, offset: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    d = np.load(DATA)
    x = torch.tensor(d["x_train"][offset:offset + n]).permute(0, 3, 1, 2).float() / 255
    x = (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
    return x.contiguous(), torch.tensor(d["y_train"][offset:offset + n])


def trained_resnet(steps: int, batch: int = 128, seed: int = 0) -> nn.Module:
    """ResNet-20, random init then `steps` SGD steps (lr 0.05, momentum 0.9) on CIFAR-10 images 10,000+."""
    torch.manual_seed(seed)
    model = resnet20()
    x, y = cifar(steps * batch, offset=10_000)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    model.train()
    for s in range(steps):
        loss = F.cross_entropy(model(x[s * batch:(s + 1) * batch]), y[s * batch:(s + 1) * batch])
        opt.zero_grad()
        loss.backward()
        opt.step()
    opt.zero_grad(set_to_none=True)
    print(f"ResNet-20 after {steps} SGD steps: last train batch loss {loss.item():.3f}")
    return model.eval()


def timed(f):
    t0 = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t0


def bench_lmax(model, n_images: int) -> None:
    x, y = cifar(n_images)
    print(f"\n(1) lambda_max, ResNet-20, {n_images} CIFAR images, torch threads {torch.get_num_threads()}")
    (vals, info), t_ours = timed(lambda: hessian_eigenvalues(model, F.cross_entropy, (x, y), k=1, tol=1e-3,
                                                             return_info=True))
    print(f"  ours (Lanczos, tol 1e-3):  lambda_max {vals[0]:.4f}  {info['n_hvp']} HVPs  {t_ours:.1f} s  "
          f"(residual bound |lambda - est| <= {info['residuals'][0]:.1e} x |lambda|)")
    (gv, ginfo), t_gap = timed(lambda: hessian_eigenvalues(model, F.cross_entropy, (x, y), k=1, tol=1e-4,
                                                           bound="gap", return_info=True))
    print(f"  ours (Lanczos, gap estimate r^2/gap <= 1e-4): lambda_max {gv[0]:.4f}  {ginfo['n_hvp']} HVPs  "
          f"{t_gap:.1f} s")
    try:
        from pyhessian import hessian
    except ImportError as e:
        print(f"  PyHessian not importable ({e}); pip install --no-deps pyhessian==0.1")
        return
    m = copy.deepcopy(model)
    torch.manual_seed(0)
    t0 = time.perf_counter()
    h = hessian(m, F.cross_entropy, data=(x, y), cuda=False)
    ev, _ = h.eigenvalues(maxIter=100, tol=1e-3, top_n=1)
    t_ph = time.perf_counter() - t0
    rel = abs(ev[0] - vals[0]) / abs(vals[0])
    print(f"  PyHessian 0.1 (power, tol 1e-3): lambda_max {ev[0]:.4f}  {t_ph:.1f} s (builds one graph, then "
          f"HVPs; its stop rule is a relative change, not a bound)")
    print(f"  relative difference {rel:.1e} ({'within' if rel <= 1e-3 else 'NOT within'} 1e-3);  "
          f"speed ratio PyHessian / ours = {t_ph / t_ours:.2f}x; with the gap estimate {t_ph / t_gap:.2f}x "
          f"(rel. difference {abs(ev[0] - gv[0]) / abs(gv[0]):.1e})")
    (ref, rinfo), t_ref = timed(lambda: hessian_eigenvalues(model, F.cross_entropy, (x, y), tol=1e-6, max_iter=60,
                                                            return_info=True))
    print(f"  reference (Lanczos, tol 1e-6, {rinfo['n_hvp']} HVPs, {t_ref:.0f} s): {ref[0]:.5f};  error ours "
          f"{abs(vals[0] - ref[0]) / ref[0]:.1e}, ours-gap {abs(gv[0] - ref[0]) / ref[0]:.1e}, PyHessian {abs(ev[0] - ref[0]) / ref[0]:.1e}")


def naive_grid(model, x, y, dirs, coords, batch_size=128) -> np.ndarray:
    """What a notebook would write: a DataLoader per grid point, no chunk tuning, contiguous tensors."""
    from torch.utils.data import DataLoader, TensorDataset
    params = [p for p in model.parameters() if p.requires_grad]
    base = [p.detach().clone() for p in params]
    out = np.empty((len(coords), len(coords)))
    model.eval()
    with torch.no_grad():
        for i, a in enumerate(coords):
            for j, b in enumerate(coords):
                for p, p0, d1, d2 in zip(params, base, *dirs):
                    p.copy_(p0 + a * d1 + b * d2)
                tot, n = 0.0, 0
                for xb, yb in DataLoader(TensorDataset(x, y), batch_size=batch_size):
                    tot += F.cross_entropy(model(xb), yb, reduction="sum").item()
                    n += len(xb)
                out[i, j] = tot / n
        for p, p0 in zip(params, base):
            p.copy_(p0)
    return out


def bench_grid(model, n_images: int, steps: int) -> None:
    x, y = cifar(n_images)
    pts = steps * steps
    print(f"\n(2) {steps}x{steps} loss grid, ResNet-20, {n_images} CIFAR images, threads {torch.get_num_threads()}")
    res, t_ours = timed(lambda: loss_surface(model, F.cross_entropy, (x, y), steps=steps, progress=False))
    print(f"  ours: {t_ours:.1f} s ({t_ours / pts * 1e3:.0f} ms/point); centre loss {res.loss[steps // 2, steps // 2]:.4f}"
          f" acc {res.accuracy[steps // 2, steps // 2]:.3f}; grid loss range {res.loss.min():.3f}..{res.loss.max():.3f}")
    grid, t_naive = timed(lambda: naive_grid(copy.deepcopy(model), x, y, res.directions, res.coords))
    print(f"  naive DataLoader loop (batch 128): {t_naive:.1f} s ({t_naive / pts * 1e3:.0f} ms/point); "
          f"max |diff| vs ours {np.abs(grid - res.loss).max():.1e};  ratio naive / ours = {t_naive / t_ours:.2f}x")
    try:
        import loss_landscapes
        import loss_landscapes.metrics
    except ImportError as e:
        print(f"  loss-landscapes not importable ({e}); pip install --no-deps loss-landscapes==3.0.6")
        return
    m = copy.deepcopy(model).eval()
    metric = loss_landscapes.metrics.Loss(F.cross_entropy, x, y)
    torch.manual_seed(0)
    try:
        ll, t_ll = timed(lambda: loss_landscapes.random_plane(m, metric, distance=1, steps=steps,
                                                              normalization="filter", deepcopy_model=True))
    except ZeroDivisionError as e:
        print(f"  loss-landscapes 3.0.6 raised ZeroDivisionError ({e}): a zero entry in a 1-D parameter")
        return
    print(f"  loss-landscapes 3.0.6 random_plane: {t_ll:.1f} s ({t_ll / pts * 1e3:.0f} ms/point), loss range "
          f"{np.min(ll):.3g}..{np.max(ll):.3g} (its own directions);  ratio loss-landscapes / ours = {t_ll / t_ours:.2f}x")


def bench_hvp(model, n_images: int, repeats: int = 3) -> None:
    x, y = cifar(n_images)
    torch.manual_seed(0)
    small = cnn(channels=(16, 32), hidden=64, in_channels=3, image_size=32, batchnorm=True).eval()
    print(f"\n(hvp) seconds per HVP on {n_images} images, chunks of 256, best of {repeats} (alternating)")
    for name, m in [("small CNN", small), ("ResNet-20", model)]:
        with preserved(m):
            hs = {k: HVP(m, F.cross_entropy, (x, y), 256, k) for k in ("double_backward", "func")}
            v = torch.randn(hs["func"].n, generator=torch.Generator().manual_seed(0))
            for h in hs.values():
                h(v)
            best = {k: float("inf") for k in hs}
            for _ in range(repeats):
                for k, h in hs.items():
                    _, t = timed(lambda: h(v))
                    best[k] = min(best[k], t)
        n = sum(p.numel() for p in m.parameters())
        print(f"  {name} ({n:,} params): double backward {best['double_backward']:.2f} s, "
              f"torch.func jvp(grad) {best['func']:.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--threads", type=int, default=int(os.environ.get("LAB_THREADS", "1")))
    ap.add_argument("--only", choices=["lmax", "grid", "hvp"], default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model = trained_resnet(steps=20 if args.quick else 40)
    if args.only in (None, "lmax"):
        bench_lmax(model, 256 if args.quick else 512)
    if args.only in (None, "grid"):
        bench_grid(model, 512 if args.quick else 2048, 7 if args.quick else 21)
    if args.only == "hvp":
        bench_hvp(model, 256 if args.quick else 512)


if __name__ == "__main__":
    main()
