"""A command line Linux cannot exec is refused when it is generated, not when it runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from typer.testing import CliRunner

from genqemu import argmax
from genqemu.cli import app

FW_CFG = '[[fw_cfg]]\nname = "opt/genqemu/{n}"\nstring = "{text}"\n'


def generate(config: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--arch", "amd64", str(config)])
    return result.exit_code, result.stdout, result.stderr


def test_an_argument_over_128_kib_is_refused(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    config = tmp_path / "vm.toml"
    config.write_text(f'[kernel]\npath = "/k"\nappend = "{"x" * 140_000}"\n')
    code, out, err = generate(config)
    assert (code, out) == (2, "")
    assert err.replace(str(tmp_path), "TMP") == snapshot


def test_a_command_line_over_arg_max_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, snapshot: SnapshotAssertion
) -> None:
    """24 fw_cfg strings of 100,000 bytes: each fits, together they are 2.4 MB,
    more than Linux's default ARG_MAX of 2 MiB (fixed here, as is the environment,
    so that the message is the same on every machine)."""
    monkeypatch.setattr(argmax, "limit", lambda: 2 * 1024 * 1024)
    monkeypatch.setattr("genqemu.argmax.os.environ", {"PATH": "/usr/bin:/bin"})
    config = tmp_path / "vm.toml"
    config.write_text("".join(FW_CFG.format(n=n, text="y" * 100_000) for n in range(24)))
    code, out, err = generate(config)
    assert (code, out) == (2, "")
    assert err.replace(str(tmp_path), "TMP") == snapshot


def test_a_command_line_just_under_the_limit_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(argmax, "limit", lambda: 2 * 1024 * 1024)
    config = tmp_path / "vm.toml"
    config.write_text("".join(FW_CFG.format(n=n, text="y" * 100_000) for n in range(18)))
    code, out, _ = generate(config)
    assert code == 0
    assert out.count("string=" + "y" * 100_000) == 18


def test_the_count_is_what_execve_counts() -> None:
    """Each string with its NUL and a pointer, and the NULL pointer that ends the array."""
    assert argmax.strings_size(["qemu", "-S"]) == (5 + 8) + (3 + 8) + 8
    assert argmax.problems(["qemu", "x" * argmax.MAX_ARGUMENT], {}) == []
    assert argmax.MAX_ARGUMENT == 128 * 1024
