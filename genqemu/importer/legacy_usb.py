"""-usb and -usbdevice NAME: the controller, devices and hubs QEMU makes for them.

QEMU's machine makes its own USB controller for -usb or -usbdevice (either
one turns USB on; the last of them and -machine usb= wins) and plugs each
-usbdevice into the first free port, adding a usb-hub in the last free port
when only one is left (hw/usb/bus.c; a hub's ports join the end of the free
list). Where genqemu can write the same VM, these become -device pieces with
the bus, port and PCI address QEMU gives them, so the device mappers type
them like any other; they share their origins, so verification keeps them
all or sends them all back to extra_args. Otherwise they stay as written,
with a note saying why.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from genqemu.importer.canon import Piece
from genqemu.importer.claims import fresh_id

if TYPE_CHECKING:
    from genqemu.importer.claims import Target
    from genqemu.importer.syntax import Option

_LEGACY = ("usb", "usbdevice")
_MAX_HUBS = 5  # QEMU 7.2 and 10.0: "usb hub chain too deep" past five


def legacy_usb(
    pieces: list[Piece], options: list[Option], target: Target
) -> tuple[list[Piece], list[str]]:
    """`pieces` with -usb and -usbdevice as the -devices QEMU makes, and notes:
    why they stay passed through, when they do."""
    legacy = [o for o in options if o.name in _LEGACY]
    if not legacy:
        return pieces, []
    if _turned_off(options):
        return _without_effect(pieces, legacy)
    reason = _untypable(pieces, options, target)
    if reason is not None:
        return pieces, [f"-usb and -usbdevice are passed through as written: {reason}"]
    made = _made(pieces, legacy, target)
    if made is None:
        return pieces, [
            f"-usb and -usbdevice are passed through as written: they need more than "
            f"{_MAX_HUBS} usb-hubs in a chain, which QEMU refuses"
        ]
    first = next(i for i, p in enumerate(pieces) if p.option in _LEGACY)
    rest = [p for p in pieces[first:] if p.option not in _LEGACY]
    return pieces[:first] + made + rest, []


def _turned_off(options: list[Option]) -> bool:
    """Whether a -machine usb=off comes after every -usb and -usbdevice."""
    from genqemu.importer.syntax import to_bool

    state = True
    for option in options:
        if option.name in _LEGACY:
            state = True
        elif option.name in ("machine", "M") and option.get("usb") is not None:
            state = to_bool(option.get("usb") or "on") is not False
    return not state


def _without_effect(pieces: list[Piece], legacy: list[Option]) -> tuple[list[Piece], list[str]]:
    """The -usb and -usbdevice options a later usb=off undoes belong to the machine
    (its usb = false says all they mean); QEMU makes nothing for them."""
    written = " ".join(" ".join(o.words) for o in legacy)
    kept: list[Piece] = []
    for piece in pieces:
        if piece.option in _LEGACY:
            continue
        if piece.option == "machine":
            origins = (*(piece.origins or (piece.origin,)), *(o.index for o in legacy))
            piece = replace(piece, origins=origins)
        kept.append(piece)
    return kept, [
        f"{written}: left out, as QEMU makes nothing for them: the -machine usb=off "
        "after them turns USB off (machine.options.usb = false)"
    ]


def _family(target: Target) -> str:
    return next(n for n, m in target.profile.machines.items() if m is target.machine)


def _untypable(pieces: list[Piece], options: list[Option], target: Target) -> str | None:
    """Why genqemu cannot write what QEMU makes of them, in a user's words; None if it can."""
    from genqemu.devices.usb import CONTROLLERS
    from genqemu.importer.order import phase
    from genqemu.qemu_facts import USBDEVICE_DRIVERS

    family = _family(target)
    legacy = target.machine.legacy_usb if target.machine is not None else None
    machine = next((p for p in pieces if p.option == "machine"), None)
    if machine is not None and machine.get("usb") is not None:
        return (
            "-machine usb= is given too (genqemu writes it before them, which QEMU "
            "reads the same way)"
        )
    fix = (
        f"to type them, add a [[device]] of kind {CONTROLLERS[0]!r} and the USB devices "
        "in their place"
        if CONTROLLERS[0] in target.profile.devices
        else f"genqemu has no USB devices on {target.profile.arch}"
    )
    if legacy is None:
        return (
            f"the {family} machine makes no USB controller of its own (QEMU ignores -usb "
            f"and refuses -usbdevice); {fix}"
        )
    if legacy.companions:
        return (
            f"for them {family} makes {legacy.driver} with {legacy.companions} UHCI "
            "companion controllers (masterbus and firstport), which genqemu's USB kinds "
            f"cannot describe; {fix}"
        )
    for option in options:
        if option.name == "usbdevice" and (option.arg or "") not in USBDEVICE_DRIVERS:
            known = ", ".join(USBDEVICE_DRIVERS)
            return f"genqemu types -usbdevice {known}, not -usbdevice {option.arg}"
    if legacy.driver not in target.profile.devices:
        return f"genqemu has no {legacy.driver} on {target.profile.arch}"
    if legacy.first_free and (
        (target.machine_type or family) != family
        or not any(o.name == "nodefaults" for o in options)
        or any(o.name == "vga" or phase(o) == 0.0 for o in options)
    ):
        return (
            f"on {family} the controller's PCI slot, and the USB keyboard and mouse QEMU "
            "adds with a display, depend on the machine version, -nodefaults, -vga and "
            "the board's NICs and disks; genqemu types them on the unversioned machine "
            "with -nodefaults and none of those"
        )
    return None


def _made(pieces: list[Piece], legacy: list[Option], target: Target) -> list[Piece] | None:
    """The controller, hubs and devices QEMU makes, as -device pieces; None when the
    hubs would chain too deep."""
    from genqemu.devices.usb import HUB
    from genqemu.importer.usb_ports import UsbBus
    from genqemu.qemu_facts import USBDEVICE_DRIVERS

    given = {value for piece in pieces for name, value in piece.props if name == "id"}
    assert target.machine is not None and target.machine.legacy_usb is not None
    controller, addr = target.machine.legacy_usb.driver, target.machine.legacy_usb.addr
    group = tuple(o.index for o in legacy)
    devices = [o for o in legacy if o.name == "usbdevice"]
    root = fresh_id("usb", given)
    made = [
        Piece(
            "device",
            [("driver", controller), ("id", root), ("addr", addr)],
            (devices or legacy)[0].index,
            group,
        )
    ]
    bus = UsbBus(controller)
    hubs: dict[str, str] = {}  # port path -> the hub's id
    for option in devices:
        placed = bus.plug(None, hub=False)
        if placed is None:
            return None
        hub, path = placed
        if hub is not None:
            hubs[hub] = fresh_id("hub", given)
            made.append(_usb_piece(HUB, root, hubs, hub, option.index, group))
        driver = USBDEVICE_DRIVERS[option.arg or ""]
        made.append(_usb_piece(driver, root, hubs, path, option.index, group))
    return made


def _usb_piece(
    driver: str, root: str, hubs: dict[str, str], path: str, origin: int, group: tuple[int, ...]
) -> Piece:
    props = [("driver", driver), ("bus", f"{root}.0"), ("port", path)]
    if path in hubs:
        props.insert(1, ("id", hubs[path]))
    return Piece("device", props, origin, group)
