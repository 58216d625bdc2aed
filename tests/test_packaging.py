"""The wheel: it ships templates/, profiles/ and the man page, runs from any
directory, and installs with pipx as the README's user install says."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, example_path


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("genqemu-*.whl")
    return built


def test_wheel_ships_every_template_and_profile_and_the_man_page(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, pattern in (("templates", "*.j2"), ("profiles", "*.toml")):
        for path in (REPO / folder).glob(pattern):
            assert f"genqemu/{folder}/{path.name}" in names
    assert any(name.endswith(".data/data/share/man/man1/genqemu.1") for name in names)


def test_pipx_installs_the_wheel_as_a_user_tool(wheel: Path, tmp_path: Path) -> None:
    """The README's user install: pipx puts genqemu on the user's PATH (here a
    temporary one) and its man page beside it; it runs from any directory."""
    home = tmp_path / "pipx"
    env = {
        **os.environ,
        "PIPX_HOME": str(home / "home"),
        "PIPX_BIN_DIR": str(home / "bin"),
        "PIPX_MAN_DIR": str(home / "man"),
        "PIPX_DEFAULT_PYTHON": sys.executable,
    }
    installed = subprocess.run(
        [sys.executable, "-m", "pipx", "install", str(wheel)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (home / "man" / "man1" / "genqemu.1").exists()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [str(home / "bin" / "genqemu"), "--arch", "s390x", str(example_path("minimal"))],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "virtio-blk-ccw,id=root,drive=drive-root,devno=fe.0.0001" in result.stdout


def test_installed_wheel_runs_from_another_directory(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run(
        [sys.executable, "-c", "import genqemu; print(genqemu.__file__)"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(site))
    result = subprocess.run(
        [str(site / "bin" / "genqemu"), "--arch", "s390x", str(example_path("minimal"))],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "virtio-blk-ccw,id=root,drive=drive-root,devno=fe.0.0001" in result.stdout
