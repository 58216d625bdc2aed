"""genqemu import of -usb and -usbdevice: typed where genqemu can write the same VM.

pc and pseries (with -nodefaults) get the controller QEMU's machine makes, at
its PCI address, and each -usbdevice its port, with the usb-hub QEMU adds
when one port is left; q35, the virt machines, unknown -usbdevice names and
a USB -device before them stay passed through, with a note. The
oracle (tests/support/legacy_usb_model.py) judges each round trip, and real
QEMU shows the same `info usb` tree for the input and the re-rendered config.
"""

from __future__ import annotations

import re

import pytest
import tomli
from conftest import QEMU_VERSIONS, TEST_SETTINGS, qemu_binary
from support.argv_equivalence import differences
from support.qmp import paused_qemu
from syrupy.assertion import SnapshotAssertion

from genqemu.build import build
from genqemu.importer import ImportResult, import_text
from genqemu.importer.source import read_invocation
from genqemu.importer.tomlwrite import to_toml
from genqemu.launch import plan
from genqemu.profiles import load_profile

PC = "qemu-system-x86_64 -machine pc -m 512"
PC_OFF = "qemu-system-x86_64 -machine pc,usb=off -m 512"
PSERIES = "qemu-system-ppc64 -machine pseries -m 512 -nodefaults"
DEVICES = ("tablet", "mouse", "keyboard", "tablet", "mouse")
CASES = {
    "pc-usb": f"{PC} -usb",
    **{
        f"pc-{n}": f"{PC} -usb " + " ".join(f"-usbdevice {d}" for d in DEVICES[:n])
        for n in (1, 2, 3, 5)
    },
    "pc-usbdevice-alone": f"{PC} -usbdevice tablet -usbdevice keyboard",
    "pseries-3": f"{PSERIES} -usb -usbdevice tablet -usbdevice keyboard -usbdevice mouse",
    "pseries-defaults": "qemu-system-ppc64 -machine pseries -m 512 -usb -usbdevice tablet",
    "q35": "qemu-system-x86_64 -machine q35 -m 512 -usb -usbdevice tablet",
    "arm64-virt": "qemu-system-aarch64 -machine virt -m 512 -usb",
    "riscv64-virt": "qemu-system-riscv64 -machine virt -m 512 -usb",
    "s390x": "qemu-system-s390x -m 512 -usb",
    "wacom": f"{PC} -usbdevice tablet -usbdevice wacom-tablet",
    "with-device": f"{PC} -usbdevice tablet -device usb-kbd",
    "machine-usb": f"{PC} -usbdevice tablet -machine usb=on",
    "usb-off-before": f"{PC_OFF} -usbdevice tablet",
    "usb-off-after": f"{PC} -usb -usbdevice tablet -machine usb=off",
    "pc-among-devices": (
        f"{PC} -device virtio-rng-pci -usbdevice tablet -nic user,model=e1000"
        " -usbdevice mouse -device virtio-balloon-pci"
    ),
}
TYPED = {"pc-usb", "pc-1", "pc-2", "pc-3", "pc-5", "pc-usbdevice-alone", "pseries-3"}
# usb-off-after: nothing, as QEMU makes
TYPED |= {"usb-off-after", "pc-among-devices", "with-device"}


def imported(line: str) -> tuple[ImportResult, list[str]]:
    """The import of `line`, and the argv of its config read back."""
    result = import_text(line, None, TEST_SETTINGS)
    text = to_toml(result.config, [result.summary()])
    return result, plan(build(tomli.loads(text), result.arch, settings=TEST_SETTINGS)).argv


def argv_of(line: str) -> list[str]:
    invocation = read_invocation(line)
    return [invocation.binary, *invocation.args]


def imported_as_the_same_vm(line: str) -> ImportResult:
    """The import of `line`, whose config must start the same VM (the oracle)."""
    result, again = imported(line)
    assert differences(argv_of(line), {}, again, {}, load_profile(result.arch)) == []
    return result


def same_usb_tree(line: str, version: str) -> list[str]:
    """QEMU's USB tree (and PCI functions) of `line`, which the imported config
    must give too."""
    _, again = imported(line)
    argv = argv_of(line)
    binary = qemu_binary(argv[0], version)
    before = usb_tree([binary, *argv[1:]])
    assert before == usb_tree([binary, *again[1:]])
    return before


@pytest.mark.parametrize("name", CASES)
def test_legacy_usb_imports_as_the_same_vm(name: str, snapshot: SnapshotAssertion) -> None:
    result = imported_as_the_same_vm(CASES[name])
    legacy = [p for p in result.passthrough if p.startswith(("-usb", "-usbdevice"))]
    assert (legacy == []) == (name in TYPED)
    assert any("-usb and -usbdevice" in n for n in result.notes) == (name not in TYPED)
    assert to_toml(result.config, [result.summary()]) == snapshot


def test_the_hubs_are_where_qemu_puts_them() -> None:
    line = f"{PC} " + " ".join(["-usbdevice tablet"] * 11)
    result, _ = imported(line)
    where = [(d["kind"], d.get("bus"), d.get("port")) for d in result.config["device"]]
    root = [("piix3-usb-uhci", None, None), ("usb-tablet", "usb0", 1), ("usb-hub", "usb0", 2)]
    assert where[:3] == root
    assert where[3:10] == [("usb-tablet", "hub0", n) for n in range(1, 8)]
    assert where[10:] == [("usb-hub", "hub0", 8), *[("usb-tablet", "hub1", n) for n in (1, 2, 3)]]


def test_the_oracle_tells_a_different_usb_tree_apart() -> None:
    """Two -usbdevices on pc: the mouse is behind a hub; on port 2 it is another VM."""
    line = f"{PC} -usbdevice tablet -usbdevice mouse"
    before = argv_of(line)
    wrong = (
        f"{PC} -device piix3-usb-uhci,id=u,addr=01.2 -device usb-tablet,bus=u.0,port=1"
        " -device usb-mouse,bus=u.0,port=2"
    ).split()
    profile = load_profile("amd64")
    assert differences(before, {}, wrong, {}, profile) != []
    right = [
        *wrong[:-2],
        "-device",
        "usb-hub,bus=u.0,port=2",
        "-device",
        "usb-mouse,bus=u.0,port=2.1",
    ]
    assert differences(before, {}, right, {}, profile) == []


def test_a_later_usb_off_leaves_them_out_and_the_oracle_sees_it() -> None:
    """QEMU makes nothing for -usbdevice before -machine usb=off; passed through
    after the machine they would make a tablet, which the oracle must see."""
    result, _ = imported(CASES["usb-off-after"])
    assert result.config["machine"]["options"] == {"usb": False}
    assert "extra_args" not in result.config
    assert result.notes[0].startswith("-usb -usbdevice tablet: left out, as QEMU makes nothing")
    before = argv_of(CASES["usb-off-after"])
    again = [*PC_OFF.split(), "-usb", "-usbdevice", "tablet"]
    profile = load_profile("amd64")
    assert differences(before, {}, again, {}, profile) != []


def usb_tree(argv: list[str]) -> list[str]:
    """`info usb` (ports, speeds, products; not ids) and every PCI function's
    address and class."""
    with paused_qemu(argv) as qmp:
        usb = qmp.execute("human-monitor-command", **{"command-line": "info usb"})
        pci = qmp.execute("human-monitor-command", **{"command-line": "info pci"})
    ports = [re.sub(r", ID: \S+", "", line.strip()) for line in usb.splitlines() if line.strip()]
    found = re.findall(r"Bus +(\d+), device +(\d+), function (\d+):\s+([^:\r\n]+)", pci)
    return ports + [f"pci {bus}:{slot}.{fn} {what}" for bus, slot, fn, what in found]


@pytest.mark.parametrize("version", QEMU_VERSIONS)
@pytest.mark.parametrize("name", sorted(TYPED))
def test_qemu_shows_the_same_usb_tree(name: str, version: str) -> None:
    before = same_usb_tree(CASES[name], version)
    controllers = [line for line in before if line.endswith("USB controller")]
    assert bool(controllers) == (name != "usb-off-after")


@pytest.mark.parametrize("version", QEMU_VERSIONS)
def test_qemu_chains_the_hubs_as_the_import_says(version: str) -> None:
    line = f"{PC} " + " ".join(["-usbdevice tablet"] * 11)
    before = same_usb_tree(line, version)
    hubs = [line.split(",")[1].strip() for line in before if "Hub" in line]
    assert hubs == ["Port 2", "Port 2.8"]
