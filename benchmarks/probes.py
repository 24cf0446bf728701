"""Probe speed against the field's tools, measured side by side in one run (same model, data, threads).

    python benchmarks/probes.py [--quick] [--threads 1] [--only lmax|grid|hvp]

(1) lambda_max of the Hessian on a ResNet-20 (random init + a few dozen SGD steps on CIFAR-10), one batch of 512
    images: ours (Lanczos, Ritz residual checked every HVP) vs PyHessian 0.1 `hessian(...).eigenvalues()` (power
    iteration, one retained graph).
    (a) each tool at tol 1e-3 with its own stop rule (ours: a residual bound; PyHessian: relative change of
        successive estimates): the first comparison, kept for the record; the two runs reach different accuracies.
    (b) time to accuracy: for target relative errors 1e-4 and 1e-6 against a reference (our Lanczos run on to a
        residual bound of 1e-9), the HVPs and wall time each method needs: the loosest tol in 1e-2..1e-9 whose run
        reaches the target (ours with its residual and its gap rule; PyHessian with its relative-change rule) and
        PyHessian's best maxIter (oracle). Read off one traced run per method: both are deterministic given the
        seed, and a run with tol t (or maxIter k) stops exactly where the trace says.
(2) 21 x 21 filter-normalised loss grid on 2,048 CIFAR images: ours vs loss-landscapes 3.0.6 `random_plane` and
    vs a naive per-point DataLoader loop (goal >= 3x). loss-landscapes draws different directions (uniform[0,1],
    its own scaling), so only the time per grid point is comparable, not the values.
(hvp) seconds per HVP, double backward (graphs kept / rebuilt) vs torch.func, on a small CNN and on the ResNet-20.
--quick: 256 images for (1), a 7 x 7 grid on 512 images for (2), fewer SGD steps (about 6 minutes on 2 cores).
Data: `lab_utils.core.data.load_arrays("cifar10")` ($LAB_DATA, ../shared/data, else a download), loaded once.
Needs `pip install --no-deps -r benchmarks/requirements-bench.txt` (PyHessian, loss-landscapes).
"""
from __future__ import annotations

import argparse
import copy
import os
import sys
import time
import warnings

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from lab_utils.core.data import STATS, load_arrays
from lab_utils.models import cnn
from lab_utils.probes import hessian_eigenvalues, loss_surface
from lab_utils.probes.hvp import HVP
from lab_utils.probes.state import preserved
from lab_utils.models import resnet20

MEAN, STD = STATS["cifar10"]


def cifar(n: int, offset: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """n normalised CIFAR-10 training images from `offset` (arrays loaded once, via lab_utils.core.data)."""
    d = load_arrays("cifar10")
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


TARGETS = (1e-4, 1e-6)
TOL_GRID = tuple(10.0 ** -e for e in range(2, 10))  # 1e-2 ... 1e-9


class _Enough(Exception):
    pass


def lanczos_trace(model, x, y, ref_tol: float = 1e-9, max_steps: int = 30) -> dict:
    """Our Lanczos exactly as `hessian_eigenvalues(k=1, seed=0)` runs it, recording after every HVP the wall time
    (from the start, HVP set-up included), the top Ritz value and the two stop statistics: the residual bound
    |beta s_m| / ||H|| (bound="residual") and min(r, r^2 / gap) (bound="gap"). A call with tol t stops at the first
    step whose statistic is <= t, so one trace gives the run for every tol (both are deterministic given the seed)."""
    from lab_utils.probes.linalg import lanczos, rand_vector
    rec = {"t": [], "theta": [], "res": [], "gap": []}
    with preserved(model):
        t0 = time.perf_counter()
        H = HVP(model, F.cross_entropy, (x, y), 256)  # as hessian_eigenvalues builds it
        rec["how"] = (f"gradient graphs kept, chunks of {len(H.chunks[0][0])}" if H.keep_graph
                      else f"graph rebuilt per HVP, chunks of {len(H.chunks[0][0])}")
        v0 = rand_vector(H.n, torch.Generator().manual_seed(0), H.dtype, H.device)

        def stop(theta, S, beta):
            scale = max(float(np.abs(theta).max()), 1e-300)
            r = abs(beta * S[-1, -1]) / scale
            gap = (theta[-1] - theta[-2]) / scale if len(theta) > 1 else np.inf
            rec["t"].append(time.perf_counter() - t0)
            rec["theta"].append(float(theta[-1]))
            rec["res"].append(r)
            rec["gap"].append(min(r, r * r / max(gap, 1e-300)) if len(theta) > 1 else r)
            return r <= ref_tol

        lanczos(H, v0, max_steps, stop)
    return {k: v if k == "how" else np.asarray(v) for k, v in rec.items()}


def pyhessian_trace(model, x, y, ref: float, stop_err: float, max_iter: int = 40, extra: int = 3) -> dict:
    """PyHessian 0.1 `hessian(...).eigenvalues(top_n=1)` (torch.manual_seed(0) start vector), recording after each
    HVP the wall time (from the start: its one-graph set-up included) and its estimate v.Hv. With maxIter=k it
    returns the k-th estimate after k HVPs; with tol it stops at the first HVP i whose estimate changes by less
    than tol relative and returns estimate i-1 (i HVPs). Stops `extra` HVPs after the error first reaches
    stop_err (or at max_iter)."""
    import pyhessian  # noqa: F401  (its package namespace shadows the module with the class of the same name)
    ph = sys.modules["pyhessian.hessian"]
    rec = {"t": [], "theta": []}
    orig = ph.hessian_vector_product
    left = [None]

    def counted(gradsH, params, v):
        hv = orig(gradsH, params, v)
        rec["t"].append(time.perf_counter() - t0)
        est = float(sum((a * b).sum() for a, b in zip(hv, v)))
        rec["theta"].append(est)
        if left[0] is None and abs(est - ref) <= stop_err * abs(ref):
            left[0] = extra
        elif left[0] is not None:
            left[0] -= 1
            if left[0] <= 0:
                raise _Enough
        return hv

    m = copy.deepcopy(model)
    torch.manual_seed(0)
    ph.hessian_vector_product = counted
    try:
        t0 = time.perf_counter()
        h = ph.hessian(m, F.cross_entropy, data=(x, y), cuda=False)
        rec["setup"] = time.perf_counter() - t0
        h.eigenvalues(maxIter=max_iter, tol=0.0, top_n=1)
    except _Enough:
        pass
    finally:
        ph.hessian_vector_product = orig
    return {k: np.asarray(v) for k, v in rec.items()}


def _first(mask) -> int | None:
    hit = np.flatnonzero(mask)
    return int(hit[0]) if len(hit) else None


def ours_at_tol(tr, tol: float, key: str = "res"):
    """(HVPs, seconds, estimate) of hessian_eigenvalues(tol=tol) read off the trace, None if it never stops."""
    i = _first(tr[key] <= tol)
    return None if i is None else (i + 1, tr["t"][i], tr["theta"][i])


def pyhessian_at_tol(tr, tol: float):
    """(HVPs, seconds, returned estimate) of PyHessian eigenvalues(tol=tol), None if it does not stop in the trace."""
    th = tr["theta"]
    i = _first(np.abs(th[1:] - th[:-1]) / (np.abs(th[:-1]) + 1e-6) < tol)
    return None if i is None else (i + 2, tr["t"][i + 1], th[i])


def best_tol(at_tol, tr, ref: float, target: float):
    """Loosest tol in TOL_GRID whose run returns an estimate within `target` relative of ref."""
    for tol in TOL_GRID:
        r = at_tol(tr, tol)
        if r is not None and abs(r[2] - ref) <= target * abs(ref):
            return (tol, *r)
    return None


def bench_lmax(model, n_images: int) -> None:
    x, y = cifar(n_images)
    print(f"\n(1) lambda_max, ResNet-20, {n_images} CIFAR images, torch threads {torch.get_num_threads()}")
    try:
        from pyhessian import hessian
    except ImportError as e:
        print(f"  PyHessian not importable ({e}); pip install --no-deps pyhessian==0.1")
        return
    # (a) each tool's default-ish settings, as first measured: different stop rules, different accuracies
    res, t_ours = timed(lambda: hessian_eigenvalues(model, F.cross_entropy, (x, y), k=1, tol=1e-3))
    vals, info = res.values, {"n_hvp": res.n_matvec, "converged": res.converged}
    m = copy.deepcopy(model)
    torch.manual_seed(0)
    t0 = time.perf_counter()
    h = hessian(m, F.cross_entropy, data=(x, y), cuda=False)
    ev, _ = h.eigenvalues(maxIter=100, tol=1e-3, top_n=1)
    t_ph = time.perf_counter() - t0
    del h, m
    # (b) time to accuracy: one traced run each; the reference is our Lanczos run on to a residual bound of 1e-9
    tr = lanczos_trace(model, x, y)
    ref, ref_bound = tr["theta"][-1], tr["res"][-1]
    pt = pyhessian_trace(model, x, y, ref, min(TARGETS))
    err = lambda v: abs(v - ref) / abs(ref)  # noqa: E731
    print(f"  reference: Lanczos to residual bound {ref_bound:.1e} ({len(tr['t'])} HVPs): lambda_max {ref:.6f}")
    print("  (a) default settings (each tool's own stop rule at tol 1e-3; NOT the same accuracy):")
    print(f"      ours  Lanczos, residual bound <= 1e-3: {vals[0]:.5f}  {info['n_hvp']} HVPs  {t_ours:.1f} s  "
          f"true error {err(vals[0]):.1e}")
    print(f"      PyHessian 0.1 power, rel. change < 1e-3: {ev[0]:.5f}  {t_ph:.1f} s  true error {err(ev[0]):.1e}")
    po, pp = ours_at_tol(tr, 1e-3), pyhessian_at_tol(pt, 1e-3)
    print("      trace check (same tol read off the traces): ours "
          + ("-" if po is None else f"{po[0]} HVPs {po[2]:.5f}") + ", PyHessian "
          + ("-" if pp is None else f"{pp[0]} HVPs {pp[2]:.5f}"))
    print(f"      within 1e-3 of each other: {abs(ev[0] - vals[0]) / abs(vals[0]):.1e};  "
          f"time PyHessian / ours = {t_ph / t_ours:.2f}x")
    n_ph = len(pt["t"])
    hv_ours = np.diff(tr["t"]).mean() if len(tr["t"]) > 1 else tr["t"][0]
    hv_ph = np.diff(pt["t"]).mean() if n_ph > 1 else np.nan
    print(f"  per HVP: ours {hv_ours:.2f} s ({tr['how']}; first HVP incl. set-up {tr['t'][0]:.2f} s); "
          f"PyHessian {hv_ph:.2f} s after a {pt['setup']:.2f} s one-graph set-up")
    print(f"  PyHessian trace: {n_ph} HVPs, last estimate {pt['theta'][-1]:.6f} (error {err(pt['theta'][-1]):.1e})")
    print("  (b) time to accuracy (true relative error vs the reference; times from one traced run per method):")
    print(f"      {'target':>7} | {'ours: loosest tol':>22} | {'ours: gap tol':>22} | {'PyH: loosest tol':>22} | "
          f"{'PyH: best maxIter':>18} | ratio PyH/ours (tol; maxIter vs ours' best step)")
    fmt = lambda r: "not reached" if r is None else f"{r[0]:.0e}: {r[1]:2d} HVP {r[2]:5.1f} s"  # noqa: E731
    for target in TARGETS:
        o = best_tol(ours_at_tol, tr, ref, target)
        g = best_tol(lambda t_, tol: ours_at_tol(t_, tol, "gap"), tr, ref, target)
        p = best_tol(pyhessian_at_tol, pt, ref, target)
        ko = _first(np.abs(tr["theta"] - ref) <= target * abs(ref))
        kp = _first(np.abs(pt["theta"] - ref) <= target * abs(ref))
        pm = f"> {n_ph} HVP > {pt['t'][-1]:.0f} s" if kp is None else f"{kp + 1:2d} HVP {pt['t'][kp]:5.1f} s"
        lower = f"> {pt['t'][-1] / o[2]:.1f}x" if o else "n/a"  # PyHessian still short after its whole trace
        r_tol = f"{p[2] / o[2]:.2f}x" if (o and p) else lower
        r_it = (f"{pt['t'][kp] / tr['t'][ko]:.2f}x" if kp is not None else f"> {pt['t'][-1] / tr['t'][ko]:.1f}x") \
            if ko is not None else "n/a"
        best = "" if ko is None else f" (ours' best step: {ko + 1} HVP {tr['t'][ko]:.1f} s)"
        print(f"      {target:7.0e} | {fmt(o):>22} | {fmt(g):>22} | {fmt(p):>22} | {pm:>18} | {r_tol}; {r_it}{best}")


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
    print(f"\n(hvp) seconds per HVP on {n_images} images, chunks of 256, best of {repeats} (alternating; kept "
          f"graphs are built by the untimed warm-up call)")
    for name, m in [("small CNN", small), ("ResNet-20", model)]:
        with preserved(m):
            hs = {k: HVP(m, F.cross_entropy, (x, y), 256, k, keep_graph=False) for k in ("double_backward", "func")}
            hs["kept"] = HVP(m, F.cross_entropy, (x, y), 256, keep_graph=True)
            v = torch.randn(hs["func"].n, generator=torch.Generator().manual_seed(0))
            for h in hs.values():
                h(v)
            best = {k: float("inf") for k in hs}
            for _ in range(repeats):
                for k, h in hs.items():
                    _, t = timed(lambda: h(v))
                    best[k] = min(best[k], t)
        n = sum(p.numel() for p in m.parameters())
        print(f"  {name} ({n:,} params): double backward, graph rebuilt {best['double_backward']:.2f} s, "
              f"graphs kept (chunks of 128) {best['kept']:.2f} s, torch.func jvp(grad) {best['func']:.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--threads", type=int, default=int(os.environ.get("LAB_THREADS", "1")))
    ap.add_argument("--only", choices=["lmax", "grid", "hvp"], default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore", message="Using backward.. with create_graph=True")  # PyHessian's own call
    model = trained_resnet(steps=20 if args.quick else 40)
    if args.only in (None, "lmax"):
        bench_lmax(model, 256 if args.quick else 512)
    if args.only in (None, "grid"):
        bench_grid(model, 512 if args.quick else 2048, 7 if args.quick else 21)
    if args.only == "hvp":
        bench_hvp(model, 256 if args.quick else 512)


if __name__ == "__main__":
    main()
