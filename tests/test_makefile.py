"""The Makefile's own checks: an old Python is refused, with the reason, before
anything is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def make(*targets: str, path: Path, venv: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO), f"VENV={venv}", *targets],
        env={**os.environ, "PATH": f"{path}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("target", ["demo", "test"])
def test_an_old_python_is_refused_before_pip(target: str, tmp_path: Path) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    python = fake / "python3"
    python.write_text("#!/bin/sh\necho 3.10\n")
    python.chmod(0o755)
    venv = tmp_path / "venv"
    result = make(target, path=fake, venv=venv)
    assert result.returncode != 0
    assert "genqemu needs Python 3.11 or newer; python3 is Python 3.10" in result.stderr
    assert not venv.exists()
    assert "pip" not in result.stdout


def test_this_python_passes_the_check(tmp_path: Path) -> None:
    result = make("python", path=tmp_path, venv=tmp_path / "venv")
    assert result.returncode == 0, result.stderr
