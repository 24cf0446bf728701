"""06 sensitivity: the smoke run's metrics, the verdict rules on constructed curves (each way: the U-shape rule
must be able to fail), figures and prose from hand-made results, the run budgets and the input-gradient probe."""

import dataclasses
import math

import matplotlib
import numpy as np
import pytest
import torch
from small_nets import assert_claims_checked  # noqa: E402
from torch.nn import functional as F

from lab_utils import models, references, sections
from lab_utils.core import train
from lab_utils.core.data import Split
from lab_utils.core.stats import CONTRADICTED, HOLDS, NOT_TESTED, UNDECIDED
from lab_utils.core.train import Convergence
from lab_utils.probes import input_gradient_norm
from lab_utils.sections.sensitivity import compute, figures, text

matplotlib.use("Agg")
NAME = "06_sensitivity"


def test_smoke_metrics(smoke_run):
    m, section_dir = smoke_run(NAME)
    cfg = sections.profiles(NAME)["smoke"]
    assert_claims_checked(m, NAME, min_seeds=2)
    assert "‖∇L‖" in m["convergence_criterion"]
    assert set(m["sweeps"]) == {"000", "001", "002"}
    assert m["sweeps"]["001"]["batch_sizes"] == [16, 32, 64, 128, 256, 512, 1024]
    assert m["sweeps"]["002"]["batch_sizes"] == [5, 25, 125, 500, 1500]
    assert m["sweeps"]["000"]["batch_sizes"] == [32, 64, 128, 256, 512] and m["sweeps"]["000"]["budget"] == "epochs"
    for r, sw in m["sweeps"].items():
        shape = (len(sw["seeds"]), len(sw["batch_sizes"]))
        for k in ("test_acc", "train_loss", "grad_norm", "jacobian", "input_grad", "converged"):
            assert np.asarray(sw[k]).shape == shape, (r, k)
        assert all(v > 0 for row in sw["jacobian"] + sw["input_grad"] for v in row)
        if sw["budget"] == "steps":  # every MNIST net takes exactly the same number of optimizer steps
            assert {v for row in sw["steps"] for v in row} == {cfg.steps}
    assert 3 <= len(m["headline"]) <= 5
    for fig in ("convergence", "vs_batch_size", "scatter"):
        assert (section_dir / f"{fig}.png").is_file(), fig


# ---- the rules on constructed curves ------------------------------------------------------------------------

SIZES = [16, 32, 64, 128, 256, 512, 1024]
LEFT, BOTTOM, RIGHT = text.U_SHAPES["001"]


def _curves(shape, noise=0.01, n=4, seed=0):
    rng = np.random.default_rng(seed)
    return np.asarray(shape, dtype=float)[None, :] * np.exp(rng.normal(0, noise, (n, len(shape))))


def test_u_rule_holds_on_a_u():
    v, li, ri = text.u_verdict(_curves([3, 2, 1.5, 1, 1, 1, 2]), SIZES, LEFT, BOTTOM, RIGHT)
    assert v == HOLDS and li.lo > math.log(1.05) and ri.lo > math.log(1.05)


@pytest.mark.parametrize(
    "shape",
    [
        [3, 2.5, 2, 1.5, 1.2, 1.1, 1.0],  # falling: no right arm
        [1, 1.2, 1.5, 2, 2.5, 3, 4],  # rising: no left arm
        [1, 1, 1, 1, 1, 1, 1],
    ],
)  # flat: no arm
def test_u_rule_fails_on_monotone_and_flat_curves(shape):
    assert text.u_verdict(_curves(shape), SIZES, LEFT, BOTTOM, RIGHT)[0] == CONTRADICTED


def test_u_rule_is_undecided_when_noisy_or_one_seed():
    assert text.u_verdict(_curves([3, 2, 1.5, 1, 1, 1, 1.2], noise=0.4), SIZES, LEFT, BOTTOM, RIGHT)[0] == UNDECIDED
    assert text.u_verdict(_curves([3, 2, 1.5, 1, 1, 1, 2], n=1), SIZES, LEFT, BOTTOM, RIGHT)[0] == UNDECIDED


def test_u_rule_uses_the_claimed_bottom_not_ours():
    # the minimum is at batch 32, outside the claimed bottom 128-512: the left arm does not rise over the bottom
    v, li, _ = text.u_verdict(_curves([1.2, 0.5, 1, 2, 2, 2, 3]), SIZES, LEFT, BOTTOM, RIGHT)
    assert v == CONTRADICTED and li.hi < 0


def test_highest_rule():
    sizes = [5, 25, 125, 500, 1500]
    assert text.highest_verdict(_curves([3, 2, 1, 1.5, 2]), sizes)[0] == HOLDS
    assert text.highest_verdict(_curves([2, 1, 1, 1.5, 3]), sizes)[0] == CONTRADICTED
    assert text.highest_verdict(_curves([2, 1, 1, 1.5, 2], noise=0.3), sizes)[0] == UNDECIDED


def _trained(bs, seed, acc, jac, grad, lam=1.0, converged=True):
    return compute.Trained(
        bs, seed, 100, 1.0, Convergence(0.01, 0.01, converged, "c"), acc, 0.1, acc, jac, grad, lam, True
    )


SPECS = {  # the nets of each report's sweep at the detail the report states (001: its own CNN)
    "000": ("cifar10", models.cnn_spec("cifar10", [16, 32], 0)),
    "001": ("mnist", models.cnn_spec("mnist", [32, 64, 128], 0, global_pool=True)),
    "002": ("mnist", models.image_mlp_spec("mnist", [32])),
}


def _sweep(report, sizes, acc, jac, grad, n=3, noise=0.01, seed=0, spec=None, budget=100):
    dataset, default = SPECS[report]
    spec = spec or default
    rng = np.random.default_rng(seed)
    runs = []
    for s in range(n):
        for i, b in enumerate(sizes):
            e = math.exp(rng.normal(0, noise))
            runs.append(_trained(b, s, 1 - (1 - acc[i]) * e, jac[i] * e, grad[i] * e, lam=1.0 + i * e))
    return compute.Sweep(
        report,
        dataset,
        models.spec_label(spec),
        models.spec_n_params(spec),
        600,
        100,
        "epochs" if report == "000" else "steps",
        budget,
        1e-3,
        "cosine",
        list(sizes),
        list(range(n)),
        runs,
        spec=spec,
    )


def _results(s0=None, s1=None, s2=None):
    s0 = s0 or _sweep(
        "000", [32, 64, 128, 256, 512], [0.6, 0.58, 0.55, 0.5, 0.45], [1, 1.2, 1.4, 1.6, 2], [1, 1.1, 1.3, 1.5, 2]
    )
    s1 = s1 or _sweep(
        "001", SIZES, [0.95, 0.96, 0.97, 0.98, 0.98, 0.98, 0.96], [3, 2, 1.5, 1, 1, 1, 2], [3, 2, 1.5, 1, 1, 1, 2]
    )
    s2 = s2 or _sweep(
        "002", [5, 25, 125, 500, 1500], [0.9, 0.95, 0.97, 0.96, 0.95], [3, 2, 1, 1.5, 2], [3, 2, 1, 1.5, 2]
    )
    return compute.Results({"000": s0, "001": s1, "002": s2}, 0.05, 0.05, "full-batch ‖∇L‖ ≤ 0.05", 100)


def _verdicts(res):
    return {c.id: c.verdict for c in text.checks(res)}


def test_every_claim_holds_on_curves_shaped_as_the_reports_say():
    v = _verdicts(_results())
    assert set(v) == {c.id for c in references.for_section(NAME)}
    assert all(x == HOLDS for k, x in v.items() if k != "001.sensitivity.train_fit_rises"), v


def test_claims_are_contradicted_by_the_opposite_curves():
    s0 = _sweep(
        "000", [32, 64, 128, 256, 512], [0.45, 0.5, 0.55, 0.58, 0.6], [2, 1.6, 1.4, 1.2, 1], [2, 1.5, 1.3, 1.1, 1]
    )
    s1 = _sweep(
        "001",
        SIZES,
        [0.99, 0.98, 0.97, 0.96, 0.95, 0.94, 0.93],
        [1, 1.2, 1.5, 2, 2.5, 3, 4],
        [1, 1.2, 1.5, 2, 2.5, 3, 4],
    )
    v = _verdicts(_results(s0, s1))
    for cid in (
        "000.sensitivity.accuracy_falls",
        "000.sensitivity.sensitivity_rises",
        "001.sensitivity.u_shape",
        "001.sensitivity.test_peaks_mid",
    ):
        assert v[cid] == CONTRADICTED, cid
    assert v["000.sensitivity.inverse_relation"] == HOLDS  # accuracy up, sensitivity down: still inverse
    together = _sweep(
        "000", [32, 64, 128, 256, 512], [0.45, 0.5, 0.55, 0.58, 0.6], [1, 1.2, 1.4, 1.6, 2], [1, 1.1, 1.3, 1.5, 2]
    )
    assert _verdicts(_results(together))["000.sensitivity.inverse_relation"] == CONTRADICTED


def test_figures_and_prose_from_constructed_results():
    res = _results()
    for fig in (figures.sweeps(res), figures.scatter(res), figures.convergence(res)):
        assert fig.axes
        matplotlib.pyplot.close(fig)
    for prose in (text.scale(res), text.convergence_note(res), text.measures_note(res), text.fit_note(res)):
        assert prose.startswith("**")
    ch = text.checks(res)
    assert "none of the three reports claims" in text.reading(ch)
    assert len(text.sweep_rows(res.sweeps["001"])) == len(SIZES)
    m = text.metrics(res)
    assert 3 <= len(m["headline"]) <= 5 and all(isinstance(v, float) for v in m["headline"].values())


def test_unconverged_runs_are_named():
    s1 = _results().sweeps["001"]
    runs = [
        dataclasses.replace(r, convergence=Convergence(0.5, 0.9, False, "c")) if r.batch_size == 16 else r
        for r in s1.runs
    ]
    note = text.convergence_note(_results(s1=dataclasses.replace(s1, runs=runs)))
    assert "sweep 001, batch 16 (0/3" in note


# ---- budgets and the probe ------------------------------------------------------------------------------------


@pytest.mark.parametrize("bs", [5, 16, 100])
def test_fixed_steps_and_fixed_epochs_budgets(bs):
    cfg = sections.profiles(NAME)["smoke"]
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(60, 4, generator=g), torch.randint(0, 3, (60,), generator=g)
    split = Split(x, y, x[:10], y[:10], {})
    hist = train.fit(torch.nn.Linear(4, 3), split, progress_bar=False, **compute.fit_kwargs(cfg, "steps", 23, bs, 60))
    assert hist["steps"] == 23 and "final" in hist
    hist = train.fit(torch.nn.Linear(4, 3), split, progress_bar=False, **compute.fit_kwargs(cfg, "epochs", 2, bs, 60))
    assert hist["steps"] == 2 * math.ceil(60 / bs)


def test_profiles_use_the_reports_batch_sizes_and_enough_seeds():
    for prof in ("quick", "full"):
        cfg = sections.profiles(NAME)[prof]
        assert cfg.n_seeds >= 3
        assert tuple(cfg.batches_001) == (16, 32, 64, 128, 256, 512, 1024)
        assert tuple(cfg.batches_002) == (5, 25, 125, 500, 1500) and tuple(cfg.batches_000) == (32, 64, 128, 256, 512)
    assert sections.profiles(NAME)["full"].steps == 6000


def test_input_gradient_norm_matches_per_sample_autograd():
    torch.manual_seed(0)
    m = torch.nn.Sequential(
        torch.nn.Conv2d(1, 3, 3, padding=1),
        torch.nn.BatchNorm2d(3),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(75, 4),
    ).double()
    m.train()
    m(torch.randn(8, 1, 5, 5, dtype=torch.float64))  # non-trivial running statistics
    x, y = torch.randn(11, 1, 5, 5, dtype=torch.float64), torch.randint(0, 4, (11,))

    def one(xi, yi):
        xi = xi[None].clone().requires_grad_(True)
        (g,) = torch.autograd.grad(F.cross_entropy(m(xi), yi[None]), xi)
        return float(g.norm())

    m.eval()
    ref = np.mean([one(xi, yi) for xi, yi in zip(x, y)])
    m.train()
    before = {k: v.clone() for k, v in m.state_dict().items()}
    assert input_gradient_norm(m, F.cross_entropy, (x, y), chunk=4) == pytest.approx(ref, rel=1e-10)
    assert m.training and all(torch.equal(v, m.state_dict()[k]) for k, v in before.items())
    assert all(p.requires_grad and p.grad is None for p in m.parameters())


def test_fit_note_reads_sensitivity_against_the_fit():
    res = _results()
    fitted = {
        r: dataclasses.replace(
            sw,
            runs=[dataclasses.replace(x, convergence=Convergence(1 / x.input_grad, 0.01, True, "c")) for x in sw.runs],
        )
        for r, sw in res.sweeps.items()
    }
    note = text.fit_note(dataclasses.replace(res, sweeps=fitted))
    assert "In every sweep the nets that fit their training set more closely are the more sensitive" in note
    unrelated = {
        r: dataclasses.replace(
            sw, runs=[dataclasses.replace(x, convergence=Convergence(x.input_grad, 0.01, True, "c")) for x in sw.runs]
        )
        for r, sw in res.sweeps.items()
    }
    assert "In every sweep" not in text.fit_note(dataclasses.replace(res, sweeps=unrelated))


# ---- our setting, the scope and the precondition ------------------------------------------------------------


def test_settings_are_computed_from_the_sweeps():
    """Ours comes from the nets the sweep trained: the report's CNN gives the report's model text, another net
    another text and a different experiment (not tested)."""
    by_id = {c.id: c for c in text.checks(_results())}
    s = by_id["001.sensitivity.u_shape"].setting
    assert s["model"] == "CNN, 3 conv blocks 32-64-128, global average pooling, FC" and s["steps"] == 100
    assert s["sensitivity"] == references.claim("001.sensitivity.u_shape").setting["sensitivity"]
    assert s["batch_size"] == SIZES and s["seeds"] == 3 and s["optimizer"] == "adam"
    assert by_id["000.sensitivity.accuracy_falls"].setting["data"] == "CIFAR-10"
    assert by_id["000.sensitivity.accuracy_falls"].setting["epochs"] == 100
    mlp = _sweep(
        "001",
        SIZES,
        [0.95, 0.96, 0.97, 0.98, 0.98, 0.98, 0.96],
        [3, 2, 1.5, 1, 1, 1, 2],
        [3, 2, 1.5, 1, 1, 1, 2],
        spec=models.image_mlp_spec("mnist", [32]),
    )
    c = {c.id: c for c in text.checks(_results(s1=mlp))}["001.sensitivity.u_shape"]
    assert c.setting["model"] == "fully connected net, hidden layers 32"
    assert c.scope == "different" and c.verdict == NOT_TESTED and c.rule_verdict == HOLDS
    over = _sweep(
        "001",
        SIZES,
        [0.95, 0.96, 0.97, 0.98, 0.98, 0.98, 0.96],
        [3, 2, 1.5, 1, 1, 1, 2],
        [3, 2, 1.5, 1, 1, 1, 2],
        budget=7000,
    )
    assert {c.id: c for c in text.checks(_results(s1=over))}["001.sensitivity.u_shape"].scope == "different"


@pytest.mark.parametrize("report", ["000", "001", "002"])
def test_claims_on_untrained_nets_are_not_tested(report):
    """One net near chance fails the sweep's precondition: every claim on that sweep is not tested, the rule's
    verdict kept; the other sweeps' claims stay tested."""
    res = _results()
    sw = res.sweeps[report]
    runs = [
        dataclasses.replace(r, test_acc=0.12) if (r.seed, r.batch_size) == (0, sw.batch_sizes[0]) else r
        for r in sw.runs
    ]
    res = _results(**{f"s{int(report)}": dataclasses.replace(sw, runs=runs)})
    for c in text.checks(res):
        if c.report == report:
            assert c.verdict == NOT_TESTED and not c.precondition["met"] and "12.0 %" in c.precondition["detail"]
        else:
            assert c.verdict != NOT_TESTED and c.precondition["met"]


@pytest.mark.parametrize("prof", ["quick", "full"])
def test_quick_and_full_train_the_reports_nets(prof):
    """quick and full cut only images, steps or epochs and seeds: report 001's CNN, optimizer and learning rate,
    a CNN for report 000."""
    cfg = sections.profiles(NAME)[prof]
    s1 = references.claim("001.sensitivity.u_shape").setting
    assert compute.model_text(compute.spec_for(cfg, "001"), "layers") == s1["model"]
    assert cfg.lr == s1["lr"] and compute.OPTIMIZER == s1["optimizer"] and cfg.steps <= s1["steps"]
    assert compute.model_text(compute.spec_for(cfg, "000"), "kind") == "CNN"
