"""Data as preloaded tensors: MNIST, CIFAR-10 and 1-D regression targets.

Image datasets are looked up in `$LAB_DATA`, then `../shared/data` (next to the repository), then downloaded
with torchvision into `~/.cache/dl-theory-lab/data`. Images come out as float NCHW tensors normalized with the
training set's per-channel mean/std, labels as int64, already on the target device, so training never needs a
DataLoader.

A found file must be the known one (`KNOWN_FILES`, the table of ../shared/data/README.md): its size is checked on
every load, its sha256 once per (path, size, mtime), remembered in `CHECKSUM_MEMO`; a file that differs or does not
load stops with one `DataFileError` naming the file and the fix. Our own downloads are only checked to load.
"""

from __future__ import annotations

import functools
import json
import math
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch

from .paths import REPO_ROOT, atomic_write_bytes, sha256_file

# Per-channel statistics of the training sets on [0, 1] (checked by tests against the data).
STATS = {
    "mnist": ((0.1307,), (0.3081,)),
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
}
DOWNLOAD_DIR = Path.home() / ".cache" / "dl-theory-lab" / "data"
SHARED_DIR = REPO_ROOT.parent / "shared" / "data"
# (bytes, sha256) of the files in ../shared/data (its README's table); copies in $LAB_DATA must be identical
KNOWN_FILES = {
    "mnist": (11_507_688, "094b831e432331f1f6d6829ab9bfff4551410a81e1f816c9cce482d3e9b3ba57"),
    "cifar10": (169_610_730, "8683afb7f9f44b57934bfaa6d00b27bedd9711b49b686bb037107d5091a13529"),
}
# {"<resolved path>|<size>|<mtime_ns>": sha256}: hashing cifar10.npz costs about a second, so once per file version
CHECKSUM_MEMO = DOWNLOAD_DIR.parent / "data-checksums.json"
ARRAYS = ("x_train", "y_train", "x_test", "y_test")
CHANCE_ACCURACY = 0.1  # MNIST and CIFAR-10 both have 10 balanced classes
CHANCE_LOSS = math.log(10)  # cross-entropy of the uniform prediction over 10 classes (2.303)


@dataclass
class Split:
    """Train and test tensors on one device, plus `spec`: the dict that says how they were made (for cache keys)."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    spec: dict = field(default_factory=dict)

    @property
    def n_classes(self) -> int | None:
        return int(self.y_train.max()) + 1 if not self.y_train.is_floating_point() else None

    def to(self, device: torch.device | str) -> "Split":
        return Split(*(t.to(device) for t in (self.x_train, self.y_train, self.x_test, self.y_test)), dict(self.spec))


def data_dirs() -> list[Path]:
    """Folders searched for `<name>.npz`, in order."""
    dirs = [Path(os.environ["LAB_DATA"])] if os.environ.get("LAB_DATA") else []
    return dirs + [SHARED_DIR, DOWNLOAD_DIR]


def find_file(name: str) -> Path | None:
    """The `<name>.npz` that `load_arrays` reads: the first one in `data_dirs()` (None when there is none)."""
    return next((d / f"{name}.npz" for d in data_dirs() if (d / f"{name}.npz").is_file()), None)


class DataFileError(RuntimeError):
    """A data file that is there but is not the known one or does not load. The message (one line) names the
    file, what is wrong and how to fix it."""


def _fix(name: str, path: Path) -> str:
    """How to repair a bad `path`, depending on the folder it is in."""
    if path.parent.resolve() == DOWNLOAD_DIR.resolve():
        return "delete it so that lab_utils downloads it again"
    if path.parent.resolve() == SHARED_DIR.resolve():
        return (
            f"the shared copy is damaged: restore it (see {SHARED_DIR / 'README.md'}), or set LAB_DATA to a "
            f"folder holding an intact copy"
        )
    return f"copy it again from {SHARED_DIR / (name + '.npz')}, or delete it so that lab_utils downloads it"


def _bad_file(name: str, path: Path, what: str) -> DataFileError:
    return DataFileError(f"{path} {what}. Fix: {_fix(name, path)}")


def _read_memo() -> dict[str, str]:
    try:
        memo = json.loads(CHECKSUM_MEMO.read_text())
    except (OSError, ValueError):
        return {}
    return memo if isinstance(memo, dict) else {}


def file_sha256(path: Path) -> str:
    """sha256 of `path`, remembered in CHECKSUM_MEMO by (resolved path, size, mtime) so that an unchanged file is
    hashed once per machine, not at every notebook start. A memo that cannot be written only costs the hash."""
    st = path.stat()
    stamp = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    memo = _read_memo()
    if stamp not in memo:
        memo[stamp] = sha256_file(path)
        try:
            atomic_write_bytes(CHECKSUM_MEMO, (json.dumps(memo, indent=1) + "\n").encode())
        except OSError:
            pass
    return memo[stamp]


def check_file(name: str, path: Path) -> None:
    """Raise DataFileError unless `path` is the known `<name>.npz`: same size (checked first, free), same sha256
    (memoized). Files that `_download` wrote are ours and have no known checksum (zip timestamps differ)."""
    if name not in KNOWN_FILES or path.parent.resolve() == DOWNLOAD_DIR.resolve():
        return
    size, digest = KNOWN_FILES[name]
    actual = path.stat().st_size
    if actual < size:
        raise _bad_file(name, path, f"is truncated: {actual:,} of {size:,} bytes")
    if actual != size:
        raise _bad_file(name, path, f"is not the known {name}.npz: {actual:,} bytes instead of {size:,}")
    found = file_sha256(path)
    if found != digest:
        raise _bad_file(name, path, f"is damaged: its sha256 checksum {found} differs from the known {digest}")


def read_npz(name: str, path: Path) -> dict[str, np.ndarray]:
    """The four arrays of `path`; any failure to read them is a DataFileError naming the file."""
    if not zipfile.is_zipfile(path):  # else np.load would try it as a pickle and say so
        raise _bad_file(name, path, "is not a zip file, so not an .npz (cut off, or another file)")
    try:
        with np.load(path) as z:
            return {k: z[k] for k in ARRAYS}
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, KeyError) as exc:
        raise _bad_file(name, path, f"does not load ({type(exc).__name__}: {exc})") from exc


def _download(name: str) -> Path:
    """Fetch `name` with torchvision into DOWNLOAD_DIR and store it as the same .npz layout."""
    import torchvision

    raw = DOWNLOAD_DIR / "torchvision"
    cls = {"mnist": torchvision.datasets.MNIST, "cifar10": torchvision.datasets.CIFAR10}[name]
    tr, te = (cls(str(raw), train=t, download=True) for t in (True, False))
    arrays = {}
    for split, ds in (("train", tr), ("test", te)):
        x = ds.data.numpy() if hasattr(ds.data, "numpy") else np.asarray(ds.data)
        arrays[f"x_{split}"] = x.astype(np.uint8)
        arrays[f"y_{split}"] = np.asarray(ds.targets, dtype=np.int64)
    out = DOWNLOAD_DIR / f"{name}.npz"
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:  # then renamed: an interrupted download leaves no half file to be found
        np.savez_compressed(f, **arrays)
    os.replace(tmp, out)
    return out


@functools.lru_cache(maxsize=None)
def load_arrays(name: str) -> dict[str, np.ndarray]:
    """The raw uint8 arrays `x_train, y_train, x_test, y_test` of "mnist" or "cifar10" (cached in memory)."""
    if name not in STATS:
        raise ValueError(f"unknown dataset {name!r}: use one of {sorted(STATS)}")
    path = find_file(name)
    if path is None:
        try:
            path = _download(name)
        except Exception as exc:  # no network, no torchvision, ...
            searched = ", ".join(str(d) for d in data_dirs())
            raise FileNotFoundError(
                f"{name}.npz was not found in {searched} and the torchvision download failed ({exc}). "
                f"Put a copy of ../shared/data/{name}.npz (see its README.md) in one of those folders, or set "
                f"LAB_DATA=/path/to/folder, or run once on a machine with internet access."
            ) from None
    check_file(name, path)
    return read_npz(name, path)


def subset_indices(n_total: int, n: int | None, seed: int = 0) -> np.ndarray:
    """The first `n` indices of a fixed random permutation (all indices, in order, when n is None)."""
    if n is None or n >= n_total:
        return np.arange(n_total)
    return np.sort(np.random.default_rng(seed).permutation(n_total)[:n])


def _to_tensor(x: np.ndarray, name: str, device: torch.device | str, flatten: bool) -> torch.Tensor:
    mean, std = STATS[name]
    t = torch.from_numpy(x).float().div_(255.0)
    t = t.unsqueeze(1) if t.ndim == 3 else t.permute(0, 3, 1, 2)  # NCHW
    t = (t - torch.tensor(mean).view(1, -1, 1, 1)) / torch.tensor(std).view(1, -1, 1, 1)
    t = t.flatten(1) if flatten else t.contiguous()
    return t.to(device)


def load(
    name: str,
    *,
    n_train: int | None = None,
    n_test: int | None = None,
    device: torch.device | str = "cpu",
    flatten: bool = False,
    label_noise: float = 0.0,
    subset_seed: int = 0,
    noise_seed: int = 0,
) -> Split:
    """MNIST or CIFAR-10 as normalized tensors on `device`.

    n_train / n_test: size of a fixed random subset (None = all); the subset depends only on `subset_seed`.
    flatten: images as (N, C*H*W) vectors for MLPs.
    label_noise: fraction of training labels replaced by uniformly random classes (1.0 = all labels random,
    as in Zhang et al. 2017); the test labels stay true.
    """
    if not 0.0 <= label_noise <= 1.0:
        raise ValueError(f"label_noise={label_noise} must be in [0, 1]")
    a = load_arrays(name)
    itr = subset_indices(len(a["y_train"]), n_train, subset_seed)
    ite = subset_indices(len(a["y_test"]), n_test, subset_seed + 1)
    y_train = a["y_train"][itr].copy()
    if label_noise > 0:
        rng = np.random.default_rng(noise_seed)
        flip = rng.random(len(y_train)) < label_noise
        y_train[flip] = rng.integers(0, 10, flip.sum())
    spec = dict(
        dataset=name,
        n_train=len(itr),
        n_test=len(ite),
        flatten=flatten,
        label_noise=label_noise,
        subset_seed=subset_seed,
        noise_seed=noise_seed if label_noise > 0 else None,
    )
    return Split(
        _to_tensor(a["x_train"][itr], name, device, flatten),
        torch.from_numpy(y_train).to(device),
        _to_tensor(a["x_test"][ite], name, device, flatten),
        torch.from_numpy(a["y_test"][ite].copy()).to(device),
        spec,
    )


# ---- 1-D regression targets -------------------------------------------------------------------------------


def _sinc(x: np.ndarray) -> np.ndarray:
    return np.sinc(5 * x)  # numpy's sinc is sin(pi t)/(pi t): this is sin(5 pi x) / (5 pi x), 1 at x = 0


TARGETS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], tuple[float, float]]] = {
    # name: (function, default domain)
    "sinc": (_sinc, (-1.0, 1.0)),
    "square": (lambda x: np.sign(np.sin(5 * math.pi * x)), (-1.0, 1.0)),
    "sines": (lambda x: np.sin(2 * x) + 0.5 * np.sin(5 * x) + 0.25 * np.sin(11 * x), (-2.0, 2.0)),
    "sin2pi": (lambda x: np.sin(2 * math.pi * x), (-1.0, 1.0)),
}


def function(
    target: str,
    *,
    n_train: int = 1000,
    n_test: int = 500,
    domain: tuple[float, float] | None = None,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
) -> Split:
    """y = f(x) on a uniform grid (train) and at random points of the same domain (test), shapes (N, 1)."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}: use one of {sorted(TARGETS)}")
    f, default = TARGETS[target]
    lo, hi = domain or default
    x_tr = np.linspace(lo, hi, n_train)
    x_te = np.sort(np.random.default_rng(12345).uniform(lo, hi, n_test))
    t = lambda v: torch.tensor(v, dtype=dtype, device=device).view(-1, 1)  # noqa: E731
    spec = dict(target=target, n_train=n_train, n_test=n_test, domain=[lo, hi])
    return Split(t(x_tr), t(f(x_tr)), t(x_te), t(f(x_te)), spec)


# ---- minibatches and augmentation on preloaded tensors ----------------------------------------------------


def minibatches(
    x: torch.Tensor, y: torch.Tensor, batch_size: int, *, shuffle: bool = True, generator: torch.Generator | None = None
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yield (x, y) minibatches of one epoch; the last one may be smaller."""
    n = len(x)
    order = torch.randperm(n, generator=generator).to(x.device) if shuffle else None
    for i in range(0, n, batch_size):
        if order is None:
            yield x[i : i + batch_size], y[i : i + batch_size]
        else:
            idx = order[i : i + batch_size]
            yield x[idx], y[idx]


def crop_flip(x: torch.Tensor, generator: torch.Generator, pad: int = 4) -> torch.Tensor:
    """Standard CIFAR augmentation on a batch (N, C, H, W): random crop after zero padding `pad`, random
    horizontal flip. Randomness from `generator` (a CPU generator), so runs are reproducible."""
    n, _, h, w = x.shape
    padded = torch.nn.functional.pad(x, (pad, pad, pad, pad))
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=generator).to(x.device)
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=generator).to(x.device)
    flip = (torch.rand(n, generator=generator) < 0.5).to(x.device)
    rows = dy.view(n, 1) + torch.arange(h, device=x.device).view(1, h)  # (n, h)
    cols = dx.view(n, 1) + torch.arange(w, device=x.device).view(1, w)  # (n, w)
    cols = torch.where(flip.view(n, 1), cols.flip(1), cols)
    idx_r = rows.view(n, 1, h, 1).expand(n, x.shape[1], h, w + 2 * pad)
    out = padded.gather(2, idx_r)
    idx_c = cols.view(n, 1, 1, w).expand(n, x.shape[1], h, w)
    return out.gather(3, idx_c)
