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
    """A section's metrics.json checks every registry claim of the section once, each with a verdict of the three,
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
