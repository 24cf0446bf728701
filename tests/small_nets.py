"""Tiny float64 nets and data shared by the probe tests (dense Hessians of these are cheap to compute exactly)."""

import torch
from torch import nn


def conv_bn_net() -> nn.Module:
    """Conv + BN + Linear, float64, BN running stats moved away from their init, left in TRAIN mode."""
    torch.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(), nn.Linear(48, 4)).double()
    with torch.no_grad():
        m(torch.randn(16, 2, 6, 6, dtype=torch.float64) * 2 + 0.5)
    return m.train()


def data(n: int = 40, seed: int = 1):
    """n inputs of shape (2, 6, 6) in float64 and labels in 0..3."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 2, 6, 6, generator=g, dtype=torch.float64), torch.randint(0, 4, (n,), generator=g)


def assert_claims_checked(metrics: dict, section: str, min_seeds: int = 1) -> None:
    """A section's metrics.json checks every registry claim of the section once, each with a verdict of the four,
    its report, a rule and its evidence, over the profile's seeds."""
    from lab_utils import references, sections
    from lab_utils.core.stats import VERDICTS

    cfg = sections.profiles(section)[metrics["profile"]]
    assert metrics["seeds"] == list(range(metrics["seed"], metrics["seed"] + cfg.n_seeds)) and cfg.n_seeds >= min_seeds
    assert {c["id"] for c in metrics["claims"]} == {c.id for c in references.for_section(section)}, (
        "every registry claim of the section is checked, once"
    )
    assert len(metrics["claims"]) == len({c["id"] for c in metrics["claims"]})
    for c in metrics["claims"]:
        assert c["verdict"] in VERDICTS and c["report"] == c["id"][:3] and c["rule"] and c["ours"]
        assert_scoped(c)


def assert_scoped(c: dict) -> None:
    """A claim of metrics.json carries our setting, the deviations computed from the registry's setting and ours,
    and the scope they give; a different experiment or a failed precondition is "not tested", with the reason."""
    from lab_utils import references
    from lab_utils.core.stats import NOT_TESTED
    from lab_utils.references import setting as settings

    reg = references.claim(c["id"])
    assert reg.setting, f"{c['id']}: the registry gives no setting"
    assert all(isinstance(v, (int, float, str, list, tuple, settings.About)) for v in reg.setting.values()), c["id"]
    assert c["setting"], f"{c['id']}: no setting of ours"
    assert c["scope"] in settings.SCOPES, f"{c['id']}: scope {c['scope']!r}"
    devs = [d.as_dict() for d in settings.deviations(reg.setting, c["setting"])]
    assert list(c["deviations"]) == devs, f"{c['id']}: deviations not those of the registry's setting and ours"
    assert c["scope"] == settings.scope(settings.deviations(reg.setting, c["setting"]))
    failed = c["precondition"] is not None and not c["precondition"]["met"]
    if c["scope"] == settings.DIFFERENT or failed:
        assert c["verdict"] == NOT_TESTED and c["not_tested_because"], c["id"]
    else:
        assert c["verdict"] == c["rule_verdict"] != NOT_TESTED, c["id"]
