"""virtio-input devices and the QEMU guest agent's port: their drivers per
transport, where the port goes, and what a paused QEMU builds."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from conftest import qemu_binary
from support.qmp import paused_qemu

from genqemu.build import build
from genqemu.errors import ConfigError
from genqemu.launch import plan
from genqemu.render import render

INPUTS = ("virtio-keyboard", "virtio-mouse", "virtio-tablet")


def options(raw: dict[str, Any], arch: str) -> list[tuple[str, ...]]:
    return [tuple(o) for o in render(build(raw, arch))]


def problems(raw: dict[str, Any], arch: str = "amd64") -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as error:
        build(raw, arch)
    return error.value.problems


@pytest.mark.parametrize(
    ("arch", "machine", "suffix"),
    [
        ("amd64", "q35", "-pci,id=ID"),
        ("amd64", "microvm", "-device,id=ID"),
        ("arm64", "virt", "-pci,id=ID"),
        ("ppc64le", "pseries", "-pci,id=ID"),
        ("riscv64", "virt", "-pci,id=ID"),
        ("s390x", "s390-ccw-virtio", "-ccw,id=ID,devno=fe.0.000N"),
    ],
)
def test_each_input_kind_takes_the_machines_transport(arch: str, machine: str, suffix: str) -> None:
    raw = {"machine": {"type": machine}, "device": [{"kind": kind} for kind in INPUTS]}
    found = [o[1] for o in options(raw, arch) if o[0] == "-device"]
    expected = [
        f"{kind}{suffix}".replace("ID", prefix).replace("N", str(number))
        for number, (kind, prefix) in enumerate(
            zip(INPUTS, ("kbd0", "mouse0", "tablet0"), strict=True), 1
        )
    ]
    assert found == expected


def test_the_guest_agent_port_is_a_named_virtserialport_on_a_listening_socket() -> None:
    raw = {
        "device": [
            {"kind": "virtio-serial", "id": "vs"},
            {"kind": "guest-agent", "socket": "/run/vm/qga.sock"},
        ]
    }
    found = options(raw, "amd64")
    assert ("-chardev", "socket,id=char-qga0,path=/run/vm/qga.sock,server=on,wait=off") in found
    port = "virtserialport,id=qga0,bus=vs.0,chardev=char-qga0,name=org.qemu.guest_agent.0"
    assert ("-device", port) in found


def test_the_guest_agent_needs_a_virtio_serial_controller() -> None:
    raw = {"device": [{"kind": "guest-agent", "socket": "/run/vm/qga.sock"}]}
    assert problems(raw) == [
        (
            "device[0].bus",
            "guest-agent needs a virtio-serial: add a [[device]] with kind = 'virtio-serial'",
        )
    ]


def test_the_guest_agent_needs_a_socket() -> None:
    raw = {"device": [{"kind": "virtio-serial"}, {"kind": "guest-agent"}]}
    ((path, message),) = problems(raw)
    assert path == "device[1].socket"
    assert "missing" in message or "required" in message


@pytest.mark.qemu
@pytest.mark.parametrize("arch", ["amd64", "s390x"])
def test_a_paused_qemu_has_the_inputs_and_the_agent_port(arch: str, tmp_path: Path) -> None:
    """QEMU builds every device, and listens on the agent's socket."""
    sock = tmp_path / "qga.sock"
    raw = {
        "machine": {"accel": "tcg"},
        "device": [
            *({"kind": kind} for kind in INPUTS),
            {"kind": "virtio-serial"},
            {"kind": "guest-agent", "socket": str(sock)},
        ],
    }
    vm = build(raw, arch)
    suffix = "-ccw" if arch == "s390x" else "-pci"
    with paused_qemu([qemu_binary(vm.binary), *plan(vm).argv[1:]]) as qmp:
        found = qmp.devices()
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(str(sock))
    assert found == {
        "kbd0": f"virtio-keyboard{suffix}",
        "mouse0": f"virtio-mouse{suffix}",
        "tablet0": f"virtio-tablet{suffix}",
        "vser0": f"virtio-serial{suffix}",
        "qga0": "virtserialport",
    }
