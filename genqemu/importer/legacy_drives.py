"""-cdrom, -hda..-hdd and -drive if=ide: the disks and CD-ROMs QEMU's board makes.

On a machine whose -drive default interface is IDE (the profile's `ata_bus`:
pc's PIIX IDE, q35's AHCI), QEMU puts drive index N on the built-in
controller: bus N // units, unit N % units (pc: -hda ide.0 unit 0, -hdb ide.0
unit 1, -cdrom and -hdc index 2 = ide.1 unit 0, -hdd ide.1 unit 1; q35: one
device per port, -cdrom on ide.2). A -drive without index= takes the first
free one, in command-line order. Without -nodefaults, and when no index 2
drive and no ATA or SCSI -device is given, QEMU adds an empty CD-ROM at
index 2 (measured on QEMU 7.2 and 10.0).

Where genqemu can write the same VM, these become the -blockdev and -device
pieces (with bus and unit, so nothing moves) that the device mappers type as
kind cdrom and ide-hd; they share their origins, so verification keeps them
all or passes them all through. Otherwise they stay as written, with a note.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import TYPE_CHECKING

from genqemu.importer.canon import GENERATED, Piece

if TYPE_CHECKING:
    from genqemu.importer.claims import Target
    from genqemu.importer.syntax import Option

_SHORT = {"hda": 0, "hdb": 1, "hdc": 2, "hdd": 3, "cdrom": 2}
_KEYS = frozenset({"file", "if", "index", "media", "format"})
_CDROM_INDEX = 2  # QEMU's -cdrom, and its default CD-ROM
# Devices whose presence keeps QEMU from adding its default CD-ROM (vl.c default_list).
_NO_DEFAULT_CDROM = frozenset({"ide-cd", "ide-hd", "scsi-cd", "scsi-hd"})
# Image headers QEMU's format probes read (block/qcow2.c, ...): a file with none
# of them is probed as raw. Only qcow2 is typed; the others stay passed through.
_MAGICS = {
    b"QFI\xfb": "qcow2",
    b"QED\x00": "qed",
    b"KDMV": "vmdk",
    b"COWD": "vmdk",
    b"# Disk DescriptorFile": "vmdk",
    b"vhdxfile": "vhdx",
    b"conectix": "vpc",
    b"LUKS\xba\xbe": "luks",
    b"WithoutFreeSpace": "parallels",
    b"WithouFreSpacExt": "parallels",
    b"Bochs Virtual HD Image": "bochs",
    b"#!/bin/sh\n#V2.0 Format": "cloop",
}
_VDI_MAGIC = (0x40, b"\x7f\x10\xda\xbe")


class _Drive:
    """One legacy drive: its option, index, medium, file and format."""

    def __init__(self, option: Option, index: int, cdrom: bool, file: str, fmt: str) -> None:
        self.option, self.index, self.cdrom, self.file, self.format = (
            option,
            index,
            cdrom,
            file,
            fmt,
        )


def is_legacy_drive(option: Option, target: Target) -> bool:
    """Whether QEMU puts `option`'s drive on the machine's built-in ATA controller
    (a -drive without if= only where that is the default interface)."""
    if option.name in _SHORT:
        return True
    if option.name != "drive":
        return False
    interface = option.get("if")
    has_ata = target.machine is not None and target.machine.ata_bus is not None
    return interface == "ide" or (interface is None and has_ata)


def legacy_drives(
    pieces: list[Piece], options: list[Option], target: Target
) -> tuple[list[Piece], list[str]]:
    """`pieces` with the legacy drives as the -blockdev and -device pieces QEMU's
    board makes of them, and notes: why they stay passed through, when they do."""
    legacy = [o for o in options if is_legacy_drive(o, target)]
    if not legacy:
        return pieces, []
    drives, reason = _drives(legacy, options, target)
    if reason is not None:
        written = ", ".join(o.label() for o in legacy)
        return pieces, [f"{reason} (passed through as written: {written})"]
    group = tuple(o.index for o in legacy)
    if _default_cdrom(drives, options):
        drives.append(_Drive(legacy[0], _CDROM_INDEX, True, "", ""))
    made: list[Piece] = []
    for drive in sorted(drives, key=lambda d: d.index):  # the board makes them so
        made += _pieces(drive, target, group)
    first = next(i for i, p in enumerate(pieces) if p.origin in group)
    rest = [p for p in pieces[first:] if p.origin not in group]
    return pieces[:first] + made + rest, []


def _drives(
    legacy: list[Option], options: list[Option], target: Target
) -> tuple[list[_Drive], str | None]:
    """The drives at their indexes, or why genqemu cannot write them."""
    machine = target.machine
    family = next((n for n, m in target.profile.machines.items() if m is machine), "this")
    if machine is None or machine.ata_bus is None:
        return [], (
            f"genqemu knows no built-in IDE controller on the {family} machine, where "
            "QEMU puts these drives on its own default interface; to type them, write "
            "each as a [[device]] (a disk kind, or kind = 'cdrom' on a SCSI controller)"
        )
    if any(o.name == "snapshot" for o in options):
        return [], (
            "-snapshot makes QEMU write the drives' changes to temporary files, which "
            "genqemu's -blockdev does not do; remove -snapshot to type them"
        )
    slots = machine.ata_ports * machine.ata_units
    taken: set[int] = set()
    drives: list[_Drive] = []
    for option in legacy:
        drive, reason = _drive(option, taken, slots)
        if reason is not None:
            return [], reason
        assert drive is not None
        taken.add(drive.index)
        drives.append(drive)
    return drives, None


def _drive(option: Option, taken: set[int], slots: int) -> tuple[_Drive | None, str | None]:
    """One option's drive, or why it cannot be typed, in a user's words."""
    label = option.label()
    if option.name in _SHORT:
        cdrom, index, file, fmt = option.name == "cdrom", _SHORT[option.name], option.arg, None
    else:
        unknown = sorted({k for k, _ in option.props} - _KEYS)
        if unknown:
            return None, (
                f"{label} has {', '.join(unknown)}=, which genqemu's cdrom and ide-hd "
                "kinds have no key for"
            )
        media = option.get("media") or "disk"
        if media not in ("disk", "cdrom"):
            return None, f"{label} has media={media}, which QEMU refuses (disk or cdrom)"
        cdrom, file, fmt = media == "cdrom", option.get("file"), option.get("format")
        index_text = option.get("index")
        if index_text is None:
            index = next((i for i in range(slots) if i not in taken), slots)
        elif not index_text.isdigit():
            return None, f"{label} has index={index_text}, not a number"
        else:
            index = int(index_text)
    if index >= slots:
        return None, f"{label}: the built-in controller has indexes 0 to {slots - 1}"
    if index in taken:
        return None, f"{label}: index {index} is used twice, which QEMU refuses"
    if not file:
        if not cdrom:
            return None, f"{label} names no image, and only a CD-ROM can be empty"
        return _Drive(option, index, cdrom, "", ""), None
    if fmt is None:
        fmt, reason = _probed(file, cdrom)
        if reason is not None:
            return None, f"{label}: {reason}"
    return _Drive(option, index, cdrom, file, fmt or ""), None


def _probed(file: str, cdrom: bool) -> tuple[str | None, str | None]:
    """The format QEMU finds by probing `file`, where genqemu can write it the same."""
    fix = "give the format (-drive file=...,if=ide,index=N,format=...) to type it"
    try:
        path = Path(file)
        if not stat.S_ISREG(path.stat().st_mode):  # a FIFO would block the import
            return None, f"QEMU probes the image's format and {file} is no regular file; {fix}"
        with path.open("rb") as stream:
            head = stream.read(512)
    except OSError as error:
        return None, (
            f"QEMU probes the image's format and {file} cannot be read here "
            f"({error.strerror}); {fix}"
        )
    found = next((f for magic, f in _MAGICS.items() if head.startswith(magic)), None)
    if head[_VDI_MAGIC[0] : _VDI_MAGIC[0] + 4] == _VDI_MAGIC[1]:
        found = "vdi"
    if found == "qcow2" or (found is None and cdrom):
        return found or "raw", None
    if found is None:
        return None, (
            "QEMU probes this raw image and then refuses the guest's writes to its first "
            "sector (its warning: 'write operations on block 0 will be restricted'), "
            f"which genqemu's format = 'raw' does not; {fix}"
        )
    return None, f"QEMU probes it as {found}, which genqemu does not read back; {fix}"


def _default_cdrom(drives: list[_Drive], options: list[Option]) -> bool:
    """Whether QEMU adds its own empty CD-ROM at index 2 (genqemu's typed -devices
    would keep it from doing so: it is written as a typed empty cdrom)."""
    if any(o.name == "nodefaults" for o in options) or any(d.index == _CDROM_INDEX for d in drives):
        return False
    return not any(o.name == "device" and o.get("driver") in _NO_DEFAULT_CDROM for o in options)


def _pieces(drive: _Drive, target: Target, group: tuple[int, ...]) -> list[Piece]:
    origin = drive.option.index
    driver = "ide-cd" if drive.cdrom else "ide-hd"
    device = _device_props(driver, drive.index, target)
    if not drive.file:
        return [Piece("device", device, origin, group)]
    node = [
        ("driver", drive.format),
        ("node-name", GENERATED),
        ("file.driver", "file"),
        ("file.filename", drive.file),
    ]
    if drive.cdrom:
        node.append(("read-only", "on"))
    return [
        Piece("blockdev", node, origin, group),
        Piece("device", [*device, ("drive", GENERATED)], origin, group),
    ]


def _device_props(driver: str, index: int, target: Target) -> list[tuple[str, str]]:
    """driver, bus and (on IDE, two devices a port) unit of drive `index`."""
    assert target.machine is not None
    units = target.machine.ata_units
    props = [("driver", driver), ("bus", f"{target.machine.ata_bus}.{index // units}")]
    if units > 1:
        props.append(("unit", str(index % units)))
    return props
