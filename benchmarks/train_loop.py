"""Training at the hardware's pace: per section model, training-step throughput of the default memory layout and
of channels_last (`lab_utils.core.layout`), as images/s, GFLOP/s and the fraction of this CPU's float32 matmul
rate, side by side in one run.

    python benchmarks/train_loop.py [--quick] [--threads 2] [--profile quick|full] [--only 07] [--rounds 5]
    python benchmarks/train_loop.py --overhead [--n-train 8192] [--epochs 2] [--repeats 3] [--threads 2]

References: a 2048 x 2048 float32 matmul (2 * 2048^3 FLOP) through torch.mm (MKL sgemm: the "% mm" columns) and
the same product as a 1x1 convolution through oneDNN, which runs the convs ("fit % dnn": the layout fit uses).
On the lab's AMD EPYC oneDNN reached about twice MKL's rate (~380 vs ~190 GFLOP/s on 2 threads), so "% mm" can
pass 100 % for conv nets; the oneDNN rate is the tighter limit.

A training step is what `core.train.fit` does per minibatch: the batch in the layout, forward, loss,
`train.optimizer_step` (zero_grad, backward, step), with the weights held in the layout (`layout.formatted`), for
the models, batch sizes and optimizers of the sections' `--profile`. FLOPs per step are counted once by
`torch.utils.flop_counter.FlopCounterMode` over forward + backward (matmuls and convolutions, direct-convolution
counts; BN, ReLU, pooling and the optimizer count nothing). Inputs are random tensors of the dataset's shape (FLOPs
and kernels do not depend on pixel values). Each round times both matmuls, then k steps in the default layout,
then k in channels_last; the table shows medians over rounds, so load from others on a shared machine shifts both
columns alike and the ratio stays meaningful (the MLP rows, same code in both columns, show the noise). No
thresholds: the distance to the limit is printed, not judged. About 70 s for all 15 models, 20 s with --quick.

--overhead: the issue-3 measurement, `fit` against a bare forward+backward+step loop over the same model and
minibatches (ratio >= 0.9 on CPU for the MNIST CNN is the goal).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch.nn import functional as F
from torch.utils.flop_counter import FlopCounterMode

from lab_utils import models, sections
from lab_utils.core import data, layout, train

MATMUL_N = 2048
CHANNELS_LAST = torch.channels_last
DEFAULT = torch.contiguous_format


# ---- the section models -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One section model as its section trains it: spec, input shape (without the batch), batch, optimizer."""

    section: str
    label: str
    spec: dict
    shape: tuple[int, ...]
    batch: int
    loss: str = "ce"  # "ce": 10 classes; "mse": one regression target
    opt: dict = field(default_factory=lambda: {"name": "adam", "lr": 1e-3})


def _image_shape(spec: dict) -> tuple[int, ...]:
    if spec["kind"] == "resnet20":
        return (3, 32, 32)
    if spec["kind"] == "cnn":
        return (spec["in_channels"], spec["image_size"], spec["image_size"])
    return (spec["in_dim"],)  # an MLP on flattened images or 1-D points


def _case(section: str, label: str, spec: dict, batch: int, **kw) -> Case:
    return Case(section, label, spec, _image_shape(spec), int(batch), **kw)


def section_cases(profile: str) -> list[Case]:
    """The models each section trains in `profile`, built by the sections' own spec functions."""
    from lab_utils.sections.ablation import compute as s07
    from lab_utils.sections.capacity import compute as s04
    from lab_utils.sections.function_fitting import compute as s01
    from lab_utils.sections.interpolation import compute as s05
    from lab_utils.sections.optimization import compute as s02
    from lab_utils.sections.optimizer_probes import compute as s08
    from lab_utils.sections.random_labels import compute as s03
    from lab_utils.sections.sensitivity import compute as s06

    def cfg(name: str):
        return sections.profiles(name)[profile]

    c01, c02, c03, c04 = cfg("01_function_fitting"), cfg("02_optimization"), cfg("03_random_labels"), cfg("04_capacity")
    c05, c06, c07, c08 = cfg("05_interpolation"), cfg("06_sensitivity"), cfg("07_ablation"), cfg("08_optimizer_probes")
    pairs = s01.mnist_pairs()
    sgdm = {"name": "sgd", "lr": 0.01, "momentum": 0.9}
    cifar_fc = s04.fc_family("cifar10", c04.cifar_channels, c04.cifar_p_min, c04.cifar_p_max, c04.cifar_n_models)
    _, mnist_sizes = s04.mnist_specs(c04)
    return [
        _case("01", "sinc MLP 5x28 (report 002)", s01.STUDIES[2].nets["5×28"], c01.sinc_batch, loss="mse"),
        _case("01", "MNIST CNN 001 shallow", pairs["001"]["shallow"], 128),
        _case("01", "MNIST CNN 001 deep", pairs["001"]["deep"], 128),
        _case("01", "MNIST CNN 002 shallow", pairs["002"]["shallow"], 128),
        _case("02", "MNIST CNN", s02.mnist_spec(c02), c02.mnist_batch_size),
        _case("03", "MNIST CNN (memorization)", s03.cnn_spec(c03), c03.batch_size),
        _case("03", "MNIST CNN 001 (GAP)", s03.spec_001(c03), c03.batch_001),
        _case("03", "MNIST MLP (FC sizes, widest)", s03.fc_spec(max(c03.fc_widths_beyond)), c03.batch_fc),
        _case("04", "CIFAR CNN (largest)", cifar_fc[-1], c04.cifar_batch),
        _case("04", "MNIST CNN (largest)", mnist_sizes[-1], c04.mnist_batch),
        _case("05", "MNIST net, small batch", s05.spec_for(c05, "mnist", c05.batchnorm), c05.batch_small),
        _case("05", "CIFAR net, small batch", s05.spec_for(c05, "cifar10", c05.batchnorm), c05.batch_small),
        _case("06", "MNIST net, batch 128", s06.spec_for(c06, "mnist"), 128),
        _case("07", "ResNet-20 (skip, BN)", s07.spec(True, True), c07.batch_size, opt=sgdm),
        _case("08", "CIFAR CNN (BN)", s08.cnn_spec(c08), c08.batch_size, opt=sgdm),
    ]


QUICK = {
    "01": "MNIST CNN 001 shallow",
    "02": "MNIST CNN",
    "03": "MNIST CNN (memorization)",
    "04": "CIFAR CNN (largest)",
    "05": "MNIST net, small batch",
    "06": "MNIST net, batch 128",
    "07": "ResNet-20 (skip, BN)",
    "08": "CIFAR CNN (BN)",
}  # --quick: one model per section


# ---- timing ------------------------------------------------------------------------------------------------------


class Matmul:
    """The reference rates: one MATMUL_N^2 float32 matmul through torch.mm (MKL sgemm, the issue's reference) and
    the same product as a 1x1 convolution through oneDNN, the library that runs the convs (on this AMD CPU it
    reached twice MKL's sgemm rate, so it is the tighter limit for conv nets)."""

    def __init__(self) -> None:
        g = torch.Generator().manual_seed(0)
        self.a, self.b = torch.randn(MATMUL_N, MATMUL_N, generator=g), torch.randn(MATMUL_N, MATMUL_N, generator=g)
        # (1, K, 1, M) x (N, K, 1, 1) -> (1, N, 1, M): an (M x K) @ (K x N) product
        self.x = self.a.reshape(1, MATMUL_N, 1, MATMUL_N).to(memory_format=CHANNELS_LAST)
        self.w = self.b.reshape(MATMUL_N, MATMUL_N, 1, 1).to(memory_format=CHANNELS_LAST)
        self.gflops("torch.mm"), self.gflops("oneDNN")  # warm-up

    def gflops(self, kind: str, repeats: int = 2) -> float:
        """The best of `repeats` rates of one product, GFLOP/s."""
        run = (lambda: torch.mm(self.a, self.b)) if kind == "torch.mm" else (lambda: F.conv2d(self.x, self.w))
        best = math.inf
        for _ in range(repeats):
            t = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - t)
        return 2 * MATMUL_N**3 / best / 1e9


@dataclass
class Stepper:
    """k training steps of one model in one memory layout, over a few fixed random minibatches."""

    model: torch.nn.Module
    fmt: torch.memory_format
    batches: list
    loss_fn: Callable
    opt: torch.optim.Optimizer

    def run(self, k: int) -> float:
        t = time.perf_counter()
        for i in range(k):
            xb, yb = self.batches[i % len(self.batches)]
            if not train.optimizer_step(self.opt, self.loss_fn(self.model(layout.to_format(xb, self.fmt)), yb)):
                raise RuntimeError("non-finite loss: the step skipped its backward, so its time would be wrong")
        return time.perf_counter() - t


def make_batches(case: Case, n: int = 4, seed: int = 0) -> list:
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        x = torch.randn(case.batch, *case.shape, generator=g)
        y = torch.randn(case.batch, 1, generator=g) if case.loss == "mse" else torch.randint(0, 10, (case.batch,))
        out.append((x, y))
    return out


def loss_of(case: Case) -> Callable:
    return F.mse_loss if case.loss == "mse" else F.cross_entropy


def step_flops(case: Case, batch: tuple) -> int:
    """FLOPs of one forward + backward (FlopCounterMode: matmuls and convolutions)."""
    torch.manual_seed(0)
    model = models.build(case.spec).train()
    with FlopCounterMode(display=False) as counter:
        loss_of(case)(model(batch[0]), batch[1]).backward()
    return counter.get_total_flops()


def stepper(case: Case, fmt: torch.memory_format, batches: list, stack: ExitStack) -> Stepper:
    torch.manual_seed(0)
    model = models.build(case.spec).train()
    stack.enter_context(layout.formatted(model, fmt))
    o = case.opt
    opt = train.make_optimizer(model.parameters(), o["name"], o["lr"], o.get("momentum", 0.0))
    return Stepper(model, fmt, batches, loss_of(case), opt)


@dataclass(frozen=True)
class Row:
    case: Case
    n_params: int
    flops: int  # per step, forward + backward
    fit_layout: str  # what `layout.memory_format` picks for this model and input: what fit runs
    img_s: dict  # {"default": median img/s, "channels_last": ...}
    fraction: dict  # {layout: median over rounds of GFLOP/s / that round's torch.mm GFLOP/s}
    fit_dnn: float  # median over rounds of fit's layout GFLOP/s / that round's oneDNN GFLOP/s
    ratio: float  # median over rounds of channels_last img/s / default img/s


def measure(case: Case, mm: Matmul, rounds: int, target_s: float) -> Row:
    """Interleaved rounds of (both matmuls, k default steps, k channels_last steps); medians over rounds."""
    batches = make_batches(case)
    flops = step_flops(case, batches[0])
    fit_layout = (
        "channels_last" if layout.memory_format(models.build(case.spec), batches[0][0]) is CHANNELS_LAST else "default"
    )
    with ExitStack() as stack:
        steppers = {
            "default": stepper(case, DEFAULT, batches, stack),
            "channels_last": stepper(case, CHANNELS_LAST, batches, stack),
        }
        for s in steppers.values():
            s.run(2)  # warm-up: allocator, oneDNN primitive caches
        step_s = max(s.run(1) for s in steppers.values())
        k = max(1, round(target_s / max(step_s, 1e-6)))
        rates: dict[str, list[float]] = {n: [] for n in steppers}
        fracs: dict[str, list[float]] = {n: [] for n in steppers}
        ratios, dnn = [], []
        for _ in range(rounds):
            ref, ref_dnn = mm.gflops("torch.mm"), mm.gflops("oneDNN")
            for name, s in steppers.items():
                sec = s.run(k)
                rates[name].append(k * case.batch / sec)
                fracs[name].append(k * flops / sec / 1e9 / ref)
            dnn.append(fracs[fit_layout][-1] * ref / ref_dnn)
            ratios.append(rates["channels_last"][-1] / rates["default"][-1])
    return Row(
        case,
        models.spec_n_params(case.spec),
        flops,
        fit_layout,
        {n: statistics.median(r) for n, r in rates.items()},
        {n: statistics.median(f) for n, f in fracs.items()},
        statistics.median(dnn),
        statistics.median(ratios),
    )


def print_row(r: Row) -> None:
    gflops = {n: r.img_s[n] * r.flops / r.case.batch / 1e9 for n in r.img_s}
    cols = "  ".join(
        f"{r.img_s[n]:8,.0f} {gflops[n]:7.1f} {100 * r.fraction[n]:5.0f}%" for n in ("default", "channels_last")
    )
    print(
        f"{r.case.section}  {r.case.label:30s} {r.n_params:8,d} {r.case.batch:5d} {r.flops / r.case.batch / 1e6:8.1f}"
        f" {cols}  {r.ratio:5.2f}x  {r.fit_layout:13s} {100 * r.fit_dnn:8.0f}%",
        flush=True,
    )


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


def pace(a: argparse.Namespace) -> None:
    cases = section_cases(a.profile)
    if a.quick:
        cases = [c for c in cases if QUICK.get(c.section) == c.label]
    if a.only:
        cases = [c for c in cases if a.only.lower() in f"{c.section} {c.label}".lower()]
    rounds, target_s = (3, 0.15) if a.quick else (5, 0.3)
    rounds = a.rounds or rounds
    mm = Matmul()
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {cpu_name()} "
        f"({torch.backends.cpu.get_cpu_capability()}); section profile {a.profile!r}, {rounds} rounds per model"
    )
    start = {k: mm.gflops(k, 5) for k in ("torch.mm", "oneDNN")}
    print(
        f"float32 {MATMUL_N}^2 matmul, best of 5: torch.mm (MKL sgemm) {start['torch.mm']:.1f} GFLOP/s, "
        f"oneDNN (as a 1x1 conv) {start['oneDNN']:.1f} GFLOP/s"
    )
    print(
        "'% mm': a step's GFLOP/s over the torch.mm rate measured in the same round; 'fit % dnn': the layout fit "
        "uses, over the oneDNN rate\n"
    )
    print(f"{'':59s}{'----- default -----':^23s}  {'-- channels_last --':^23s}")
    print(
        f"{'':4s}{'model':30s} {'params':>8s} {'batch':>5s} {'MFLOP/im':>8s} "
        + "  ".join(f"{'img/s':>8s} {'GFLOP/s':>7s} {'% mm':>6s}" for _ in range(2))
        + f"  {'CL/def':>6s}  {'fit uses':13s} {'fit % dnn':>9s}"
    )
    t0 = time.perf_counter()
    for case in cases:
        print_row(measure(case, mm, rounds, target_s))
    end = {k: mm.gflops(k, 5) for k in ("torch.mm", "oneDNN")}
    print(
        f"\nat the end: torch.mm {end['torch.mm']:.1f}, oneDNN {end['oneDNN']:.1f} GFLOP/s; "
        f"{time.perf_counter() - t0:.0f} s for the table. FLOPs: torch.utils.flop_counter, forward + backward "
        "matmuls and convolutions (direct-convolution counts; oneDNN ran direct algorithms, no Winograd)."
    )


# ---- --overhead: fit against a bare loop (issue 3) -----------------------------------------------------------------


def bare(model, split, epochs, batch_size, seed):
    fmt = layout.memory_format(model, split.x_train)  # fit's layout, so the ratio is the loop's overhead alone
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(seed)
    model.train()
    t0 = time.perf_counter()
    with layout.formatted(model, fmt):
        for _ in range(epochs):
            for xb, yb in data.minibatches(split.x_train, split.y_train, batch_size, generator=gen):
                loss = F.cross_entropy(model(layout.to_format(xb, fmt)), yb)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
    return time.perf_counter() - t0


def ours(model, split, epochs, batch_size, seed, **kw):
    t0 = time.perf_counter()
    train.fit(model, split, epochs=epochs, lr=1e-3, batch_size=batch_size, seed=seed, progress_bar=False, **kw)
    return time.perf_counter() - t0


def overhead(a: argparse.Namespace) -> None:
    from lab_utils.sections.function_fitting.compute import mnist_pairs

    split = data.load("mnist", n_train=a.n_train, n_test=256)
    images = a.n_train * a.epochs
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {a.n_train} MNIST images x {a.epochs} "
        f"epochs, batch {a.batch_size}"
    )
    for name, spec in mnist_pairs()["001"].items():  # report 001's shallow and deep CNN, 112,970 parameters each
        times = {"bare": [], "fit (train only)": [], "fit (+ eval each epoch)": []}
        for _ in range(a.repeats):
            for label in times:
                torch.manual_seed(0)
                m = models.build(spec)
                if label == "bare":
                    times[label].append(bare(m, split, a.epochs, a.batch_size, 0))
                elif label == "fit (train only)":
                    times[label].append(
                        ours(m, split, a.epochs, a.batch_size, 0, eval_train=False, eval_every=a.epochs)
                    )
                else:
                    times[label].append(ours(m, split, a.epochs, a.batch_size, 0, eval_train=True))
        base = min(times["bare"])
        print(f"\n{name} ({models.spec_n_params(spec):,} params): bare loop {images / base:,.0f} img/s")
        for label, ts in times.items():
            if label != "bare":
                print(f"  {label:26s} {images / min(ts):8,.0f} img/s   ratio to bare {base / min(ts):.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=int(os.environ.get("LAB_THREADS") or 2))
    ap.add_argument("--quick", action="store_true", help="one model per section, 3 short rounds (about a minute)")
    ap.add_argument(
        "--profile",
        default="quick",
        choices=("smoke", "quick", "full"),
        help="whose section settings (models, batch sizes) to measure",
    )
    ap.add_argument("--only", default="", help="only the models whose 'section label' contains this")
    ap.add_argument("--rounds", type=int, default=0, help="rounds per model (default 3 with --quick, else 5)")
    ap.add_argument("--overhead", action="store_true", help="fit vs a bare loop instead (issue 3)")
    ap.add_argument("--n-train", type=int, default=8192)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    overhead(a) if a.overhead else pace(a)


if __name__ == "__main__":
    main()
