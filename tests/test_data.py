import hashlib
import os

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


def test_lab_data_is_searched_first(monkeypatch, tmp_path, fresh_loader):
    np.savez(
        tmp_path / "mnist.npz",
        x_train=np.zeros((3, 28, 28), np.uint8),
        y_train=np.zeros(3, np.int64),
        x_test=np.zeros((2, 28, 28), np.uint8),
        y_test=np.zeros(2, np.int64),
    )
    own = tmp_path / "mnist.npz"  # registered as the known file, so the checks pass and its content tells it apart
    monkeypatch.setitem(data.KNOWN_FILES, "mnist", (own.stat().st_size, hashlib.sha256(own.read_bytes()).hexdigest()))
    monkeypatch.setenv("LAB_DATA", str(tmp_path))
    assert data.find_file("mnist") == own
    assert data.load_arrays("mnist")["x_train"].shape == (3, 28, 28)


# ---- a damaged data file is named, with what is wrong and the fix ------------------------------------------


@pytest.fixture
def fresh_loader(monkeypatch, tmp_path_factory):
    """load_arrays without its in-memory cache, and a checksum memo of its own."""
    monkeypatch.setattr(data, "CHECKSUM_MEMO", tmp_path_factory.mktemp("memo") / "data-checksums.json")
    data.load_arrays.cache_clear()
    yield
    data.load_arrays.cache_clear()


@pytest.fixture
def lab_data(monkeypatch, tmp_path):
    """An empty $LAB_DATA folder (searched before ../shared/data)."""
    monkeypatch.setenv("LAB_DATA", str(tmp_path))
    return tmp_path


def _shared_mnist() -> bytes:
    path = data.SHARED_DIR / "mnist.npz"
    if not path.is_file():
        pytest.skip(f"{path} is not here")
    return path.read_bytes()


def test_known_sizes_and_checksums_are_those_of_the_shared_files(fresh_loader):
    for name, (size, digest) in data.KNOWN_FILES.items():
        path = data.SHARED_DIR / f"{name}.npz"
        if not path.is_file():
            pytest.skip(f"{path} is not here")
        assert path.stat().st_size == size and data.file_sha256(path) == digest, name
        data.check_file(name, path)  # no error


def test_truncated_copy_is_named_with_its_size_and_the_fix(lab_data, fresh_loader):
    full = _shared_mnist()
    (lab_data / "mnist.npz").write_bytes(full[: len(full) // 2])
    with pytest.raises(data.DataFileError) as err:
        data.load_arrays("mnist")
    msg = str(err.value)
    assert str(lab_data / "mnist.npz") in msg and "\n" not in msg
    assert f"is truncated: {len(full) // 2:,} of {len(full):,} bytes" in msg
    assert "copy it again from" in msg and "delete it so that lab_utils downloads it" in msg


def test_corrupted_copy_that_still_loads_fails_its_checksum(lab_data, fresh_loader):
    damaged = bytearray(_shared_mnist())
    damaged[10] ^= 0x01  # the first entry's modification time in its local zip header: unchecked by zipfile
    path = lab_data / "mnist.npz"
    path.write_bytes(bytes(damaged))
    with np.load(path) as z:  # the damage is invisible to a plain load: only the checksum catches it
        assert z["y_test"].shape == (10000,)
    with pytest.raises(data.DataFileError) as err:
        data.load_arrays("mnist")
    msg = str(err.value)
    assert str(path) in msg and "sha256 checksum" in msg and "differs from the known" in msg
    assert "copy it again from" in msg


def test_download_that_is_not_a_zip_says_delete_it(monkeypatch, tmp_path, fresh_loader):
    monkeypatch.setattr(data, "DOWNLOAD_DIR", tmp_path)
    monkeypatch.setattr(data, "data_dirs", lambda: [tmp_path])
    (tmp_path / "mnist.npz").write_bytes(b"<html>proxy error</html>")
    with pytest.raises(data.DataFileError) as err:
        data.load_arrays("mnist")
    msg = str(err.value)
    assert str(tmp_path / "mnist.npz") in msg and "is not a zip file" in msg
    assert "delete it so that lab_utils downloads it again" in msg


def test_checksum_is_computed_once_per_file_version(monkeypatch, lab_data, fresh_loader):
    path = lab_data / "mnist.npz"
    path.write_bytes(_shared_mnist())
    data.check_file("mnist", path)  # hashes and remembers
    monkeypatch.setattr(data, "sha256_file", lambda p: pytest.fail("hashed again although unchanged"))
    data.check_file("mnist", path)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))  # a new version: hash again
    monkeypatch.setattr(data, "sha256_file", lambda p: "0" * 64)
    with pytest.raises(data.DataFileError, match="sha256 checksum 0{64} differs"):
        data.check_file("mnist", path)


def test_function_targets():
    s = data.function("sinc", n_train=201, n_test=50)
    assert s.x_train.shape == (201, 1)
    assert float(s.y_train[100]) == pytest.approx(1.0)  # x = 0
    x = s.x_train.double().numpy().ravel()
    assert np.allclose(
        s.y_train.numpy().ravel(), np.sin(5 * np.pi * x) / (5 * np.pi * x + 1e-300) * (x != 0) + (x == 0), atol=1e-6
    )
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
        ref = padded[i, :, dy[i] : dy[i] + 8, dx[i] : dx[i] + 8]
        ref = ref.flip(-1) if flip[i] else ref
        assert torch.equal(out[i], ref)


def test_minibatches_cover_each_sample_once():
    x = torch.arange(10).float().view(-1, 1)
    seen = torch.cat([xb for xb, _ in data.minibatches(x, x, 3, generator=torch.Generator().manual_seed(1))])
    assert sorted(seen.view(-1).tolist()) == list(range(10))
