"""genqemu import of USB -devices that name no port: typed at the port QEMU gives them.

On a machine with one USB bus (a -device controller, or -usb's), each device
gets the port QEMU plugs it into and each usb-hub QEMU adds becomes a
[[device]]; several controllers and a device without bus=, kinds genqemu
lacks, and ports QEMU refuses stay passed through, with a note. The oracle
(tests/support/legacy_usb_model.py) judges each round trip; real QEMU shows
the same `info usb` tree for the input and the re-rendered config.
"""

from __future__ import annotations

import pytest
from conftest import QEMU_VERSIONS
from support.argv_equivalence import differences
from syrupy.assertion import SnapshotAssertion
from test_import_legacy_usb import argv_of, imported, imported_as_the_same_vm, same_usb_tree

from genqemu.importer.tomlwrite import to_toml
from genqemu.profiles import load_profile

Q35 = "qemu-system-x86_64 -machine q35 -m 512 -nodefaults -device qemu-xhci,id=xhci"
PC = "qemu-system-x86_64 -machine pc -m 512 -nodefaults"
KINDS = ("usb-tablet", "usb-kbd", "usb-mouse") * 2
CASES = {
    **{f"xhci-{n}": f"{Q35} " + " ".join(f"-device {k}" for k in KINDS[:n]) for n in (1, 4, 6)},
    "xhci-no-id": "qemu-system-x86_64 -machine q35 -device qemu-xhci -device usb-tablet",
    "pc-usb": f"{PC} -usb -device usb-tablet -device usb-kbd -device usb-mouse",
    "mixed-ports": (
        f"{Q35} -device usb-tablet -device usb-kbd,bus=xhci.0,port=3 -device usb-mouse"
        " -device usb-tablet -device usb-kbd"
    ),
    "hub": f"{Q35} -device usb-hub -device usb-tablet -device usb-kbd -device usb-mouse"
    " -device usb-tablet",
    "bus-no-port": f"{Q35} -device usb-tablet,bus=xhci.0 -device usb-kbd,bus=xhci.0",
    "ehci-6": "qemu-system-x86_64 -machine q35 -nodefaults -device ich9-usb-ehci1,id=e "
    + " ".join(f"-device {k}" for k in KINDS),
    "ohci-4": "qemu-system-x86_64 -machine q35 -nodefaults -device pci-ohci,id=o "
    + " ".join(f"-device {k}" for k in KINDS[:4]),
    "usbdevice-and-device": f"{PC} -usbdevice tablet -device usb-kbd -usbdevice mouse",
    "two-controllers": f"{Q35} -device pci-ohci,id=o -device usb-tablet",
    "device-first": f"{PC} -device qemu-xhci -device usb-kbd -usbdevice tablet",
    "no-kind": f"{Q35} -device usb-tablet -device usb-serial,chardev=c -chardev null,id=c",
}
HELD = {"two-controllers", "device-first", "no-kind"}


@pytest.mark.parametrize("name", CASES)
def test_usb_devices_import_at_their_ports(name: str, snapshot: SnapshotAssertion) -> None:
    result = imported_as_the_same_vm(CASES[name])
    usb = [p for p in result.passthrough if "usb" in p or "hci" in p]
    assert (usb != []) == (name in HELD)
    assert any("passed through as written" in n for n in result.notes) == (name in HELD)
    assert to_toml(result.config, [result.summary()]) == snapshot


def test_qemus_hubs_are_devices() -> None:
    result, _ = imported(CASES["xhci-6"])
    where = [(d["kind"], d.get("bus"), d.get("port")) for d in result.config["device"]]
    assert where[1:] == [
        ("usb-tablet", "xhci", 1),
        ("usb-kbd", "xhci", 2),
        ("usb-mouse", "xhci", 3),
        ("usb-hub", "xhci", 4),
        *[(k, "hub0", n) for n, k in enumerate(KINDS[3:], 1)],
    ]


def test_the_oracle_tells_another_port_apart() -> None:
    """Two devices on an xHCI without port=: the keyboard on port 3 is another VM."""
    line = f"{Q35} -device usb-tablet -device usb-kbd"
    before = argv_of(line)
    profile = load_profile("amd64")
    wrong = f"{Q35} -device usb-tablet,bus=xhci.0,port=1 -device usb-kbd,bus=xhci.0,port=3"
    assert differences(before, {}, wrong.split(), {}, profile) != []
    right = f"{Q35} -device usb-tablet,bus=xhci.0,port=1 -device usb-kbd,bus=xhci.0,port=2"
    assert differences(before, {}, right.split(), {}, profile) == []


def test_the_oracle_wants_the_hub_qemu_adds() -> None:
    line = f"{PC} -usb -device usb-tablet -device usb-kbd"
    before = argv_of(line)
    profile = load_profile("amd64")
    base = f"{PC} -device piix3-usb-uhci,id=u,addr=01.2 -device usb-tablet,bus=u.0,port=1"
    no_hub = f"{base} -device usb-kbd,bus=u.0,port=2"
    assert differences(before, {}, no_hub.split(), {}, profile) != []
    hub = f"{base} -device usb-hub,bus=u.0,port=2 -device usb-kbd,bus=u.0,port=2.1"
    assert differences(before, {}, hub.split(), {}, profile) == []


@pytest.mark.parametrize("version", QEMU_VERSIONS)
@pytest.mark.parametrize("name", sorted(set(CASES) - HELD))
def test_qemu_shows_the_same_usb_tree(name: str, version: str) -> None:
    before = same_usb_tree(CASES[name], version)
    assert any("Port 1," in line for line in before)
