"""Connecting two trained networks: linear interpolation, BatchNorm re-estimation, evaluation at many weights,
loss barriers, and permutation alignment.

    sd = interpolate_state(sd1, sd2, alpha)            # (1 - alpha) * sd1 + alpha * sd2, key by key
    recompute_bn(model, x)                             # BN running stats := the statistics of x (exact, in place)
    ev = evaluate_points(model, loss_fn, (x, y), points, bn_inputs=x_bn)   # loss/accuracy at every point
    barrier(ev.loss, alphas)                           # the loss barrier (definition below)
    sd2_aligned = weight_match(model, sd1, sd2)        # sd2 with hidden units permuted to match sd1

`evaluate_points` is a probe with the probes' call shape (`probes.batches`). `recompute_bn` is not a probe: it
writes the model's BN buffers (in place, by design) from inputs alone, so it takes (model, inputs).

Two path statistics, with distinct names (both reported where both are worth reading):
    barrier(losses, positions)   max over the path of L(t) - [(1 - t) L(0) + t L(1)]: the largest excess of the
                                 loss over the straight line between the end points' losses (Frankle et al. 2020,
                                 Ainsworth et al. 2023); t is alpha on a line, the normalised arc length or curve
                                 parameter on a relaxed path
    peak_rise(losses)            max over the path minus the higher of the two end losses: how far a walker from
                                 the worse minimum must climb

Points are flat trainable-parameter vectors (`core.params` order; buffers stay the model's) or full state dicts
(BN running statistics included). Permutations: state dicts of the `mlp` and `cnn` kinds (any `nn.Sequential` of
Linear / Conv2d layers with optional BatchNorm after them, and elementwise or per-channel modules in between).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from torch import nn

from ..core.params import load_flat
from ..core.progress import progress
from ..core.train import EVAL_BATCH, evaluate
from ..models import build
from .batches import joined

StateDict = Mapping[str, torch.Tensor]
BN_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d)


# ---- linear paths -------------------------------------------------------------------------------------------


def interpolate_state(sd1: StateDict, sd2: StateDict, alpha: float) -> dict[str, torch.Tensor]:
    """theta(alpha) = (1 - alpha) * theta_1 + alpha * theta_2 for every floating-point entry (weights, biases and
    BN running stats); integer entries (BN `num_batches_tracked`) are taken from `sd1`. alpha outside [0, 1]
    extrapolates. Entries stay on the devices of `sd1`."""
    if sd1.keys() != sd2.keys():
        raise ValueError("the two state dicts have different keys: not the same architecture")
    out = {}
    for k, a in sd1.items():
        b = sd2[k].to(a.device)
        if a.shape != b.shape:
            raise ValueError(f"{k}: shapes {tuple(a.shape)} and {tuple(b.shape)} differ")
        out[k] = torch.lerp(a, b, float(alpha)) if a.is_floating_point() else a.clone()
    return out


class _Stop(Exception):
    pass


@torch.no_grad()
def recompute_bn(model: nn.Module, x: torch.Tensor, batch_size: int = 256) -> nn.Module:
    """Replace every BatchNorm layer's running mean and variance by the statistics of its inputs over all of `x`
    (in place; the model is left in eval mode and returned).

    Exact, layer by layer: BN layer k gets the mean and the unbiased variance (what PyTorch stores in
    `running_var`) over all images (and pixels) of `x`, of the inputs it receives when the layers before it
    already use their recomputed statistics -- i.e. what an eval-mode forward pass sees. The passes run in
    chunks of `batch_size` and stop at layer k, so the cost is about (number of BN layers) partial passes.
    A model without BN is returned unchanged. This is the re-estimation of Garipov et al. 2018 and Git Re-Basin,
    without their approximation of averaging per-batch variances.
    """
    bns = [m for m in model.modules() if isinstance(m, BN_TYPES)]
    model.eval()
    for bn in bns:
        if not bn.track_running_stats:
            raise ValueError("recompute_bn needs BatchNorm layers that track running stats")
        acc: dict[str, torch.Tensor | int] = {}

        def hook(module, inputs, _acc=acc):
            z = inputs[0].detach().double()
            dims = [0] + list(range(2, z.ndim))
            _acc["n"] = _acc.get("n", 0) + z.numel() // z.shape[1]
            _acc["s"] = _acc.get("s", 0) + z.sum(dims)
            _acc["ss"] = _acc.get("ss", 0) + (z * z).sum(dims)
            raise _Stop

        handle = bn.register_forward_pre_hook(hook)
        try:
            for i in range(0, len(x), batch_size):
                try:
                    model(x[i : i + batch_size])
                except _Stop:
                    pass
        finally:
            handle.remove()
        n, s, ss = acc["n"], acc["s"], acc["ss"]
        mean = s / n
        var = (ss - n * mean * mean) / max(n - 1, 1)
        bn.running_mean.copy_(mean.to(bn.running_mean.dtype))
        bn.running_var.copy_(var.clamp_min(0).to(bn.running_var.dtype))
        bn.num_batches_tracked.fill_(1)
    return model


def has_batchnorm(model: nn.Module) -> bool:
    return any(isinstance(m, BN_TYPES) for m in model.modules())


def _as_model(model_or_spec: nn.Module | dict) -> nn.Module:
    return build(model_or_spec) if isinstance(model_or_spec, dict) else model_or_spec


@dataclass(frozen=True)
class PointEval:
    """Mean loss and accuracy (NaN for regression targets) at each of a sequence of weights."""

    loss: np.ndarray
    acc: np.ndarray


def evaluate_points(
    model: nn.Module,
    loss_fn: Callable,
    batches,
    points: Sequence[torch.Tensor | StateDict],
    *,
    bn_inputs: torch.Tensor | None = None,
    batch_size: int = EVAL_BATCH,
    progress_bar: bool = False,
) -> PointEval | dict[str, PointEval]:
    """Mean `loss_fn` and accuracy of the network at every point on `batches`: one data set (a pair or a list of
    pairs, as every probe takes) gives a `PointEval`; a mapping {name: batches} of several gives {name: PointEval},
    the data sets sharing each point's BN re-estimation.

    A point is a flat vector of the trainable parameters or a full state dict. With `bn_inputs` and a model with
    BatchNorm, the running statistics are re-estimated on those inputs at every point (`recompute_bn`, once per
    point for all data sets) before the eval-mode passes, in chunks of `batch_size`; without it the model's (or
    the state dict's) own statistics are used, which is known to exaggerate barriers (Garipov et al. 2018;
    Jordan et al. 2023). The model itself is not changed (a deep copy is used)."""
    named = isinstance(batches, Mapping)
    data = {name: joined(b) for name, b in (batches.items() if named else [("", batches)])}
    shell = copy.deepcopy(model)
    do_bn = bn_inputs is not None and has_batchnorm(shell)
    out = {name: ([], []) for name in data}
    for pt in progress(list(points), desc="points", disable=not progress_bar):
        if isinstance(pt, torch.Tensor):
            load_flat(shell, pt)
        else:
            shell.load_state_dict(pt)
        if do_bn:
            recompute_bn(shell, bn_inputs, batch_size=batch_size)
        shell.eval()
        for name, (x, y) in data.items():
            loss, a = evaluate(shell, x, y, loss_fn, batch_size)
            out[name][0].append(loss)
            out[name][1].append(np.nan if a is None else a)
    evals = {name: PointEval(np.asarray(ls, dtype=float), np.asarray(a, dtype=float)) for name, (ls, a) in out.items()}
    return evals if named else evals[""]


def barrier(losses: Sequence[float], alphas: Sequence[float] | None = None) -> float:
    """The loss barrier (Frankle et al. 2020; Ainsworth et al. 2023) along a path with positions t in [0, 1]:

        B = max over t in [0, 1] of  L(t) - [(1 - t) L(0) + t L(1)],

    the largest excess of the path's loss over the straight line between the end points' losses (>= 0, since
    t = 0 contributes 0). `losses[i]` is L(alphas[i]); only points with 0 <= t <= 1 count (a line evaluated
    beyond its ends), and both t = 0 and t = 1 must be among them. Without `alphas` the losses are taken as
    evenly spaced on [0, 1]. A non-finite loss on the segment gives an infinite barrier."""
    losses = np.asarray(losses, dtype=float)
    alphas = np.linspace(0.0, 1.0, len(losses)) if alphas is None else np.asarray(alphas, dtype=float)
    if losses.shape != alphas.shape:
        raise ValueError("losses and alphas must have the same length")
    tol = 1e-9
    i0 = np.flatnonzero(np.abs(alphas) < tol)
    i1 = np.flatnonzero(np.abs(alphas - 1) < tol)
    if not len(i0) or not len(i1):
        raise ValueError("barrier needs the end points alpha = 0 and alpha = 1 among the alphas")
    seg = (alphas >= -tol) & (alphas <= 1 + tol)
    l0, l1 = losses[i0[0]], losses[i1[0]]
    a, ls = alphas[seg], losses[seg]
    if not np.all(np.isfinite(ls)):
        return float("inf")
    return float(np.max(ls - ((1 - a) * l0 + a * l1)))


def peak_rise(losses: Sequence[float]) -> float:
    """The maximum loss along a path minus the higher of its two end losses (inf when a loss is not finite)."""
    losses = np.asarray(losses, dtype=float)
    if not np.all(np.isfinite(losses)):
        return float("inf")
    return float(losses.max() - max(losses[0], losses[-1]))


# ---- permutation alignment (weight matching, Ainsworth et al. 2023) -----------------------------------------


@dataclass(frozen=True)
class Axis:
    """One permuted axis of one state-dict entry: entry `key`, axis `axis` is permuted by permutation `perm`.
    `block` > 1 means the axis holds `n * block` features grouped in blocks of `block` consecutive features
    per unit (a Linear layer after Flatten: one block of H*W features per channel)."""

    key: str
    axis: int
    perm: str
    block: int = 1


def permutation_spec(model_or_spec: nn.Module | dict) -> tuple[dict[str, int], list[Axis]]:
    """The permutation symmetries of a sequential MLP/CNN: ({perm name: size}, [Axis, ...]).

    Every Linear/Conv2d layer but the last has a free permutation "P<i>" of its output units (channels); it acts
    on that layer's weight rows and bias, on the BatchNorm right after it (weight, bias, running stats), and on
    the input axis of the next Linear/Conv2d layer (in blocks of H*W after a Flatten). Activations, pooling,
    Flatten and Dropout commute with it. Anything else that holds parameters is refused.
    """
    model = _as_model(model_or_spec)
    if not isinstance(model, nn.Sequential):
        raise ValueError("permutation_spec supports nn.Sequential models (the mlp and cnn kinds)")
    layers = []  # (name, module) of Linear/Conv2d
    bn_of: dict[int, str] = {}
    flatten_before: set[int] = set()
    flattened = False
    for name, m in model.named_children():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            if isinstance(m, nn.Conv2d) and (m.groups != 1):
                raise ValueError("grouped convolutions are not supported")
            if flattened and layers and isinstance(layers[-1][1], nn.Conv2d):
                flatten_before.add(len(layers))
            layers.append((name, m))
        elif isinstance(m, BN_TYPES):
            if not layers or len(layers) - 1 in bn_of:
                raise ValueError(f"BatchNorm {name} does not follow a Linear/Conv2d layer")
            bn_of[len(layers) - 1] = name
        elif isinstance(m, nn.Flatten):
            flattened = True
        elif any(True for _ in m.parameters()) or any(True for _ in m.buffers()):
            raise ValueError(f"layer {name} ({type(m).__name__}) has parameters and is not supported")
    if not layers:
        raise ValueError("no Linear/Conv2d layers")
    sizes: dict[str, int] = {}
    axes: list[Axis] = []
    for i, (name, m) in enumerate(layers):
        out_dim = m.out_features if isinstance(m, nn.Linear) else m.out_channels
        if i > 0:  # input axis permuted by the previous layer's permutation
            prev = f"P{i - 1}"
            block = 1
            if i in flatten_before:
                block = m.in_features // sizes[prev]
                if block * sizes[prev] != m.in_features:
                    raise ValueError(f"{name}: {m.in_features} inputs are not a multiple of {sizes[prev]} channels")
            axes.append(Axis(f"{name}.weight", 1, prev, block))
        if i < len(layers) - 1:
            p = f"P{i}"
            sizes[p] = out_dim
            axes.append(Axis(f"{name}.weight", 0, p))
            if m.bias is not None:
                axes.append(Axis(f"{name}.bias", 0, p))
            if i in bn_of:
                bn = bn_of[i]
                for k in ("weight", "bias", "running_mean", "running_var"):
                    if k in ("weight", "bias") and getattr(model, bn).weight is None:
                        continue
                    axes.append(Axis(f"{bn}.{k}", 0, p))
    return sizes, axes


def _take(t: torch.Tensor, ax: Axis, perm: torch.Tensor) -> torch.Tensor:
    """`t` with axis `ax.axis` re-indexed by `perm` (block-wise when ax.block > 1)."""
    if ax.block == 1:
        return t.index_select(ax.axis, perm.to(t.device))
    shape = t.shape
    n = shape[ax.axis] // ax.block
    v = t.reshape(*shape[: ax.axis], n, ax.block, *shape[ax.axis + 1 :])
    return v.index_select(ax.axis, perm.to(t.device)).reshape(shape)


def apply_permutation(
    axes: Sequence[Axis], perms: Mapping[str, torch.Tensor], sd: StateDict
) -> dict[str, torch.Tensor]:
    """The state dict with every permuted axis re-indexed: new[..., j, ...] = old[..., perm[j], ...]. The network
    it describes computes exactly the same function (for permutations from `permutation_spec`)."""
    out = {k: v.clone() for k, v in sd.items()}
    for ax in axes:
        out[ax.key] = _take(out[ax.key], ax, perms[ax.perm])
    return out


def _unit_matrix(t: torch.Tensor, ax: Axis) -> torch.Tensor:
    """(n_units, everything else) view of `t` with the permuted axis `ax` first (blocks folded into the rows)."""
    t = t.double()
    if ax.block > 1:
        shape = t.shape
        n = shape[ax.axis] // ax.block
        t = t.reshape(*shape[: ax.axis], n, ax.block, *shape[ax.axis + 1 :])
    return t.movedim(ax.axis, 0).reshape(t.shape[ax.axis], -1)


def weight_match(
    model_or_spec: nn.Module | dict,
    sd1: StateDict,
    sd2: StateDict,
    *,
    max_iter: int = 100,
    seed: int = 0,
    include_buffers: bool = False,
    return_perms: bool = False,
):
    """Permute the hidden units of `sd2` to match `sd1` (weight matching, Ainsworth et al. 2023, Algorithm 2):
    coordinate ascent over the layers' permutations, each step solving the linear assignment problem

        P_l = argmax_P  sum over entries w touching layer l of  < W1_w , P W2_w (other permutations applied) >

    with `scipy.optimize.linear_sum_assignment`, visiting the layers in random order (seeded) until no
    permutation changes in a full sweep. It starts from one input-to-output sweep that matches each layer on its
    incoming weights only (instead of the identity), which recovers a permuted copy of `sd1` exactly and avoids
    the local optima that a start at the identity can get stuck in. Returns the permuted copy of `sd2` -- the same function as `sd2`, at
    (locally) minimal L2 distance from `sd1` -- and, with `return_perms`, also {perm name: index tensor}.
    include_buffers: also match BN running statistics (by default only parameters enter the objective; buffers
    are always permuted along).
    """
    model = _as_model(model_or_spec)
    sizes, axes = permutation_spec(model)
    param_keys = {k for k, _ in model.named_parameters()}
    used = [ax for ax in axes if include_buffers or ax.key in param_keys]
    perms = {p: torch.arange(n) for p, n in sizes.items()}
    by_perm: dict[str, list[Axis]] = {p: [ax for ax in used if ax.perm == p] for p in sizes}
    axes_of_key: dict[str, list[Axis]] = {}
    for ax in axes:
        axes_of_key.setdefault(ax.key, []).append(ax)
    sd1c = {k: v.detach().cpu() for k, v in sd1.items()}
    sd2c = {k: v.detach().cpu() for k, v in sd2.items()}
    rng = np.random.default_rng(seed)
    names = list(sizes)
    for it in range(max_iter + 1):
        changed = False
        # sweep 0 (the initialisation): from the input to the output, each layer matched on its incoming weights
        # (rows, bias, BN) only, with the previous layer already matched -- this alone undoes a pure permutation
        # exactly; then coordinate ascent on the full objective in random order
        order = names if it == 0 else rng.permutation(names)
        for p in order:
            n = sizes[p]
            cost = torch.zeros(n, n, dtype=torch.float64)
            for ax in by_perm[p]:
                if it == 0 and ax.axis != 0:
                    continue
                w2 = sd2c[ax.key]
                for other in axes_of_key[ax.key]:  # apply the other permutations of this entry
                    if other.perm != p:
                        w2 = _take(w2, other, perms[other.perm])
                cost += _unit_matrix(sd1c[ax.key], ax) @ _unit_matrix(w2, ax).T
            rows, cols = linear_sum_assignment(cost.numpy(), maximize=True)
            new = torch.as_tensor(cols[np.argsort(rows)], dtype=torch.long)
            old_score = float(cost[torch.arange(n), perms[p]].sum())
            new_score = float(cost[torch.arange(n), new].sum())
            if new_score > old_score + 1e-12 * max(1.0, abs(old_score)):
                perms[p] = new
                changed = True
        if it > 0 and not changed:
            break
    aligned = apply_permutation(axes, perms, sd2)
    return (aligned, perms) if return_perms else aligned


def random_permutation(model_or_spec: nn.Module | dict, sd: StateDict, seed: int = 0, return_perms: bool = False):
    """`sd` with every hidden layer's units permuted at random (the same function; for tests and demos)."""
    sizes, axes = permutation_spec(_as_model(model_or_spec))
    g = torch.Generator().manual_seed(seed)
    perms = {p: torch.randperm(n, generator=g) for p, n in sizes.items()}
    out = apply_permutation(axes, perms, sd)
    return (out, perms) if return_perms else out


def state_distance(sd1: StateDict, sd2: StateDict, params_only_of: nn.Module | None = None) -> float:
    """L2 distance between two state dicts over their floating-point entries (only the parameters of
    `params_only_of` when given)."""
    keys = (
        [k for k, _ in params_only_of.named_parameters()]
        if params_only_of is not None
        else [k for k, v in sd1.items() if v.is_floating_point()]
    )
    return float(torch.sqrt(sum(((sd1[k].double().cpu() - sd2[k].double().cpu()) ** 2).sum() for k in keys)))
