"""Notebook 01 in the smoke profile: its metrics and the experiment helpers."""
from lab_utils import models, sections
from lab_utils.sections.function_fitting import compute as fitting

NAME = "01_function_fitting"


def test_smoke_metrics(smoke_run):
    m, _ = smoke_run(NAME)
    cfg = sections.profiles(NAME)["smoke"]
    assert [r["depth"] for r in m["sinc"]] == list(cfg.depths)
    counts = [r["n_params"] for r in m["sinc"]]
    assert max(counts) / min(counts) - 1 <= 0.02
    for r in m["sinc"]:
        assert r["n_params"] == models.mlp_n_params(r["depth"], r["width"])
        assert 0 < r["final_train_loss"] < 1.0  # the sinc target's variance is ~0.1: a fit below 1 is sane
    assert set(m["targets"]) == set(cfg.targets)
    assert [r["name"] for r in m["mnist"]] == ["shallow CNN", "deep CNN"]
    for r in m["mnist"]:
        assert 0.3 < r["test_acc"] <= 1.0  # well above chance after one smoke epoch
        assert abs(r["n_params"] / cfg.mnist_budget - 1) < 0.05


def test_mnist_cnns_are_param_matched():
    specs = fitting.mnist_specs(112_970)
    counts = [models.spec_n_params(s) for s in specs.values()]
    assert max(counts) / min(counts) - 1 < 0.02
    assert len(specs["deep CNN"]["channels"]) > len(specs["shallow CNN"]["channels"])


def test_same_seed_same_metrics_without_cache(smoke_run, tmp_path):
    """Reproducibility: a second smoke run with an empty cache gives identical numbers."""
    import json

    from conftest import REPO, execute

    first, _ = smoke_run(NAME)
    execute(REPO / "notebooks" / f"{NAME}.ipynb", tmp_path, tmp_path / "cache",
            {"profile": "smoke", "device": "cpu", "seed": 0})
    second = json.loads((tmp_path / NAME / "metrics.json").read_text())
    strip = lambda m: {k: v for k, v in m.items() if k != "elapsed_s"}  # noqa: E731
    assert strip(first) == strip(second)
