"""Emulated network cards (e1000e, e1000, rtl8139, spapr-vlan): where each
exists, the netdevs they take, and what they refuse because only virtio-net
can use it."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import qemu_binary
from support.qemuopts import parse_dict
from support.qmp import paused_qemu

from genqemu.build import build
from genqemu.errors import ConfigError
from genqemu.launch import plan
from genqemu.render import render

PCI_CARDS = ("e1000e", "e1000", "rtl8139")


def card(kind: str, **keys: Any) -> dict[str, Any]:
    return {"kind": kind, "netdev": {"type": "user"}, **keys}


def problems(raw: dict[str, Any], arch: str) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as error:
        build(raw, arch)
    return error.value.problems


def devices(raw: dict[str, Any], arch: str) -> list[dict[str, str | None]]:
    return [
        parse_dict(o[1], implied="driver") for o in render(build(raw, arch)) if o[0] == "-device"
    ]


@pytest.mark.parametrize("kind", PCI_CARDS)
def test_a_pci_card_takes_the_pci_keys_and_its_own_netdev(kind: str) -> None:
    raw = {
        "device": [
            {"kind": "pci-bridge", "id": "br0"},
            card(kind, mac="52:54:00:12:34:56", bootindex=1, romfile="", bus="br0", addr="0x3"),
        ]
    }
    options = render(build(raw, "amd64"))
    assert ("-netdev", "user,id=netdev-net0") in options
    assert devices(raw, "amd64")[1] == {
        "driver": kind,
        "id": "net0",
        "netdev": "netdev-net0",
        "mac": "52:54:00:12:34:56",
        "bootindex": "1",
        "bus": "br0",
        "addr": "0x3",
        "romfile": "",
    }


def test_ids_are_shared_with_virtio_net() -> None:
    raw = {"device": [card("virtio-net"), card("e1000e"), card("rtl8139")]}
    assert [d["id"] for d in devices(raw, "arm64")] == ["net0", "net1", "net2"]


def test_a_macvtap_queue_is_opened_by_the_script() -> None:
    raw = {"device": [card("e1000e", netdev={"type": "macvtap", "device": "/dev/tap7"})]}
    launch = plan(build(raw, "amd64"))
    assert [(fd.number, fd.path) for fd in launch.fds] == [(3, "/dev/tap7")]
    assert "tap,id=netdev-net0,fds=3" in launch.argv


@pytest.mark.parametrize(
    ("netdev", "key", "says"),
    [
        ({"type": "vhost-user", "socket": "/s"}, "type", "vhost-user serves virtio-net only"),
        ({"type": "tap", "queues": 2}, "queues", "has one queue pair"),
        ({"type": "tap", "vhost": True}, "vhost", "vhost-net moves virtio-net's data path"),
        (
            {"type": "macvtap", "device": "/dev/tap3", "vhost_device": "/dev/vhost-net"},
            "vhost_device",
            "vhost-net moves virtio-net's data path",
        ),
    ],
)
@pytest.mark.parametrize("kind", [*PCI_CARDS, "spapr-vlan"])
def test_what_only_virtio_net_can_use_is_refused(
    kind: str, netdev: dict[str, Any], key: str, says: str
) -> None:
    raw = {"memory": {"size": "1G", "share": True}, "device": [card(kind, netdev=netdev)]}
    [(path, message)] = problems(raw, "ppc64le")
    assert path == f"device[0].netdev.{key}"
    assert says in message and kind in message


def test_vhost_off_is_fine() -> None:
    raw = {"device": [card("e1000", netdev={"type": "tap", "vhost": False, "queues": 1})]}
    netdevs = [o[1] for o in render(build(raw, "riscv64")) if o[0] == "-netdev"]
    assert netdevs == ["tap,id=netdev-net0,script=no,downscript=no,vhost=off,queues=1"]


@pytest.mark.parametrize("kind", PCI_CARDS)
def test_no_pci_card_on_s390x_or_microvm(kind: str) -> None:
    [(path, message)] = problems({"device": [card(kind)]}, "s390x")
    assert (path, message) == (
        "device[0].kind",
        f"{kind} does not exist on s390x; it exists on amd64, arm64, ppc64le, riscv64",
    )
    [(path, message)] = problems({"machine": {"type": "microvm"}, "device": [card(kind)]}, "amd64")
    assert message == f"{kind} needs pci, which amd64 machine microvm does not have"


def test_spapr_vlan_is_pseries_only_and_has_no_pci_keys() -> None:
    assert problems({"device": [card("spapr-vlan")]}, "arm64") == [
        ("device[0].kind", "spapr-vlan does not exist on arm64; it exists on ppc64le")
    ]
    [(path, message)] = problems({"device": [card("spapr-vlan", bus="pci.0")]}, "ppc64le")
    assert path == "device[0].bus" and message.startswith("unknown key")
    assert devices({"device": [card("spapr-vlan", mac="52:54:00:00:00:02")]}, "ppc64le") == [
        {"driver": "spapr-vlan", "id": "net0", "netdev": "netdev-net0", "mac": "52:54:00:00:00:02"}
    ]


@pytest.mark.qemu
def test_the_pci_cards_start_on_pc() -> None:
    """The examples start them on q35, virt and pseries; pc is i440fx, plain PCI."""
    raw = {"machine": {"type": "pc", "accel": "tcg"}, "device": [card(k) for k in PCI_CARDS]}
    vm = build(raw, "amd64")
    with paused_qemu([qemu_binary(vm.binary), *plan(vm).argv[1:]]) as qmp:
        found = qmp.devices()
    assert found == {"net0": "e1000e", "net1": "e1000", "net2": "rtl8139"}
