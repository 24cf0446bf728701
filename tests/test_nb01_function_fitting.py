"""01 function fitting: the smoke run's metrics, the reports' nets, and the verdict rules on constructed results."""

import json
import math

import numpy as np
import pytest
from small_nets import assert_claims_checked

from lab_utils import models, sections
from lab_utils.core.stats import CONTRADICTED, HOLDS, NOT_TESTED, UNDECIDED
from lab_utils.core.train import Convergence
from lab_utils.report.metrics import headline_mean
from lab_utils.sections.function_fitting import compute, figures, text

NAME = "01_function_fitting"


def test_smoke_metrics(smoke_run):
    m, section_dir = smoke_run(NAME)
    cfg = sections.profiles(NAME)["smoke"]
    assert_claims_checked(m, NAME)
    by = {c["id"]: c for c in m["claims"]}
    for exact in (
        "000.fitting.target_is_step",
        "000.fitting.param_counts",
        "001.fitting.param_counts",
        "002.fitting.params_matched",
    ):
        assert by[exact]["verdict"] == CONTRADICTED, exact  # arithmetic, independent of the profile
    for report, st in m["studies"].items():
        for name, losses in st["train_mse"].items():
            assert len(losses) == cfg.n_seeds and all(0 < v < 1 for v in losses), (report, name)
            assert len(st["grad_norm"][name]) == cfg.n_seeds and all(g >= 0 for g in st["grad_norm"][name])
    assert "‖∇L‖" in m["convergence_criterion"]
    for pair in m["mnist"].values():
        for accs in pair["test_acc"].values():
            assert len(accs) == cfg.n_seeds and all(0 <= a <= 1 for a in accs)
    for fig in ("fits", "final_losses", "mnist_curves"):
        assert (section_dir / f"{fig}.png").is_file(), fig


def test_the_reports_nets_have_the_counts_we_claim():
    n = {name: models.spec_n_params(s) for st in compute.STUDIES for name, s in st.nets.items()}
    assert n["1×128"] == 385 and n["2×18"] == 397  # report 000 says 379 for 2×18
    assert n["1-5-10-10-10-5-1"] == 351 and n["1-10-18-15-10-4-1"] == 712 and n["1-190-1"] == 571
    assert (n["2×50"], n["5×28"], n["8×22"]) == (2701, 3333, 3609)
    cnn = {(r, k): models.spec_n_params(s) for r, p in compute.mnist_pairs().items() for k, s in p.items()}
    assert cnn[("001", "shallow")] == cnn[("001", "deep")] == 112_970
    assert (cnn[("002", "shallow")], cnn[("002", "deep")]) == (454_922, 146_938)


def test_target_is_not_a_step():
    t = compute.target_check()
    assert t.value_at_0 == 1.0 and t.max_abs_diff == pytest.approx(2.0)


# ---- constructed results: the verdict rules must go each way ---------------------------------------------------


def _fit(mse, seed=0):
    return compute.Fit(
        seed,
        [1, 2],
        [2 * mse, mse],
        [2 * mse, mse],
        mse,
        mse,
        Convergence(mse, 1e-4, True, "full-batch ‖∇L‖ ≤ 0.001"),
        None,
    )


def _study(report, mses: dict[str, list[float]]):
    spec = next(s for s in compute.STUDIES if s.report == report)
    x = np.linspace(*spec.domain, 5)
    return compute.Study(
        report,
        spec.domain,
        2,
        {n: models.spec_n_params(s) for n, s in spec.nets.items()},
        {n: [_fit(v, i) for i, v in enumerate(mses[n])] for n in spec.nets},
        x,
        x,
        {n: x for n in spec.nets},
        RECIPE_1D,
        {n: compute.model_words(s) for n, s in spec.nets.items()},
    )


def _run(acc, loss, seed):
    return compute.CnnRun(
        seed, [1, 2], [loss + 0.1, loss], [acc - 0.1, acc], [loss + 0.1, loss], [acc - 0.1, acc], None
    )


RECIPE_1D = dict(
    n_train=64,
    n_test=500,
    optimizer="adam",
    lr=1e-3,
    batch_size="full",
    epochs=2,
    seeds=3,
    measure="final training loss (MSE)",
)
RECIPE_MNIST = dict(data="MNIST", n_train=1000, n_test=500, optimizer="adam", lr=1e-3, batch_size=128, epochs=2)


def _pair(report, accs: dict[str, list[float]], losses: dict[str, list[float]]):
    specs = compute.mnist_pairs()[report]
    return compute.Pair(
        report,
        2,
        {n: models.spec_n_params(s) for n, s in specs.items()},
        {n: [_run(a, loss, i) for i, (a, loss) in enumerate(zip(accs[n], losses[n]))] for n in accs},
        dict(RECIPE_MNIST, seeds=len(accs["shallow"])),
        {n: compute.model_words(s, conv_count_only=report == "002") for n, s in specs.items()},
    )


def _results(s001, s002, p001, p002):
    s000 = _study("000", {"1×128": [0.01, 0.011, 0.012], "2×18": [0.02, 0.021, 0.019]})
    return {"000": s000, "001": s001, "002": s002}, {"001": p001, "002": p002}


CLEAR_001 = {
    "1-190-1": [1e-4, 1.1e-4, 0.9e-4],
    "1-10-18-15-10-4-1": [1e-3, 1.2e-3, 0.8e-3],
    "1-5-10-10-10-5-1": [1e-2, 1.1e-2, 0.9e-2],
}
CLEAR_002 = {"8×22": [4e-6, 5e-6, 3e-6], "2×50": [5e-5, 6e-5, 5.5e-5], "5×28": [1.5e-4, 1.6e-4, 1.4e-4]}


def _verdicts(studies, pairs):
    return {c.id: c.verdict for c in text.checks(studies, pairs, compute.target_check())}


def test_orderings_that_hold():
    p1 = _pair(
        "001",
        {"shallow": [0.95, 0.95, 0.96], "deep": [0.99, 0.99, 0.995]},
        {"shallow": [0.2, 0.21, 0.19], "deep": [0.05, 0.04, 0.05]},
    )
    p2 = _pair(
        "002",
        {"shallow": [0.995, 0.994, 0.995], "deep": [0.990, 0.991, 0.990]},
        {"shallow": [0.02] * 3, "deep": [0.03] * 3},
    )
    v = _verdicts(*_results(_study("001", CLEAR_001), _study("002", CLEAR_002), p1, p2))
    assert v["001.fitting.shallow_190_best"] == HOLDS
    assert v["002.fitting.deepest_best_shallow_beats_middle"] == HOLDS
    assert v["001.mnist.deep_cnn_better"] == HOLDS
    assert v["002.mnist.shallow_cnn_better"] == HOLDS


def test_orderings_that_are_contradicted():
    reversed_001 = {
        "1-190-1": CLEAR_001["1-5-10-10-10-5-1"],
        "1-10-18-15-10-4-1": CLEAR_001["1-10-18-15-10-4-1"],
        "1-5-10-10-10-5-1": CLEAR_001["1-190-1"],
    }
    swapped_002 = dict(CLEAR_002, **{"2×50": CLEAR_002["5×28"], "5×28": CLEAR_002["2×50"]})  # the middle pair
    p1 = _pair(
        "001",
        {"shallow": [0.99] * 3, "deep": [0.95, 0.96, 0.95]},
        {"shallow": [0.05, 0.04, 0.05], "deep": [0.2, 0.21, 0.19]},
    )
    p2 = _pair(
        "002",
        {"shallow": [0.990, 0.991, 0.990], "deep": [0.995, 0.994, 0.995]},
        {"shallow": [0.03] * 3, "deep": [0.02] * 3},
    )
    v = _verdicts(*_results(_study("001", reversed_001), _study("002", swapped_002), p1, p2))
    assert v["001.fitting.shallow_190_best"] == CONTRADICTED
    assert v["002.fitting.deepest_best_shallow_beats_middle"] == CONTRADICTED  # one wrong pair is enough
    assert v["001.mnist.deep_cnn_better"] == CONTRADICTED
    assert v["002.mnist.shallow_cnn_better"] == CONTRADICTED


def test_noise_leaves_claims_undecided():
    noisy = {k: [1e-3, 1e-2, 1e-4] for k in CLEAR_001}
    noisy2 = {k: [1e-5, 1e-4, 1e-6] for k in CLEAR_002}
    p = {"shallow": [0.9, 0.99, 0.95], "deep": [0.95, 0.9, 0.99]}
    p_high = {"shallow": [0.985, 0.995, 0.99], "deep": [0.99, 0.985, 0.995]}
    losses = {"shallow": [0.1, 0.3, 0.2], "deep": [0.3, 0.1, 0.2]}
    v = _verdicts(
        *_results(_study("001", noisy), _study("002", noisy2), _pair("001", p, losses), _pair("002", p_high, losses))
    )
    assert {
        v[k]
        for k in (
            "001.fitting.shallow_190_best",
            "002.fitting.deepest_best_shallow_beats_middle",
            "001.mnist.deep_cnn_better",
            "002.mnist.shallow_cnn_better",
        )
    } == {UNDECIDED}


def test_failed_preconditions_leave_claims_not_tested():
    """002's MSE ordering needs fits at the report's level, 001's MNIST pair nets that trained, 002's pair nets at
    the report's accuracy; the rule's own verdict is kept beside "not tested"."""
    poor_002 = {k: [10 * v for v in vals] for k, vals in CLEAR_002.items()}  # 8×22 best, but 2×50 at 5e-4 ...
    poor_002["5×28"] = [2e-3, 2.1e-3, 1.9e-3]  # ... and 5×28 above 1e-3
    untrained = _pair(
        "001",
        {"shallow": [0.12, 0.15, 0.11], "deep": [0.5, 0.6, 0.55]},
        {"shallow": [2.2, 2.2, 2.2], "deep": [1.5, 1.4, 1.5]},
    )
    early = _pair(  # shallow clearly ahead, but both short of 98 %
        "002",
        {"shallow": [0.95, 0.96, 0.95], "deep": [0.90, 0.91, 0.90]},
        {"shallow": [0.2] * 3, "deep": [0.3] * 3},
    )
    checks = text.checks(
        *_results(_study("001", CLEAR_001), _study("002", poor_002), untrained, early), compute.target_check()
    )
    by = {c.id: c for c in checks}
    for cid in (
        "002.fitting.deepest_best_shallow_beats_middle",
        "001.mnist.deep_cnn_better",
        "002.mnist.shallow_cnn_better",
    ):
        assert by[cid].verdict == NOT_TESTED and "precondition" in by[cid].not_tested_because, cid
        assert by[cid].rule_verdict == HOLDS, cid
    assert by["001.fitting.shallow_190_best"].verdict == HOLDS  # no precondition


def test_settings_are_computed_from_the_nets():
    """Our setting names the nets we built: the report's nets give the report's words, another net others."""
    from lab_utils import references
    from lab_utils.references import setting as settings

    studies, pairs = _results(
        _study("001", CLEAR_001), _study("002", CLEAR_002), _pair("001", *ACC_LOSS), _pair("002", *ACC_LOSS)
    )
    for c in text.checks(studies, pairs, compute.target_check()):
        devs = settings.deviations(references.claim(c.id).setting, c.setting)
        assert all(d.key in settings.REDUCIBLE for d in devs), (c.id, devs)
    other = dict(compute.mnist_pairs()["001"], deep=models.cnn_spec("mnist", [32, 32], 0, global_pool=True))
    assert compute.model_words(other["deep"]) != references.claim("001.mnist.deep_cnn_better").setting["model"][1]
    assert (
        compute.model_words(dict(kind="mlp", depth=2, width=18, in_dim=1, out_dim=1))
        == "MLP, 2 hidden layers of 18 units"
    )


ACC_LOSS = (
    {"shallow": [0.99, 0.991, 0.992], "deep": [0.985, 0.99, 0.99]},
    {"shallow": [0.03] * 3, "deep": [0.04] * 3},
)


def test_one_seed_never_decides():
    one = {k: v[:1] for k, v in CLEAR_001.items()}
    one2 = {k: v[:1] for k, v in CLEAR_002.items()}
    p = _pair("001", {"shallow": [0.9], "deep": [0.99]}, {"shallow": [0.3], "deep": [0.1]})
    v = _verdicts(*_results(_study("001", one), _study("002", one2), p, p))
    assert v["001.fitting.shallow_190_best"] == UNDECIDED and v["001.mnist.deep_cnn_better"] == UNDECIDED


def test_figures_and_text_from_constructed_results():
    p = _pair("001", {"shallow": [0.9, 0.91], "deep": [0.95, 0.96]}, {"shallow": [0.3, 0.31], "deep": [0.1, 0.12]})
    studies, pairs = _results(_study("001", CLEAR_001), _study("002", CLEAR_002), p, p)
    for fig in (figures.fits(studies), figures.final_losses(studies), figures.mnist(pairs)):
        assert fig.axes
    checks = text.checks(studies, pairs, compute.target_check())
    from lab_utils.report import claims

    assert claims.table(checks).count("\n") == len(checks) + 1
    m = text.metrics(studies, pairs, compute.target_check())
    json.dumps(m, default=float)
    assert set(m["headline"]) and all(isinstance(headline_mean(v), float) for v in m["headline"].values())
    assert "converged" in text.convergence_note(studies, 1e-3)
    assert "Reading the verdicts" in text.reading(checks)
    assert math.isfinite(text.study_rows(studies)[0]["train MSE"])


def test_same_seed_same_metrics_without_cache(smoke_run, tmp_path):
    """Reproducibility: a second smoke run with an empty cache gives identical numbers."""
    from conftest import REPO, execute

    first, _ = smoke_run(NAME)
    execute(
        REPO / "notebooks" / f"{NAME}.ipynb",
        tmp_path,
        tmp_path / "cache",
        {"profile": "smoke", "device": "cpu", "seed": 0},
    )
    second = json.loads((tmp_path / NAME / "metrics.json").read_text())
    strip = lambda m: {k: v for k, v in m.items() if k != "elapsed_s"}  # noqa: E731
    assert strip(first) == strip(second)
