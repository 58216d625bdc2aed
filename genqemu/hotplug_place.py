"""Where a hot-plugged device goes in the running VM, written into its record.

Resolution placed NEW's devices as if they were in CONFIG from the start.
What differs for a running VM: a bus with no hot-plug (virtio-mmio, pcie.0)
cannot take them. On a machine whose profile names a `hotplug_port` kind,
a PCI device without a bus of its own gets the first such port of CONFIG
that no device uses (a root port takes one device). CCW devnos need nothing
more: CONFIG's devices come first, so NEW's get the next free numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from genqemu.devices.base import PciBus
from genqemu.schema import Problems

if TYPE_CHECKING:
    from genqemu.profiles import MachineProfile
    from genqemu.records import Placed
    from genqemu.resolve import Vm


def place_new(vm: Vm, running: Vm, devices: list[Placed], problems: Problems) -> None:
    """Refuse what cannot be hot-plugged here, give PCI devices a free port."""
    from genqemu.qemu_facts import COLD_PLUG_ONLY

    _chassis_apart(running, devices)

    machine = vm.profile.machine(vm.machine_type)
    port_kind = machine.hotplug_port if machine else None
    root_bus = machine.root_bus if machine else None
    taken = {bus for d in vm.devices for bus in _pci_buses(d)}
    free = [port for port in spare_ports(running) if port not in taken]
    ports = {d.id for d in vm.devices if d.kind == port_kind}
    for device in devices:
        why = COLD_PLUG_ONLY.get(device.kind)
        if why is not None:
            problems.add(f"{device.toml_path}.kind", f"{device.kind} cannot be hot-plugged: {why}")
            continue
        spec = vm.profile.transports.get(device.transport or "")
        if spec is not None and not spec.hotplug:
            problems.add(
                device.toml_path,
                f"QEMU cannot hot-plug on the {device.transport} transport of "
                f"{vm.arch} machine {vm.machine_type} (its bus has no hot-plug): "
                "put the device in CONFIG, or use another transport",
            )
            continue
        for attr in _pci_bus_fields(device):
            bus = device.refs.get(attr)
            if port_kind is None or (bus is not None and bus != root_bus):
                if bus in ports and _users(vm, bus) > 1:
                    problems.add(
                        f"{device.toml_path}.bus",
                        f"{port_kind} {bus!r} already has a device, and a port takes one: "
                        "leave bus out to get a free one",
                    )
                continue
            if bus == root_bus and bus is not None:
                problems.add(
                    f"{device.toml_path}.bus",
                    f"the root bus {root_bus!r} of {vm.machine_type} has no hot-plug: "
                    f"leave bus out to get a free {port_kind}",
                )
            elif not free:
                problems.add(
                    device.toml_path,
                    f"no free {port_kind} in CONFIG: the running VM needs one that no device "
                    f"uses for each hot-plugged PCI device; start it with more "
                    f'([[device]] kind = "{port_kind}")',
                )
            else:
                device.refs[attr] = free.pop(0)
                device.notes.append(f"bus {device.refs[attr]}: a free {port_kind} of CONFIG")


def new_devices(vm: Vm, offset: int, count: int, problems: Problems) -> list[Placed]:
    """NEW's devices in the merged VM: those from [[device]] `offset` on (the
    spare root ports after them are CONFIG's), with a usb-hub genqemu added for
    one of them (genqemu/usb_hubs.py: it has that device's TOML path), unless
    the hub would move a device of CONFIG: QEMU cannot move a plugged-in one."""
    from genqemu.devices.usb import UsbHub

    paths = [d.toml_path for d in vm.devices]
    found = []
    for index, device in enumerate(vm.devices):
        number = _index(device.toml_path)
        if number is None or not offset <= number < offset + count:
            continue
        added = isinstance(device.config, UsbHub) and paths.count(device.toml_path) > 1
        moved = vm.devices[index + 1] if added else device  # a hub is put before it
        if (_index(moved.toml_path) or 0) < offset:
            problems.add(
                device.toml_path,
                f"every USB port of the running VM's {moved.usb_bus or 'controller'} is taken, "
                f"and a usb-hub there would move {moved.id}: put a usb-hub in CONFIG, or "
                "name a controller or hub with free ports in bus",
            )
            continue
        found.append(device)
    return found


def devices_between(vm: Vm, start: int, end: int) -> list[Placed]:
    """The devices of [[device]] `start` to `end` (excluded), with any usb-hub
    genqemu added for one of them (it has that device's TOML path)."""
    return [d for d in vm.devices if start <= (_index(d.toml_path) or -1) < end]


def _index(path: str) -> int | None:
    """N of a [[device]]'s TOML path device[N]."""
    number = path.removeprefix("device[").partition("]")[0]
    return int(number) if path.startswith("device[") and number.isdigit() else None


def spare_root_ports(
    count: int, vm: Vm, machine: MachineProfile | None, problems: Problems
) -> list[Placed]:
    """`[machine] spare_root_ports`: that many ports of the machine's hot-plug
    port kind, after the config's devices (so that ids and chassis numbers of
    the devices stay what they would be without them), on the root bus: without
    a bus QEMU puts a port on the last PCI Express bus made, a pxb-pcie's."""
    from genqemu.devices import DEVICE
    from genqemu.records import Placed

    path = "machine.spare_root_ports"
    kind = machine.hotplug_port if machine else None
    if machine is None:
        return []
    if kind is None:
        problems.add(
            path,
            f"machine {vm.machine_type} on {vm.arch} hot-plugs PCI devices on its root bus "
            "(or has no PCI Express root ports): remove it",
        )
        return []
    ports = []
    for _ in range(count):
        model = DEVICE.models[kind]
        device = model.load({"bus": machine.root_bus} if machine.root_bus else {}, path, problems)
        if device is not None:
            ports.append(Placed(device, ""))
            ports[-1].notes.append(f"spare: {path} (for genqemu hotplug)")
    return ports


def spare_ports(vm: Vm) -> list[str]:
    """The ids of the hot-plug ports of `vm` that no device uses and that allow
    hot-plug (a pcie-root-port's `hotplug = false` does not): for explain too."""
    machine = vm.profile.machine(vm.machine_type)
    kind = machine.hotplug_port if machine else None
    taken = {bus for d in vm.devices for bus in _pci_buses(d)}
    return [
        d.id
        for d in vm.devices
        if d.kind == kind and d.id not in taken and getattr(d.config, "hotplug", None) is not False
    ]


def keep_placement(placed: Sequence[Placed], again: Sequence[Placed]) -> None:
    """Give the records of a new resolution of hot-plugged devices (`again`) what
    place_new decided for them before (`placed`, the same entries): their
    ports and chassis numbers, and the notes that say why."""
    for old, new in zip(placed, again, strict=True):
        new.refs.update({attr: old.refs[attr] for attr in _pci_bus_fields(old)})
        new.chassis = old.chassis
        new.notes[:] = old.notes


def _chassis_apart(running: Vm, devices: list[Placed]) -> None:
    """A new bridge's automatic chassis number, away from the running VM's: the
    spare root ports, which come after every [[device]], took theirs without it."""
    taken = {d.chassis for d in running.devices if d.chassis is not None}
    for device in devices:
        chosen = getattr(device.config, device.config.chassis_key or "", None)
        if device.chassis is None or chosen is not None:
            continue
        number = 1
        while number in taken:
            number += 1
        device.chassis = number
        taken.add(number)


def _pci_bus_fields(device: Placed) -> list[str]:
    """The attributes of the device's PCI bus keys that apply on its transport."""
    if device.transport is None:
        return []
    return [field.attr for field, check in device.config.references if isinstance(check, PciBus)]


def _pci_buses(device: Placed) -> list[str]:
    return [bus for attr in _pci_bus_fields(device) if (bus := device.refs.get(attr))]


def _users(vm: Vm, bus: str) -> int:
    return sum(bus in _pci_buses(d) for d in vm.devices)
