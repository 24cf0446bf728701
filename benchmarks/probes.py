"""Probe speed and accuracy against the field's tools, measured side by side in one run (same model, images, threads).

    python benchmarks/probes.py [--quick] [--threads 1] [--only lmax,trace,grid,hvp] [--images N]

Peers (extras: `pip install --no-deps -r benchmarks/requirements-bench.txt`): PyHessian 0.1, hessian-eigenthings
1.0.0a5, curvlinops-for-pytorch 3.0.1 (+ scipy's ARPACK eigsh on its operator), loss-landscapes 3.0.6. A peer that
does not import is reported and skipped. Model: ResNet-20, random init + 20 (quick) / 40 SGD steps on CIFAR-10
images 10,000+; probes on the first 256 (quick) / 512 training images (normalised; `load_arrays("cifar10")`).

(hvp)   seconds per Hessian-vector product, every implementation, alternating, best of N: ours (gradient graphs
        kept per chunk of 128; and rebuilt), PyHessian (one graph of all images, kept), hessian-eigenthings
        (microbatches of 128, graph rebuilt per product), curvlinops (torch.func jvp over jacrev, chunks of 128).
(lmax)  lambda_max and the top-5, time to accuracy. Reference: our Lanczos run on to a residual bound of 1e-8
        (or 60 steps). Ours: one traced Lanczos run (seed 0) gives hessian_eigenvalues(k=1) and (k=5) for every tol
        (same start vector, deterministic). hessian-eigenthings `lanczos(k, max_iter=m)`: one traced run of its
        lanczos_tridiagonal gives every max_iter (prefixes of one Krylov run; its default is max_iter = 2k).
        PyHessian power iteration: traced for k=1 (every tol / maxIter), one run for top_n=5. curvlinops +
        scipy eigsh (ARPACK): real runs at tol 1e-3, default ncv and a small ncv.
(trace) one shared set of products: a 32-step Lanczos run (prefixes give every deflation size) and 24 Rademacher
        probes z with H z, plus a Hutch++ sketch (8 + 8 products). Per-probe variances give, for each estimator,
        the HVPs needed for a standard error of 5 % of the trace (the reference: the deepest deflation).
        Peers: PyHessian `trace` (Hutchinson: the same estimator, so the same HVP count; its time per HVP),
        hessian-eigenthings `hutch_plus_plus` and curvlinops `hutchpp_trace` (12 products each: their value vs the
        reference, and their time per HVP; at equal error they need our Hutch++'s HVP count).
(grid)  per-point time of a 2-D loss grid vs a bare `torch.inference_mode` forward of the same model over the same
        images (the goal's denominator: the faster of one batch and chunks of 128), ours with and without BN
        folding, loss-landscapes `random_plane`; alternating rounds, best per point.
"""

from __future__ import annotations

import argparse
import copy
import math
import os
import subprocess
import sys
import time
import warnings

import numpy as np
import torch
from scipy.linalg import eigh_tridiagonal
from torch import nn
from torch.nn import functional as F

from lab_utils.core.data import STATS, load_arrays
from lab_utils.core.params import flatten, unflatten
from lab_utils.models import resnet20
from lab_utils.probes import loss_surface
from lab_utils.probes.hvp import HVP
from lab_utils.probes.linalg import lanczos, rand_vector
from lab_utils.probes.state import preserved
from lab_utils.probes.trace import deflated_samples, tridiag_matrix

MEAN, STD = STATS["cifar10"]
CE = F.cross_entropy


def load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip().split("load average:")[-1].strip()


def cifar(n: int, offset: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    d = load_arrays("cifar10")
    x = torch.tensor(d["x_train"][offset : offset + n]).permute(0, 3, 1, 2).float() / 255
    x = (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
    return x.contiguous(), torch.tensor(d["y_train"][offset : offset + n])


def trained_resnet(steps: int, batch: int = 128, seed: int = 0, cache: str | None = None) -> nn.Module:
    """ResNet-20, random init then `steps` SGD steps (lr 0.05, momentum 0.9) on CIFAR-10 images 10,000+; with
    `cache` (a folder) the weights are saved there and reused by later runs (one section per process)."""
    torch.manual_seed(seed)
    model = resnet20()
    path = os.path.join(cache, f"resnet20_sgd{steps}_b{batch}_s{seed}.pt") if cache else None
    if path and os.path.exists(path):
        model.load_state_dict(torch.load(path))
        print(f"ResNet-20 after {steps} SGD steps: loaded from {path}")
        return model.eval()
    x, y = cifar(steps * batch, offset=10_000)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    model.train()
    for s in range(steps):
        loss = CE(model(x[s * batch : (s + 1) * batch]), y[s * batch : (s + 1) * batch])
        opt.zero_grad()
        loss.backward()
        opt.step()
    opt.zero_grad(set_to_none=True)
    print(f"ResNet-20 after {steps} SGD steps: last train batch loss {loss.item():.3f}")
    if path:
        os.makedirs(cache, exist_ok=True)
        torch.save(model.state_dict(), path)
    return model.eval()


class Traced:
    """A flat matvec that records the wall time after every product, from `start()`."""

    def __init__(self, f):
        self.f, self.t, self.t0 = f, [], time.perf_counter()

    def start(self):
        self.t, self.t0 = [], time.perf_counter()
        return self

    def __call__(self, v):
        out = self.f(v)
        self.t.append(time.perf_counter() - self.t0)
        return out


# ---- the peers' Hessian operators, as flat matvecs over the trainable parameters (named_parameters order) ------


def peer_ops(model, x, y, chunk: int = 128) -> dict:
    """name -> (matvec, object) for every importable peer; each on its own deep copy of the model (eval mode)."""
    ops = {}
    try:
        import pyhessian  # noqa: F401

        ph = sys.modules["pyhessian.hessian"]
        m = copy.deepcopy(model).eval()
        torch.manual_seed(0)
        h = ph.hessian(m, CE, data=(x, y), cuda=False)
        ops["PyHessian 0.1"] = (
            lambda v, h=h: flatten(ph.hessian_vector_product(h.gradsH, h.params, unflatten(v, h.params))),
            h,
        )
    except ImportError as e:
        print(f"  PyHessian not importable ({e})")
    try:
        from hessian_eigenthings import HessianOperator

        m = copy.deepcopy(model).eval()
        op = HessianOperator(
            m, [(x, y)], lambda mm, b: CE(mm(b[0]), b[1]), microbatch_size=chunk, microbatch_unsafe=True
        )
        ops["hessian-eigenthings 1.0.0a5"] = (op.matvec, op)
    except ImportError as e:
        print(f"  hessian-eigenthings not importable ({e})")
    try:
        from curvlinops import HessianLinearOperator

        m = copy.deepcopy(model).eval()
        A = HessianLinearOperator(
            m,
            nn.CrossEntropyLoss(),
            [p for p in m.parameters() if p.requires_grad],
            [(x[i : i + chunk], y[i : i + chunk]) for i in range(0, len(x), chunk)],
            check_deterministic=False,
        )
        ops["curvlinops 3.0.1"] = (lambda v, A=A: A @ v, A)
    except ImportError as e:
        print(f"  curvlinops not importable ({e})")
    return ops


def bench_hvp(model, x, y, repeats: int) -> dict:
    print(
        f"\n(hvp) seconds per HVP, ResNet-20, {len(x)} images, threads {torch.get_num_threads()}, best of {repeats},"
        f" alternating; load {load()}"
    )
    with preserved(model):
        ours = {
            "ours, graphs kept (chunks of 128)": HVP(model, CE, (x, y), 256, keep_graph=True),
            "ours, graph rebuilt (chunks of 256)": HVP(model, CE, (x, y), 256, keep_graph=False),
        }
        fs = {k: h for k, h in ours.items()} | {k: f for k, (f, _) in peer_ops(model, x, y).items()}
        v = rand_vector(
            ours["ours, graphs kept (chunks of 128)"].n, torch.Generator().manual_seed(0), torch.float32, "cpu"
        )
        outs = {k: f(v) for k, f in fs.items()}  # warm-up (kept graphs are built here)
        ref = outs["ours, graph rebuilt (chunks of 256)"]
        best = {k: math.inf for k in fs}
        for _ in range(repeats):
            for k, f in fs.items():
                t0 = time.perf_counter()
                f(v)
                best[k] = min(best[k], time.perf_counter() - t0)
    base = best["ours, graphs kept (chunks of 128)"]
    for k in fs:
        d = float((outs[k] - ref).norm() / ref.norm())
        print(f"  {k:40s} {best[k]:6.2f} s  ({best[k] / base:4.2f}x ours kept)  rel. diff vs ours {d:.1e}")
    print(f"  load after: {load()}")
    return best


# ---- lambda_max and top-5 --------------------------------------------------------------------------------------


def ritz(alphas, betas, m: int, k: int) -> np.ndarray:
    """The k largest Ritz values of the m-step tridiagonal (largest first)."""
    a = np.asarray(alphas[:m], np.float64)
    th = a.copy() if m == 1 else eigh_tridiagonal(a, np.asarray(betas[: m - 1], np.float64), eigvals_only=True)
    return th[::-1][:k]


def ours_lanczos_trace(model, x, y, k: int, ref_tol: float, max_steps: int) -> dict:
    """hessian_eigenvalues(k, seed=0) traced: after each HVP the time, top-k Ritz values and residual bounds."""
    rec = {"t": [], "theta": [], "res": []}
    with preserved(model):
        t0 = time.perf_counter()
        H = HVP(model, CE, (x, y), 256)
        v0 = rand_vector(H.n, torch.Generator().manual_seed(0), H.dtype, H.device)

        def stop(theta, S, beta):
            scale = max(float(np.abs(theta).max()), 1e-300)
            kk = min(k, len(theta))
            rec["t"].append(time.perf_counter() - t0)
            rec["theta"].append(np.pad(theta[::-1][:kk], (0, k - kk), constant_values=np.nan))
            r = np.abs(beta * S[-1, ::-1][:kk]) / scale
            rec["res"].append(np.pad(r, (0, k - kk), constant_values=np.inf))
            return kk == k and bool(np.all(r <= ref_tol))

        lanczos(H, v0, max_steps, stop)
    return {key: np.asarray(val) for key, val in rec.items()}


def ours_at(tr, tol: float, k: int):
    """(HVPs, seconds, values) of hessian_eigenvalues(k, tol) read off the trace."""
    ok = np.all(tr["res"][:, :k] <= tol, axis=1)
    i = np.flatnonzero(ok)
    return None if not len(i) else (int(i[0]) + 1, float(tr["t"][i[0]]), tr["theta"][i[0], :k])


def eigenthings_trace(op, n: int, max_steps: int) -> dict:
    """hessian-eigenthings' lanczos_tridiagonal from its own seeded start (as `lanczos(seed=0)` draws it),
    timed per product; Ritz values of every prefix = `lanczos(k, max_iter=m, seed=0)`."""
    from hessian_eigenthings.algorithms.lanczos import lanczos_tridiagonal

    gen = torch.Generator(device="cpu").manual_seed(0)
    v0 = torch.randn(n, dtype=op.dtype, generator=gen)
    tm = Traced(op.matvec)
    orig = op.matvec
    op.matvec = tm.start()
    try:
        td = lanczos_tridiagonal(op, v0, max_steps, reorthogonalize=True)
    finally:
        op.matvec = orig
    return {"t": np.asarray(tm.t), "alphas": td.alphas.double().numpy(), "betas": td.betas.double().numpy()}


def pyhessian_power_trace(model, x, y, ref: float, stop_err: float, max_iter: int, extra: int = 2) -> dict:
    """PyHessian `eigenvalues(top_n=1)` traced (time and estimate after each HVP, its set-up included)."""
    ph = sys.modules["pyhessian.hessian"]
    rec = {"t": [], "theta": []}
    orig = ph.hessian_vector_product
    left = [None]

    class Enough(Exception):
        pass

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
                raise Enough
        return hv

    m = copy.deepcopy(model)
    torch.manual_seed(0)
    ph.hessian_vector_product = counted
    try:
        t0 = time.perf_counter()
        h = ph.hessian(m, CE, data=(x, y), cuda=False)
        h.eigenvalues(maxIter=max_iter, tol=0.0, top_n=1)
    except Enough:
        pass
    finally:
        ph.hessian_vector_product = orig
    return {key: np.asarray(val) for key, val in rec.items()}


def arpack(A, n: int, k: int, tol: float, ncv: int | None) -> tuple:
    """scipy eigsh (ARPACK) on curvlinops' operator: (values largest first, matvecs, seconds)."""
    from scipy.sparse.linalg import LinearOperator, eigsh

    As = A.to_scipy()
    calls = [0]

    def mv(v):
        calls[0] += 1
        return As.matvec(v)

    v0 = np.random.default_rng(0).standard_normal(n)
    t0 = time.perf_counter()
    vals = eigsh(
        LinearOperator(As.shape, matvec=mv, dtype=np.float64),
        k=k,
        which="LA",
        tol=tol,
        ncv=ncv,
        v0=v0,
        return_eigenvectors=False,
    )
    return np.sort(vals)[::-1], calls[0], time.perf_counter() - t0


def bench_lmax(model, x, y, quick: bool) -> None:
    print(
        f"\n(lmax) lambda_max and top-5, ResNet-20, {len(x)} images, threads {torch.get_num_threads()}; load {load()}"
    )
    K = 5
    tr = ours_lanczos_trace(model, x, y, K, 1e-8, 40 if quick else 60)
    ref = tr["theta"][-1]
    print(
        f"  reference: our Lanczos, {len(tr['t'])} HVPs, residual bounds <= {tr['res'][-1].max():.1e}: "
        f"top-5 {np.array2string(ref, precision=4)}"
    )
    err1 = lambda v: abs(v - ref[0]) / abs(ref[0])  # noqa: E731
    errk = lambda vs: float(np.max(np.abs(np.asarray(vs)[:K] - ref) / np.abs(ref)))  # noqa: E731
    rows = []  # (what, target, tool, setting, hvps, seconds, error)

    def our_rows(k, err):
        for tol in (1e-2, 1e-3, 1e-4, 1e-6):
            r = ours_at(tr, tol, k)
            if r:
                rows.append((f"top-{k}", tol, "ours Lanczos", f"tol {tol:.0e}", r[0], r[1], err(r[2])))

    our_rows(1, lambda v: err1(v[0]))
    our_rows(K, errk)
    ops = peer_ops(model, x, y)
    n = HVP(model, CE, (x, y)).n
    name = "hessian-eigenthings 1.0.0a5"
    if name in ops:
        et = eigenthings_trace(ops[name][1], n, 22 if quick else 30)
        for m in range(1, len(et["t"]) + 1):
            for k, err in ((1, lambda v: err1(v[0])), (K, errk)):
                if m >= k:
                    rows.append(
                        (
                            f"top-{k}",
                            None,
                            name,
                            f"max_iter {m}" + (" (default 2k)" if m == 2 * k else ""),
                            m,
                            float(et["t"][m - 1]),
                            err(ritz(et["alphas"], et["betas"], m, k)),
                        )
                    )
    name = "PyHessian 0.1"
    if name in ops:
        pt = pyhessian_power_trace(model, x, y, ref[0], 1e-5, 15 if quick else 30)
        th = pt["theta"]
        for i in range(len(th)):
            rows.append(("top-1", None, name, f"maxIter {i + 1}", i + 1, float(pt["t"][i]), err1(th[i])))
        for tol in (1e-3, 1e-4, 1e-5):  # its rule: stop at the first relative change < tol, return the previous
            hit = np.flatnonzero(np.abs(th[1:] - th[:-1]) / (np.abs(th[:-1]) + 1e-6) < tol)
            if len(hit):
                i = int(hit[0])
                rows.append(("top-1", tol, name, f"tol {tol:.0e}", i + 2, float(pt["t"][i + 1]), err1(th[i])))
        m = copy.deepcopy(model)
        torch.manual_seed(0)
        hvps = [0]
        ph = sys.modules["pyhessian.hessian"]
        orig = ph.hessian_vector_product

        def counted(*a):
            hvps[0] += 1
            return orig(*a)

        ph.hessian_vector_product = counted
        cap = 5 if quick else 15
        try:
            t0 = time.perf_counter()
            ev, _ = ph.hessian(m, CE, data=(x, y), cuda=False).eigenvalues(maxIter=cap, tol=1e-3, top_n=K)
            rows.append(
                (
                    f"top-{K}",
                    1e-3,
                    name,
                    f"tol 1e-3, maxIter {cap}",
                    hvps[0],
                    time.perf_counter() - t0,
                    errk(sorted(ev, reverse=True)),
                )
            )
        finally:
            ph.hessian_vector_product = orig
    name = "curvlinops 3.0.1"
    if name in ops:
        A = ops[name][1]
        for k, ncv in ((1, 6), (K, None)) if quick else ((1, None), (1, 6), (K, None)):
            vals, calls, secs = arpack(A, n, k, 1e-3, ncv)
            err = err1(vals[0]) if k == 1 else errk(vals)
            rows.append((f"top-{k}", 1e-3, name + " + eigsh", f"tol 1e-3, ncv {ncv or 'default'}", calls, secs, err))
    print(f"  load after: {load()}")
    print(f"  {'what':6s} | {'tool':34s} | {'setting':24s} | {'HVPs':>4s} | {'seconds':>8s} | rel. error (max over k)")
    for what in ("top-1", f"top-{K}"):
        for r in rows:
            if r[0] == what and (
                r[2] == "ours Lanczos"
                or r[1] is not None
                or "default" in r[3]
                or r[3].startswith("max_iter")
                and r[4] <= 12
            ):
                print(f"  {r[0]:6s} | {r[2]:34s} | {r[3]:24s} | {r[4]:4d} | {r[5]:8.1f} | {r[6]:.1e}")
    print("  time to accuracy (fastest setting of each tool whose error <= target; ratio = tool / ours):")
    for what in ("top-1", f"top-{K}"):
        for target in (1e-3, 1e-4, 1e-6):
            best = {}
            for r in rows:
                if r[0] == what and r[6] <= target and (r[2] not in best or r[5] < best[r[2]][5]):
                    best[r[2]] = r
            o = best.get("ours Lanczos")
            peers = {k: v for k, v in best.items() if k != "ours Lanczos"}
            parts = [
                f"{k}: {v[3]}, {v[4]} HVP {v[5]:.1f} s" + (f" ({v[5] / o[5]:.2f}x)" if o else "")
                for k, v in peers.items()
            ]
            missing = [r[2] for r in rows if r[0] == what and r[2] not in best and r[2] != "ours Lanczos"]
            parts += [f"{k}: not reached" for k in dict.fromkeys(missing)]
            fastest = min((v[5] for v in peers.values()), default=math.nan)
            ratio = f"{fastest / o[5]:.2f}x" if o and math.isfinite(fastest) else "no peer reaches it"
            print(
                f"    {what} <= {target:.0e}: ours "
                + (f"{o[3]}, {o[4]} HVP {o[5]:.1f} s | fastest peer / ours = {ratio}" if o else "not reached")
            )
            print("        " + "; ".join(parts))


# ---- trace -----------------------------------------------------------------------------------------------------


def bench_trace(model, x, y, quick: bool) -> None:
    print(f"\n(trace) ResNet-20, {len(x)} images, threads {torch.get_num_threads()}; load {load()}")
    K, S, KPP = (24, 16, 6) if quick else (32, 24, 8)
    with preserved(model):
        H = HVP(model, CE, (x, y), 256)
        gen = torch.Generator().manual_seed(0)
        t0 = time.perf_counter()
        alphas, betas, Q = lanczos(H, rand_vector(H.n, gen, H.dtype, H.device), K)
        Z = torch.stack([rand_vector(H.n, gen, H.dtype, H.device, "rademacher") for _ in range(S)])
        HZ = torch.stack([H(z) for z in Z])
        AS = torch.stack([H(rand_vector(H.n, gen, H.dtype, H.device, "rademacher")) for _ in range(KPP)])
        Qpp = torch.linalg.qr(AS.double().T, mode="reduced")[0].T.float()
        Tpp = (Qpp.double() @ torch.stack([H(q) for q in Qpp]).double().T).numpy()
        per_hvp = (time.perf_counter() - t0) / H.calls
    T = tridiag_matrix(alphas, betas)
    plain = deflated_samples(None, None, Z, HZ)
    est = {}
    for m in sorted({0, 2, 4, 8, 12, 16, 24, K}):
        s = deflated_samples(Q[:m], T[:m, :m], Z, HZ) if m else plain
        est[m] = (float(np.sum(alphas[:m])) + s.mean(), s.std(ddof=1), float(np.sum(alphas[:m])))
    ref, ref_se = est[K][0], est[K][1] / math.sqrt(S)
    spp = deflated_samples(Qpp, 0.5 * (Tpp + Tpp.T), Z, HZ)
    pp = (float(np.trace(Tpp)) + spp.mean(), spp.std(ddof=1))
    goal = 0.05 * abs(ref)
    need = lambda sd: max(1, math.ceil((sd / goal) ** 2))  # noqa: E731  probes for a stderr of 5 %
    print(
        f"  reference: Lanczos-deflated ({K} steps + {S} probes): tr H = {ref:.2f} +- {ref_se:.2f} "
        f"({100 * ref_se / abs(ref):.2f} %); sum of the top-5 Ritz values {ritz(alphas, betas, K, 5).sum():.1f}"
    )
    print(
        f"  our HVP here {per_hvp:.2f} s; per-probe std: Hutchinson {est[0][1]:.1f}, Hutch++ ({KPP} sketch) "
        f"{pp[1]:.1f}, Lanczos-deflated " + ", ".join(f"m={m}: {v[1]:.1f}" for m, v in est.items() if m)
    )
    n_h = need(est[0][1])
    n_pp = 2 * KPP + need(pp[1])
    n_l = {m: m + need(v[1]) for m, v in est.items() if m}
    m_best = min(n_l, key=n_l.get)
    print(
        f"  HVPs for a 5 % standard error: Hutchinson {n_h}; Hutch++ ({KPP}-column sketch) {n_pp}; "
        f"Lanczos-deflated {n_l[m_best]} (m = {m_best} steps; "
        + ", ".join(f"m={m}: {v}" for m, v in n_l.items())
        + f");  Hutchinson / Lanczos-deflated = {n_h / n_l[m_best]:.1f}x, Hutchinson / Hutch++ = {n_h / n_pp:.1f}x"
    )
    for B in (12, 24, 48):  # expected (rms) relative error at a fixed budget, from the per-probe variances
        m = min((mm for mm in est if 0 < mm < B), key=lambda mm: est[mm][1] / math.sqrt(B - mm))
        sd_pp = pp[1] / math.sqrt(max(B - 2 * KPP, 1)) if B > 2 * KPP else math.nan
        print(
            f"  budget {B:3d} HVPs: expected rel. error Hutchinson {est[0][1] / math.sqrt(B) / abs(ref):.1%}, "
            f"Hutch++ ({KPP} sketch) {sd_pp / abs(ref):.1%}, Lanczos-deflated (m={m}) "
            f"{est[m][1] / math.sqrt(B - m) / abs(ref):.1%}"
        )
    ops = peer_ops(model, x, y)
    for name, run in [
        ("PyHessian 0.1", lambda o: np.mean(o.trace(maxIter=4, tol=0.0))),
        (
            "hessian-eigenthings 1.0.0a5",
            lambda o: __import__("hessian_eigenthings").hutch_plus_plus(o, num_matvecs=12, seed=0).estimate,
        ),
        ("curvlinops 3.0.1", lambda o: float(__import__("curvlinops").hutchpp_trace(o, 12))),
    ]:
        if name not in ops:
            continue
        o = ops[name][1]
        calls = [0]
        if name == "PyHessian 0.1":
            ph = sys.modules["pyhessian.hessian"]
            orig = ph.hessian_vector_product
            ph.hessian_vector_product = lambda *a: (calls.__setitem__(0, calls[0] + 1), orig(*a))[1]  # noqa: B023
        elif name.startswith("hessian-eigenthings"):
            orig = o.matvec
            o.matvec = lambda v: (calls.__setitem__(0, calls[0] + 1), orig(v))[1]  # noqa: B023
        else:
            orig = o._matmat
            o._matmat = lambda M: (calls.__setitem__(0, calls[0] + M[0].shape[-1]), orig(M))[1]  # noqa: B023
        t0 = time.perf_counter()
        torch.manual_seed(0)
        try:
            val = run(o)
        finally:
            if name == "PyHessian 0.1":
                ph.hessian_vector_product = orig
            elif name.startswith("hessian-eigenthings"):
                o.matvec = orig
            else:
                o._matmat = orig
        secs = time.perf_counter() - t0
        hv = secs / max(calls[0], 1)
        algo, n_eq = ("Hutchinson", n_h) if name == "PyHessian 0.1" else ("Hutch++", n_pp)
        print(
            f"  {name:28s} {algo}, {calls[0]} HVPs: {val:9.2f} (ref {ref:.2f}, error {abs(val - ref) / abs(ref):.1%})"
            f" in {secs:.1f} s = {hv:.2f} s/HVP; at 5 % it needs {n_eq} HVPs = {n_eq * hv:.0f} s "
            f"vs ours Lanczos-deflated {n_l[m_best]} HVPs = {n_l[m_best] * per_hvp:.0f} s "
            f"({n_eq * hv / (n_l[m_best] * per_hvp):.1f}x)"
        )
    print(f"  load after: {load()}")


# ---- grid ------------------------------------------------------------------------------------------------------


def bench_grid(model, x, y, steps: int, rounds: int) -> None:
    pts = steps * steps
    print(
        f"\n(grid) {steps}x{steps} loss grid, ResNet-20, {len(x)} images, threads {torch.get_num_threads()}, "
        f"{rounds} alternating rounds, best per point; load {load()}"
    )
    best: dict[str, float] = {}
    vals: dict[str, np.ndarray] = {}

    def record(k, secs, n=1):
        best[k] = min(best.get(k, math.inf), secs / n)

    try:
        import loss_landscapes
        import loss_landscapes.metrics
    except ImportError as e:
        loss_landscapes = None
        print(f"  loss-landscapes not importable ({e})")
    for _ in range(rounds):
        with torch.inference_mode():
            model.eval()
            t0 = time.perf_counter()
            model(x)
            record("bare forward, one batch", time.perf_counter() - t0)
            t0 = time.perf_counter()
            for i in range(0, len(x), 128):
                model(x[i : i + 128])
            record("bare forward, chunks of 128", time.perf_counter() - t0)
        for fold in (True, False):
            t0 = time.perf_counter()
            r = loss_surface(model, CE, (x, y), steps=steps, progress=False, fold_bn=fold)
            record(f"ours loss_surface, fold_bn={fold}", time.perf_counter() - t0, pts)
            vals[str(fold)] = r.loss
        if loss_landscapes is not None:
            m = copy.deepcopy(model).eval()
            metric = loss_landscapes.metrics.Loss(CE, x, y)
            torch.manual_seed(0)
            t0 = time.perf_counter()
            with torch.no_grad():
                loss_landscapes.random_plane(
                    m, metric, distance=1, steps=steps, normalization="filter", deepcopy_model=True
                )
            record("loss-landscapes 3.0.6 random_plane", time.perf_counter() - t0, pts)
    bare = min(best["bare forward, one batch"], best["bare forward, chunks of 128"])
    for k, v in best.items():
        print(f"  {k:40s} {v * 1e3:7.0f} ms/point   throughput / bare forward = {bare / v:.2f}")
    print(
        f"  fold_bn=True vs False: max |diff| of the losses {np.abs(vals['True'] - vals['False']).max():.1e} "
        f"(range {vals['False'].min():.3f}..{vals['False'].max():.3f}); load after: {load()}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--threads", type=int, default=int(os.environ.get("LAB_THREADS", "1")))
    ap.add_argument("--only", default="hvp,lmax,trace,grid", help="comma-separated sections")
    ap.add_argument("--images", type=int, default=None)
    ap.add_argument("--cache", default=None, help="folder to keep the trained model in between runs")
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore", message="Using backward.. with create_graph=True")  # PyHessian's own call
    warnings.filterwarnings("ignore", category=FutureWarning)
    n = args.images or (256 if args.quick else 512)
    print(f"torch {torch.__version__}, threads {args.threads}, images {n}, load {load()}")
    model = trained_resnet(steps=20 if args.quick else 40, cache=args.cache)
    x, y = cifar(n)
    only = args.only.split(",")
    if "hvp" in only:
        bench_hvp(model, x, y, 2 if args.quick else 3)
    if "lmax" in only:
        bench_lmax(model, x, y, args.quick)
    if "trace" in only:
        bench_trace(model, x, y, args.quick)
    if "grid" in only:
        bench_grid(model, x, y, 5 if args.quick else 7, 2)


if __name__ == "__main__":
    main()
