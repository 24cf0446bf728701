"""Notebook 03 in the smoke profile: its metrics, and the random-label helpers."""
import math

import pytest
import torch

from lab_utils import sections
from lab_utils.core import data
from lab_utils.core.data import Split
from lab_utils.sections.random_labels import compute as rl

NAME = "03_random_labels"


def test_smoke_metrics(smoke_run):
    m, section_dir = smoke_run(NAME)
    cfg = sections.profiles(NAME)["smoke"]
    for key in ("random_labels", "true_labels"):
        r = m[key]
        assert set(r) == {"final_train_loss", "final_test_loss", "final_train_acc", "final_test_acc"}
        assert 0 <= r["final_train_acc"] <= 1 and 0 <= r["final_test_acc"] <= 1
        assert math.isfinite(r["final_train_loss"]) and r["final_train_loss"] >= 0
        assert math.isfinite(r["final_test_loss"]) and r["final_test_loss"] >= 0
    # the true labels are learnable, the permuted ones are not: test accuracy above / near chance
    assert m["true_labels"]["final_test_acc"] > 0.3
    assert m["random_labels"]["final_test_acc"] < 0.25
    sweep = m["noise_sweep"]
    assert [r["noise"] for r in sweep] == sorted(cfg.noise_levels)
    for r in sweep:
        assert set(r) >= {"noise", "final_train_acc", "final_test_acc", "epochs_to_fit"}
        assert 0 <= r["final_train_acc"] <= 1 and 0 <= r["final_test_acc"] <= 1
        assert r["epochs_to_fit"] is None or 1 <= r["epochs_to_fit"] <= cfg.epochs_sweep
        assert abs(r["changed_fraction"] - 0.9 * r["noise"]) < 0.12  # 256 labels: a few sigma
    assert sweep[0]["noise"] == 0 and sweep[0]["final_test_acc"] > 0.3  # noise 0: well above chance
    assert sweep[0]["final_test_acc"] > sweep[-1]["final_test_acc"]
    assert [r["width"] for r in m["fc_sizes"]] == sorted(cfg.fc_widths)
    assert {p.stem for p in section_dir.glob("*.png")} >= {"random_vs_true", "noise_sweep", "fc_sizes"}
    assert 3 <= len(m["headline"]) <= 5


def _hist(accs):
    return {"epoch": list(range(1, len(accs) + 1)), "train_acc": accs}


def test_epochs_to_fit():
    h = _hist([0.1, 0.5, 0.949, 0.95, 0.2, 0.99])
    assert rl.epochs_to_fit(h, 0.95) == 4          # first epoch at or above, not the last one
    assert rl.epochs_to_fit(h, 0.99) == 6
    assert rl.epochs_to_fit(h, 0.999) is None      # never
    assert rl.epochs_to_fit(_hist([float("nan"), 1.0]), 0.9) == 2  # a diverged (NaN) epoch does not count
    # with eval_every > 1 the recorded epoch numbers are used, not positions
    assert rl.epochs_to_fit({"epoch": [3, 6, 9], "train_acc": [0.2, 0.97, 1.0]}, 0.95) == 6


def test_permute_labels_keeps_histogram_and_changes_labels():
    y = torch.arange(1000) % 10
    s = Split(torch.zeros(1000, 2), y, torch.zeros(5, 2), torch.arange(5), {"dataset": "toy"})
    p = rl.permute_labels(s, seed=3)
    assert torch.equal(torch.bincount(p.y_train, minlength=10), torch.bincount(y, minlength=10))
    assert 0.8 < (p.y_train != y).float().mean() < 0.97   # about 90% change for a random permutation
    assert p.x_train is s.x_train and torch.equal(p.y_test, s.y_test)   # images and test labels untouched
    assert torch.equal(s.y_train, y)                                     # the original is not modified
    assert p.spec["label_permutation_seed"] == 3 and "label_permutation_seed" not in s.spec
    assert torch.equal(rl.permute_labels(s, seed=3).y_train, p.y_train)  # reproducible
    assert not torch.equal(rl.permute_labels(s, seed=4).y_train, p.y_train)


@pytest.mark.parametrize("noise", [0.2, 0.5, 1.0])
def test_label_noise_fraction(noise):
    clean = data.load("mnist", n_train=5000, n_test=100)
    noisy = data.load("mnist", n_train=5000, n_test=100, label_noise=noise, noise_seed=1)
    assert torch.equal(clean.x_train, noisy.x_train)
    # a random class equals the true one 1 time in 10: about 0.9·noise of the labels change (sd < 0.01 here)
    assert abs(rl.changed_fraction(clean.y_train, noisy.y_train) - 0.9 * noise) < 0.03
    assert rl.changed_fraction(clean.y_train, clean.y_train) == 0.0


def test_monotone_helper():
    assert rl._monotone([1, 2, 2, 5], increasing=True)
    assert not rl._monotone([1, 3, 2], increasing=True)
    assert rl._monotone([0.9, 0.905, 0.5], increasing=False, tol=0.01)
    assert not rl._monotone([0.9, 0.95, 0.5], increasing=False, tol=0.01)


def test_best_test():
    h = {"epoch": [1, 2, 3, 4], "test_acc": [0.5, 0.8, float("nan"), 0.8]}
    assert rl.best_test(h) == {"best_test_acc": 0.8, "best_epoch": 2}
    assert rl.best_test({"epoch": [1], "test_acc": [float("nan")]}) == {"best_test_acc": None, "best_epoch": None}
