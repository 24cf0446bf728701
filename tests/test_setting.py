"""Scope from structured settings (references.setting) and the "not tested" verdict (report.claims.check), on
constructed cases for every outcome."""

import pytest

from lab_utils.core import stats
from lab_utils.references import claim
from lab_utils.references.setting import (
    DIFFERENT,
    NOT_STATED,
    REDUCED,
    REPORT,
    About,
    deviations,
    same,
    scope,
)
from lab_utils.report import claims

REPORT_SETTING = {
    "model": "ResNet-20",
    "n_params": About(270_000),
    "n_train": 50_000,
    "optimizer": "sgd",
    "lr": 0.1,
    "epochs": 20,
    "seeds": 1,
    "augment": NOT_STATED,
}


def ours(**changes):
    base = {
        "model": "ResNet-20",
        "n_params": 269_722,
        "n_train": 50_000,
        "optimizer": "sgd",
        "lr": 0.1,
        "epochs": 20,
        "seeds": 1,
        "augment": "crop_flip",
    }
    return {**base, **changes}


@pytest.mark.parametrize(
    "changes, want, keys",
    [
        ({}, REPORT, []),  # the report leaves augmentation open: our choice is no deviation
        ({"n_train": 2_000, "epochs": 3}, REDUCED, ["epochs", "n_train"]),
        ({"seeds": 3}, REDUCED, ["seeds"]),  # more seeds than the report: still only a seed count
        ({"n_train": 60_000}, DIFFERENT, ["n_train"]),  # more data than the report is another experiment
        ({"lr": 0.01, "n_train": 2_000}, DIFFERENT, ["lr", "n_train"]),
        ({"n_params": 200_000}, DIFFERENT, ["n_params"]),  # outside "about 270,000"
        ({"optimizer": NOT_STATED}, DIFFERENT, ["optimizer"]),  # the report states it, our run does not record it
    ],
)
def test_scope_of_constructed_settings(changes, want, keys):
    devs = deviations(REPORT_SETTING, ours(**changes))
    assert [d.key for d in devs] == keys and scope(devs) == want


def test_same_compares_numbers_lists_and_about():
    assert same(0.1, 0.1 + 1e-12) and not same(0.1, 0.11) and same((8, 16), [8, 16]) and not same((8,), (8, 16))
    assert (
        About(270_000).matches(269_722)
        and not About(270_000).matches("270000")
        and str(About(270_000)) == "about 270,000"
    )


CLAIM = "003.ablation.skip_only_diverges"


def registry_setting(**changes):
    return {**claim(CLAIM).setting, **changes}


def test_check_keeps_the_verdict_at_the_reports_setting_and_at_reduced_scale():
    at_report = claims.check(CLAIM, stats.HOLDS, rule="r", ours="o", setting=registry_setting())
    assert (at_report.verdict, at_report.scope, at_report.deviations) == (stats.HOLDS, REPORT, ())
    reduced = claims.check(CLAIM, stats.CONTRADICTED, rule="r", ours="o", setting=registry_setting(n_train=2_000))
    assert (reduced.verdict, reduced.scope) == (stats.CONTRADICTED, REDUCED)
    assert reduced.deviations == ({"key": "n_train", "report": 50_000, "ours": 2_000},)


def test_a_different_experiment_is_not_tested_and_says_why():
    c = claims.check(CLAIM, stats.HOLDS, rule="r", ours="o", setting=registry_setting(lr=0.01, n_train=2_000))
    assert (c.verdict, c.rule_verdict, c.scope) == (stats.NOT_TESTED, stats.HOLDS, DIFFERENT)
    assert (
        "learning rate 0.1 in the report, 0.01 here" in c.not_tested_because and "training" not in c.not_tested_because
    )
    assert "not tested" in claims.table([c]) and "learning rate 0.01 (report: 0.1)" in claims.table([c])


def test_a_failed_precondition_is_not_tested_a_met_one_changes_nothing():
    pre = claims.Precondition("every end point converged (full-batch ‖∇L‖ ≤ 0.05)", False, "1 of 3 converged")
    c = claims.check(CLAIM, stats.CONTRADICTED, rule="r", ours="o", precondition=pre)
    assert (c.verdict, c.rule_verdict, c.scope) == (stats.NOT_TESTED, stats.CONTRADICTED, None)
    assert "1 of 3 converged" in c.not_tested_because and c.precondition["met"] is False
    ok = claims.check(CLAIM, stats.UNDECIDED, rule="r", ours="o", precondition=claims.Precondition("t", True))
    assert ok.verdict == stats.UNDECIDED and not ok.not_tested_because


def test_counts_sentence_names_the_untested():
    tested = claims.check(CLAIM, stats.HOLDS, rule="r", ours="o")
    assert "not tested" not in claims.counts_sentence([tested])
    untested = claims.check(CLAIM, stats.HOLDS, rule="r", ours="o", precondition=claims.Precondition("t", False))
    text = claims.counts_sentence([tested, untested])
    assert "This section checks 2 claims." in text and "Not tested by this run: 1" in text
    assert "(1 claim): **1 holds, 0 are contradicted, 0 are undecided**" in text
    assert claims.counts([tested, untested])[stats.NOT_TESTED] == 1


def test_joint_verdict_with_untested_parts():
    assert stats.joint_verdict([stats.HOLDS, stats.NOT_TESTED]) == stats.NOT_TESTED
    assert stats.joint_verdict([stats.CONTRADICTED, stats.NOT_TESTED]) == stats.CONTRADICTED
    assert stats.joint_verdict([stats.HOLDS, stats.HOLDS]) == stats.HOLDS
