"""BatchNorm folded into the preceding convolution, for fast eval-mode evaluation at many weights (loss grids).

In eval mode a BN layer is affine: BN(u) = gamma (u - mu) / sqrt(var + eps) + beta with the running mean mu and
variance var. Applied to a convolution's output u = W * x + b it is again a convolution:
    W' = W s,   b' = beta + (b - mu) s,   s = gamma / sqrt(var + eps)   (per output channel).
So the folded network gives the same outputs up to float rounding, with one layer less per pair. Loss grids
perturb the convolution weights (and, with given directions, possibly gamma and beta) at every grid point, so
the fold is recomputed from the current weights at every point: `FoldedBN.refresh()`, one elementwise pass over
the parameters (about 0.3M numbers for ResNet-20, negligible beside a forward pass).

    folded = FoldedBN(model)       # a folded copy (torch.fx graph), bound to `model`'s tensors
    ...change model's weights in place...
    folded.refresh()               # fold the current weights
    folded.module(x)               # == model.eval()(x) up to rounding

Pairs are found with torch.fx: a BatchNorm1d/2d (tracking running stats) whose only input is a Conv1d/2d (or, for
BatchNorm1d, a Linear) call whose output nothing else uses, each module called once. Models fx cannot trace raise
`FoldError`; `loss_surface(fold_bn=True)` then falls back to the unfolded model with a warning.
"""

from __future__ import annotations

import copy

import torch
from torch import fx, nn

BN_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d)
FOLDABLE = {nn.BatchNorm2d: (nn.Conv2d,), nn.BatchNorm1d: (nn.Conv1d, nn.Linear)}


class FoldError(ValueError):
    """The model cannot be traced by torch.fx, so its BN layers cannot be folded."""


class FoldedBN:
    """An eval-mode copy of `model` with every foldable BN folded into its convolution (see the module docstring).
    `.module` is the folded network (eval mode, no gradients); `.pairs` the (conv name, BN name) pairs folded;
    `refresh()` recomputes the folded weights from `model`'s current parameters and buffers (in place)."""

    def __init__(self, model: nn.Module):
        src = copy.deepcopy(model).eval()
        try:
            gm = fx.symbolic_trace(src)
        except Exception as e:  # noqa: BLE001  (fx raises many kinds of errors on dynamic control flow)
            raise FoldError(f"torch.fx cannot trace {type(model).__name__}: {e}") from e
        mods = dict(gm.named_modules())
        calls: dict[str, int] = {}
        for node in gm.graph.nodes:
            if node.op == "call_module":
                calls[node.target] = calls.get(node.target, 0) + 1
        self.pairs: list[tuple[str, str]] = []
        for node in list(gm.graph.nodes):
            bn = mods.get(node.target) if node.op == "call_module" else None
            if not isinstance(bn, BN_TYPES) or not bn.track_running_stats or bn.running_mean is None:
                continue
            prev = node.args[0] if node.args else None
            if not isinstance(prev, fx.Node) or prev.op != "call_module" or len(prev.users) != 1:
                continue
            conv = mods[prev.target]
            if not isinstance(conv, FOLDABLE[type(bn)]) or calls[prev.target] != 1 or calls[node.target] != 1:
                continue
            if conv.bias is None:
                conv.bias = nn.Parameter(
                    torch.zeros(
                        conv.out_features if isinstance(conv, nn.Linear) else conv.out_channels,
                        dtype=conv.weight.dtype,
                        device=conv.weight.device,
                    )
                )
            node.replace_all_uses_with(prev)
            gm.graph.erase_node(node)
            self.pairs.append((prev.target, node.target))
        gm.graph.lint()
        gm.recompile()
        gm.eval().requires_grad_(False)
        self.module = gm
        self._bind(model)
        self.refresh()

    def _bind(self, model: nn.Module) -> None:
        src = dict(model.named_modules())
        dst = dict(self.module.named_modules())
        folded = {n for pair in self.pairs for n in pair}
        self._copies = []  # (destination, source) for every parameter/buffer outside the folded pairs
        for name, mod in dst.items():
            if name in folded or name not in src:
                continue
            for pname, t in list(mod.named_parameters(recurse=False)) + list(mod.named_buffers(recurse=False)):
                self._copies.append((t, getattr(src[name], pname)))
        self._folds = []
        for conv_name, bn_name in self.pairs:
            conv, bn, out = src[conv_name], src[bn_name], dst[conv_name]
            self._folds.append((out.weight, out.bias, conv, bn))

    @torch.no_grad()
    def refresh(self) -> None:
        """Fold the bound model's current weights (in float64, then cast) into `.module`."""
        for d, s in self._copies:
            d.copy_(s)
        for w_out, b_out, conv, bn in self._folds:
            var, mu = bn.running_var.double(), bn.running_mean.double()
            s = torch.rsqrt(var + bn.eps)
            if bn.weight is not None:
                s = s * bn.weight.double()
            b = bn.bias.double() if bn.bias is not None else torch.zeros_like(s)
            b0 = conv.bias.double() if conv.bias is not None else torch.zeros_like(s)
            w_out.copy_(conv.weight.double() * s.view(-1, *([1] * (conv.weight.dim() - 1))))
            b_out.copy_(b + (b0 - mu) * s)


def fold_bn(model: nn.Module) -> nn.Module:
    """A folded eval-mode copy of `model` (its current weights; the model itself is not changed)."""
    return FoldedBN(model).module
