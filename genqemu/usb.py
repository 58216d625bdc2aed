"""Where USB devices are plugged in: the controller, the hubs between, the port.

A device goes where its `bus` says (a controller or a usb-hub), else on the
only controller. Ports the config gives are checked (they exist, no two
devices share one) and claimed first; the others get the first free port of
their controller, then of the hubs on it (config order), so a hub takes the
devices the controller has no port left for, and when every port is taken
genqemu adds a hub (genqemu/usb_hubs.py). Hubs are plugged in first, each
into the last free port, so the devices keep the first ones. QEMU plugs
devices in in config order, so a device comes after its controller and the
hubs it sits behind. QEMU gets the path: `port=3` on the controller's bus
ID.0, `3.1` on the first port of a hub in port 3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from genqemu.devices.usb import CONTROLLERS, HUB, UsbCdrom, UsbController, UsbDevice, UsbHub
from genqemu.qemu_facts import USB_PORTS

if TYPE_CHECKING:
    from genqemu.ids import Ids
    from genqemu.records import Placed
    from genqemu.schema import Problems

MAX_HUB_TIERS = 5  # USB 2.0 11.1.2.1: at most five hubs between a device and the root


class _Ports:
    """A controller's or hub's ports, and who holds each."""

    def __init__(self, placed: Placed, count: int) -> None:
        self.placed = placed
        self.count = count
        self.holders: dict[int, Placed] = {}

    def free(self, last: bool = False) -> int | None:
        numbers = range(self.count, 0, -1) if last else range(1, self.count + 1)
        return next((p for p in numbers if p not in self.holders), None)


def place_usb(devices: list[Placed], ids: Ids, problems: Problems) -> None:
    """Give every USB device its controller bus and port path (usb_bus, usb_port),
    adding a usb-hub where a controller has too few ports (genqemu/usb_hubs.py)."""
    here = [d for d in devices if d.driver]  # kinds missing on the arch are reported already
    ports = {
        d.id: _Ports(d, USB_PORTS[d.kind])
        for d in here
        if isinstance(d.config, (UsbController, UsbHub))
    }
    controllers = [d.id for d in here if isinstance(d.config, UsbController)]
    order: dict[int, float] = {id(d): i for i, d in enumerate(devices)}
    upstream: dict[str, _Ports] = {}  # device id -> the controller or hub it is plugged into
    waiting: list[tuple[Placed, _Ports]] = []
    for placed in here:
        device = placed.config
        if not isinstance(device, UsbDevice):
            continue
        if isinstance(device, UsbCdrom):
            placed.driver = device.bot_driver
        name = placed.refs.get("bus")
        if name is None:
            if len(controllers) != 1:
                fix = (
                    f"add a [[device]] with kind = {CONTROLLERS[0]!r}"
                    if not controllers
                    else f"there are several ({', '.join(controllers)}): say which in bus"
                )
                problems.add(
                    f"{placed.toml_path}.bus", f"{device.kind} needs a USB controller: {fix}"
                )
                continue
            name = placed.refs["bus"] = controllers[0]
        target = ports.get(name)
        if target is None:
            continue  # a dangling bus is reported with the references
        if order[id(target.placed)] > order[id(placed)]:
            problems.add(
                f"{placed.toml_path}.bus",
                f"{name!r} comes after it in the config, and QEMU plugs USB devices in "
                f"in config order: move this [[device]] after {name!r}",
            )
            continue
        if device.port is None:
            waiting.append((placed, target))
        elif device.port > target.count:
            problems.add(
                f"{placed.toml_path}.port",
                f"{name!r} has ports 1 to {target.count}, got {device.port}: choose one "
                "of them, or leave port out for the first free one",
            )
        elif (holder := target.holders.setdefault(device.port, placed)) is not placed:
            problems.add(
                f"{placed.toml_path}.port",
                f"port {device.port} of {name!r} is already used by {holder.toml_path}: "
                "choose another, or leave port out for the first free one",
            )
        else:
            upstream[placed.id] = target
    waiting.sort(key=lambda w: not isinstance(w[0].config, UsbHub))  # hubs first
    for placed, target in waiting:
        if not _plug(placed, target, ports, upstream, order):
            _hub(placed, target, devices, ports, upstream, order, ids, problems)
    for placed in devices:
        if placed.driver and placed.id in upstream:
            _path(placed, upstream, problems)


def _plug(
    placed: Placed,
    target: _Ports,
    ports: dict[str, _Ports],
    upstream: dict[str, _Ports],
    order: dict[int, float],
) -> bool:
    """Plug a device into the first free port of `target`, else of a hub under it
    that comes before it in the config (QEMU plugs them in in that order)."""
    for candidate in (target, *_hubs(placed, target, ports, upstream, order)):
        # A hub takes the last free port, so the devices keep the first ones.
        port = candidate.free(last=isinstance(placed.config, UsbHub) and candidate is target)
        if port is not None:
            candidate.holders[port] = placed
            upstream[placed.id] = candidate
            return True
    return False


def _hubs(
    placed: Placed,
    target: _Ports,
    ports: dict[str, _Ports],
    upstream: dict[str, _Ports],
    order: dict[int, float],
) -> list[_Ports]:
    """The hubs under `target` that `placed` may go behind, in config order."""
    return [
        p
        for p in ports.values()
        if isinstance(p.placed.config, UsbHub)
        and p is not target
        and order[id(p.placed)] < order[id(placed)]
        and target in (chain := _ancestors(p.placed, upstream))
        and placed.id not in {a.placed.id for a in chain} | {p.placed.id}
    ]


def _hub(
    placed: Placed,
    target: _Ports,
    devices: list[Placed],
    ports: dict[str, _Ports],
    upstream: dict[str, _Ports],
    order: dict[int, float],
    ids: Ids,
    problems: Problems,
) -> None:
    """Every port is taken: add a hub in front of the last device genqemu placed
    (QEMU realizes it first), move that device behind it and plug `placed` in."""
    from genqemu.usb_hubs import add_hub

    hubs = _hubs(placed, target, ports, upstream, order)
    tiers = [(c, len(_ancestors(c.placed, upstream)) + 1) for c in (target, *hubs)]
    made = add_hub(placed, tiers, ids, problems)
    if made is None:
        also = " and the hubs on it" if hubs else ""
        problems.add(
            placed.toml_path,
            f"every port of {target.placed.id!r}{also} is taken by devices with a port "
            f"key or {MAX_HUB_TIERS} hubs deep: leave port out of one of them, or add "
            "another controller and name it in bus",
        )
        return
    hub, displaced, where, port = made
    devices.insert(devices.index(displaced), hub)
    order[id(hub)] = order[id(displaced)] - 0.5
    where.holders[port] = hub
    upstream[hub.id] = where
    behind = ports[hub.id] = _Ports(hub, USB_PORTS[HUB])
    for number, device in enumerate((displaced, placed), 1):
        behind.holders[number] = device
        upstream[device.id] = behind


def _ancestors(placed: Placed, upstream: dict[str, _Ports]) -> list[_Ports]:
    """The hubs and controller above a plugged-in device, nearest first
    (as far as they are plugged in; a loop stops the walk)."""
    found: list[_Ports] = []
    current = upstream.get(placed.id)
    while current is not None and current not in found:
        found.append(current)
        current = upstream.get(current.placed.id)
    return found


def _path(placed: Placed, upstream: dict[str, _Ports], problems: Problems) -> None:
    """Write the controller's bus and the dotted port path into the record."""
    numbers: list[str] = []
    current: Placed = placed
    seen = {placed.id}
    while not isinstance(current.config, UsbController):
        above = upstream.get(current.id)
        if above is None:
            return  # a hub above is not plugged in: said already
        port = next((p for p, d in above.holders.items() if d is current), None)
        if port is None:
            return  # two devices share an id (said already): the ports are not its
        numbers.append(str(port))
        current = above.placed
        if current.id in seen:
            problems.add(
                f"{placed.toml_path}.bus",
                f"the usb-hubs above {placed.id!r} are plugged into each other: "
                "plug one of them into a controller",
            )
            return
        seen.add(current.id)
    if len(numbers) - 1 > MAX_HUB_TIERS:
        problems.add(
            f"{placed.toml_path}.bus",
            f"{len(numbers) - 1} hubs between {placed.id!r} and its controller, USB allows "
            f"{MAX_HUB_TIERS}: plug a hub nearer the controller",
        )
        return
    placed.usb_bus = f"{current.id}.0"
    placed.usb_port = ".".join(reversed(numbers))
