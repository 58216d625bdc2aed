"""The target QEMU version: --qemu-version, else the config's qemu_version, else the
profile's. What the target lacks (genqemu/qemu_facts.py SINCE) is refused,
naming the version it needs."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import example_path
from typer.testing import CliRunner, Result

from genqemu.build import build
from genqemu.cli import app
from genqemu.errors import ConfigError
from genqemu.launch import plan
from genqemu.qemu_facts import SINCE, lacks, version
from genqemu.settings import Settings
from genqemu.tomlfile import read_toml

MINIMAL = str(example_path("minimal"))
TDX = 'name = "td"\n[confidential]\ntype = "tdx-guest"\n'


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def config(tmp_path: Path, text: str) -> str:
    path = tmp_path / "vm.toml"
    path.write_text(text)
    return str(path)


def test_versions_compare_as_numbers() -> None:
    assert version("10.0") > version("9.2") and version("7.10") > version("7.2")
    assert lacks("10.0", "tdx-guest") == "10.1"
    assert lacks("10.1", "tdx-guest") is None and lacks("11.0", "tdx-guest") is None
    assert lacks("6.0", "-device") is None  # what SINCE does not list, every QEMU has


def test_every_since_entry_is_a_version() -> None:
    assert all(version(needed) >= (7, 2) for needed in SINCE.values())


def test_tdx_is_refused_for_the_profiles_qemu(tmp_path: Path) -> None:
    result = run("-a", "amd64", config(tmp_path, TDX))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"{tmp_path}/vm.toml: confidential.type: tdx-guest needs QEMU 10.1; the target is "
        "QEMU 7.2 (the amd64 profile's qemu_version): if yours is 10.1 or newer, say so "
        'with qemu_version = "10.1" or --qemu-version 10.1\n'
    )


@pytest.mark.parametrize(
    ("text", "args"),
    [
        (TDX, ["--qemu-version", "10.1"]),
        ('qemu_version = "10.1"\n' + TDX, []),
        ('qemu_version = "7.2"\n' + TDX, ["--qemu-version", "11.0"]),
    ],
    ids=["option", "config", "option-over-config"],
)
def test_a_new_enough_target_renders_tdx(tmp_path: Path, text: str, args: list[str]) -> None:
    result = run("-a", "amd64", "-f", "args", *args, config(tmp_path, text))
    assert result.exit_code == 0, result.stderr
    argv = result.stdout.splitlines()
    assert argv[argv.index("-object") + 1] == "tdx-guest,id=cgs0"


def test_the_option_wins_over_the_config_and_says_so(tmp_path: Path) -> None:
    result = run(
        "-a", "amd64", "--qemu-version", "10.0", config(tmp_path, 'qemu_version = "10.1"\n' + TDX)
    )
    assert result.exit_code == 2
    assert "the target is QEMU 10.0 (--qemu-version)" in result.stderr


@pytest.mark.parametrize("command", [[], ["run", "--dry-run"], ["explain"]])
def test_every_command_takes_the_option(tmp_path: Path, command: list[str]) -> None:
    result = run(*command, "-a", "amd64", "--qemu-version", "10.0", config(tmp_path, TDX))
    assert result.exit_code == 2
    assert "tdx-guest needs QEMU 10.1; the target is QEMU 10.0 (--qemu-version)" in result.stderr


@pytest.mark.parametrize("given", ["10", "10.0.2", "x.y", ""])
def test_a_malformed_option_is_a_usage_error(given: str) -> None:
    result = run("-a", "amd64", "--qemu-version", given, MINIMAL)
    assert (result.exit_code, result.stdout) == (2, "")
    assert (
        result.stderr == f"genqemu: --qemu-version: write MAJOR.MINOR, e.g. 10.0, got {given!r}\n"
    )


def test_a_malformed_config_key_names_its_path(tmp_path: Path) -> None:
    result = run("-a", "amd64", config(tmp_path, 'qemu_version = "10"\n'))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{tmp_path}/vm.toml: qemu_version: ")
    assert "write MAJOR.MINOR, e.g. 10.0" in result.stderr


@pytest.mark.parametrize(
    ("text", "args", "refused"),
    [
        ("", ["--qemu-version", "6.2"], "QEMU 6.2 (--qemu-version)"),
        ('qemu_version = "7.1"\n', [], "QEMU 7.1 (the config's qemu_version)"),
        ('qemu_version = "6.2"\n', ["--qemu-version", "7.2"], None),
    ],
)
def test_json_syntax_follows_the_target(
    tmp_path: Path, text: str, args: list[str], refused: str | None
) -> None:
    raw = read_toml(MINIMAL) | ({"qemu_version": text.split('"')[1]} if text else {})
    result = run("-a", "amd64", "--syntax", "json", *args, config(tmp_path, _toml(raw)))
    if refused is None:
        assert result.exit_code == 0, result.stderr
    else:
        assert result.exit_code == 2
        assert result.stderr == (
            f"genqemu: --syntax json needs QEMU 7.2 (JSON -netdev); the target is {refused}\n"
        )


def _toml(raw: dict[str, object]) -> str:
    from support.tomlwriter import dumps

    return dumps(raw)


def test_the_resolved_vm_carries_the_target() -> None:
    raw = read_toml(MINIMAL)
    assert build(raw, "s390x").qemu_version == "7.2"
    vm = build(raw, "s390x", settings=Settings(qemu_version="10.0"))
    assert (vm.qemu_version, vm.qemu_version_source) == ("10.0", "--qemu-version")
    assert plan(vm).argv == plan(build(raw, "s390x")).argv  # nothing differs from 7.2 to 10.0
    with pytest.raises(ConfigError):
        build({**raw, "confidential": {"type": "tdx-guest"}}, "amd64")
