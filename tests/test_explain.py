"""`genqemu explain`: the decisions behind a command line, snapshotted as text."""

from __future__ import annotations

import pytest
from conftest import TEST_SETTINGS, example_path
from syrupy.assertion import SnapshotAssertion
from typer.testing import CliRunner

from genqemu.build import build_file
from genqemu.cli import app
from genqemu.explain import explain
from genqemu.launch import plan

CASES = [
    ("fds", "s390x"),
    ("amd64/pci-topology", "amd64"),
    ("minimal", "ppc64le"),
    ("amd64/microvm", "amd64"),
    ("full", "arm64"),
]


@pytest.mark.parametrize(
    ("example", "arch"), CASES, ids=[f"{e.replace('/', '.')}-{a}" for e, a in CASES]
)
def test_explain(example: str, arch: str, text_snapshot: SnapshotAssertion) -> None:
    vm = build_file(example_path(example), arch, TEST_SETTINGS)
    assert explain(vm, plan(vm), f"examples/{example}.toml") == text_snapshot


def test_explain_names_every_device_and_its_driver() -> None:
    vm = build_file(example_path("full"), "s390x")
    text = explain(vm, plan(vm), "full.toml")
    for device in vm.devices:
        assert f"  {device.id} " in text
        assert device.driver in text
    assert "devno fe.0.0001" in text


def test_explain_command() -> None:
    result = CliRunner().invoke(app, ["explain", "-a", "s390x", str(example_path("minimal"))])
    assert result.exit_code == 0, result.stderr
    assert "default of machine s390-ccw-virtio" in result.stdout
    assert "devno fe.0.0001" in result.stdout


def test_explain_shows_options_withheld_from_a_fallback_chain() -> None:
    from genqemu.build import build

    vm = build({"machine": {"accel": "kvm:tcg"}}, "ppc64le")
    text = explain(vm, plan(vm), "vm.toml")
    assert (
        "cap-cfpc        (not emitted)  profile: under tcg, withheld: it would weaken kvm" in text
    )
