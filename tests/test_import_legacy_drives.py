"""genqemu import of -cdrom, -hda..-hdd and -drive if=ide: typed where genqemu
can write the same VM.

On pc and q35 each becomes a cdrom or ide-hd [[device]] at the port (and, on
pc, unit) QEMU gives its index, with QEMU's default empty CD-ROM where QEMU
would add one; a raw disk QEMU would probe, -snapshot, a -drive property
without a key, an index clash and the machines without a built-in IDE bus
stay passed through, with a note. The oracle (tests/support/legacy_drive_model.py)
judges each round trip, and real QEMU shows the same disks on the same buses.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

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
Q35 = "qemu-system-x86_64 -machine q35 -m 512"
ALL4 = "-hda a.qcow2 -hdb b.qcow2 -hdc c.qcow2 -hdd d.qcow2"
CASES = {
    "pc-cdrom": f"{PC} -cdrom x.iso",
    "pc-hda": f"{PC} -hda a.qcow2",
    "pc-both": f"{PC} -cdrom x.iso -hda a.qcow2",
    "pc-all4": f"{PC} {ALL4}",
    "pc-empty-cdrom": f"{PC} -nodefaults -cdrom ''",
    "pc-drive-index3": f"{PC} -drive file=x.iso,if=ide,index=3,media=cdrom",
    "pc-drive-no-if": f"{PC} -nodefaults -drive file=r.img,format=raw -drive media=cdrom",
    "q35-cdrom": f"{Q35} -cdrom x.iso",
    "q35-hda": f"{Q35} -nodefaults -hda a.qcow2",
    "q35-both": f"{Q35} -cdrom x.iso -hda a.qcow2",
    "q35-all4": f"{Q35} {ALL4}",
    "q35-drive-index3": f"{Q35} -drive file=x.iso,if=ide,index=3,media=cdrom,format=raw",
    "raw-disk-probed": f"{PC} -hda r.img",
    "snapshot": f"{PC} -snapshot -hda a.qcow2",
    "property-without-key": f"{PC} -drive file=x.iso,if=ide,media=cdrom,cache=none",
    "index-clash": f"{PC} -cdrom x.iso -hdc a.qcow2",
    "arm64-virt": "qemu-system-aarch64 -machine virt -m 512 -cdrom x.iso",
}
PASSED = {"raw-disk-probed", "snapshot", "property-without-key", "index-clash", "arm64-virt"}


@pytest.fixture
def images(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The images the cases name, in the current directory: an ISO (raw, no
    header), a raw disk and four qcow2 disks."""
    (tmp_path / "x.iso").write_bytes(b"\0" * 65536)
    (tmp_path / "r.img").write_bytes(b"\0" * 65536)
    for name in "abcd":
        subprocess.run(
            ["qemu-img", "create", "-q", "-f", "qcow2", str(tmp_path / f"{name}.qcow2"), "1M"],
            check=True,
        )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def imported(line: str) -> tuple[ImportResult, list[str]]:
    """The import of `line`, and the argv of its config read back."""
    result = import_text(line, None, TEST_SETTINGS)
    text = to_toml(result.config, [result.summary()])
    return result, plan(build(tomli.loads(text), result.arch, settings=TEST_SETTINGS)).argv


def _legacy(label: str) -> bool:
    return label.startswith(("-cdrom", "-hd", "-drive"))


@pytest.mark.usefixtures("images")
@pytest.mark.parametrize("name", CASES)
def test_legacy_drives_import_as_the_same_vm(name: str, snapshot: SnapshotAssertion) -> None:
    result, again = imported(CASES[name])
    invocation = read_invocation(CASES[name])
    before = [invocation.binary, *invocation.args]
    assert differences(before, {}, again, {}, load_profile(result.arch)) == []
    passed = [p for p in result.passthrough if _legacy(p)]
    assert (passed == []) == (name not in PASSED)
    assert any("passed through as written" in n for n in result.notes) == (name in PASSED)
    assert to_toml(result.config, [result.summary()]) == snapshot


@pytest.mark.usefixtures("images")
def test_the_slots_are_where_qemu_puts_them() -> None:
    pc, _ = imported(CASES["pc-all4"])
    where = [(d["kind"], d.get("port"), d.get("unit")) for d in pc.config["device"]]
    assert where == [("ide-hd", 0, 0), ("ide-hd", 0, 1), ("ide-hd", 1, 0), ("ide-hd", 1, 1)]
    q35, _ = imported(CASES["q35-both"])
    where = [(d["kind"], d.get("port"), d.get("unit")) for d in q35.config["device"]]
    assert where == [("cdrom", 2, None), ("ide-hd", 0, None)]
    default, _ = imported(CASES["pc-hda"])  # QEMU's own empty CD-ROM, at index 2
    assert default.config["device"][1] == {"kind": "cdrom", "port": 1, "unit": 0}


def test_a_fifo_is_not_read_for_its_format(tmp_path: Path) -> None:
    """Opening a FIFO to probe it would block the import until a writer comes."""
    fifo = tmp_path / "disk.img"
    os.mkfifo(fifo)
    result, _ = imported(f"qemu-system-x86_64 -machine pc -nodefaults -hda {fifo}")
    assert result.config["extra_args"] == ["-hda", str(fifo)]
    assert any("no regular file" in note for note in result.notes)


@pytest.mark.usefixtures("images")
def test_the_oracle_tells_another_slot_or_a_writable_probe_apart() -> None:
    profile = load_profile("amd64")
    line = read_invocation(f"{Q35} -nodefaults -cdrom x.iso")
    before = [line.binary, *line.args]
    node = "-blockdev driver=raw,node-name=n,file.driver=file,file.filename=x.iso,read-only=on"
    right = f"{Q35} -nodefaults {node} -device ide-cd,bus=ide.2,drive=n".split()
    assert differences(before, {}, right, {}, profile) == []
    wrong = f"{Q35} -nodefaults {node} -device ide-cd,bus=ide.0,drive=n".split()
    assert differences(before, {}, wrong, {}, profile) != []
    probed = read_invocation(f"{PC} -nodefaults -hda r.img")
    node = "-blockdev driver=raw,node-name=n,file.driver=file,file.filename=r.img"
    explicit = f"{PC} -nodefaults {node} -device ide-hd,bus=ide.0,unit=0,drive=n".split()
    assert differences([probed.binary, *probed.args], {}, explicit, {}, profile) != []


def ata_tree(argv: list[str]) -> list[str]:
    """The ATA devices (bus, driver, unit) of `info qtree`, and every drive's
    medium (file, format, read-only, removable), without QEMU's or genqemu's names."""
    with paused_qemu(argv) as qmp:
        tree = qmp.execute("human-monitor-command", **{"command-line": "info qtree"})
        block = qmp.execute("query-block")
    slots, bus = [], ""
    for line in tree.splitlines():
        found = re.search(r"bus: (ide\.\d+)|dev: (ide-\w+)|unit = (\d+)", line)
        if found and found.group(1):
            bus = found.group(1)
        elif found and found.group(2):
            slots.append(f"{bus} {found.group(2)}")
        elif found and found.group(3) and slots and slots[-1].count(" ") == 1:
            slots[-1] += f" unit {found.group(3)}"
    media = [
        f"{Path(b['inserted']['file']).name} {b['inserted']['drv']} ro={b['inserted']['ro']}"
        f" removable={b['removable']}"
        if "inserted" in b
        else f"empty removable={b['removable']}"
        for b in block
    ]
    return sorted(slots) + sorted(media)


def _absolute(argv: list[str], images: Path) -> list[str]:
    """QEMU runs in a directory of its own: the images by their full names."""
    return [re.sub(r"\b([a-d]\.qcow2|x\.iso|r\.img)\b", f"{images}/\\1", w) for w in argv]


@pytest.mark.parametrize("version", QEMU_VERSIONS)
@pytest.mark.parametrize("name", sorted(set(CASES) - PASSED))
def test_qemu_shows_the_same_drives(name: str, version: str, images: Path) -> None:
    _, again = imported(CASES[name])
    invocation = read_invocation(CASES[name])
    binary = qemu_binary(invocation.binary, version)
    before = ata_tree(_absolute([binary, *invocation.args], images))
    assert before == ata_tree(_absolute([binary, *again[1:]], images))
    assert any(" ide-" in line for line in before)
