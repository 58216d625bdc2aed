"""Where ATA disks and CD-ROMs sit: their controller, port and unit.

Each goes to the controller its `controller` key names, else to the machine's
built-in ATA controller (the profile's `ata_bus`, `ata_ports`, `ata_units`),
else to the only controller of a kind its key accepts. Ports and units the
config gives are checked (they exist, no two devices share one) and claimed
first; the others get the first free one, in config order. A CD-ROM on a SCSI
controller gets no port: QEMU numbers SCSI targets itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from genqemu.devices.ata import AtaAttached
from genqemu.ids import article

if TYPE_CHECKING:
    from genqemu.profiles import MachineProfile, Profile
    from genqemu.records import Placed
    from genqemu.schema import Problems


class _Bus:
    """One ATA controller: its ports and units, and who holds each slot."""

    def __init__(self, name: str, ports: int, units: int) -> None:
        self.name = name
        self.ports = ports
        self.units = units
        self.holders: dict[tuple[int, int], str] = {}  # (port, unit) -> TOML path

    def free(self) -> tuple[int, int] | None:
        slots = ((p, u) for p in range(self.ports) for u in range(self.units))
        return next((slot for slot in slots if slot not in self.holders), None)


def place_ata(
    devices: list[Placed], profile: Profile, machine: MachineProfile | None, problems: Problems
) -> None:
    """Give every ATA disk and CD-ROM its controller (refs.controller) and slot."""
    by_id = {d.id: d for d in devices}
    buses: dict[str, _Bus] = {}
    if machine is not None and machine.ata_bus:
        name = machine.ata_bus
        buses[name] = _Bus(name, machine.ata_ports, machine.ata_units)
    for d in devices:
        ports = getattr(d.config, "ata_ports", None)
        if ports is not None:
            buses[d.id] = _Bus(d.id, ports, getattr(d.config, "ata_units", 1))
    waiting: list[tuple[Placed, _Bus]] = []
    for placed in devices:
        device = placed.config
        if not isinstance(device, AtaAttached) or not placed.driver:
            continue  # not an ATA device, or one that cannot exist here (said already)
        if device.file is None:  # an empty CD-ROM tray: no -blockdev node
            placed.backend_id = None
        bus = _controller(placed, device, by_id, buses, profile, machine, problems)
        placed.driver = device.scsi_driver if placed.scsi else device.ata_driver
        if bus is None:
            continue
        if device.port is None and device.unit is None:
            waiting.append((placed, bus))
        else:
            _claim(placed, device, bus, problems)
    for placed, bus in waiting:
        slot = bus.free()
        if slot is None:
            problems.add(
                placed.toml_path,
                f"every port of {bus.name!r} is taken ({bus.ports * bus.units} devices): "
                "add a [[device]] with kind = 'ahci' and name it in controller",
            )
            continue
        bus.holders[slot] = placed.toml_path
        _record(placed, bus, slot)


def _controller(
    placed: Placed,
    device: AtaAttached,
    by_id: dict[str, Placed],
    buses: dict[str, _Bus],
    profile: Profile,
    machine: MachineProfile | None,
    problems: Problems,
) -> _Bus | None:
    """The ATA bus the device goes on (None for SCSI, or on a problem)."""
    field = device.fields["controller"]
    targets = field.check.targets  # type: ignore[attr-defined]
    name = placed.refs.get("controller")
    if name is None:
        if machine is not None and machine.ata_bus:
            name = machine.ata_bus
        else:
            found = [d.id for d in by_id.values() if d.kind in targets and d.driver]
            here = [t for t in targets if t in profile.devices] or list(targets)
            wanted = " or ".join(here)
            if len(found) != 1:
                fix = (
                    f"add a [[device]] with kind = {here[-1]!r} (this machine has "
                    "no built-in ATA controller)"
                    if not found
                    else f"there are several ({', '.join(found)}): say which in controller"
                )
                problems.add(
                    f"{placed.toml_path}.controller",
                    f"{device.kind} needs {article(wanted)} {wanted}: {fix}",
                )
                return None
            name = found[0]
        placed.refs["controller"] = name
    bus = buses.get(name)
    if bus is None:
        if name in by_id:  # a SCSI controller (the references check vouched for the kind)
            placed.scsi = True
            for key in ("port", "unit"):
                if getattr(device, key) is not None:
                    problems.add(
                        f"{placed.toml_path}.{key}",
                        f"applies on an ATA controller, and {name!r} is SCSI: remove {key}",
                    )
        return None
    return bus


def _claim(placed: Placed, device: AtaAttached, bus: _Bus, problems: Problems) -> None:
    """Check and take the port and unit the config gives (the missing one: 0)."""
    port, unit = device.port or 0, device.unit or 0
    path = placed.toml_path
    if port >= bus.ports:
        problems.add(
            f"{path}.port",
            f"{bus.name!r} has ports 0 to {bus.ports - 1}, got {port}: choose one of them",
        )
        return
    if unit >= bus.units:
        problems.add(
            f"{path}.unit",
            f"the ports of {bus.name!r} take one device each (unit 0), got {unit}: remove unit",
        )
        return
    holder = bus.holders.setdefault((port, unit), path)
    if holder != path:
        where = f"port {port}" + (f" unit {unit}" if bus.units > 1 else "")
        problems.add(
            f"{path}.port",
            f"{where} of {bus.name!r} is already used by {holder}: choose another, or "
            "leave port out for the first free one",
        )
        return
    _record(placed, bus, (port, unit), device.unit is not None)


def _record(placed: Placed, bus: _Bus, slot: tuple[int, int], given: bool = False) -> None:
    """The unit is written where the bus has several, and where the config
    gave it: a `unit = 0` that vanished would say nothing of what was asked."""
    placed.refs["controller"] = bus.name
    placed.port = slot[0]
    placed.unit = slot[1] if bus.units > 1 or given else None
