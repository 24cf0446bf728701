import pytest
import torch

from lab_utils import models


@pytest.mark.parametrize("depth,width,i,o", [(1, 128, 1, 1), (2, 18, 1, 1), (5, 7, 3, 2), (8, 22, 784, 10)])
def test_mlp_closed_form_count(depth, width, i, o):
    m = models.mlp(depth, width, i, o)
    assert models.count_params(m) == models.mlp_n_params(depth, width, i, o)
    assert sum(isinstance(layer, torch.nn.Linear) for layer in m) == depth + 1


def test_reference_counts():
    assert models.mlp_n_params(1, 128) == 385  # the reference's 1x128 net


@pytest.mark.parametrize("depths,budget", [((1, 2, 5), 385), ((1, 2, 4), 385), ((1, 2, 5, 8), 2600), ((1, 3), 10_000)])
def test_param_matched_within_2_percent(depths, budget):
    specs = models.param_matched_mlps(depths, budget)
    assert [s["depth"] for s in specs] == list(depths)
    assert models.relative_mismatch(specs) <= 0.02
    counts = [models.spec_n_params(s) for s in specs]
    assert all(0.75 * budget <= c <= 1.5 * budget for c in counts)


def test_param_matching_impossible_raises():
    with pytest.raises(ValueError, match="within"):
        models.param_matched_mlps((1, 2, 5), 20, tol=0.0)


def test_match_width_is_the_closest():
    make = lambda w: dict(kind="mlp", depth=3, width=w)  # noqa: E731
    for budget in (100, 1000, 5000, 77_777):
        w = models.match_width(make, budget, models.spec_n_params)
        best = min(range(1, 400), key=lambda v: (abs(models.spec_n_params(make(v)) - budget), v))
        assert w == best


def test_cnn_shapes_and_build():
    spec = dict(kind="cnn", channels=[8, 8, 16, 16], hidden=32, batchnorm=True)
    m = models.build(spec)
    assert m(torch.randn(2, 1, 28, 28)).shape == (2, 10)
    assert any(isinstance(layer, torch.nn.BatchNorm2d) for layer in m)
    assert models.spec_n_params(spec) == models.count_params(m)
    c = models.build(dict(kind="cnn", channels=[4], hidden=0, in_channels=3, image_size=32))
    assert c(torch.randn(1, 3, 32, 32)).shape == (1, 10)


def test_unknown_kind():
    with pytest.raises(ValueError, match="unknown model kind"):
        models.build({"kind": "transformer"})


def test_log_widths():
    w = models.log_widths(4, 256, 7)
    assert w == [4, 8, 16, 32, 64, 128, 256]
