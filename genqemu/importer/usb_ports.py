"""USB -devices that name no port: the bus, port and hubs QEMU gives them.

QEMU plugs a USB device without port= into the first free port of its bus
(hw/usb/bus.c usb_claim_port); when only one port is left it first puts a
usb-hub there, unless the device is a hub itself or the port takes no
full-speed device (a lone EHCI), and a hub's ports join the end of the
free list. The -usbdevice devices come first (legacy_usb.py), then each
-device in order. Where a device's bus is the machine's one USB bus, or its
bus= names one, it gets bus=ID.0 and port=PATH as QEMU would, and QEMU's
hubs become usb-hub -devices, so the mappers type them like any other.
Where genqemu cannot tell, the USB -devices are held back, to be passed
through as written, with a note saying why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from genqemu.importer.canon import Piece
from genqemu.importer.claims import fresh_id

if TYPE_CHECKING:
    from genqemu.importer.claims import Target

_CONTROLLER_LIKE = re.compile(r"[uoex]hci")  # QEMU's USB host controllers, typed or not
_OTHER_USB_DEVICES = ("u2f-emulated", "u2f-passthru", "canokey")  # USB, named otherwise
_LEGACY = ("usb", "usbdevice")


class UsbBus:
    """One controller's bus as hw/usb/bus.c keeps it: its free ports, in order."""

    def __init__(self, driver: str) -> None:
        from genqemu.qemu_facts import USB_HIGH_SPEED_ONLY, USB_PORTS

        self.free = [str(n) for n in range(1, USB_PORTS[driver] + 1)]
        self.full_speed = driver not in USB_HIGH_SPEED_ONLY

    def plug(self, port: str | None, hub: bool) -> tuple[str | None, str] | None:
        """(the port of the usb-hub QEMU adds first, if it does; the device's port),
        or None where QEMU refuses or a hub would chain too deep."""
        added = None
        if port is None:
            if len(self.free) == 1 and not hub and self.full_speed:
                added = self.free[0]
                if not self._hub(added):
                    return None
            if not self.free:
                return None
            port = self.free[0]
        if port not in self.free or (hub and not self.full_speed):
            return None
        self.free.remove(port)
        return (added, port) if not hub or self._hub(port, taken=True) else None

    def _hub(self, path: str, taken: bool = False) -> bool:
        from genqemu.qemu_facts import USB_PORTS
        from genqemu.usb import MAX_HUB_TIERS

        if path.count(".") >= MAX_HUB_TIERS:
            return False
        if not taken:
            self.free.remove(path)
        self.free += [f"{path}.{n}" for n in range(1, USB_PORTS["usb-hub"] + 1)]
        return True


@dataclass
class _Placing:
    """The buses found so far, the pieces on each, and why some cannot be placed."""

    given: set[str]
    buses: dict[str, UsbBus] = field(default_factory=dict)  # "ID.0" -> its bus
    groups: dict[str, list[int]] = field(default_factory=dict)  # "ID.0" -> piece indexes
    unknown: str | None = None  # a USB bus genqemu does not model, in a user's words
    held: set[int] = field(default_factory=set)  # piece indexes to pass through
    usb: list[int] = field(default_factory=list)  # every USB piece's index
    everything: bool = False  # hold back every USB piece
    notes: list[str] = field(default_factory=list)


def usb_ports(
    pieces: list[Piece], options_named: dict[int, str], target: Target
) -> tuple[list[Piece], list[Piece], list[str]]:
    """`pieces` with each USB device's bus and port and QEMU's hubs; the pieces to
    hold back (passed through as written); notes saying why."""
    from genqemu.qemu_facts import USB_PORTS

    state = _Placing({value for p in pieces for name, value in p.props if name == "id"})
    state.unknown = _machine_bus(pieces, options_named, target)
    out: list[Piece] = []
    legacy_left = sum(1 for p in pieces if options_named.get(p.origin) in _LEGACY)
    for piece in pieces:
        driver = (piece.get("driver") or "") if piece.option == "device" else ""
        legacy_left -= options_named.get(piece.origin) in _LEGACY
        if driver in USB_PORTS and driver != "usb-hub":
            state.usb.append(len(out))
            piece = _controller(piece, driver, len(out), state)
        elif _CONTROLLER_LIKE.search(driver) and not driver.startswith("usb-"):
            state.unknown = state.unknown or f"the command line has a {driver}"
        elif driver.startswith("usb-") or driver in _OTHER_USB_DEVICES:
            if legacy_left and options_named.get(piece.origin) not in _LEGACY:
                state.unknown = "QEMU makes the devices of -usbdevice before it"
            made = _device(piece, driver, len(out), state, target)
            state.usb += range(len(out), len(out) + len(made))
            out += made
            continue
        out.append(piece)
    held = set(state.usb) if state.everything else set(state.held)
    for group in state.groups.values():
        if held & set(group):
            held.update(group)
    kept = [p for i, p in enumerate(out) if i not in held]
    return kept, [p for i, p in enumerate(out) if i in held], state.notes


def _machine_bus(pieces: list[Piece], named: dict[int, str], target: Target) -> str | None:
    """Why the machine may have a USB bus genqemu does not model; None if not."""
    if any(p.option in _LEGACY for p in pieces):
        return "-usb or -usbdevice stays passed through"
    machine = next((p for p in pieces if p.option == "machine"), None)
    if machine is not None and machine.get("usb") is not None:
        return "-machine usb= is given"
    legacy = target.machine.legacy_usb if target.machine is not None else None
    if legacy is not None and legacy.first_free and "nodefaults" not in named.values():
        return "without -nodefaults this machine may make a USB controller of its own"
    return None


def _controller(piece: Piece, driver: str, index: int, state: _Placing) -> Piece:
    if any(piece.get(k) is not None for k in ("p2", "p3", "masterbus")):
        state.unknown = state.unknown or f"a {driver} has its own port count or master bus"
        return piece
    ident = piece.get("id")
    if ident is None:
        ident = fresh_id("usb", state.given)
        piece = replace(piece, props=[*piece.props, ("id", ident)])
    state.buses[f"{ident}.0"] = UsbBus(driver)
    state.groups[f"{ident}.0"] = [index]
    return piece


def _device(piece: Piece, driver: str, index: int, state: _Placing, target: Target) -> list[Piece]:
    """The device with its bus and port, after the hub QEMU adds for it, if any."""
    from genqemu.importer.devices import driver_kind

    bus = piece.get("bus")
    if bus is None and (state.unknown is not None or len(state.buses) != 1):
        why = state.unknown or (
            "the machine has no USB bus for it"
            if not state.buses
            else "the machine has several USB controllers and it names none in bus="
        )
        return _hold_all(piece, index, state, f"-device {driver}: {why}")
    bus = bus or next(iter(state.buses))
    if bus not in state.buses:
        return _hold_all(piece, index, state, f"-device {driver}: genqemu does not know bus={bus}")
    group = state.groups[bus]
    hub = driver == "usb-hub"
    placed = state.buses[bus].plug(piece.get("port"), hub)
    if hub and piece.get("ports") not in (None, "8"):
        placed = None
    if placed is None or (not hub and driver_kind(driver, target) is None):
        why = (
            f"genqemu has no USB device kind for {driver}"
            if placed is not None
            else "QEMU would refuse it or chain hubs too deep"
        )
        state.held.add(index)
        group.append(index)
        state.notes.append(
            f"-device {driver} and the other devices on {bus[:-2]!r} are passed through "
            f"as written: {why}"
        )
        return [piece]
    added, port = placed
    props = [(k, v) for k, v in piece.props if k not in ("bus", "port")]
    if hub and piece.get("id") is None:
        props.append(("id", fresh_id("hub", state.given)))
    made = [replace(piece, props=[*props, ("bus", bus), ("port", port)])]
    if added is not None:
        ident = fresh_id("hub", state.given)
        hub_props = [("driver", "usb-hub"), ("id", ident), ("bus", bus), ("port", added)]
        made.insert(0, Piece("device", hub_props, piece.origin, piece.origins))
    group += range(index, index + len(made))
    return made


def _hold_all(piece: Piece, index: int, state: _Placing, note: str) -> list[Piece]:
    """Every USB piece held back: QEMU's choice is not genqemu's to write."""
    if not state.everything:
        state.notes.append(f"{note}; the USB controllers and devices are passed through as written")
    state.everything = True
    return [piece]
