"""USB devices on a command line: `bus=CONTROLLER.0,port=PATH` as genqemu's keys.

QEMU names a USB port by its path from the controller (`4.1`: port 1 of the
hub in port 4); genqemu names the controller or the hub a device is plugged
into (`bus`) and the port on it (genqemu/usb.py). A usb-cdrom is two
-devices: a usb-bot and the scsi-cd on its bus.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from genqemu.importer.canon import Piece
    from genqemu.importer.claims import Pool, Target


def usb_bus_keys(piece: Piece, pool: Pool) -> dict[str, Any] | None:
    """bus and port for a USB device's bus= and port=; None when they are not
    the shape genqemu writes (a controller's ID.0, a port path whose hubs have ids)."""
    bus, port = piece.get("bus"), piece.get("port")
    if bus is None and port is None:
        return {}
    controller, dot, number = (bus or "").rpartition(".")
    path = (port or "").split(".")
    if not dot or number != "0" or not all(p.isdigit() for p in path):
        return None
    upstream: str | None = controller
    for depth in range(1, len(path)):
        hub = next(
            (
                p
                for p in pool.pieces
                if p.option == "device"
                and p.get("driver") == "usb-hub"
                and p.get("bus") == bus
                and p.get("port") == ".".join(path[:depth])
            ),
            None,
        )
        upstream = hub.get("id") if hub is not None else None
        if not upstream:
            return None
    return {"bus": upstream, "port": int(path[-1])}


def usb_cdrom_kind(driver: str, target: Target) -> str | None:
    """usb-cdrom, whose -device is a usb-bot (its scsi-cd follows), where the arch has it."""
    from genqemu.devices.usb import UsbCdrom

    here = UsbCdrom.kind in target.profile.devices
    return UsbCdrom.kind if here and driver == UsbCdrom.bot_driver else None


def usb_cdrom_drive(pool: Pool, bot: Piece) -> Piece | None:
    """The one scsi-cd on the usb-bot's SCSI bus (ID.0), as genqemu writes it
    (no id, a drive); None when there is not exactly that."""
    from genqemu.devices.ata import Cdrom

    found = [
        p
        for p in pool.free("device")
        if p.get("bus") == f"{bot.get('id')}.0" and p.get("driver") == Cdrom.scsi_driver
    ]
    if bot.get("id") is None or len(found) != 1 or found[0].get("id") is not None:
        return None
    return found[0] if found[0].get("drive") else None
