"""The usb-hubs genqemu adds when a controller's ports run out.

A device that finds every port of its controller (and of the hubs on it)
taken gets a hub made for it: the hub takes the last port held by a device
genqemu placed (never one a `port` key chose, so those stay where the config
says), that device moves to the hub's port 1 and the newcomer to port 2; the
ones after them fill the hub. When that hub is full, the next one goes into
its last port: depth first, as deep as USB allows (five hubs; QEMU 7.2 and
10.0 refuse a sixth: "usb hub chain too deep"). Imported only when a hub
is needed (start-up time). Every USB device kind genqemu
has works behind a hub (a USB 1.1 hub: a high-speed disk runs at full speed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from genqemu.devices.usb import HUB, UsbHub
from genqemu.usb import MAX_HUB_TIERS

if TYPE_CHECKING:
    from genqemu.ids import Ids
    from genqemu.records import Placed
    from genqemu.schema import Problems
    from genqemu.usb import _Ports


def add_hub(
    placed: Placed, candidates: list[tuple[_Ports, int]], ids: Ids, problems: Problems
) -> tuple[Placed, Placed, _Ports, int] | None:
    """A hub for `placed`, in the last port of the deepest candidate (the
    controller, then the hubs on it, each with the tier a hub in it would be)
    held by a device genqemu placed; None when there is none, or the hub would
    be a tier too many. Returns the hub, the device it displaces, and the
    candidate and port it takes."""
    from genqemu.records import Placed

    for candidate, tier in reversed(candidates):
        movable = [
            p
            for p, d in candidate.holders.items()
            if getattr(d.config, "port", None) is None and not isinstance(d.config, UsbHub)
        ]
        if tier > MAX_HUB_TIERS or not movable:
            continue
        port = max(movable)
        displaced = candidate.holders[port]
        config = UsbHub.load({}, placed.toml_path, problems)
        if config is None:  # an empty table always loads
            return None
        hub = Placed(config, ids.fresh(UsbHub.id_prefix))
        ids.claim(hub.id, HUB, placed.toml_path)
        hub.driver = HUB
        hub.notes.append(
            f"every port of {candidate.placed.id!r} was taken: genqemu added this hub in "
            f"port {port}, for {displaced.id} (moved behind it) and the USB devices after "
            f"it ({displaced.toml_path} on)"
        )
        return hub, displaced, candidate, port
    return None
