"""--syntax json: QEMU's JSON form of -device and the like, which needs QEMU 7.2."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import example_path
from support.toyarch import toyarch_profile
from typer.testing import CliRunner, Result

from genqemu.cli import app

MINIMAL = str(example_path("minimal"))


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_json_syntax_needs_qemu_7_2(tmp_path: Path) -> None:
    profiles = toyarch_profile(tmp_path / "profiles")
    profile = profiles / "toyarch.toml"
    profile.write_text(profile.read_text().replace('qemu_version = "7.2"', 'qemu_version = "6.2"'))
    result = run("--profile-dir", str(profiles), "-a", "toyarch", "--syntax", "json", MINIMAL)
    assert result.exit_code == 2
    assert result.stderr == (
        "genqemu: --syntax json needs QEMU 7.2 (JSON -netdev); the target is "
        "QEMU 6.2 (the toyarch profile's qemu_version)\n"
    )


def test_json_syntax_output() -> None:
    result = run("-a", "amd64", "--syntax", "json", "-f", "args", MINIMAL)
    argv = result.stdout.splitlines()
    device = json.loads(argv[argv.index("-device") + 1])
    assert device == {"driver": "virtio-blk-pci", "id": "root", "drive": "drive-root"}
    assert argv[argv.index("-machine") + 1] == "q35,accel=tcg"  # -machine has no JSON form
