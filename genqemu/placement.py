"""Placement: whether a device exists on the target, its transport and driver name.

The profile says which kinds exist on the arch (and over which transports),
the machine says which transports it has and which kinds it lacks. A virtio
device takes its transport from the config or the machine's default and its
driver name from the kind plus the transport's suffix. Keys that only apply on
some transports are refused on the others, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from genqemu.schema import Problems

if TYPE_CHECKING:
    from genqemu.config import Config
    from genqemu.devices import Device
    from genqemu.profiles import MachineProfile, Profile
    from genqemu.records import Placed
    from genqemu.settings import Settings


def place(
    placed: Placed,
    config: Config,
    profile: Profile,
    machine_type: str,
    machine: MachineProfile,
    problems: Problems,
    settings: Settings,
) -> None:
    """Decide the device's transport and driver, or record why it cannot exist here."""
    device = placed.config
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
    device.check_profile(profile, problems)
    if device.virtio:
        transport = _virtio_transport(placed, exists_on, profile, machine_type, machine, problems)
        if transport is None:
            return
        placed.driver = device.kind + profile.transports[transport].suffix
    else:
        usable = [t for t in machine.transports if t in exists_on]
        if exists_on and not usable:
            needed = " or ".join(exists_on)
            problems.add(
                f"{path}.kind", f"{device.kind} needs {needed}, which {where} does not have"
            )
            return
        transport = usable[0] if usable else None
        if transport is None:
            placed.transport_rule = "none"
        elif len(exists_on) == 1:
            placed.transport_rule = "the kind's only transport"
        else:
            placed.transport_rule = f"default of machine {machine_type}"
        placed.driver = profile.drivers.get(device.kind, device.kind)
        if placed.driver != device.kind:
            placed.notes.append(f"driver {placed.driver}: the {profile.arch} profile's")
    placed.transport = transport
    keys = profile.transports[transport].keys if transport is not None else []
    for field in device.transport_bound:
        if field.name not in keys and getattr(device, field.attr) is not None:
            takes = _transports_with(field.name, profile, settings)
            message = (
                f"only applies on the {' or '.join(takes)} transport, and this {device.kind} "
                f"uses {transport or 'none'} on {profile.arch}: remove it"
            )
            if transport is not None and transport in takes:  # only another arch's takes it
                message = f"does not apply on {profile.arch}'s {transport} transport: remove it"
            problems.add(f"{path}.{field.name}", message)
    if device.virtio:
        _iommu_platform(placed, config, "disable_legacy" in keys, problems)
    if transport is not None and getattr(device, "iothread", None) is not None:
        _iothread(device, transport, config, profile, problems)


def _iothread(
    device: Device, transport: str, config: Config, profile: Profile, problems: Problems
) -> None:
    """An iothread needs ioeventfd, which some transports have under some accelerators only."""
    from genqemu.profiles import accel_chain

    allowed = profile.transports[transport].iothread_accels
    accel = config.machine.accel if config.machine else None
    refused = [name for name in accel_chain(accel) if allowed and name not in allowed]
    if refused:
        problems.add(
            f"{device.toml_path}.iothread",
            f"a device on the {transport} transport runs in an iothread only under "
            f"{' or '.join(allowed)} on {profile.arch}, and this VM may run under "
            f"{' or '.join(refused)} (machine.accel): remove iothread, set machine.accel, "
            "or use another transport",
        )


def _transports_with(key: str, profile: Profile, settings: Settings) -> list[str]:
    """The transports `key` applies on: this arch's, else those of the other arches."""
    from genqemu.profile_files import arch_names
    from genqemu.profiles import load_profile

    found = [name for name, spec in profile.transports.items() if key in spec.keys]
    if not found:
        for arch in sorted(set(arch_names(settings).values())):
            for name, spec in load_profile(arch, settings).transports.items():
                if key in spec.keys and name not in found:
                    found.append(name)
    return found or ["no"]


def _virtio_transport(
    placed: Placed,
    exists_on: Sequence[str],
    profile: Profile,
    machine_type: str,
    machine: MachineProfile,
    problems: Problems,
) -> str | None:
    device = placed.config
    where = f"{profile.arch} machine {machine_type}"
    usable = [t for t in machine.transports if t in exists_on]
    requested: str | None = getattr(device, "transport", None)
    if requested is not None:
        if requested not in usable:
            spec = profile.transports.get(requested)
            why = profile.unusable.get(device.kind + spec.suffix) if spec else None
            because = f" (QEMU's {device.kind}{spec.suffix} {why})" if spec and why else ""
            problems.add(
                f"{device.toml_path}.transport",
                f"{device.kind} has no {requested!r} transport on {where}{because}; "
                f"use one of: {', '.join(usable) or 'none'}",
            )
            return None
        placed.transport_rule = "set by the device"
        return requested
    if not usable:
        problems.add(f"{device.toml_path}.kind", f"{device.kind} has no transport on {where}")
        return None
    placed.transport_rule = f"default of machine {machine_type}"
    return usable[0]


def _check_need(
    device: Device, need: str, config: Config, profile: Profile, problems: Problems
) -> None:
    """A profile's `needs` entry: "firmware", or a key of the device that must be set."""
    if need == "firmware":
        boots_firmware = config.firmware is not None and config.firmware.type != "bios"
        if config.bios is None and not config.pflash and not boots_firmware:
            problems.add(
                device.toml_path,
                f"{device.kind} on {profile.arch} needs UEFI firmware (ACPI): add [firmware] "
                "type = 'uefi' (or set bios or pflash)",
            )
    elif getattr(device, need, None) is None:
        problems.add(
            f"{device.toml_path}.{need}", f"{device.kind} on {profile.arch} needs {need}: set it"
        )


def _iommu_platform(placed: Placed, config: Config, legacy: bool, problems: Problems) -> None:
    """Apply the top-level knob. Where the transport offers legacy virtio (it has
    the disable_legacy key: PCI), QEMU needs disable-legacy=on with it."""
    device = placed.config
    placed.iommu_platform = getattr(device, "iommu_platform", None)
    has_legacy = "disable_legacy" in device.fields
    placed.disable_legacy = getattr(device, "disable_legacy", None) if has_legacy else None
    if placed.iommu_platform is None and config.iommu_platform:
        placed.iommu_platform = True
        placed.notes.append("iommu_platform=on: from the top-level iommu_platform")
    if placed.iommu_platform and legacy and has_legacy:
        if placed.disable_legacy is False:
            problems.add(
                f"{device.toml_path}.disable_legacy",
                "must be true with iommu_platform on PCI (QEMU offers no IOMMU to "
                "legacy virtio): remove it",
            )
        elif placed.disable_legacy is None:
            placed.notes.append("disable-legacy=on: QEMU needs it with iommu_platform on PCI")
        placed.disable_legacy = True


def _elsewhere(kind: str, settings: Settings) -> str:
    """`; it exists on s390x` for a kind other arches have."""
    from genqemu.profile_files import arch_names
    from genqemu.profiles import load_profile

    arches = [
        a
        for a in sorted(set(arch_names(settings).values()))
        if kind in load_profile(a, settings).devices
    ]
    return f"; it exists on {', '.join(arches)}" if arches else ""
