"""The user's folders: --profile-dir and --template-dir (and GENQEMU_PROFILE_PATH)
are searched before the shipped profiles and templates."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO, example_path
from support.toyarch import toyarch_profile
from typer.testing import CliRunner, Result

from genqemu.cli import app

MINIMAL = str(example_path("minimal"))


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_a_profile_dir_adds_an_arch(tmp_path: Path) -> None:
    profiles = toyarch_profile(tmp_path / "profiles")
    result = run("--profile-dir", str(profiles), "-a", "toy", MINIMAL)
    assert result.exit_code == 0, result.stderr
    assert "# arch toyarch (profile toyarch), machine q35" in result.stdout
    assert "amd64" not in run("-a", "amd64", MINIMAL).stdout.split("\n", 3)[1]


def test_a_profile_dir_from_the_environment(tmp_path: Path) -> None:
    profiles = toyarch_profile(tmp_path / "profiles")
    env = {**os.environ, "GENQEMU_PROFILE_PATH": str(profiles)}
    result = subprocess.run(
        [sys.executable, "-m", "genqemu", "-a", "toyarch", MINIMAL],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "toyarch" in result.stdout


def test_a_template_dir_overrides_a_shipped_template(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    shipped = (REPO / "templates" / "virtio-serial.j2").read_text()
    (templates / "virtio-serial.j2").write_text(
        shipped.replace(
            '{{- prop("max_ports", d.max_ports) }}',
            '{{- prop("max_ports", d.max_ports) }}{{ prop("ioeventfd", true) }}',
        )
    )
    result = run("--template-dir", str(templates), "-a", "s390x", MINIMAL)
    assert result.exit_code == 0, result.stderr
    assert "-device virtio-serial-ccw,id=vser0,ioeventfd=on,devno=fe.0.0003" in result.stdout
    assert "ioeventfd" not in run("-a", "s390x", MINIMAL).stdout


def test_a_missing_user_folder_is_an_error() -> None:
    result = run("--profile-dir", "/nonexistent", "-a", "amd64", MINIMAL)
    assert result.exit_code == 2
    assert result.stderr == "genqemu: --profile-dir: /nonexistent is not a directory\n"
