"""Declared verdict rules (`core.rules`): every kind reaches each of holds / contradicted / undecided on
constructed data, its sentence names what it compares, and `claims.judge` makes the check from the rule itself."""

import pytest

from lab_utils import references
from lab_utils.core import rules
from lab_utils.core.stats import CONTRADICTED, HOLDS, NOT_TESTED, UNDECIDED
from lab_utils.references import setting as settings
from lab_utils.report import claims

BEYOND = rules.Beyond("test accuracy, deep minus shallow", +1, margin=0.0, unit=" pp", scale=100)
BELOW = rules.Beyond("log10 loss ratio", -1, margin=-0.5)
WITHIN = rules.Within("test accuracy difference", 0.01, unit=" pp", scale=100)
SHARE = rules.ShareBeyond("the run reached a strict minimum", 0.5)
CORR = rules.Correlated("the batch size", "the input sensitivity", +1)
EVERY = rules.EverySeed("training diverges")


@pytest.mark.parametrize(
    "rule, data, verdict",
    [
        (BEYOND, [0.010, 0.012, 0.011], HOLDS),
        (BEYOND, [-0.010, -0.012, -0.011], CONTRADICTED),
        (BEYOND, [-0.010, 0.012, 0.001], UNDECIDED),
        (BEYOND, [0.010], UNDECIDED),  # one seed: no interval
        (BELOW, [-1.0, -1.1, -0.9], HOLDS),
        (BELOW, [0.0, 0.1, -0.1], CONTRADICTED),
        (WITHIN, [0.001, -0.001, 0.0005], HOLDS),
        (WITHIN, [0.05, 0.06, 0.055], CONTRADICTED),
        (WITHIN, [0.0, 0.03, -0.02], UNDECIDED),
        (SHARE, [True] * 30, HOLDS),
        (SHARE, [False] * 30, CONTRADICTED),
        (SHARE, [True, False] * 5, UNDECIDED),
        (SHARE, [], UNDECIDED),
        (EVERY, [True, True, True], HOLDS),
        (EVERY, [False, False, None], CONTRADICTED),
        (EVERY, [True, False, True], UNDECIDED),
        (EVERY, [True, None, None], UNDECIDED),  # fewer than two measured
    ],
)
def test_each_rule_reaches_each_outcome(rule, data, verdict):
    assert rule.judge(data).verdict == verdict


def test_correlation_rule_each_way():
    x = [1, 2, 3, 4, 5, 6, 7, 8]
    assert CORR.judge(x, [1, 2, 3, 4, 5, 6, 7, 8]).verdict == HOLDS
    assert CORR.judge(x, [8, 7, 6, 5, 4, 3, 2, 1]).verdict == CONTRADICTED
    assert CORR.judge(x, [3, 1, 4, 1, 5, 9, 2, 6]).verdict == UNDECIDED
    assert CORR.judge(x[:2], [1, 2]).text.startswith("undefined")


def test_joint_rule_and_the_sentences():
    both = rules.AllOf((("rises", BEYOND), ("spreads", WITHIN)))
    assert both.judge({"rises": [0.01, 0.011, 0.012], "spreads": [0.0, 0.001, -0.001]}).verdict == HOLDS
    assert both.judge({"rises": [-0.01, -0.011, -0.012], "spreads": [0.0, 0.001, -0.001]}).verdict == CONTRADICTED
    assert both.judge({"rises": [0.01, -0.011, 0.012], "spreads": [0.0, 0.001, -0.001]}).verdict == UNDECIDED
    corr = rules.AllOf((("r", CORR),))
    assert corr.judge({"r": ([1, 2, 3, 4, 5], [2, 3, 4, 5, 6])}).verdict == HOLDS
    assert "wholly above 0 pp" in BEYOND.sentence() and "wholly below -0.5" in BELOW.sentence()
    assert "inside [-1 pp, 1 pp]" in WITHIN.sentence() and "above 50 %" in SHARE.sentence()
    assert "positive with p < 0.05" in CORR.sentence() and "every seed (at least 2)" in EVERY.sentence()
    assert "rises:" in both.sentence() and "spreads:" in both.sentence()
    with pytest.raises(ValueError):
        rules.Beyond("q", 0).sentence()


def test_judge_makes_the_check_from_the_rule():
    c = next(iter(references.for_section("07_ablation")))
    ours = {k: v.value if isinstance(v, settings.About) else v for k, v in c.setting.items()}  # the report's own
    chk = claims.judge(c.id, BEYOND, [0.010, 0.012, 0.011], setting=ours)
    assert (
        chk.verdict == HOLDS and chk.rule == BEYOND.sentence() and chk.ours == BEYOND.judge([0.010, 0.012, 0.011]).text
    )
    assert chk.evidence["judged"]["n"] == 3 and chk.scope == "report"
    off = claims.judge(c.id, BEYOND, [0.010, 0.012, 0.011], setting={**ours, "lr": 1.0})
    assert (off.verdict, off.rule_verdict) == (NOT_TESTED, HOLDS)
