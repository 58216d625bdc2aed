"""The oracle's own model of -usb and -usbdevice: what QEMU makes of them.

Written apart from genqemu/importer/legacy_usb.py, from QEMU's behaviour as
measured on 7.2 and 10.0 (tests/test_import_legacy_usb.py checks it live):
the last of -usb, -usbdevice (both turn USB on) and -machine usb= decides
(off: QEMU makes nothing for them);
with USB on, pc makes a piix3-usb-uhci at 01.2 and pseries (with -nodefaults,
no -vga, no board NIC) an nec-usb-xhci in slot 0, with the machine; the
-usbdevice devices come after the board's and before any -device (a -device
usb-kbd before -usbdevice tablet gets the port after it); each goes into
the first free port, and when one port is left a usb-hub takes it and its
eight ports join the end of the free list (hw/usb/bus.c usb_claim_port).
Anything else stays as written, so it equals only itself passed through.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from genqemu.profiles import Profile

from .qemuopts import parse

Found = list[tuple[str, dict[str, Any], tuple[float, int]]]
# machine type pattern -> (controller, PCI address, its ports, needs -nodefaults alone)
_MACHINES = {
    "pc": ("piix3-usb-uhci", "01.2", 2, False),
    "pc-i440fx-*": ("piix3-usb-uhci", "01.2", 2, False),
    "pseries": ("nec-usb-xhci", "00.0", 4, True),
}
_DEVICES = {"tablet": "usb-tablet", "mouse": "usb-mouse", "keyboard": "usb-kbd"}
_HUB_PORTS = 8


def usb_turned_on(argv: list[str]) -> bool:
    """Whether the last of -usb, -usbdevice and -machine usb= turns USB on."""
    from .argv_equivalence import options

    state = False
    for name, arg in options(argv[1:]):
        if name in ("usb", "usbdevice"):
            state = True
        elif name in ("machine", "M") and arg is not None:
            for key, value in parse(arg, "type"):
                if key == "usb":
                    state = value in ("on", "yes", "true", None)
    return state


def expand_legacy_usb(found: Found, argv: list[str], profile: Profile) -> Found:
    """`found` with -usb and -usbdevice replaced by the devices QEMU makes, where
    this model knows them; as it was otherwise. A later -machine usb=off
    leaves them without effect: QEMU makes nothing for them."""
    legacy = [i for i, (name, _, _) in enumerate(found) if name in ("usb", "usbdevice")]
    if not legacy:
        return found
    if not usb_turned_on(argv):
        return [item for i, item in enumerate(found) if i not in legacy]
    machine = next((t for n, t, _ in found if n == "machine"), {})
    kind = machine.get("type", [profile.qemu_default_machine])[0] or ""
    spec = next((s for p, s in _MACHINES.items() if fnmatchcase(kind, p)), None)
    if spec is None:
        return found
    controller, addr, ports, alone = spec
    names = [n for n, _, _ in found]
    board = [r for n, _, r in found if r[0] == 0.0 and n != "machine"]
    if alone and ("nodefaults" not in names or "vga" in names or board):
        return found
    devices = [found[i] for i in legacy if found[i][0] == "usbdevice"]
    if any(t.get("", [""])[0] not in _DEVICES for _, t, _ in devices):
        return found
    drivers = [t.get("driver", [""])[0] for n, t, _ in found if n == "device"]
    if any("usb" in d or d.endswith("hci") for d in drivers):  # USB -devices: not modelled
        return found
    # QEMU's own name for the controller's bus: no id of the command line's.
    bus = ["usb-bus.0"]
    made: Found = [("device", {"driver": [controller], "addr": [addr]}, (0.0, -1))]
    free = [str(n) for n in range(1, ports + 1)]
    for _, table, (_, position) in devices:
        rank = (0.5, position)  # after the board's devices, before every -device
        if len(free) == 1:
            path = free.pop(0)
            made.append(("device", {"driver": ["usb-hub"], "bus": bus, "port": [path]}, rank))
            free += [f"{path}.{n}" for n in range(1, _HUB_PORTS + 1)]
        driver = _DEVICES[table[""][0]]
        made.append(("device", {"driver": [driver], "bus": bus, "port": [free.pop(0)]}, rank))
    kept = [item for i, item in enumerate(found) if i not in legacy]
    return kept + made
