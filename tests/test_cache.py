import pytest
import torch
from torch.nn import functional as F

from lab_utils import models
from lab_utils.core import cache, data
from lab_utils.models import runs

SPEC = dict(kind="mlp", depth=1, width=8)


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_CACHE", str(tmp_path / "runs"))
    monkeypatch.setenv("LAB_LOG", str(tmp_path / "render.log"))
    return tmp_path / "runs"


def notices(cache_dir):
    log = cache_dir.parent / "render.log"
    return log.read_text() if log.exists() else ""


def run(**kw):
    return models.trained(
        SPEC,
        data.function("sinc", n_train=64, n_test=16),
        seed=0,
        device="cpu",
        epochs=3,
        lr=1e-2,
        loss_fn=F.mse_loss,
        progress_bar=False,
        **kw,
    )


def test_miss_then_hit(fresh_cache, monkeypatch):
    m1, h1 = run()
    assert len(list(fresh_cache.glob("*.pt"))) == 1
    calls = []
    monkeypatch.setattr(runs, "fit", lambda *a, **k: calls.append(1))
    m2, h2 = run()
    assert not calls, "a cache hit must not train"
    assert h1 == h2
    for a, b in zip(m1.state_dict().values(), m2.state_dict().values()):
        assert torch.equal(a, b)


def test_different_config_is_a_miss(fresh_cache):
    run()
    run(batch_size=16)
    assert len(list(fresh_cache.glob("*.pt"))) == 2


def test_corrupt_entry_is_recomputed(fresh_cache):
    _, h1 = run()
    (entry,) = fresh_cache.glob("*.pt")
    entry.write_bytes(b"not a torch file")
    _, h2 = run()
    assert "unreadable" in notices(fresh_cache)  # a notice in the render's log, not a warning in the chapter
    assert h2["train_loss"] == h1["train_loss"]
    torch.load(entry, weights_only=True)  # rewritten, loadable


def test_atomic_write_leaves_no_temporary(fresh_cache):
    fresh_cache.mkdir()
    cache.save("k", {"x": torch.ones(2)})
    assert [p.name for p in fresh_cache.iterdir()] == ["k.pt"]
    assert torch.equal(cache.load("k")["x"], torch.ones(2))


def test_generic_cached(fresh_cache):
    calls = []
    f = lambda: calls.append(1) or {"v": 3}  # noqa: E731
    assert cache.cached({"a": 1}, f) == {"v": 3}
    assert cache.cached({"a": 1}, f) == {"v": 3}
    assert len(calls) == 1
    assert cache.key({"a": 1, "b": 2}) == cache.key({"b": 2, "a": 1})


def test_callbacks_cannot_be_cached(fresh_cache):
    with pytest.raises(ValueError, match="on_epoch"):
        run(on_epoch=lambda *a: None)


def test_entry_that_no_longer_fits_its_model_is_retrained(fresh_cache):
    _, h1 = run()
    (entry,) = fresh_cache.glob("*.pt")
    payload = torch.load(entry, weights_only=True)
    payload["state_dict"] = {"wrong.weight": torch.zeros(1)}
    torch.save(payload, entry)
    m, h2 = run()
    assert "does not fit" in notices(fresh_cache)
    assert h2["train_loss"] == h1["train_loss"]
    assert set(m.state_dict()) == set(torch.load(entry, weights_only=True)["state_dict"])


def test_callables_key_by_name(fresh_cache):
    assert cache.key({"loss_fn": F.mse_loss}) == cache.key({"loss_fn": F.mse_loss})
    assert cache.key({"loss_fn": F.mse_loss}) != cache.key({"loss_fn": F.cross_entropy})
    assert "0x" not in str(cache.plain({"f": F.mse_loss}))  # no memory address in a key


def test_key_holds_the_code_of_compute(fresh_cache):
    from lab_utils.sections.optimization import compute as opt_compute

    def here():
        return {}

    assert cache.key({"a": 1}, here) != cache.key({"a": 1})
    assert cache.key({"a": 1}, here) != cache.key({"a": 1}, opt_compute.mlp_spec)  # another module, other code
    assert "@" in cache.plain({"f": runs.trained})["f"]  # a lab_utils callable counts with its code digest
