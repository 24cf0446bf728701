"""05 interpolation: the claim checks, their prose and the metrics, computed from the results only.

The barrier is `probes.connectivity.barrier`, the one definition of the series:

    B = max over alpha in [0, 1] of  L(alpha) - [(1 - alpha) L(0) + alpha L(1)],

the largest excess of the loss on the line over the straight line between the two end losses (>= 0). The
error barrier is the same formula on the error rate 1 - accuracy.

Rules (core.stats; 95 % Student-t intervals over seeds, one value per seed):
    a barrier exists ("double well", 000's "significant barrier")
        the loss barrier's interval lies above LOSS_MARGIN and the error barrier's above ERROR_MARGIN: holds;
        either interval below its margin: contradicted; otherwise undecided
    separate basins (000)
        the same error-barrier rule on the line after weight matching: a barrier that survives the alignment of
        hidden units is not an artefact of their order
    "outside [0, 1] the loss increases and the accuracy collapses" (001), per side
        per seed, at one segment length beyond the end (alpha = -1, alpha = 2): the training loss is above the
        end point's and the test accuracy has lost more than half of the way from the end point's accuracy to
        chance; holds when every seed says yes, contradicted when every seed says no, undecided otherwise

Preconditions (a failed one makes the claim "not tested", the rule's verdict kept beside it):
    report 000's claims (two minima with "low loss and high accuracy")
        every end point of every seed converged by the full-batch criterion (‖∇L‖ and training loss) and at
        test accuracy >= GOOD_ACCURACY["cifar10"]
    report 001's claims (two trained "solutions" whose accuracy "peaks near each endpoint"; it states no
    convergence criterion)
        every end point at test accuracy >= GOOD_ACCURACY["mnist"]
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ...core import stats
from ...core.data import CHANCE_ACCURACY
from ...core.stats import CONTRADICTED, HOLDS, UNDECIDED
from ...probes.connectivity import barrier
from ...references.setting import NOT_STATED
from ...report.claims import ClaimCheck, Precondition, check
from ...report.fmt import count, num
from ...report.metrics import spread
from .compute import OPTIMIZER, Pair, Path, Results, Study

LOSS_MARGIN = 0.1  # nats: a loss barrier smaller than this is not called a barrier
ERROR_MARGIN = 0.02  # 2 percentage points: Frankle et al. (2020)'s threshold for linear mode connectivity
BARRIER_RULE = (
    f"holds when the 95 % interval over seeds of the loss barrier lies above {LOSS_MARGIN:g} nats and "
    f"that of the error barrier above {100 * ERROR_MARGIN:g} percentage points; contradicted when either "
    f"lies below its threshold; undecided otherwise"
)
BASINS_RULE = (
    f"on the line after weight matching (the large-batch net's hidden units permuted to match the "
    f"small-batch net's; the same function): holds when the 95 % interval over seeds of the test-error "
    f"barrier lies above {100 * ERROR_MARGIN:g} percentage points (the two are not linearly connected "
    f"even up to permutation), contradicted when it lies below (they are, Frankle et al.'s criterion), "
    f"undecided otherwise"
)
# what the claims presume of the end points (Precondition): report 000 speaks of "two minima" with "low loss and
# high accuracy" (it gives no number; 60 % is the least a small CNN on CIFAR-10 reaches when trained, far above
# chance and above what an MLP reaches); report 001 of two trained "solutions" whose accuracy "peaks near each
# endpoint" (90 %: a trained MNIST classifier, far above chance)
GOOD_ACCURACY = {"cifar10": 0.60, "mnist": 0.90}
DATA_NAMES = {"mnist": "MNIST", "cifar10": "CIFAR-10"}
SIDE_RULE = (
    "per seed, one segment length beyond the end (α = {far:g}): the training loss is above the end "
    "point's and the test accuracy has fallen more than half of the way from the end point's to chance "
    "(10 %); holds when every seed says yes, contradicted when every seed says no, undecided otherwise"
)


# ---- per-seed quantities -------------------------------------------------------------------------------------


def loss_barriers(study: Study, path: str = "plain", split: str = "train") -> list[float]:
    """The loss barrier of every seed's `path` on `split` ("train" or "test")."""
    return [barrier(getattr(p.paths[path], f"{split}_loss"), p.paths[path].alphas) for p in study.pairs]


def error_barriers(study: Study, path: str = "plain", split: str = "test") -> list[float]:
    """The error barrier (the same definition on 1 - accuracy) of every seed's `path` on `split`."""
    return [barrier(1 - getattr(p.paths[path], f"{split}_acc"), p.paths[path].alphas) for p in study.pairs]


def barrier_verdict(loss_b: Sequence[float], err_b: Sequence[float]) -> tuple[str, stats.Interval, stats.Interval]:
    """The barrier rule on per-seed loss and error barriers: (verdict, loss interval, error interval)."""
    li, ei = stats.mean_interval(loss_b), stats.mean_interval(err_b)
    v = stats.joint_verdict(
        [stats.direction_verdict(li, +1, LOSS_MARGIN), stats.direction_verdict(ei, +1, ERROR_MARGIN)]
    )
    return v, li, ei


def side_outcome(pair: Pair, side: str) -> dict:
    """For one seed and one side ("below" 0 or "above" 1): the end and the far point's train loss and test
    accuracy, and whether the loss rose and the accuracy collapsed there (see SIDE_RULE)."""
    p = pair.paths["plain"]
    end, far = (0.0, float(p.alphas.min())) if side == "below" else (1.0, float(p.alphas.max()))
    l_end, l_far = p.at("train_loss", end), p.at("train_loss", far)
    a_end, a_far = p.at("test_acc", end), p.at("test_acc", far)
    threshold = CHANCE_ACCURACY + (a_end - CHANCE_ACCURACY) / 2
    rose = bool(np.isnan(l_far) or l_far > l_end)  # an overflowing loss has risen
    collapsed = bool(a_far < threshold)
    return dict(
        alpha_far=far,
        loss_end=l_end,
        loss_far=l_far,
        acc_end=a_end,
        acc_far=a_far,
        acc_threshold=threshold,
        loss_rose=rose,
        acc_collapsed=collapsed,
        holds=rose and collapsed,
    )


def side_verdict(study: Study, side: str) -> tuple[str, list[dict]]:
    outcomes = [side_outcome(p, side) for p in study.pairs]
    return stats.unanimous_verdict([o["holds"] for o in outcomes]), outcomes


# ---- settings and preconditions ----------------------------------------------------------------------------------


def model_text(spec: dict) -> str:
    """The net of `spec` in words, at the detail the reports give theirs ("CNN, convolutions 32-64, global average
    pooling, FC"; "MLP, 2 hidden layers of 128-64 units"); kernel size and pooling are in the prose."""
    kind = spec.get("kind")
    bn = ", batch norm" if spec.get("batchnorm") else ""
    if kind == "mlp":
        return f"MLP, {len(spec['hidden'])} hidden layers of {'-'.join(map(str, spec['hidden']))} units{bn}"
    if kind == "cnn":
        pool = ", global average pooling" if spec.get("global_pool") else ""
        head = f", FC {spec['hidden']}-{spec['n_classes']}" if spec.get("hidden") else ", FC"
        return f"CNN, convolutions {'-'.join(map(str, spec['channels']))}{pool}{head}{bn}"
    return NOT_STATED


def setting(study: Study) -> dict:
    """Our setting of `study` in the registry's keys (`references.setting`), from the nets actually trained."""
    p = study.pairs[0]
    e = [p.small.epochs, p.large.epochs]
    return dict(
        model=model_text(study.spec),
        family={"cnn": "CNN", "mlp": "MLP"}.get(study.spec.get("kind"), NOT_STATED),
        n_params=study.n_params,
        data=DATA_NAMES.get(study.dataset, study.dataset),
        n_train=study.n_train,
        n_test=study.n_test,
        optimizer=OPTIMIZER,
        lr=[p.small.lr, p.large.lr],
        batch_size=[p.small.batch_size, p.large.batch_size],
        scheduler=study.scheduler,
        epochs=e[0] if e[0] == e[1] else e,
        steps=[p.small.steps, p.large.steps],
        seeds=len(study.pairs),
        path="straight line",
        alpha_range=[float(p.paths["plain"].alphas.min()), float(p.paths["plain"].alphas.max())],
    )


def end_points(study: Study) -> list:
    return [m for p in study.pairs for m in (p.small, p.large)]


def good_minima(study: Study, res: Results) -> Precondition:
    """Report 000's precondition: every end point a minimum by the full-batch criterion and at a good accuracy."""
    ms, acc = end_points(study), GOOD_ACCURACY.get(study.dataset, GOOD_ACCURACY["cifar10"])
    conv = sum(m.convergence.converged for m in ms)
    good = sum(m.test_acc >= acc for m in ms)
    return Precondition(
        f"both end points of every seed are minima ({res.criterion}) with test accuracy ≥ {100 * acc:.0f} %",
        conv == len(ms) and good == len(ms),
        f"{conv} of {len(ms)} end points converged, training loss {_range(m.convergence.train_loss for m in ms)}, "
        f"‖∇L‖ {_range(m.convergence.grad_norm for m in ms)}; test accuracy {_range(100 * m.test_acc for m in ms)} %",
    )


def trained_ends(study: Study) -> Precondition:
    """Report 001's precondition: every end point a trained classifier (test accuracy at least GOOD_ACCURACY)."""
    ms, acc = end_points(study), GOOD_ACCURACY.get(study.dataset, GOOD_ACCURACY["mnist"])
    good = sum(m.test_acc >= acc for m in ms)
    return Precondition(
        f"both end points of every seed are trained: test accuracy ≥ {100 * acc:.0f} %",
        good == len(ms),
        f"{good} of {len(ms)} end points, test accuracy {_range(100 * m.test_acc for m in ms)} %",
    )


# ---- claim checks ----------------------------------------------------------------------------------------------


def checks(res: Results) -> list[ClaimCheck]:
    """One check per registry claim whose study ran (MNIST: report 001; CIFAR-10: report 000)."""
    out = []
    mn = res.studies["mnist"]
    ours, pre = setting(mn), trained_ends(mn)
    lb, eb = loss_barriers(mn, "plain", "train"), error_barriers(mn, "plain", "test")
    v, li, ei = barrier_verdict(lb, eb)
    out.append(
        check(
            "001.interpolation.double_well",
            v,
            setting=ours,
            precondition=pre,
            rule=BARRIER_RULE + " (training loss, test error)",
            ours=f"train-loss barrier {li}; test-error barrier {ei.pp()} over {len(lb)} seeds; end losses "
            f"{num(stats.mean([p.small.convergence.train_loss for p in mn.pairs]), 3)} (batch "
            f"{mn.pairs[0].small.batch_size}) and "
            f"{num(stats.mean([p.large.convergence.train_loss for p in mn.pairs]), 3)} (batch "
            f"{mn.pairs[0].large.batch_size})",
            loss_barrier=li,
            error_barrier=ei,
            per_seed_loss_barrier=lb,
            per_seed_error_barrier=eb,
        )
    )
    for side, cid in (("below", "001.interpolation.collapse_below_0"), ("above", "001.interpolation.collapse_above_1")):
        v, outs = side_verdict(mn, side)
        far = outs[0]["alpha_far"]
        out.append(
            check(
                cid,
                v,
                setting=ours,
                precondition=pre,
                rule=SIDE_RULE.format(far=far),
                ours=f"at α = {far:g}: train loss {_range(o['loss_far'] for o in outs)} against "
                f"{_range(o['loss_end'] for o in outs)} at the end; test accuracy "
                f"{_range(100 * o['acc_far'] for o in outs)} % against a collapse threshold of "
                f"{_range(100 * o['acc_threshold'] for o in outs)} %; {sum(o['holds'] for o in outs)} "
                f"of {len(outs)} seeds say yes",
                per_seed=outs,
            )
        )
    cf = res.studies.get("cifar10")
    if cf is not None:
        ours, pre = setting(cf), good_minima(cf, res)
        lb, eb = loss_barriers(cf, "plain", "test"), error_barriers(cf, "plain", "test")
        v, li, ei = barrier_verdict(lb, eb)
        mid = [p.paths["plain"].at("test_acc", 0.5) for p in cf.pairs]
        ends = [min(p.small.test_acc, p.large.test_acc) for p in cf.pairs]
        out.append(
            check(
                "000.interpolation.barrier",
                v,
                setting=ours,
                precondition=pre,
                rule=BARRIER_RULE + " (test loss, test error)",
                ours=f"test-loss barrier {li}; test-error barrier {ei.pp()}; test accuracy at α = 0.5 "
                f"{100 * stats.mean(mid):.1f} % against {100 * stats.mean(ends):.1f} % at the worse end",
                loss_barrier=li,
                error_barrier=ei,
                per_seed_loss_barrier=lb,
                per_seed_error_barrier=eb,
                test_acc_mid=mid,
            )
        )
        ea = error_barriers(cf, "aligned", "test")
        ia = stats.mean_interval(ea)
        out.append(
            check(
                "000.interpolation.separate_basins",
                stats.direction_verdict(ia, +1, ERROR_MARGIN),
                setting=ours,
                precondition=pre,
                rule=BASINS_RULE,
                ours=f"test-error barrier after weight matching {ia.pp()} (plain line {ei.pp()})",
                aligned_error_barrier=ia,
                per_seed_aligned_error_barrier=ea,
            )
        )
    return out


def _range(values) -> str:
    v = [x for x in values]
    finite = [x for x in v if math.isfinite(x)]
    if not finite:
        return "overflow"
    lo, hi = min(finite), max(finite)
    txt = num(lo, 3) if math.isclose(lo, hi, rel_tol=5e-3) else f"{num(lo, 3)}–{num(hi, 3)}"
    return txt + (" (and overflow)" if len(finite) < len(v) else "")


# ---- prose --------------------------------------------------------------------------------------------------------


def scale(res: Results) -> str:
    """What this run trains, next to the reports' own settings."""
    mn = res.studies["mnist"]
    p = mn.pairs[0]
    sched = (
        "constant learning rate" if mn.scheduler == "constant" else "learning rate decayed to 0 by a cosine schedule"
    )
    out = (
        f"**This run.** {len(mn.pairs)} seeds; for each, a {p.small.batch_size}-batch minimum (Adam lr "
        f"{p.small.lr:g}, {count(p.small.epochs, 'epoch')}, {p.small.steps:,} steps) and a {p.large.batch_size}-batch minimum "
        f"(lr {p.large.lr:g}, {count(p.large.epochs, 'epoch')}, {p.large.steps:,} steps) from different initialisations and "
        f"data orders, {sched} (the reports do not say; a decay lets each run settle into its minimum). MNIST: "
        f"{model_text(mn.spec)} ({mn.n_params:,} parameters{_conv_note(mn.spec)}) on {mn.n_train:,} training "
        f"images; the line is evaluated on the first {mn.n_eval_train:,} of them and on {mn.n_test:,} test images. "
        f"Report 001 trained its ShallowCNN (conv channels 32 → 64, global average pooling, FC; kernel size and "
        f"pooling not given) with the same recipes for 6 epochs on MNIST's 60,000 training images"
    )
    if mn.n_train < 60_000:
        out += (
            f"; here, on {mn.n_train:,} images for {p.large.epochs} epochs, the batch-{p.large.batch_size} recipe "
            f"takes {p.large.steps:,} steps instead of the report's about {6 * math.ceil(60_000 / p.large.batch_size):,}, "
            f"which is what the end points' accuracies (§1) have to be read against."
        )
    else:
        out += "."
    cf = res.studies.get("cifar10")
    if cf is not None:
        q = cf.pairs[0]
        out += (
            f" CIFAR-10 (report 000's pair; it gives only the batch sizes and that the net is a CNN, so the net, "
            f"the optimizer and the epochs are our choice): {model_text(cf.spec)} ({cf.n_params:,} parameters"
            f"{_conv_note(cf.spec)}) on {cf.n_train:,} training images, {q.small.epochs} / {q.large.epochs} "
            f"epochs, the same Adam recipes; the line on [0, 1] is evaluated on {cf.n_test:,} test images."
        )
    return out


def _conv_note(spec: dict) -> str:
    if spec.get("kind") != "cnn":
        return ""
    k = spec.get("kernel", 3)
    every = spec.get("pool_every", 1)
    pool = "after every convolution" if every == 1 else f"after every {every} convolutions"
    return f"; {k}×{k} convolutions, a 2×2 max-pool {pool}"


def minima_note(res: Results) -> str:
    """Which end points are minima by the stated criterion."""
    parts, total, ok = [], 0, 0
    for st in res.studies.values():
        for role in ("small", "large"):
            ms = [getattr(p, role) for p in st.pairs]
            n_ok = sum(m.convergence.converged for m in ms)
            total += len(ms)
            ok += n_ok
            if n_ok < len(ms):
                parts.append(
                    f"{st.name} batch {ms[0].batch_size}: {n_ok} of {len(ms)} (training loss up to "
                    f"{num(max(m.convergence.train_loss for m in ms), 3)}, ‖∇L‖ up to "
                    f"{num(max(m.convergence.grad_norm for m in ms), 3)})"
                )
    head = (
        f"**Are the end points minima?** Each end point's full-batch training loss and gradient norm were "
        f"measured after training (eval mode); it counts as a minimum when {res.criterion}. {ok} of {total} "
        f"end points meet it"
    )
    if not parts:
        return head + "."
    return head + ". Not minima (the line starts or ends where the budget stopped): " + "; ".join(parts) + "."


def barrier_text(res: Results) -> str:
    """The barrier on MNIST, plain and aligned, with the rule."""
    mn = res.studies["mnist"]
    plain, aligned = loss_barriers(mn, "plain"), loss_barriers(mn, "aligned")
    lb, la = stats.mean_interval(plain), stats.mean_interval(aligned)
    eb, ea = stats.mean_interval(error_barriers(mn, "plain")), stats.mean_interval(error_barriers(mn, "aligned"))
    low = [_lowest(p.paths["plain"], "test_acc") for p in mn.pairs]
    d = stats.paired_interval(plain, aligned)
    v_align = stats.direction_verdict(d, +1)
    word = {HOLDS: "lowers it", CONTRADICTED: "raises it", UNDECIDED: "does not change it measurably"}[v_align]
    share = 1 - la.mean / lb.mean if lb.mean > 0 else math.nan
    bn = " (BN statistics recomputed at every α)" if mn.batchnorm else ""
    out = (
        f"**The barrier.** On the plain line{bn} the training-loss barrier is {lb} nats and the test-error "
        f"barrier {eb.pp()} (lowest test accuracy on the segment {_range(100 * a for a, _ in low)} %, at α ≈ "
        f"{_range(x for _, x in low)}). Aligning the hidden units first "
        f"{word}: {la} nats and {ea.pp()} (per-seed reduction {d}; rule: its 95 % interval above zero)."
    )
    if v_align == HOLDS and math.isfinite(share):
        out += (
            f" Alignment removes {100 * share:.0f} % of the loss barrier: that part was only the arbitrary order "
            f"of the hidden units of two independently initialised nets, not a property of the batch sizes; "
            f"what survives it is the barrier between the two functions."
        )
    return out


def outside_text(res: Results) -> str:
    """Both sides of the extrapolation, each judged on its own, with the relative size of the step."""
    mn = res.studies["mnist"]
    parts = []
    for side, role in (("below", "small"), ("above", "large")):
        v, outs = side_verdict(mn, side)
        ratio = [o["loss_far"] / o["loss_end"] for o in outs]
        rel = [p.distance["plain"] / getattr(p, role).weight_norm for p in mn.pairs]
        bs = getattr(mn.pairs[0], role).batch_size
        parts.append(
            f"beyond the batch-{bs} end (α = {outs[0]['alpha_far']:g}) the training loss is "
            f"{_range(ratio)} times the end point's and the test accuracy "
            f"{_range(100 * o['acc_far'] for o in outs)} % (**{v}**); the step there, ‖θ_large − "
            f"θ_small‖, is {_range(rel)} times that net's own weight norm"
        )
    norms = {r: stats.mean([getattr(p, r).weight_norm for p in mn.pairs]) for r in ("small", "large")}
    return (
        "**Outside [0, 1], side by side.** " + "; ".join(parts) + f". The two sides are walks of the same "
        f"length from nets of different size (weight norms {num(norms['small'], 3)} and "
        f"{num(norms['large'], 3)}): the same step is a larger relative change of the smaller net, and how "
        f"sharp a minimum looks along a line depends on such scales (Dinh et al. 2017; with BN, only the "
        f"direction of the weights before a BN layer counts), which is one reason a side can stay accurate "
        f"where the other collapses."
    )


def _lowest(path: Path, key: str) -> tuple[float, float]:
    """(lowest value of `key` on [0, 1], its alpha)."""
    seg = (path.alphas >= 0) & (path.alphas <= 1)
    v = np.where(seg & np.isfinite(getattr(path, key)), getattr(path, key), np.inf)
    i = int(np.argmin(v))
    return float(v[i]), float(path.alphas[i])


def bn_studies(res: Results) -> list[Study]:
    """The studies whose nets have BatchNorm (and so a stale-statistics path)."""
    return [st for st in res.studies.values() if st.batchnorm and "stale" in st.pairs[0].paths]


def bn_comparison(st: Study) -> dict:
    """Recomputed vs stale statistics on one BN study, on the training images: the per-seed differences of the
    loss and error barriers (recomputed minus stale) and the two nets at the stale line's peak."""
    idx = [_peak(p.paths["stale"]) for p in st.pairs]
    at = lambda path, key: [float(getattr(p.paths[path], key)[i]) for p, i in zip(st.pairs, idx)]  # noqa: E731
    return dict(
        d_loss=stats.paired_interval(loss_barriers(st, "plain"), loss_barriers(st, "stale")),
        d_error=stats.paired_interval(error_barriers(st, "plain", "train"), error_barriers(st, "stale", "train")),
        alpha=[float(p.paths["stale"].alphas[i]) for p, i in zip(st.pairs, idx)],
        acc=(at("plain", "train_acc"), at("stale", "train_acc")),
        entropy=(at("plain", "entropy"), at("stale", "entropy")),
        loss=(at("plain", "train_loss"), at("stale", "train_loss")),
    )


_EFFECT = {HOLDS: "lower", CONTRADICTED: "higher", UNDECIDED: "not measurably different"}


def bn_text(res: Results) -> str:
    """Stale vs recomputed BN statistics on every BN study, and the reading of the difference from the nets'
    accuracy and confidence at the peak."""
    studies = bn_studies(res)
    if not studies:
        return ""
    parts, near_chance, raised, flatter = [], [], [], []
    for st in studies:
        c = bn_comparison(st)
        v, ve = stats.direction_verdict(c["d_loss"], -1), stats.direction_verdict(c["d_error"], -1)
        acc_f, acc_s = (100 * stats.mean(a) for a in c["acc"])
        ent_f, ent_s = (stats.mean(e) for e in c["entropy"])
        loss_f, loss_s = (stats.mean(x) for x in c["loss"])
        parts.append(
            f"{st.name} ({st.model}): loss barrier {c['d_loss']} nats (**{_EFFECT[v]}**), error barrier "
            f"{c['d_error'].pp()} (**{_EFFECT[ve]}**); at the stale line's peak (α ≈ {_range(c['alpha'])}) "
            f"training accuracy {acc_f:.1f} % recomputed vs {acc_s:.1f} % stale, mean softmax entropy "
            f"{ent_f:.2f} vs {ent_s:.2f} nats, training loss {loss_f:.3g} vs {loss_s:.3g}"
        )
        if max(acc_f, acc_s) < 50:
            near_chance.append(f"{st.name} (accuracy {acc_f:.0f} % and {acc_s:.0f} %)")
        if c["d_loss"].mean > 0:
            raised.append(st.name)
        if ent_s > ent_f:
            flatter.append(st.name)
    out = (
        "**BatchNorm: stale or recomputed statistics.** Recomputed minus stale, per seed, on the training "
        "images (rule: the 95 % interval of the per-seed difference below zero: lower, above: higher) — "
        + "; ".join(parts)
        + f". A uniform guess has entropy and loss ln 10 = {math.log(10):.2f}."
    )
    if flatter:
        out += (
            f" Why the statistics matter: between two minima whose units do not correspond, averaging "
            f"unrelated units shrinks the pre-activations, and stale statistics, interpolated from the end "
            f"points, divide by variances that are now too large; the activations come out too small and the "
            f"output drifts towards a uniform guess — visible as the higher entropy of the stale net at the peak "
            f"({', '.join(flatter)}). Recomputing restores the scale (Garipov et al. 2018; Ainsworth et al. "
            f"2023; Jordan et al. 2023, REPAIR)."
        )
    if near_chance or raised:
        out += (
            " Where the net at the peak is broken with either statistics"
            + (f" ({', '.join(near_chance)})" if near_chance else "")
            + ", the cross-entropy no longer measures how broken: the near-uniform stale net's loss is capped "
            "near ln 10, while the recomputed net commits to classes and pays for its confident mistakes. "
            "The loss barrier then sits near its ceiling for both and can come out equal or even higher "
            "with recomputed statistics"
            + (f" (as here in {', '.join(raised)})" if raised else "")
            + " although the accuracy is no worse: near chance, the error barrier is the comparison to read."
        )
    wide = [st for st in studies if st.pairs[0].paths["stale"].alphas.min() < 0]
    bad = sorted({int(np.sum(~np.isfinite(p.paths["stale"].train_loss))) for st in wide for p in st.pairs})
    if any(bad):
        n_grid = len(wide[0].pairs[0].paths["stale"].alphas)
        out += (
            f" Beyond [0, 1] the stale statistics break the net outright (NaN loss at "
            f"{bad[-1] if len(bad) == 1 else f'{bad[0]}–{bad[-1]}'} of {n_grid} grid points): extrapolating two "
            f"positive running variances can give a negative one."
        )
    return out


def _peak(path: Path) -> int:
    """Index of the highest training loss on [0, 1] of a path."""
    seg = np.where((path.alphas >= 0) & (path.alphas <= 1), path.train_loss, -np.inf)
    seg = np.where(np.isfinite(seg), seg, -np.inf)
    return int(np.argmax(seg))


def cifar_text(res: Results) -> str:
    cf = res.studies.get("cifar10")
    if cf is None:
        return ""
    lb, eb = stats.mean_interval(loss_barriers(cf, "plain", "test")), stats.mean_interval(error_barriers(cf))
    la, ea = (
        stats.mean_interval(loss_barriers(cf, "aligned", "test")),
        stats.mean_interval(error_barriers(cf, "aligned")),
    )
    acc = [min(p.small.test_acc, p.large.test_acc) for p in cf.pairs]
    pre = good_minima(cf, res)
    out = (
        f"**CIFAR-10 (report 000).** Test-loss barrier {lb} nats and test-error barrier {eb.pp()} on the plain "
        f"line; after weight matching {la} nats and {ea.pp()}. The end points' test accuracy is "
        f"{100 * stats.mean(acc):.1f} % at the worse end (mean over seeds)."
    )
    if pre.met:
        return out + f" Both ends of every seed are good minima ({pre.detail}), so the claims are tested (§6)."
    return out + (
        f" Report 000's claims are about two good minima; these end points are not ({pre.detail}; required: "
        f"{pre.text}). A barrier between two nets that have not reached a minimum says nothing about the "
        f"landscape between minima, so the CIFAR-10 claims are not tested by this run: the line above is what "
        f"this budget gives, not a check of the report."
    )


# ---- tables and metrics ------------------------------------------------------------------------------------------


def minima_rows(res: Results) -> list[dict]:
    """One row per study and recipe: full-batch training loss and ||grad L|| (mean and max over seeds), test
    accuracy, converged seeds."""
    rows = []
    for st in res.studies.values():
        for role in ("small", "large"):
            ms = [getattr(p, role) for p in st.pairs]
            rows.append(
                {
                    "study": st.name,
                    "batch": ms[0].batch_size,
                    "lr": ms[0].lr,
                    "epochs": ms[0].epochs,
                    "steps": ms[0].steps,
                    "train loss": stats.mean([m.convergence.train_loss for m in ms]),
                    "max ‖∇L‖": max(m.convergence.grad_norm for m in ms),
                    "test acc %": 100 * stats.mean([m.test_acc for m in ms]),
                    "converged": f"{sum(m.convergence.converged for m in ms)}/{len(ms)}",
                }
            )
    return rows


def barrier_rows(res: Results) -> list[dict]:
    """Per study and path: loss and error barriers (mean ± sd over seeds) and the distance between the ends."""
    rows = []
    for st in res.studies.values():
        split = "test" if st.name == "cifar10" else "train"
        for path in st.pairs[0].paths:
            lb, eb = stats.mean_interval(loss_barriers(st, path, split)), stats.mean_interval(error_barriers(st, path))
            dist = [p.distance["aligned" if path == "aligned" else "plain"] for p in st.pairs]
            rows.append(
                {
                    "study": st.name,
                    "path": path,
                    "loss on": split,
                    "loss barrier": lb.mean,
                    "± sd": lb.sd,
                    "test-error barrier (pp)": 100 * eb.mean,
                    "± sd ": 100 * eb.sd,
                    "distance": stats.mean(dist),
                }
            )
    return rows


def _path_dict(path: Path) -> dict:
    out = {k: getattr(path, k) for k in ("alphas", "train_loss", "train_acc", "test_loss", "test_acc")}
    if path.entropy is not None:
        out["entropy"] = path.entropy
    return out


def _minimum_dict(m) -> dict:
    return {
        "batch_size": m.batch_size,
        "lr": m.lr,
        "seed": m.seed,
        "epochs": m.epochs,
        "steps": m.steps,
        "train_loss": m.convergence.train_loss,
        "grad_norm": m.convergence.grad_norm,
        "converged": m.convergence.converged,
        "test_loss": m.test_loss,
        "test_acc": m.test_acc,
        "weight_norm": m.weight_norm,
    }


def metrics(res: Results) -> dict:
    """The metrics.json entries besides seeds and claims: per study and seed the end points (with their
    convergence records) and the paths; the barriers; the headline."""
    mn = res.studies["mnist"]
    studies = {}
    for name, st in res.studies.items():
        split = "test" if name == "cifar10" else "train"
        studies[name] = {
            "report": st.report,
            "dataset": st.dataset,
            "model": st.model,
            "n_params": st.n_params,
            "batchnorm": st.batchnorm,
            "n_train": st.n_train,
            "n_test": st.n_test,
            "scheduler": st.scheduler,
            "pairs": [
                {
                    "seed": p.seed,
                    "small": _minimum_dict(p.small),
                    "large": _minimum_dict(p.large),
                    "distance": p.distance,
                    "paths": {k: _path_dict(v) for k, v in p.paths.items()},
                }
                for p in st.pairs
            ],
            "barrier_split": split,
            "loss_barrier": {path: loss_barriers(st, path, split) for path in st.pairs[0].paths},
            "error_barrier": {path: error_barriers(st, path) for path in st.pairs[0].paths},
        }
    headline = {
        "loss barrier, plain (MNIST train)": spread(loss_barriers(mn, "plain"), "nats"),
        "loss barrier, aligned (MNIST train)": spread(loss_barriers(mn, "aligned"), "nats"),
        "test-error barrier, plain (MNIST)": spread(error_barriers(mn, "plain"), "pp", 100),
        "end points converged": sum(
            getattr(p, r).convergence.converged
            for st in res.studies.values()
            for p in st.pairs
            for r in ("small", "large")
        ),
    }
    if "cifar10" in res.studies:
        headline["test-loss barrier, plain (CIFAR-10)"] = spread(
            loss_barriers(res.studies["cifar10"], "plain", "test"), "nats"
        )
    return {
        "studies": studies,
        "convergence_criterion": res.criterion,
        "grad_tol": res.grad_tol,
        "loss_tol": res.loss_tol,
        "loss_margin": LOSS_MARGIN,
        "error_margin": ERROR_MARGIN,
        "headline": headline,
    }
