"""01 function fitting: the claim checks, their prose and the metrics, computed from the results only.

Rules (core.stats; 95 % Student-t intervals over seeds of per-seed paired differences):
    a loss ordering "A fits better than B"    log10(MSE_B / MSE_A) per seed; holds when its interval lies above 0,
                                              contradicted when it lies below 0, undecided otherwise; a claim that
                                              orders several nets holds when every pair holds and is contradicted
                                              when any pair is
    "A beats B" on MNIST                      the per-seed difference of final test accuracy (or of the final train
                                              and test losses) in the claimed direction, same rule
    a parameter count or a formula            exact arithmetic: no seeds needed

Every check carries our setting (`setting_of`), computed from the nets and the recipe the run used, so the scope
against the report's own setting is computed (`report.claims.check`). Preconditions (a failed one makes the claim
"not tested"): report 002's MSE ordering presumes fits at the report's level (every final training MSE at most
MSE_LEVEL); report 001's MNIST comparison presumes nets that trained (every run's final test accuracy at least
TRAINED_ACC, twice chance); report 002's, whose difference is 0.06 percentage points at the end of training,
presumes both nets at the report's level (every run at least REPORT_ACC).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ...core import stats
from ...core.stats import CONTRADICTED, HOLDS, NOT_TESTED
from ...references import claim as registry
from ...report.claims import ClaimCheck, Precondition, check
from ...report.fmt import count, num
from ...report.metrics import spread
from .compute import Pair, Study, TargetCheck

PAIR_RULE = (
    "holds when the 95 % interval over seeds of the per-seed difference lies on the claimed side of 0, "
    "contradicted when it lies on the other side, undecided otherwise"
)
ORDER_RULE = (
    "for each claimed pair 'A fits better than B', the 95 % interval over seeds of log10(MSE_B / MSE_A); "
    "holds when every pair's interval lies above 0, contradicted when any lies below 0, else undecided"
)
EXACT_RULE = "exact arithmetic (no seeds): holds when every stated count is right, contradicted otherwise"
MSE_LEVEL = 1e-3  # report 002: "all models reached very low loss values (around 10^-4 and 10^-5)"
TRAINED_ACC = 0.20  # twice chance (10 classes)
REPORT_ACC = 0.98  # report 002: "over 98% accuracy by epoch 5"


def data_words(domain) -> str:
    """The 1-D target and its domain in the registry's words."""
    return f"sin(5πx)/(5πx) on [{domain[0]:g}, {domain[1]:g}]"


def setting_of(result: Study | Pair, names: Sequence[str] | None = None, counts: bool = True) -> dict:
    """Our setting, in the registry's keys, for a claim about the nets `names` (in the claim's order) of one study
    or pair: the nets in words, their trained parameter counts (unless `counts` is off: the claims about counts),
    the data and the recipe the run used."""
    names = list(names or result.models)
    out = {"model": [result.models[n] for n in names]}
    if counts:
        out["n_params"] = [result.n_params[n] for n in names]
    if isinstance(result, Study):
        out["data"] = data_words(result.domain)
    out.update(result.recipe)
    return out


def _min_acc(pair: Pair) -> float:
    vals = [a for n in pair.runs for a in _acc_pct(pair, n, "test_acc")]
    return min(vals) / 100 if vals and all(math.isfinite(v) for v in vals) else math.nan


def acc_precondition(pair: Pair, level: float, why: str) -> Precondition:
    """Every run of both CNNs reached a final test accuracy of at least `level`."""
    low = _min_acc(pair)
    return Precondition(
        f"every run of both CNNs at a final test accuracy of at least {100 * level:g} % ({why})",
        bool(low >= level),
        f"lowest {100 * low:.1f} %" if math.isfinite(low) else "a run diverged",
    )


def mse_precondition(study: Study, level: float = MSE_LEVEL) -> Precondition:
    """Every fit of the study ended at a training MSE of at most `level`."""
    vals = [v for n in study.fits for v in final_mse(study, n)]
    worst = max(vals) if vals and all(math.isfinite(v) for v in vals) else math.inf  # a diverged fit fails it
    return Precondition(
        f"every fit at the report's level: final training MSE at most {level:g} (the report: all three around "
        "1e-4 to 1e-5)",
        bool(worst <= level),
        f"largest {worst:.3g}",
    )


def final_mse(study: Study, name: str) -> list[float]:
    """The full-batch training MSE of every seed of one net (NaN where it diverged)."""
    return [f.train_mse if f.diverged_at_epoch is None else math.nan for f in study.fits[name]]


def log_ratio(study: Study, worse: str, better: str) -> stats.Interval:
    """Interval over seeds of log10(MSE_worse / MSE_better): above 0 when `better` really fits better."""
    a = np.log10(np.asarray(final_mse(study, worse), dtype=float))
    b = np.log10(np.asarray(final_mse(study, better), dtype=float))
    return stats.paired_interval(list(a), list(b))


def order_verdict(study: Study, order: Sequence[str]) -> tuple[str, dict[str, stats.Interval]]:
    """Verdict on "order[0] fits best, then order[1], ...": each consecutive pair by `log_ratio`."""
    ivs = {f"{w} vs {b}": log_ratio(study, w, b) for b, w in zip(order, order[1:])}
    return stats.joint_verdict([stats.direction_verdict(iv, +1) for iv in ivs.values()]), ivs


def _mse_summary(study: Study) -> str:
    return ", ".join(f"{n} {num(stats.mean_interval(final_mse(study, n)).mean, 3)}" for n in study.fits)


def count_check(claim_id: str, counted: dict[str, int], setting: dict) -> ClaimCheck:
    """Exact check of a claim's parameter counts: `counted` maps the claim's number keys to our counts; `setting`
    names the nets counted."""
    stated = registry(claim_id).numbers
    wrong = sorted(k for k, v in counted.items() if v != stated[k])
    ours = "; ".join(f"{k.replace('_', ' ')}: {v:,} (stated {stated[k]:,})" for k, v in counted.items())
    return check(
        claim_id,
        CONTRADICTED if wrong else HOLDS,
        rule=EXACT_RULE,
        ours=ours,
        reproduced=dict(counted),
        setting=setting,
        wrong=wrong,
    )


def _acc_pct(pair: Pair, name: str, key: str) -> list[float]:
    return [100 * getattr(r, key)[-1] if r.diverged_at_epoch is None else math.nan for r in pair.runs[name]]


def _final(pair: Pair, name: str, key: str) -> list[float]:
    return [getattr(r, key)[-1] if r.diverged_at_epoch is None else math.nan for r in pair.runs[name]]


def checks(studies: dict[str, Study], pairs: dict[str, Pair], target: TargetCheck) -> list[ClaimCheck]:
    """One check per registry claim of this section."""
    out = [
        check(
            "000.fitting.target_is_step",
            CONTRADICTED if target.max_abs_diff > 0.5 else HOLDS,
            rule="exact: the target evaluated on 10,001 points of [0, 1]; contradicted when it differs from "
            "the stated step by more than 0.5 anywhere",
            ours=f"sin(5πx)/(5πx) is continuous, {target.value_at_0:g} at x = 0; its largest distance from "
            f"the stated step is {target.max_abs_diff:.3g}",
            setting={"data": data_words((float(target.x.min()), float(target.x.max())))},
            max_abs_diff=target.max_abs_diff,
        )
    ]
    s0, s1, s2 = studies["000"], studies["001"], studies["002"]
    out.append(
        count_check(
            "000.fitting.param_counts",
            {"params_1x128": s0.n_params["1×128"], "params_2x18": s0.n_params["2×18"]},
            _count_setting(s0, ["1×128", "2×18"]),
        )
    )
    out.append(
        count_check(
            "001.fitting.param_counts",
            {
                "params_model0": s1.n_params["1-5-10-10-10-5-1"],
                "params_model1": s1.n_params["1-10-18-15-10-4-1"],
                "params_model2": s1.n_params["1-190-1"],
            },
            _count_setting(s1, ORDER_001),
        )
    )
    out.append(_approx_check(s2))
    v, ivs = order_verdict(s1, ORDER_001[::-1])
    out.append(
        check(
            "001.fitting.shallow_190_best",
            v,
            rule=ORDER_RULE,
            ours=f"after {s1.epochs} epochs, final train MSE (mean over {len(s1.fits['1-190-1'])} seeds) "
            f"{_mse_summary(s1)}; " + "; ".join(f"log10 ratio {k}: {iv}" for k, iv in ivs.items()),
            setting=setting_of(s1, ORDER_001),
            log10_ratios=ivs,
        )
    )
    v_best, ivs_best = order_verdict(s2, ["8×22", "2×50"])
    v_mid, ivs_mid = order_verdict(s2, ["2×50", "5×28"])
    v_deep, ivs_deep = order_verdict(s2, ["8×22", "5×28"])
    ivs = {**ivs_best, **ivs_deep, **ivs_mid}
    out.append(
        check(
            "002.fitting.deepest_best_shallow_beats_middle",
            stats.joint_verdict([v_best, v_deep, v_mid]),
            rule=ORDER_RULE,
            ours=f"after {s2.epochs} epochs, final train MSE {_mse_summary(s2)}; "
            + "; ".join(f"log10 ratio {k}: {iv}" for k, iv in ivs.items()),
            reproduced={
                "mse_2x50": stats.mean_interval(final_mse(s2, "2×50")).mean,
                "mse_5x28": stats.mean_interval(final_mse(s2, "5×28")).mean,
                "mse_8x22": stats.mean_interval(final_mse(s2, "8×22")).mean,
            },
            setting=setting_of(s2, ORDER_002),
            precondition=mse_precondition(s2),
            log10_ratios=ivs,
        )
    )
    p1, p2 = pairs["001"], pairs["002"]
    d_test = stats.paired_interval(_final(p1, "shallow", "test_loss"), _final(p1, "deep", "test_loss"))
    d_train = stats.paired_interval(_final(p1, "shallow", "train_loss"), _final(p1, "deep", "train_loss"))
    acc = {n: stats.mean_interval(_acc_pct(p1, n, "test_acc")) for n in ("shallow", "deep")}
    out.append(
        check(
            "001.mnist.deep_cnn_better",
            stats.joint_verdict([stats.direction_verdict(d_test, +1), stats.direction_verdict(d_train, +1)]),
            rule=PAIR_RULE + " (both the test-loss and the train-loss difference, shallow minus deep)",
            ours=f"after {count(p1.epochs, 'epoch')}: test loss shallow − deep {d_test}; train loss shallow − deep "
            f"{d_train}; test accuracy shallow {acc['shallow'].mean:.2f} %, deep {acc['deep'].mean:.2f} %",
            reproduced={
                "params": p1.n_params["deep"],
                "deep_acc_low_pct": acc["deep"].mean,
                "shallow_final_acc_low_pct": acc["shallow"].mean,
            },
            setting={**setting_of(p1, ["shallow", "deep"]), "measure": "final train and test loss"},
            precondition=acc_precondition(p1, TRAINED_ACC, "twice chance: the nets trained"),
            test_loss_diff=d_test,
            train_loss_diff=d_train,
        )
    )
    d_acc = stats.paired_interval(_acc_pct(p2, "shallow", "test_acc"), _acc_pct(p2, "deep", "test_acc"))
    out.append(
        check(
            "002.mnist.shallow_cnn_better",
            stats.direction_verdict(d_acc, +1),
            rule=PAIR_RULE,
            ours=f"after {count(p2.epochs, 'epoch')}: test accuracy shallow − deep {d_acc} pp",
            reproduced={
                "params_shallow": p2.n_params["shallow"],
                "params_deep": p2.n_params["deep"],
                "test_acc_shallow_pct": stats.mean_interval(_acc_pct(p2, "shallow", "test_acc")).mean,
                "test_acc_deep_pct": stats.mean_interval(_acc_pct(p2, "deep", "test_acc")).mean,
            },
            setting={**setting_of(p2, ["shallow", "deep"]), "measure": "final test accuracy"},
            precondition=acc_precondition(
                p2, REPORT_ACC, "the report's level: its 0.06-point difference is between two converged nets"
            ),
            test_acc_diff_pp=d_acc,
        )
    )
    return out


ORDER_001 = ["1-5-10-10-10-5-1", "1-10-18-15-10-4-1", "1-190-1"]  # the claim's (and the report's) order
ORDER_002 = ["2×50", "5×28", "8×22"]


def _count_setting(study: Study, names: Sequence[str]) -> dict:
    """The setting of a claim about parameter counts: the nets counted, on the study's target."""
    return {"model": [study.models[n] for n in names], "data": data_words(study.domain)}


def _approx_check(s2: Study) -> ClaimCheck:
    stated = registry("002.fitting.params_matched").numbers["params_approx"]
    worst = max(abs(n - stated) / stated for n in s2.n_params.values())
    ours = ", ".join(f"{k} {v:,}" for k, v in s2.n_params.items())
    return check(
        "002.fitting.params_matched",
        CONTRADICTED if worst > 0.1 else HOLDS,
        rule="exact arithmetic: holds when every net is within ±10 % of the stated ~2,600, contradicted otherwise",
        ours=f"{ours} parameters: up to {worst:.0%} above 2,600",
        setting=_count_setting(s2, ORDER_002),
        worst_relative_distance=worst,
    )


# ---- prose and metrics ---------------------------------------------------------------------------------------


def scale(cfg) -> str:
    """What this run trains, next to the reports' own budgets, and the choices the reports leave to us."""
    e0, e1, e2 = cfg.sinc_epochs
    m1, m2 = cfg.mnist_epochs
    batch = "the full batch" if cfg.sinc_batch >= cfg.n_points else f"batch {cfg.sinc_batch}"
    return (
        f"**This run**: {count(cfg.n_seeds, 'seed')} per net (initialisation and minibatch order). 1-D fits: "
        f"{cfg.n_points} evenly spaced training points, Adam lr {cfg.sinc_lr:g}, {batch}, {e0} / {e1} / {e2} epochs "
        "for the nets of reports 000 / 001 / 002. The reports: 000 trains with Adam at lr 0.001 for 100 epochs, 002 "
        "for 3,000 epochs, 001 states no optimizer or budget, and none states its number of points or batch size; "
        "where a report is silent we take report 000's Adam at lr 0.001, the one recipe a report gives for these "
        f"nets. MNIST: {cfg.n_train_mnist:,} training and {cfg.n_test_mnist:,} test images (a fixed random subset), "
        f"Adam lr {cfg.mnist_lr:g}, batch 128, {count(m1, 'epoch')} for report 001's pair and {m2} for report "
        "002's. The reports train on all of MNIST (60,000 and 10,000 images), report 001 at batch 128 for 8 epochs "
        "without naming its optimizer (we take Adam at lr 0.001, its own recipe for the same deep CNN in its next "
        "experiment), report 002 with Adam at lr 0.001, batch 128, for 20 epochs. Fewer images, epochs or seeds "
        "than a report's make a claim's scope *reduced*; any other difference would make it *different*, and then "
        "the claim is not tested."
    )


def convergence_note(studies: dict[str, Study], grad_tol: float) -> str:
    """Which 1-D fits ended at a point the criterion calls converged."""
    parts, total, ok = [], 0, 0
    for st in studies.values():
        for name, fits in st.fits.items():
            n_ok = sum(f.convergence.converged for f in fits)
            total += len(fits)
            ok += n_ok
            if n_ok < len(fits):
                gmax = max(f.convergence.grad_norm for f in fits)
                parts.append(f"{st.report} {name}: {n_ok} of {len(fits)} (largest ‖∇L‖ {gmax:.2g})")
    head = (
        f"**Convergence.** A fit counts as converged when its full-batch gradient norm at the end is at most "
        f"{grad_tol:g} (the training loss is then flat to that order). {ok} of {total} fits converged"
    )
    return head + (
        ": every one."
        if not parts
        else "; the others did not, so their final MSE is where the budget "
        "stopped them, not a minimum: " + "; ".join(parts) + "."
    )


def headline(studies: dict[str, Study], pairs: dict[str, Pair]) -> dict:
    s2, p2 = studies["002"], pairs["002"]
    return {
        "sinc MSE 2×50 (report 002 net)": spread(final_mse(s2, "2×50")),
        "sinc MSE 8×22 (report 002 net)": spread(final_mse(s2, "8×22")),
        "MNIST test acc, 002 shallow": spread(_acc_pct(p2, "shallow", "test_acc"), "%"),
        "MNIST test acc, 002 deep": spread(_acc_pct(p2, "deep", "test_acc"), "%"),
    }


def study_rows(studies: dict[str, Study]) -> list[dict]:
    """One table row per net: report, parameters, final train/test MSE (mean ± sd over seeds), converged seeds."""
    rows = []
    for st in studies.values():
        for name, fits in st.fits.items():
            tr, te = stats.mean_interval(final_mse(st, name)), stats.mean_interval([f.test_mse for f in fits])
            rows.append(
                {
                    "report": st.report,
                    "net": name,
                    "parameters": st.n_params[name],
                    "train MSE": tr.mean,
                    "± sd": tr.sd,
                    "test MSE": te.mean,
                    "converged": f"{sum(f.convergence.converged for f in fits)}/{len(fits)}",
                    "max ‖∇L‖": max(f.convergence.grad_norm for f in fits),
                }
            )
    return rows


def pair_rows(pairs: dict[str, Pair]) -> list[dict]:
    """One table row per MNIST CNN: report, parameters, final test accuracy and loss (mean ± sd over seeds)."""
    rows = []
    for p in pairs.values():
        for name in p.runs:
            acc = stats.mean_interval(_acc_pct(p, name, "test_acc"))
            loss = stats.mean_interval(_final(p, name, "test_loss"))
            rows.append(
                {
                    "report": p.report,
                    "CNN": name,
                    "parameters": p.n_params[name],
                    "epochs": p.epochs,
                    "test acc %": acc.mean,
                    "± sd": acc.sd,
                    "test loss": loss.mean,
                    "± sd ": loss.sd,
                }
            )
    return rows


def metrics(studies: dict[str, Study], pairs: dict[str, Pair], target: TargetCheck) -> dict:
    """The metrics.json entries (besides seeds and claims): per-net results of every study and pair."""
    return {
        "studies": {
            r: {
                "epochs": st.epochs,
                "domain": list(st.domain),
                "n_params": st.n_params,
                "train_mse": {n: final_mse(st, n) for n in st.fits},
                "test_mse": {n: [f.test_mse for f in fs] for n, fs in st.fits.items()},
                "grad_norm": {n: [f.convergence.grad_norm for f in fs] for n, fs in st.fits.items()},
                "converged": {n: [f.convergence.converged for f in fs] for n, fs in st.fits.items()},
            }
            for r, st in studies.items()
        },
        "convergence_criterion": next(iter(next(iter(studies.values())).fits.values()))[0].convergence.criterion,
        "mnist": {
            r: {
                "epochs": p.epochs,
                "n_params": p.n_params,
                "test_acc": {n: [a / 100 for a in _acc_pct(p, n, "test_acc")] for n in p.runs},
                "test_loss": {n: _final(p, n, "test_loss") for n in p.runs},
            }
            for r, p in pairs.items()
        },
        "target_max_abs_diff_from_step": target.max_abs_diff,
        "headline": headline(studies, pairs),
    }


def reading(checks_: Sequence[ClaimCheck]) -> str:
    """What the verdicts say taken together, from the verdicts themselves."""
    by = {c.id: c for c in checks_}
    wrong_counts = [c.report for c in checks_ if "param" in c.id and c.verdict == CONTRADICTED]
    orders = [c for c in checks_ if c.id.split(".")[1] == "fitting" and "param" not in c.id and "target" not in c.id]
    cnn = [c for c in checks_ if c.id.split(".")[1] == "mnist"]
    out = []
    if wrong_counts:
        out.append(
            f"The parameter counts are where the reports are simply checkable: "
            f"{'report' if len(set(wrong_counts)) == 1 else 'reports'} "
            f"{', '.join(sorted(set(wrong_counts)))} {'states' if len(set(wrong_counts)) == 1 else 'state'} counts or an equal budget that their own widths do "
            f"not give, so those comparisons were less matched than written."
        )
    decided = [c for c in orders if c.verdict in (HOLDS, CONTRADICTED)]
    untested = [c for c in orders if c.verdict == NOT_TESTED]
    out.append(
        f"Of the {len(orders)} loss orderings on the 1-D target, {len(decided)} "
        f"{'is' if len(decided) == 1 else 'are'} decided at this budget"
        + (f" ({'; '.join(f'{c.id}: {c.verdict}' for c in decided)})" if decided else "")
        + (
            f" and {len(untested)} not tested ({'; '.join(f'{c.id}: {c.not_tested_because}' for c in untested)})"
            if untested
            else ""
        )
        + "; the orderings depend on the optimizer budget, which not every report states."
    )
    if cnn:
        out.append(
            "On MNIST the two reports argue opposite directions with different nets; each is judged on its "
            "own pair: " + "; ".join(f"{c.id} {c.verdict}" for c in cnn) + "."
        )
    if by.get("000.fitting.target_is_step") and by["000.fitting.target_is_step"].verdict == CONTRADICTED:
        out.append("Report 000's description of the target does not match the formula it fits.")
    return "**Reading the verdicts.** " + " ".join(out)
