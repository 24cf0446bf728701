"""Code digests (core.code) and the cache keys built on them: a change to the code that computes a cached result
recomputes it; a change to prose, a docstring or a comment does not."""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from lab_utils.core import code

REPO = Path(__file__).resolve().parents[1]


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


def toy_package(tmp_path: Path) -> Path:
    pkg = tmp_path / "lab_utils"
    write(pkg, "__init__.py", '"""top"""\n')
    write(pkg, "core/__init__.py", "")
    write(pkg, "core/a.py", "from . import b\ndef f():\n    return b.g()\n")
    write(
        pkg, "core/b.py", "def g():\n    from ..report import c  # an import inside a function counts\n    return 1\n"
    )
    write(pkg, "report/__init__.py", "from .c import h\n")
    write(pkg, "report/c.py", "def h():\n    return 2\n")
    write(pkg, "report/d.py", "from . import h\nimport lab_utils.core.a\n")
    return pkg


def test_closure_follows_relative_absolute_and_inner_imports(tmp_path):
    pkg = toy_package(tmp_path)
    assert code.closure(["lab_utils.core.a"], pkg) == ["lab_utils.core.a", "lab_utils.core.b", "lab_utils.report.c"]
    # `from . import h` names no module: the package __init__ (and what it imports) counts
    assert code.closure(["lab_utils.report.d"], pkg) == [
        "lab_utils.core.a",
        "lab_utils.core.b",
        "lab_utils.report",
        "lab_utils.report.c",
        "lab_utils.report.d",
    ]


def test_a_name_the_package_binds_shadows_the_submodule(tmp_path):
    # `from ..references import claim` gets the function `claim` of references/__init__, not claim.py: the
    # __init__ and everything it imports count (a registry edit must re-render a page that reads the registry)
    pkg = toy_package(tmp_path)
    write(pkg, "references/__init__.py", "from .claim import Claim\nfrom . import data\ndef claim(i):\n    return i\n")
    write(pkg, "references/claim.py", "class Claim:\n    pass\n")
    write(pkg, "references/data.py", "CLAIMS = (1, 2)\n")
    write(pkg, "report/e.py", "from ..references import claim\n")
    write(pkg, "report/f.py", "from ..references import Claim\n")  # bound by an import: still the __init__
    assert code.closure(["lab_utils.report.e"], pkg) == [
        "lab_utils.references",
        "lab_utils.references.claim",
        "lab_utils.references.data",
        "lab_utils.report.e",
    ]
    assert "lab_utils.references.data" in code.closure(["lab_utils.report.f"], pkg)
    before = code.digest(["lab_utils.report.e"], pkg)
    write(pkg, "references/data.py", "CLAIMS = (1, 2, 3)\n")
    assert code.digest(["lab_utils.report.e"], pkg) != before
    write(pkg, "report/g.py", "from ..core import a\n")  # a plain submodule import stays the submodule
    assert "lab_utils.core" not in code.closure(["lab_utils.report.g"], pkg)


def test_digest_ignores_docstrings_and_comments_but_not_code(tmp_path):
    pkg = toy_package(tmp_path)
    before = code.digest(["lab_utils.core.a"], pkg)
    write(
        pkg,
        "core/b.py",
        '"""doc"""\ndef g():  # a comment\n    """more doc"""\n    from ..report import c\n\n    return 1\n',
    )
    assert code.digest(["lab_utils.core.a"], pkg) == before
    write(pkg, "report/c.py", "def h():\n    return 3\n")  # a module imported two levels down
    assert code.digest(["lab_utils.core.a"], pkg) != before


def test_notebook_modules():
    cells = [
        "from lab_utils.sections import start",
        "from lab_utils.report import claims, plotting\nimport os",
        "%matplotlib inline",
    ]
    assert code.notebook_modules(cells) == [
        "lab_utils.report.claims",
        "lab_utils.report.plotting",
        "lab_utils.sections",
    ]


TRAIN_ONCE = """
import sys
from torch.nn import functional as F
from lab_utils import models
from lab_utils.core import data
models.trained(dict(kind="mlp", depth=1, width=8), data.function("sinc", n_train=32, n_test=8), seed=0,
               device="cpu", epochs=1, lr=1e-2, loss_fn=F.mse_loss, progress_bar=False)
"""


def test_edit_to_training_code_recomputes_and_prose_edit_hits(tmp_path):
    """On a temporary copy of lab_utils: a trained run is cached; editing a prose function keeps the entry, a
    docstring edit of the training loop too, an edit to the code of `core.train.fit` makes a new one."""
    copy = tmp_path / "src"
    shutil.copytree(REPO / "lab_utils", copy / "lab_utils", ignore=shutil.ignore_patterns("__pycache__", "static"))
    cache_dir = tmp_path / "runs"
    env = {**os.environ, "PYTHONPATH": str(copy), "LAB_CACHE": str(cache_dir), "LAB_THREADS": "1"}

    def entries() -> set[str]:
        out = subprocess.run([sys.executable, "-c", TRAIN_ONCE], env=env, cwd=tmp_path, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert (
            f"{copy}"
            in subprocess.run(
                [sys.executable, "-c", "import lab_utils; print(lab_utils.__file__)"],
                env=env,
                cwd=tmp_path,
                capture_output=True,
                text=True,
            ).stdout
        )
        return {p.name for p in cache_dir.glob("*.pt")}

    first = entries()
    assert len(first) == 1
    text = copy / "lab_utils/sections/function_fitting/text.py"
    text.write_text(text.read_text() + "\n\ndef _new_sentence():\n    return 'a sentence'\n")
    assert entries() == first, "a prose edit must not invalidate trained runs"
    train = copy / "lab_utils/core/train.py"
    src = train.read_text()
    assert '    """Train `model` in place' in src
    train.write_text(src.replace('    """Train `model` in place', '    """Train the model in place', 1))
    assert entries() == first, "a docstring edit must not invalidate trained runs"
    assert "    if epochs < 1:\n" in src
    train.write_text(train.read_text().replace("    if epochs < 1:\n", "    if epochs < 1 or epochs != epochs:\n", 1))
    after = entries()
    assert len(after) == 2 and first < after, "an edit to fit must retrain"
