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
A USB -device without port= goes on its bus= or the only USB bus, the same
way (a usb-hub without port= adds no hub for itself, and a lone EHCI takes
no hub). Anything else stays as written, so it equals only itself passed
through.
"""

from __future__ import annotations

import re
from contextlib import suppress
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
# -device controllers: the ports of their bus; a lone EHCI takes no full-speed hub.
_PORTS = {"qemu-xhci": 4, "nec-usb-xhci": 4, "ich9-usb-ehci1": 6, "piix3-usb-uhci": 2,
          "ich9-usb-uhci1": 2, "pci-ohci": 3}  # fmt: skip
_NO_HUB = {"ich9-usb-ehci1"}


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
        return place_usb_devices(found)
    if not usb_turned_on(argv):
        return place_usb_devices([item for i, item in enumerate(found) if i not in legacy])
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
    return place_usb_devices(kept + made)


def place_usb_devices(found: Found) -> Found:
    """`found` with each USB -device without port= given the bus and port QEMU
    gives it, after the hub QEMU adds for it, where its bus is known: named in
    bus=, or the only USB bus. Devices are made in rank order (-usbdevice's
    first); anything this model does not know leaves a device as it is."""
    free: dict[str, list[str]] = {}  # bus name -> its free ports, in QEMU's order
    unknown = any(n in ("usb", "usbdevice") for n, _, _ in found)
    unknown |= any("usb" in t for n, t, _ in found if n == "machine")
    hubs_fit: dict[str, bool] = {}
    placed: dict[int, list[tuple[str, dict[str, Any], tuple[float, int]]]] = {}
    for index in sorted(range(len(found)), key=lambda i: found[i][2]):
        name, table, rank = found[index]
        driver = table.get("driver", [""])[0] if name == "device" else ""
        if driver in _PORTS and not {"p2", "p3", "masterbus"} & set(table):
            bus = f"{table['id'][0]}.0" if "id" in table else f"usb-bus.{len(free)}"
            free[bus] = [str(n) for n in range(1, _PORTS[driver] + 1)]
            hubs_fit[bus] = driver not in _NO_HUB
        elif re.search("[uoex]hci", driver):
            unknown = True
        elif driver.startswith("usb-") and "port" not in table:
            buses = list(free) if not unknown else []
            bus = table.get("bus", buses if len(buses) == 1 else [""])[0]
            ports = free.get(bus)
            if not ports:
                continue
            hub = []
            if len(ports) == 1 and driver != "usb-hub" and hubs_fit[bus]:
                path = ports.pop(0)
                ports += [f"{path}.{n}" for n in range(1, _HUB_PORTS + 1)]
                hub = [(name, {"driver": ["usb-hub"], "bus": [bus], "port": [path]}, rank)]
            path = ports.pop(0)
            placed[index] = [*hub, (name, {**table, "bus": [bus], "port": [path]}, rank)]
        if driver.startswith("usb-") and "port" in table:
            only = next(iter(free)) if len(free) == 1 and not unknown else ""
            with suppress(ValueError):
                free.get(table.get("bus", [only])[0], []).remove(table["port"][0])
        if driver == "usb-hub":
            last = placed.get(index, [found[index]])[-1][1]
            bus, path = (last.get(k, [""])[0] for k in ("bus", "port"))
            free.get(bus, []).extend(f"{path}.{n}" for n in range(1, _HUB_PORTS + 1))
    return [item for i, old in enumerate(found) for item in placed.get(i, [old])]
