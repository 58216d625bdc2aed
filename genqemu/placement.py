"""Placement: whether a device exists on the target, its transport and driver name.

The profile says which kinds exist on the arch (and over which transports),
the machine says which transports it has and which kinds it lacks. A virtio
device takes its transport from the config or the machine's default and its
driver name from the kind plus the transport's suffix. Keys that only apply on
some transports are refused on the others, never silently dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from genqemu.schema import Field, Problems

if TYPE_CHECKING:
    from genqemu.config import Config
    from genqemu.devices import Device
    from genqemu.profiles import MachineProfile, Profile
    from genqemu.settings import Settings


def place(
    device: Device,
    config: Config,
    profile: Profile,
    machine_type: str,
    machine: MachineProfile,
    problems: Problems,
    settings: Settings,
) -> None:
    """Decide the device's transport and driver, or record why it cannot exist here."""
    path = device.toml_path
    where = f"{profile.arch} machine {machine_type}"
    exists_on = profile.devices.get(device.kind)
    if exists_on is None:
        problems.add(
            f"{path}.kind",
            f"{device.kind} does not exist on {profile.arch}" + _elsewhere(device.kind, settings),
        )
        return
    if device.kind in machine.lacks:
        problems.add(f"{path}.kind", f"{device.kind} does not exist on {where}")
        return
    for need in profile.needs.get(device.kind, []):
        _check_need(device, need, config, profile, problems)
    if device.virtio:
        transport = _virtio_transport(device, exists_on, machine_type, where, machine, problems)
        if transport is None:
            return
        device.driver = device.kind + profile.transports[transport].suffix
    else:
        transport = device.native_transport
        if transport is not None and transport not in machine.transports:
            problems.add(
                f"{path}.kind", f"{device.kind} needs {transport}, which {where} does not have"
            )
            return
        device.transport_rule = "the kind's only transport" if transport else "none"
        device.driver = profile.drivers.get(device.kind, device.kind)
        if device.driver != device.kind:
            device.notes.append(f"driver {device.driver}: the {profile.arch} profile's")
    device.transport = transport
    device.devno = device.__dict__.get("devno")
    for field in _transport_bound(type(device)):
        value = device.__dict__[field.attr]
        if value is not None and transport not in field.transports:
            problems.add(
                f"{path}.{field.name}",
                f"only applies on the {' or '.join(field.transports)} transport, and "
                f"this {device.kind} uses {transport or 'none'} on {profile.arch}: remove it",
            )
    if device.virtio:
        _iommu_platform(device, config, problems)


_BOUND: dict[type, tuple[Field[Any], ...]] = {}


def _transport_bound(kind: type[Device]) -> tuple[Field[Any], ...]:
    """The keys of a device class that only apply on some transports (memoised)."""
    bound = _BOUND.get(kind)
    if bound is None:
        bound = _BOUND[kind] = tuple(f for f in kind.fields.values() if f.transports)
    return bound


def _virtio_transport(
    device: Device,
    exists_on: list[str],
    machine_type: str,
    where: str,
    machine: MachineProfile,
    problems: Problems,
) -> str | None:
    usable = [t for t in machine.transports if t in exists_on]
    requested: str | None = device.__dict__["transport"]
    if requested is not None:
        if requested not in usable:
            problems.add(
                f"{device.toml_path}.transport",
                f"{device.kind} has no {requested!r} transport on {where}; "
                f"use one of: {', '.join(usable) or 'none'}",
            )
            return None
        device.transport_rule = "set by the device"
        return requested
    if not usable:
        problems.add(f"{device.toml_path}.kind", f"{device.kind} has no transport on {where}")
        return None
    device.transport_rule = f"default of machine {machine_type}"
    return usable[0]


def _check_need(
    device: Device, need: str, config: Config, profile: Profile, problems: Problems
) -> None:
    """A profile's `needs` entry: "firmware", or a key of the device that must be set."""
    if need == "firmware":
        if config.bios is None and not config.pflash:
            problems.add(
                device.toml_path,
                f"{device.kind} on {profile.arch} needs UEFI firmware (ACPI): set bios or pflash",
            )
    elif device.__dict__.get(need) is None:
        problems.add(
            f"{device.toml_path}.{need}", f"{device.kind} on {profile.arch} needs {need}: set it"
        )


def _iommu_platform(device: Device, config: Config, problems: Problems) -> None:
    """Apply the top-level knob; on PCI, QEMU needs disable-legacy=on with it."""
    values = device.__dict__
    if values["iommu_platform"] is None and config.iommu_platform:
        values["iommu_platform"] = True
        device.notes.append("iommu_platform=on: from the top-level iommu_platform")
    if values["iommu_platform"] and device.transport == "pci" and "disable_legacy" in values:
        if values["disable_legacy"] is False:
            problems.add(
                f"{device.toml_path}.disable_legacy",
                "must be true with iommu_platform on PCI (QEMU offers no IOMMU to "
                "legacy virtio): remove it",
            )
        elif values["disable_legacy"] is None:
            device.notes.append("disable-legacy=on: QEMU needs it with iommu_platform on PCI")
        values["disable_legacy"] = True


def _elsewhere(kind: str, settings: Settings) -> str:
    """`; it exists on s390x` for a kind other arches have."""
    from genqemu.profiles import arch_names, load_profile

    arches = [
        a
        for a in sorted(set(arch_names(settings).values()))
        if kind in load_profile(a, settings).devices
    ]
    return f"; it exists on {', '.join(arches)}" if arches else ""
