import numpy as np
import pytest
import torch

from lab_utils.core import data


def test_mnist_shapes_and_statistics():
    a = data.load_arrays("mnist")
    assert a["x_train"].shape == (60000, 28, 28) and a["x_test"].shape == (10000, 28, 28)
    assert a["x_train"].dtype == np.uint8 and a["y_train"].dtype == np.int64
    assert abs(a["x_train"].mean() / 255 - 0.1307) < 5e-5
    assert abs((a["x_train"] / 255).std() - 0.3081) < 5e-5
    assert np.bincount(a["y_test"]).tolist()[:3] == [980, 1135, 1032]


def test_cifar_statistics_match_constants():
    a = data.load_arrays("cifar10")
    assert a["x_train"].shape == (50000, 32, 32, 3)
    mean = (a["x_train"][:10000] / 255).mean(axis=(0, 1, 2))
    assert np.allclose(mean, data.STATS["cifar10"][0], atol=5e-3)


def test_load_normalizes_and_subsets_deterministically():
    s = data.load("mnist", n_train=2000, n_test=500)
    assert s.x_train.shape == (2000, 1, 28, 28) and s.x_test.shape == (500, 1, 28, 28)
    assert abs(float(s.x_train.mean())) < 0.05 and abs(float(s.x_train.std()) - 1) < 0.05
    again = data.load("mnist", n_train=2000, n_test=500)
    assert torch.equal(s.x_train, again.x_train) and torch.equal(s.y_train, again.y_train)
    other = data.load("mnist", n_train=2000, n_test=500, subset_seed=1)
    assert not torch.equal(s.y_train, other.y_train)
    flat = data.load("cifar10", n_train=10, n_test=10, flatten=True)
    assert flat.x_train.shape == (10, 3072) and flat.n_classes is not None


@pytest.mark.parametrize("noise", [0.0, 0.5, 1.0])
def test_label_noise_fraction(noise):
    clean = data.load("mnist", n_train=5000, n_test=10)
    noisy = data.load("mnist", n_train=5000, n_test=10, label_noise=noise)
    changed = float((clean.y_train != noisy.y_train).float().mean())
    assert abs(changed - 0.9 * noise) < 0.03  # a random class equals the true one 1 time in 10
    assert torch.equal(clean.y_test, noisy.y_test)
    assert noisy.spec["label_noise"] == noise


def test_missing_data_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "data_dirs", lambda: [tmp_path])
    monkeypatch.setattr(data, "_download", lambda name: (_ for _ in ()).throw(OSError("no network")))
    data.load_arrays.cache_clear()
    try:
        with pytest.raises(FileNotFoundError, match="LAB_DATA"):
            data.load_arrays("mnist")
    finally:
        data.load_arrays.cache_clear()


def test_lab_data_is_searched_first(monkeypatch, tmp_path):
    np.savez(tmp_path / "mnist.npz", x_train=np.zeros((3, 28, 28), np.uint8), y_train=np.zeros(3, np.int64),
             x_test=np.zeros((2, 28, 28), np.uint8), y_test=np.zeros(2, np.int64))
    monkeypatch.setenv("LAB_DATA", str(tmp_path))
    data.load_arrays.cache_clear()
    try:
        assert data.load_arrays("mnist")["x_train"].shape == (3, 28, 28)
    finally:
        data.load_arrays.cache_clear()


def test_function_targets():
    s = data.function("sinc", n_train=201, n_test=50)
    assert s.x_train.shape == (201, 1)
    assert float(s.y_train[100]) == pytest.approx(1.0)  # x = 0
    x = s.x_train.double().numpy().ravel()
    assert np.allclose(s.y_train.numpy().ravel(), np.sin(5 * np.pi * x) / (5 * np.pi * x + 1e-300) * (x != 0) + (x == 0), atol=1e-6)
    with pytest.raises(ValueError, match="unknown target"):
        data.function("nope")


def test_crop_flip_matches_reference_loop():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(6, 3, 8, 8)
    out = data.crop_flip(x, g, pad=2)
    g = torch.Generator().manual_seed(0)
    dx = torch.randint(0, 5, (6,), generator=g)
    dy = torch.randint(0, 5, (6,), generator=g)
    flip = torch.rand(6, generator=g) < 0.5
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2))
    for i in range(6):
        ref = padded[i, :, dy[i]:dy[i] + 8, dx[i]:dx[i] + 8]
        ref = ref.flip(-1) if flip[i] else ref
        assert torch.equal(out[i], ref)


def test_minibatches_cover_each_sample_once():
    x = torch.arange(10).float().view(-1, 1)
    seen = torch.cat([xb for xb, _ in data.minibatches(x, x, 3, generator=torch.Generator().manual_seed(1))])
    assert sorted(seen.view(-1).tolist()) == list(range(10))
