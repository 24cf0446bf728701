"""Training-loop overhead: throughput of `lab_utils.core.train.fit` as a ratio to a bare forward+backward+step loop
over the same model and the same minibatches, measured side by side in one run (alternating, best of N).

    python benchmarks/train_loop.py [--n-train 8192] [--epochs 2] [--repeats 3] [--threads 2]

Goal (issue 3): ratio >= 0.9 on CPU for the MNIST CNN.
"""
from __future__ import annotations

import argparse
import time

import torch
from torch.nn import functional as F

from lab_utils import models
from lab_utils.core import data, train
from lab_utils.sections.function_fitting.compute import mnist_pairs


def bare(model, split, epochs, batch_size, seed):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(seed)
    model.train()
    t0 = time.perf_counter()
    for _ in range(epochs):
        for xb, yb in data.minibatches(split.x_train, split.y_train, batch_size, generator=gen):
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return time.perf_counter() - t0


def ours(model, split, epochs, batch_size, seed, **kw):
    t0 = time.perf_counter()
    train.fit(model, split, epochs=epochs, lr=1e-3, batch_size=batch_size, seed=seed, progress_bar=False, **kw)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-train", type=int, default=8192)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    split = data.load("mnist", n_train=a.n_train, n_test=256)
    images = a.n_train * a.epochs
    print(f"torch {torch.__version__}, {a.threads} threads, {a.n_train} MNIST images x {a.epochs} epochs, batch {a.batch_size}")
    for name, spec in mnist_pairs()["001"].items():  # report 001's shallow and deep CNN, 112,970 parameters each
        times = {"bare": [], "fit (train only)": [], "fit (+ eval each epoch)": []}
        for _ in range(a.repeats):
            for label in times:
                torch.manual_seed(0)
                m = models.build(spec)
                if label == "bare":
                    times[label].append(bare(m, split, a.epochs, a.batch_size, 0))
                elif label == "fit (train only)":
                    times[label].append(ours(m, split, a.epochs, a.batch_size, 0, eval_train=False, eval_every=a.epochs))
                else:
                    times[label].append(ours(m, split, a.epochs, a.batch_size, 0, eval_train=True))
        base = min(times["bare"])
        print(f"\n{name} ({models.spec_n_params(spec):,} params): bare loop {images / base:,.0f} img/s")
        for label, ts in times.items():
            if label != "bare":
                print(f"  {label:26s} {images / min(ts):8,.0f} img/s   ratio to bare {base / min(ts):.3f}")


if __name__ == "__main__":
    main()
