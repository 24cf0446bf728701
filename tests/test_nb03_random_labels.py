"""Notebook 03: the smoke run's metrics, the label helpers, and the figures, prose and verdict rules on hand-made
results (no training)."""

from __future__ import annotations

import dataclasses

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from small_nets import assert_claims_checked  # noqa: E402

from lab_utils import references, sections  # noqa: E402
from lab_utils.core.data import Split  # noqa: E402
from lab_utils.core.stats import CONTRADICTED, HOLDS, NOT_TESTED, UNDECIDED  # noqa: E402
from lab_utils.core.train import Convergence  # noqa: E402
from lab_utils.report import claims  # noqa: E402
from lab_utils.report.metrics import headline_mean
from lab_utils.sections.random_labels import compute, figures, text  # noqa: E402
from lab_utils.sections.random_labels.profile import PROFILES  # noqa: E402

NAME = "03_random_labels"


# ---- the smoke run ------------------------------------------------------------------------------------------------


def test_smoke_metrics(smoke_run):
    m, section_dir = smoke_run(NAME)
    cfg = sections.profiles(NAME)["smoke"]
    assert_claims_checked(m, NAME, min_seeds=2)
    n_settings = 3 + len(cfg.fc_widths) + len(cfg.fc_widths_beyond)
    assert len(m["settings"]) == n_settings
    assert len(m["convergence"]) == n_settings * cfg.n_seeds
    for rec in m["convergence"]:
        assert {"train_loss", "grad_norm", "converged", "criterion"} <= set(rec)
        assert rec["train_loss"] > 0 and rec["grad_norm"] >= 0 and isinstance(rec["converged"], bool)
    for s in m["settings"]:
        assert len(s["final_train_acc"]) == cfg.n_seeds
        assert all(0 <= a <= 1 for a in s["final_train_acc"] + s["final_test_acc"])
    true, perm = m["settings"][0], m["settings"][1]
    assert true["setting"] == "true labels" and perm["setting"] == "permuted labels"
    assert np.mean(true["final_test_acc"]) > 0.3  # the true labels are learnable in smoke ...
    assert np.mean(perm["final_test_acc"]) < 0.25  # ... the permuted ones are not
    assert {p.stem for p in section_dir.glob("*.png")} == {"memorization", "high_lr", "fc_sizes"}
    assert 3 <= len(m["headline"]) <= 5


# ---- label helpers ------------------------------------------------------------------------------------------------


def _toy(n: int = 1000) -> Split:
    y = torch.arange(n) % 10
    return Split(torch.zeros(n, 2), y, torch.zeros(200, 2), torch.arange(200) % 10, {"dataset": "toy"})


def test_permute_labels_keeps_histogram_and_changes_labels():
    s = _toy()
    p = compute.permute_labels(s, seed=3)
    assert torch.equal(torch.bincount(p.y_train, minlength=10), torch.bincount(s.y_train, minlength=10))
    assert 0.8 < (p.y_train != s.y_train).float().mean() < 0.97  # ~90 % change for a random permutation
    assert p.x_train is s.x_train and torch.equal(p.y_test, s.y_test)
    assert p.spec["label_permutation_seed"] == 3 and "label_permutation_seed" not in s.spec
    assert torch.equal(compute.permute_labels(s, seed=3).y_train, p.y_train)
    assert not torch.equal(compute.permute_labels(s, seed=4).y_train, p.y_train)


def test_randomize_labels_replaces_train_and_test_labels():
    s = _toy()
    r = compute.randomize_labels(s, seed=1)
    for new, old in ((r.y_train, s.y_train), (r.y_test, s.y_test)):
        assert new.dtype == old.dtype and len(new) == len(old)
        assert 0.8 < (new != old).float().mean() < 0.97  # independent of the old labels
        assert set(new.tolist()) <= set(range(10))
    assert r.spec["random_test_labels"] and torch.equal(compute.randomize_labels(s, seed=1).y_test, r.y_test)
    assert not torch.equal(compute.randomize_labels(s, seed=2).y_train, r.y_train)


def test_epochs_to_fit():
    e = [1, 2, 3, 4, 5, 6]
    a = [0.1, 0.5, 0.949, 0.95, 0.2, 0.99]
    assert compute.epochs_to_fit(e, a, 0.95) == 4  # the first epoch at or above, not the last
    assert compute.epochs_to_fit(e, a, 0.99) == 6
    assert compute.epochs_to_fit(e, a, 0.999) is None
    assert compute.epochs_to_fit([1, 2], [float("nan"), 1.0], 0.9) == 2
    assert compute.epochs_to_fit([5, 10, 15], [0.2, 0.97, 1.0], 0.95) == 10  # recorded epochs, not positions


# ---- hand-made results --------------------------------------------------------------------------------------------


def fake(
    name: str,
    final_train_acc,
    *,
    final_test_acc=None,
    test_loss_end=None,
    n_params: int = 1000,
    epochs: int = 20,
    start_acc=0.1,
    late_acc=None,
) -> compute.SeedRuns:
    """Per-seed curves rising linearly from `start_acc` to the final value (through `late_acc` at 80 % of the budget
    when given); test loss from 2.3 to `test_loss_end`."""
    n = len(final_train_acc)
    ep = list(range(1, epochs + 1))
    final_test_acc = final_test_acc or [0.1] * n
    test_loss_end = test_loss_end or [2.3] * n

    def ramp(a, b, late=None):
        if late is None:
            return list(np.linspace(a, b, epochs))
        k = round(0.8 * epochs)
        return list(np.linspace(a, late, k)) + list(np.linspace(late, b, epochs - k + 1))[1:]

    starts = start_acc if isinstance(start_acc, (list, tuple)) else [start_acc] * n
    tr = [ramp(starts[i], f, None if late_acc is None else late_acc[i]) for i, f in enumerate(final_train_acc)]
    return compute.SeedRuns(
        name,
        n_params,
        list(range(n)),
        ep,
        train_loss=[list(2.3 * (1 - np.asarray(r)) + 0.01) for r in tr],
        train_acc=tr,
        test_loss=[ramp(2.3, e) for e in test_loss_end],
        test_acc=[ramp(0.1, a) for a in final_test_acc],
        convergence=[Convergence(0.3, 0.5, False, "full-batch ‖∇L‖ ≤ 0.01 and training loss ≤ 0.05")] * n,
        diverged_at_epoch=[None] * n,
    )


def results(case: str) -> compute.Results:
    """A Results object whose claims all hold ("holds"), all fail ("contradicted") or are unclear ("undecided")."""
    cfg = PROFILES["quick"]
    if case == "holds":
        perm = fake("permuted labels", [0.99, 0.995, 0.985], test_loss_end=[5, 5.5, 6])
        true = fake("true labels", [1.0, 1.0, 1.0], start_acc=0.97, final_test_acc=[0.95] * 3)
        hl = fake(
            "permuted labels",
            [0.95, 0.96, 0.94],
            final_test_acc=[0.27, 0.28, 0.26],
            test_loss_end=[4, 4.2, 4.4],
            epochs=12,
        )
        fc_in = [
            fake(f"w{i}", [0.1, 0.11, 0.105], n_params=p, epochs=50, late_acc=[0.09, 0.1, 0.095])
            for i, p in enumerate((1600, 41350))
        ]
        fc_out = [fake("big", [0.99, 0.98, 0.995], n_params=203_530, epochs=50)]
    elif case == "contradicted":
        # fitted at epoch 1 (before the true labels, which never are), then forgotten: not memorized at the end
        perm = fake("permuted labels", [0.4, 0.42, 0.41], test_loss_end=[1.0, 1.1, 1.2], start_acc=0.96)
        true = fake("true labels", [0.5, 0.55, 0.52], start_acc=0.2)
        hl = fake(
            "permuted labels",
            [0.3, 0.32, 0.31],
            final_test_acc=[0.10, 0.11, 0.09],
            test_loss_end=[1, 1.1, 1.2],
            epochs=12,
        )
        fc_in = [
            fake(f"w{i}", [0.97, 0.975, 0.965], n_params=p, epochs=50, late_acc=[1.0, 1.0, 1.0])
            for i, p in enumerate((1600, 41350))
        ]
        fc_out = [fake("big", [0.3, 0.31, 0.32], final_test_acc=[0.5, 0.5, 0.5], n_params=203_530, epochs=50)]
    else:  # seeds disagree
        perm = fake("permuted labels", [0.99, 0.5, 0.9], test_loss_end=[5, 1.0, 2.5])
        true = fake("true labels", [1.0, 0.5, 1.0], start_acc=[0.97, 0.2, 0.97])
        hl = fake(
            "permuted labels", [0.99, 0.5, 0.9], final_test_acc=[0.27, 0.1, 0.2], test_loss_end=[5, 1, 2.5], epochs=12
        )
        fc_in = [
            fake(f"w{i}", [0.99, 0.1, 0.5], n_params=p, epochs=50, late_acc=[0.5, 0.2, 0.5])
            for i, p in enumerate((1600, 41350))
        ]
        fc_out = [fake("big", [0.99, 0.5, 0.9], n_params=203_530, epochs=50)]
    return compute.Results(
        cfg, compute.Memorization(true, perm, 1000), compute.HighLR(hl, 2000), compute.FCSizes(fc_in, fc_out, 6000)
    )


WHILE_MEMORIZED = ("001.random_labels.test_loss_rises", "001.random_labels.test_acc")


@pytest.mark.parametrize("case", ["holds", "contradicted", "undecided"])
def test_every_verdict_rule_on_constructed_results(case):
    """Every rule gives each outcome; the two claims about what happens while the labels are memorized are not
    tested where the memorization fails (contradicted) or is unclear (undecided): their precondition."""
    checks = text.checks(results(case))
    got = {c.id: c.verdict for c in checks}
    assert set(got) == {c.id for c in references.for_section(NAME)}
    expected = {"holds": HOLDS, "contradicted": CONTRADICTED, "undecided": UNDECIDED}[case]
    rest = {k: v for k, v in got.items() if k not in WHILE_MEMORIZED}
    assert set(rest.values()) == {expected}, got
    for c in checks:
        assert c.scope in ("report", "reduced") and c.rule_verdict == expected, c.id
        if c.id in WHILE_MEMORIZED:
            assert c.verdict == (HOLDS if case == "holds" else NOT_TESTED) and c.precondition["met"] == (
                case == "holds"
            )


@pytest.mark.parametrize(
    "test_loss_end, test_acc, verdicts",
    [
        ([1.0, 1.1, 1.2], [0.10, 0.11, 0.09], (CONTRADICTED, CONTRADICTED)),  # memorized, test loss falls, at chance
        ([5.0, 1.0, 2.5], [0.27, 0.10, 0.40], (UNDECIDED, UNDECIDED)),  # memorized, seeds disagree
    ],
)
def test_claims_while_memorized(test_loss_end, test_acc, verdicts):
    """With the labels memorized (the precondition met) the test-loss and test-accuracy rules give every outcome."""
    r = results("holds")
    hl = fake("permuted labels", [0.95, 0.96, 0.94], final_test_acc=test_acc, test_loss_end=test_loss_end, epochs=12)
    got = {c.id: c for c in text.checks(compute.Results(r.cfg, r.memorization, compute.HighLR(hl, 2000), r.fc))}
    assert tuple(got[i].verdict for i in WHILE_MEMORIZED) == verdicts
    assert all(got[i].precondition["met"] for i in WHILE_MEMORIZED)


def test_settings_are_computed_from_the_runs():
    """Ours is built from the profile and the nets: another architecture gives another model text and scope."""
    r = results("holds")
    by_id = {c.id: c for c in text.checks(r)}
    s = by_id["001.random_labels.memorizes"].setting
    assert s["model"] == "CNN, 3 conv blocks, global average pooling, FC" and s["n_train"] == 2000
    assert s["seeds"] == 3 and s["epochs"] == 12 and s["optimizer"] == "adam" and s["lr"] == 1e-2
    assert by_id["001.random_labels.memorizes"].scope == "reduced"  # 2,000 of the report's 12,000 images
    assert by_id["002.random_labels.fc_at_chance"].setting["n_params_range"] == [1600, 41350]
    other = dataclasses.replace(r.cfg, channels_001=(8, 16), lr_001=1e-3)
    c = {c.id: c for c in text.checks(compute.Results(other, r.memorization, r.high_lr, r.fc))}
    c = c["001.random_labels.memorizes"]
    assert c.setting["model"] == "CNN, 2 conv blocks, global average pooling, FC"
    assert c.scope == "different" and c.verdict == NOT_TESTED and "learning rate" in c.not_tested_because
    assert compute.model_text(compute.cnn_spec(r.cfg), "head") == "CNN with one hidden fully connected layer"
    assert compute.model_text(compute.fc_spec(52), "kind") == "fully connected nets"


def test_fc_at_chance_fails_when_one_net_is_not():
    r = results("holds")
    fc = r.fc.in_range[:1] + [fake("w", [0.6, 0.62, 0.61], n_params=41350, epochs=50)]
    r2 = compute.Results(r.cfg, r.memorization, r.high_lr, compute.FCSizes(fc, r.fc.beyond, 6000))
    by_id = {c.id: c for c in text.checks(r2)}
    assert by_id["002.random_labels.fc_at_chance"].verdict == CONTRADICTED
    per = by_id["002.random_labels.fc_at_chance"].evidence["per_size"]
    assert [v["verdict"] for v in per.values()] == [HOLDS, CONTRADICTED]


def test_test_loss_claim_needs_memorization():
    r = results("holds")
    stalled = fake("permuted labels", [0.11, 0.105, 0.108], test_loss_end=[4, 4.2, 4.4], epochs=12)
    r2 = compute.Results(r.cfg, r.memorization, compute.HighLR(stalled, 2000), r.fc)
    c = {c.id: c for c in text.checks(r2)}["001.random_labels.test_loss_rises"]
    assert c.verdict == NOT_TESTED and c.rule_verdict == HOLDS and not c.precondition["met"]
    assert "memorized" in c.not_tested_because


def test_checks_carry_reproduced_numbers_and_rules():
    for c in text.checks(results("holds")):
        assert c.rule and c.ours
        assert set(c.reproduced) <= set(references.claim(c.id).numbers)
    by_id = {c.id: c for c in text.checks(results("holds"))}
    assert by_id["001.random_labels.test_acc"].reproduced["test_acc_pct"] == pytest.approx(27.0)
    assert by_id["000.random_labels.memorizes"].reproduced["train_acc_pct"] == pytest.approx(99.0)


def test_without_a_larger_net_the_expectation_is_not_tested():
    r = results("holds")
    r2 = compute.Results(r.cfg, r.memorization, r.high_lr, compute.FCSizes(r.fc.in_range, [], 6000))
    by_id = {c.id: c.verdict for c in text.checks(r2)}
    assert by_id["002.random_labels.larger_memorizes"] == NOT_TESTED


def test_figures_and_prose_from_hand_made_results():
    r = results("undecided")
    thr = r.cfg.fit_threshold
    for fig in (
        figures.memorization(r.memorization, thr),
        figures.high_lr(r.high_lr, thr),
        figures.fc_sizes(r.fc, thr),
    ):
        assert isinstance(fig, Figure) and fig.axes
    assert "permuted" in text.memorization_text(r.memorization, r.cfg)
    assert "lr" in text.high_lr_text(r.high_lr, r.cfg)
    assert "41,350 parameters" in text.fc_text(r.fc, r.cfg)
    assert "0/3" in text.convergence_text(r)
    assert "203,530 parameters, 33.9 per training label" in text.closing(r)
    table = text.scale_table(r.cfg)
    assert table.count("\n") == 4 and "1,675 to 41,435" in table
    cs = text.checks(r)
    assert "undecided" in claims.table(cs) and str(len(cs)) in text.verdict_summary(cs)


def test_prose_follows_the_numbers():
    rises = text.memorization_text(results("holds").memorization, PROFILES["quick"])
    falls = text.memorization_text(results("contradicted").memorization, PROFILES["quick"])
    assert "it rises" in rises and "it falls" in falls
    assert "not within 20 epochs in any seed" in text.closing(results("contradicted"))
    assert "at epoch 1.0 on average" in text.closing(results("holds"))


def test_metrics_from_hand_made_results():
    m = text.metrics(results("holds"))
    assert 3 <= len(m["headline"]) <= 5
    assert all(isinstance(headline_mean(v), float) for v in m["headline"].values())
    assert len(m["convergence"]) == 3 * 6 and m["settings"][1]["setting"] == "permuted labels"


def test_seed_runs_accessors():
    r = fake("x", [0.5, 0.6], epochs=50)
    assert r.at("train_acc") == pytest.approx([0.5, 0.6])
    assert r.at("train_acc", 1) == pytest.approx([0.1, 0.1])
    assert r.near(0.8) == 40
    r5 = compute.SeedRuns("y", 10, [0], [5, 10, 15, 20], *[[[0.0] * 4]] * 4, convergence=[], diverged_at_epoch=[None])
    assert r5.near(0.8) == 15


@pytest.mark.parametrize("prof", ["quick", "full"])
def test_quick_and_full_train_the_reports_nets(prof):
    """quick and full keep each report's kind of net and stated recipe; only images and seeds are cut."""
    cfg = PROFILES[prof]
    s0 = references.claim("000.random_labels.memorizes").setting
    s1 = references.claim("001.random_labels.memorizes").setting
    assert compute.model_text(compute.cnn_spec(cfg), "head") == s0["model"] and cfg.epochs == s0["epochs"]
    assert compute.model_text(compute.spec_001(cfg), "blocks") == s1["model"]
    assert (cfg.lr_001, cfg.batch_001, cfg.epochs_001) == (s1["lr"], s1["batch_size"], s1["epochs"])
    assert cfg.n_train_001 <= s1["n_train"] and cfg.epochs_fc == 50 and cfg.lr_fc == 1e-3
