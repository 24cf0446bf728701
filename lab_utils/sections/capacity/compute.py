"""04 capacity: the size sweeps, returned as small results objects (no plotting, no prose).

    cifar(run)  report 000's setting: CIFAR-10 CNNs sized log-spaced between cifar_p_min and cifar_p_max, conv
                channels and FC width both growing (or the FC width alone, conv channels fixed)
    mnist(run)  report 001's setting: MNIST, its (c1, c2) GAP variants or an FC-width family of log-spaced sizes
    family_words(specs)  the size family in words, as the registry's settings name the reports' families

Every size is trained once per seed of `run.seeds` (the seed sets the initialisation and the minibatch order; the
data subset is the same for all) with the same recipe, then evaluated once after the last epoch: accuracies are
fractions, losses mean cross-entropy (nats), train metrics a full pass over the training set in eval mode, and
the end point's full-batch loss and gradient norm are recorded (`record_final`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ... import models
from ...core import data, train
from ...core.train import Convergence

METRICS = ("train_acc", "test_acc", "train_loss", "test_loss")


# ---- size families ------------------------------------------------------------------------------------------------


def fc_family(dataset: str, channels: Sequence[int], p_min: int, p_max: int, n: int) -> list[dict]:
    """`n` CNN specs with fixed conv `channels` whose hidden FC width gives the parameter counts closest to `n`
    budgets log-spaced from p_min to p_max (increasing). Raises if two budgets map to the same width."""
    if not p_min < p_max:
        raise ValueError(f"p_min={p_min} must be below p_max={p_max}")

    def spec(w: int) -> dict:
        return models.cnn_spec(dataset, channels, int(w))

    widths = [models.match_width(spec, int(round(b)), models.spec_n_params) for b in np.geomspace(p_min, p_max, n)]
    if len(set(widths)) < n:
        raise ValueError(
            f"{n} log-spaced sizes between {p_min:,} and {p_max:,} parameters do not give {n} distinct "
            f"hidden widths ({widths}): widen the range or use fewer sizes"
        )
    return [spec(w) for w in widths]


def conv_fc_family(dataset: str, c_range: Sequence[int], p_min: int, p_max: int, n: int) -> list[dict]:
    """`n` CNN specs conv3x3(c)-pool-conv3x3(2c)-pool-FC(h)-FC(10) whose first-conv channels c grow log-spaced over
    `c_range` (rounded) and whose hidden FC width h gives the parameter count closest to `n` budgets log-spaced
    from p_min to p_max: conv channels and FC width both vary, as in report 000. Raises unless the counts rise."""
    if not p_min < p_max:
        raise ValueError(f"p_min={p_min} must be below p_max={p_max}")
    specs = []
    for c, b in zip(np.geomspace(c_range[0], c_range[1], n), np.geomspace(p_min, p_max, n)):
        ch = [int(round(c)), 2 * int(round(c))]

        def spec(w: int, ch=ch) -> dict:
            return models.cnn_spec(dataset, ch, int(w))

        specs.append(spec(models.match_width(spec, int(round(b)), models.spec_n_params)))
    p = [models.spec_n_params(s) for s in specs]
    if any(a >= b for a, b in zip(p, p[1:])):
        raise ValueError(f"the sizes {p} do not rise: widen the parameter range or narrow the channel range")
    return specs


def family_words(specs: Sequence[dict], conv_count: bool = True) -> str:
    """The size family in words: "CNN family, 2 convolutions, conv channels varied, global average pooling" or
    "CNN family, conv channels and FC width varied" (`conv_count` off: report 000 does not give its conv count)."""
    n_conv = {len(s["channels"]) for s in specs}
    varied = [
        what
        for what, key in (("conv channels", "channels"), ("FC width", "hidden"))
        if len({str(s[key]) for s in specs}) > 1
    ]
    parts = ["CNN family"]
    if conv_count:
        parts.append(f"{'/'.join(map(str, sorted(n_conv)))} convolutions")
    parts.append((" and ".join(varied) or "nothing") + " varied")
    if all(s.get("global_pool") for s in specs):
        parts.append("global average pooling")
    return ", ".join(parts)


def gap_family(pairs: Sequence[Sequence[int]]) -> list[dict]:
    """Report 001's variants: conv3x3(c1) -> pool -> conv3x3(c2) -> pool -> global average pool -> FC(10), one
    per (c1, c2), ordered by parameter count."""
    specs = [models.cnn_spec("mnist", [int(c1), int(c2)], 0, global_pool=True) for c1, c2 in pairs]
    return sorted(specs, key=models.spec_n_params)


def label(spec: dict) -> str:
    """How a size is named in tables: its conv channels, and the hidden width when there is one."""
    conv = "(" + ", ".join(map(str, spec["channels"])) + ")"
    return f"conv {conv}, hidden {spec['hidden']}" if spec["hidden"] else f"conv {conv}, GAP"


# ---- results ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Size:
    """One size trained once per seed; metrics are per seed, after the last epoch."""

    label: str
    n_params: int
    seeds: list[int]
    train_acc: list[float]
    test_acc: list[float]
    train_loss: list[float]
    test_loss: list[float]
    convergence: list[Convergence]
    channels: tuple = ()  # the conv channels of this size


@dataclass(frozen=True)
class Sweep:
    """One size sweep (sizes in increasing parameter count) with the recipe it was trained with."""

    dataset: str
    family: str
    n_train: int
    n_test: int
    epochs: int
    batch_size: int
    lr: float
    sizes: list[Size]
    model: str = ""  # the family in words (`family_words`)

    @property
    def n_params(self) -> list[int]:
        return [s.n_params for s in self.sizes]

    def values(self, key: str) -> np.ndarray:
        """[size, seed] array of `key` ("train_acc", ..., or "gap_acc" = train minus test accuracy)."""
        if key == "gap_acc":
            return self.values("train_acc") - self.values("test_acc")
        return np.array([getattr(s, key) for s in self.sizes], dtype=float)


@dataclass(frozen=True)
class Results:
    cfg: Any
    cifar: Sweep
    mnist: Sweep


# ---- training -----------------------------------------------------------------------------------------------------


def sweep(
    run,
    dataset: str,
    family: str,
    specs: Sequence[dict],
    *,
    n_train: int,
    n_test: int,
    epochs: int,
    batch_size: int,
    lr: float,
) -> Sweep:
    """Train every spec once per seed of `run.seeds` on the same subset (cached) and collect the final metrics."""
    split = data.load(dataset, n_train=n_train, n_test=n_test, device=run.device)
    sizes = []
    for spec in specs:
        n = models.spec_n_params(spec)
        hists = [
            models.trained(
                spec,
                split,
                seed=s,
                device=run.device,
                epochs=epochs,
                lr=lr,
                batch_size=batch_size,
                eval_every=epochs,
                record_final=True,
                desc=f"{dataset} {n:,} params, seed {s}",
            )[1]
            for s in run.seeds
        ]
        finals = {k: [train.final(h, k) for h in hists] for k in METRICS}
        sizes.append(
            Size(
                label(spec),
                n,
                list(run.seeds),
                **finals,
                convergence=[train.convergence(h, grad_tol=run.cfg.grad_tol) for h in hists],
                channels=tuple(spec["channels"]),
            )
        )
    return Sweep(
        dataset,
        family,
        len(split.y_train),
        len(split.y_test),
        epochs,
        batch_size,
        lr,
        sizes,
        family_words(specs, conv_count=dataset != "cifar10"),
    )


def cifar(run) -> Sweep:
    """Report 000's setting at the profile's scale."""
    cfg = run.cfg
    if cfg.cifar_conv_range:
        specs = conv_fc_family("cifar10", cfg.cifar_conv_range, cfg.cifar_p_min, cfg.cifar_p_max, cfg.cifar_n_models)
        family = f"conv (c, 2c) with c from {cfg.cifar_conv_range[0]} to {cfg.cifar_conv_range[1]} and the hidden FC width both varied"
    else:
        specs = fc_family("cifar10", cfg.cifar_channels, cfg.cifar_p_min, cfg.cifar_p_max, cfg.cifar_n_models)
        family = f"conv {list(cfg.cifar_channels)} fixed, hidden FC width varied"
    return sweep(
        run,
        "cifar10",
        family,
        specs,
        n_train=cfg.cifar_n_train,
        n_test=cfg.cifar_n_test,
        epochs=cfg.cifar_epochs,
        batch_size=cfg.cifar_batch,
        lr=cfg.cifar_lr,
    )


def mnist_specs(cfg) -> tuple[str, list[dict]]:
    """(family description, specs) of the MNIST sweep: report 001's GAP variants when the profile lists them."""
    if cfg.mnist_channel_pairs:
        return "report 001's (c1, c2) conv variants, GAP head", gap_family(cfg.mnist_channel_pairs)
    return (
        f"conv {list(cfg.mnist_channels)} fixed, hidden FC width varied",
        fc_family("mnist", cfg.mnist_channels, cfg.mnist_p_min, cfg.mnist_p_max, cfg.mnist_n_models),
    )


def mnist(run) -> Sweep:
    """Report 001's setting at the profile's scale."""
    cfg = run.cfg
    family, specs = mnist_specs(cfg)
    return sweep(
        run,
        "mnist",
        family,
        specs,
        n_train=cfg.mnist_n_train,
        n_test=cfg.mnist_n_test,
        epochs=cfg.mnist_epochs,
        batch_size=cfg.mnist_batch,
        lr=cfg.mnist_lr,
    )
