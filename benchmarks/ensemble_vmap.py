"""Loop vs torch.func vmap for the ||grad L||^2 phase of section 02 (many small MLPs, full batch), side by side.

    python benchmarks/ensemble_vmap.py [--runs 24] [--steps 100] [--points 64] [--widths 8,16,22,32,128]

For each width it trains the same `--runs` 2 x width MLPs on sin(2 pi x) for `--steps` Adam steps on
||grad L||^2, once one model at a time (`gradnorm_descent_loop`: torch.optim.Adam, double backward) and once all
together (`gradnorm_descent_vmap`: torch.func vmap over the stacked parameters), and prints both times, the
loop/vmap ratio (> 1: vmap is faster) and the largest weight difference between the two results. Threads:
$LAB_THREADS (default 1). The notebook's `ensemble` knob defaults to what this measures on a 2-core CPU.
"""
from __future__ import annotations

import argparse
import copy
import os
import time

import torch

from lab_utils import models
from lab_utils.sections.optimization import compute as opt


def bench(runs: int, width: int, steps: int, points: int) -> dict:
    split = opt.sine_data(points, "cpu")
    spec = opt.mlp_spec(2, width)
    nets = []
    for i in range(runs):
        torch.manual_seed(i)
        nets.append(models.build(spec))
    opt.gradnorm_descent_vmap([copy.deepcopy(n) for n in nets[:2]], split.x_train, split.y_train, 2, 1e-3)  # warm-up
    t = time.perf_counter()
    states, _ = opt.gradnorm_descent_vmap(nets, split.x_train, split.y_train, steps, 1e-3)
    t_vmap = time.perf_counter() - t
    loop_nets = [copy.deepcopy(n) for n in nets]
    t = time.perf_counter()
    for n in loop_nets:
        opt.gradnorm_descent_loop(n, split.x_train, split.y_train, steps, 1e-3)
    t_loop = time.perf_counter() - t
    diff = max(float((s[k] - n.state_dict()[k]).abs().max()) for s, n in zip(states, loop_nets) for k in s)
    return dict(width=width, params=models.count_params(nets[0]), loop_s=t_loop, vmap_s=t_vmap,
                ratio=t_loop / t_vmap, max_abs_diff=diff)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=24)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--points", type=int, default=64)
    ap.add_argument("--widths", default="8,16,22,32,128")
    a = ap.parse_args()
    threads = int(os.environ.get("LAB_THREADS") or 1)
    torch.set_num_threads(threads)
    print(f"{a.runs} runs x {a.steps} steps of Adam on ||grad L||^2, {a.points} points, {threads} thread(s), "
          f"torch {torch.__version__}")
    print(f"{'width':>6} {'params':>7} {'loop s':>8} {'vmap s':>8} {'loop/vmap':>10} {'max |dW|':>10}")
    for w in (int(v) for v in a.widths.split(",")):
        r = bench(a.runs, w, a.steps, a.points)
        print(f"{r['width']:>6} {r['params']:>7} {r['loop_s']:>8.2f} {r['vmap_s']:>8.2f} {r['ratio']:>9.2f}x "
              f"{r['max_abs_diff']:>10.2e}", flush=True)


if __name__ == "__main__":
    main()
