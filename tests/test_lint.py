"""The code base stays clean under the project's ruff rules (pyproject.toml: lint rule set and format)."""

import shutil
import subprocess

import pytest
from conftest import REPO


def _ruff() -> list[str]:
    exe = shutil.which("ruff", path=str(REPO / ".venv" / "bin")) or shutil.which("ruff")
    if exe is None:
        pytest.fail("ruff is not installed: it is pinned in requirements.txt (./test.sh installs it)")
    return [exe]


@pytest.mark.parametrize("command", [["check", "--no-fix"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff(command):
    out = subprocess.run([*_ruff(), *command, "."], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, f"ruff {' '.join(command)}:\n{out.stdout[-4000:]}{out.stderr[-2000:]}"


def test_ruff_is_pinned():
    pins = (REPO / "requirements.txt").read_text()
    assert any(line.startswith("ruff==") for line in pins.splitlines()), "ruff is not pinned in requirements.txt"
