"""USB devices on a command line: `bus=CONTROLLER.0,port=PATH` as genqemu's keys.

QEMU names a USB port by its path from the controller (`4.1`: port 1 of the
hub in port 4); genqemu names the controller or the hub a device is plugged
into (`bus`) and the port on it (genqemu/usb.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from genqemu.importer.canon import Piece
    from genqemu.importer.claims import Pool


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
