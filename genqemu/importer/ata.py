"""ATA disks and CD-ROMs on a command line: their driver names and their bus.

QEMU names a CD-ROM's driver after its bus (ide-cd, scsi-cd), genqemu has one
kind for both; and where a device sits is `bus=CONTROLLER.PORT` (and `unit=`
on IDE), which genqemu splits into controller and port (genqemu/ata.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from genqemu.importer.claims import Target


def ata_kind(driver: str, target: Target) -> str | None:
    """The ATA kind (ide-hd, cdrom) whose driver on some bus is `driver`."""
    from genqemu.devices import DEVICE
    from genqemu.devices.ata import AtaAttached

    for kind in target.profile.devices:
        model = DEVICE.models.get(kind)
        is_ata = isinstance(model, type) and issubclass(model, AtaAttached)
        if is_ata and driver in (model.ata_driver, model.scsi_driver):  # type: ignore[union-attr]
            return kind
    return None


def ata_bus_keys(bus: str, target: Target, scsi: bool) -> dict[str, Any] | None:
    """controller and port for `bus=NAME.N` (a SCSI controller's one bus is
    NAME.0: no port); None when it is not that shape. The machine's built-in
    controller is the default: it is left out."""
    name, dot, number = bus.rpartition(".")
    if not dot or not number.isdigit():
        return None
    if scsi:
        return {"controller": name} if number == "0" else None
    keys: dict[str, Any] = {"port": int(number)}
    if name != target.machine.ata_bus:
        keys["controller"] = name
    return keys
