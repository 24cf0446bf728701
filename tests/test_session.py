import pytest
import torch

from lab_utils import sections
from lab_utils.core import session
from lab_utils.core.profiles import PROFILE_NAMES
from lab_utils.core.session import ParameterError

S = "01_function_fitting"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(profile="huge"), "profile='huge' is not allowed: use one of 'smoke', 'quick', 'full'"),
        (dict(device="tpu"), "device='tpu' is not allowed"),
        (dict(seed=-1), "seed=-1 is not allowed"),
        (dict(seed=1.5), "seed=1.5 is not allowed"),
        (dict(n_seeds=0), "n_seeds=0 is not allowed: use an integer >= 1"),
        (dict(n_seeds="10"), "n_seeds='10' is not allowed: use an integer"),
        (dict(no_such_knob=1), "no_such_knob=1 is not a parameter of 01_function_fitting"),
    ],
)
def test_bad_parameters_give_one_clear_line(kwargs, message, tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_REPORTS", str(tmp_path))
    with pytest.raises(ParameterError) as err:
        sections.start(S, **{"profile": "smoke", **kwargs})
    assert message in str(err.value) and "\n" not in str(err.value)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_absent_device_is_an_error():
    with pytest.raises(ParameterError, match="CUDA is not available"):
        session.resolve_device("cuda")


def test_auto_device_and_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_REPORTS", str(tmp_path))
    run = sections.start(S, profile="smoke", device="auto", seed=3, n_seeds=4, n_points=None)
    assert run.cfg.n_seeds == 4 and run.seed == 3 and run.seeds == [3, 4, 5, 6]
    assert run.device.type == (
        "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    )
    assert run.out_dir == tmp_path / S and run.out_dir.is_dir()
    assert run.cfg.n_points == sections.profiles(S)["smoke"].n_points


def test_seeding_is_reproducible(tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_REPORTS", str(tmp_path))
    sections.start(S, profile="smoke", seed=5)
    a = torch.rand(3)
    sections.start(S, profile="smoke", seed=5)
    assert torch.equal(a, torch.rand(3))


def test_every_section_has_three_frozen_profiles():
    import dataclasses

    for s in sections.names():
        for p in PROFILE_NAMES:
            cfg = sections.profiles(s)[p]
            assert dataclasses.is_dataclass(cfg)
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(cfg, dataclasses.fields(cfg)[0].name, None)


def test_list_knobs_become_tuples_also_nested(tmp_path, monkeypatch):
    """papermill injects lists; the frozen profile holds tuples (and must stay hashable)."""
    monkeypatch.setenv("LAB_REPORTS", str(tmp_path))
    run = sections.start("04_capacity", profile="smoke", mnist_channel_pairs=[[8, 8], [16, 16]])
    assert run.cfg.mnist_channel_pairs == ((8, 8), (16, 16))
    hash(run.cfg)
