"""The oracle's own model of -cdrom, -hda..-hdd and -drive if=ide on pc and q35.

Written apart from genqemu/importer/legacy_drives.py, from QEMU's behaviour as
measured on 7.2 (tests/test_import_legacy_drives.py checks it live): drive
index N goes to bus ide.(N // units) unit N % units of the board's controller
(pc: two units a channel; q35's AHCI: one a port, unit left out); -cdrom and
-hdc are index 2, a -drive without index the first free one; a CD-ROM is
read-only; the image format is the one given, else what `qemu-img info`
probes, and a probed writable raw image is marked as such (QEMU restricts
writes to its first sector: it equals no explicit raw); their bus=ide.N is
compared as written. Without -nodefaults,
and with no index 2 drive and no ATA or SCSI -device, QEMU adds an empty
ide-cd at index 2. Anything else stays as written, so it equals only itself.
"""

from __future__ import annotations

import json
import re
import subprocess
from fnmatch import fnmatchcase
from typing import Any

from genqemu.profiles import Profile

Found = list[tuple[str, dict[str, Any], tuple[float, int]]]
# machine type pattern -> (ports, units)
_MACHINES = {"pc": (2, 2), "pc-i440fx-*": (2, 2), "q35": (6, 1), "pc-q35-*": (6, 1)}
_SHORT = {"hda": 0, "hdb": 1, "hdc": 2, "hdd": 3, "cdrom": 2}
_KEYS = {"file", "if", "index", "media", "format"}
_STOP_DEFAULT = {"ide-cd", "ide-hd", "scsi-cd", "scsi-hd"}


def _probe(file: str) -> str:
    done = subprocess.run(
        ["qemu-img", "info", "--output", "json", file], capture_output=True, text=True
    )
    return str(json.loads(done.stdout)["format"]) if done.returncode == 0 else "?unreadable"


def _legacy(name: str, table: dict[str, Any]) -> bool:
    return name in _SHORT or (name == "drive" and table.get("if", ["ide"]) == ["ide"])


def expand_legacy_drives(found: Found, profile: Profile) -> Found:
    """`found` with the legacy drives replaced by the -blockdev and -device items
    QEMU makes of them, where this model knows them; as it was otherwise."""
    machine = next((t for n, t, _ in found if n == "machine"), {})
    kind = machine.get("type", [profile.qemu_default_machine])[0] or ""
    spec = next((s for p, s in _MACHINES.items() if fnmatchcase(kind, p)), None)
    names = [n for n, _, _ in found]
    if spec is None or "snapshot" in names:
        return found
    ports, units = spec
    legacy = [i for i, (name, table, _) in enumerate(found) if _legacy(name, table)]
    made: Found = []
    taken: set[int] = set()
    for i in legacy:
        name, table, (_, position) = found[i]
        if name in _SHORT:
            index, cdrom, file, fmt = _SHORT[name], name == "cdrom", table[""][0], None
        else:
            if set(table) - _KEYS or table.get("media", ["disk"])[0] not in ("disk", "cdrom"):
                return found
            free = [n for n in range(ports * units) if n not in taken]
            index = int(table["index"][0]) if "index" in table else (free or [99])[0]
            cdrom = table.get("media") == ["cdrom"]
            file, fmt = table.get("file", [""])[0], table.get("format", [None])[0]
        if index in taken or index >= ports * units or (not file and not cdrom):
            return found
        taken.add(index)
        device: dict[str, Any] = {
            "driver": ["ide-cd" if cdrom else "ide-hd"],
            "bus": [f"ide.{index // units}"],
        }
        if units > 1:
            device["unit"] = [str(index % units)]
        rank = (0.0, position)
        if file:
            if fmt is None:
                fmt = _probe(file)
                fmt += "?probed" if fmt == "raw" and not cdrom else ""
            node = {"driver": [fmt], "node-name": ["?"], "file.driver": ["file"]}
            node["file.filename"] = [file]
            if cdrom:
                node["read-only"] = ["on"]
            made.append(("blockdev", node, rank))
            device["drive"] = ["?"]
        made.append(("device", device, rank))
    drivers = {t.get("driver", [""])[0] for n, t, _ in found if n == "device"}
    if "nodefaults" not in names and 2 not in taken and not drivers & _STOP_DEFAULT:
        device = {"driver": ["ide-cd"], "bus": [f"ide.{2 // units}"]}
        if units > 1:
            device["unit"] = ["0"]
        made.append(("device", device, (0.0, -1)))
    kept = [item for i, item in enumerate(found) if i not in legacy]
    return [_ide_bus(item, units) for item in kept + made]


def _ide_bus(item: tuple[str, dict[str, Any], tuple[float, int]], units: int) -> Any:
    """An ATA device's bus=ide.N compared as written (the oracle reads QEMU's own
    bus names as any generated id otherwise, and the port is what matters here).
    With its slot explicit (unit=, or one unit a port) it is an `ata-slot`: it
    takes no slot or number from another device, so its creation order does not
    count (tests/support/argv_equivalence.py leaves it out of the order)."""
    name, table, rank = item
    if name == "device" and table.get("driver", [""])[0] in _STOP_DEFAULT and "bus" in table:
        bus = table["bus"][0]
        explicit = re.fullmatch(r"ide\.\d+", bus) and (units == 1 or "unit" in table)
        key = "ata-slot" if explicit else "ata-bus"
        table = {(key if k == "bus" else k): v for k, v in table.items()}
    return name, table, rank
