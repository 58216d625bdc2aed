"""`genqemu explain`: why the command line is what it is, as readable tables.

For the machine: its type and where each machine option came from. For each
device: its QEMU driver, its transport and the rule that chose it, the numbers
genqemu allocated (CCW devno, chassis, inherited fds, backend ids) and what it
added for the arch. Then the inherited files, the privilege drop and the
options passed through as written.
"""

from __future__ import annotations

from collections.abc import Sequence
from shlex import quote
from typing import TYPE_CHECKING

from genqemu.escape import prop

if TYPE_CHECKING:
    from genqemu.launch import Launch
    from genqemu.records import Placed
    from genqemu.resolve import Vm


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    """Columns padded to their widest cell; the last column is not padded."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    return [
        "  ".join(
            [*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]
        ).rstrip()
        for row in [header, *rows]
    ]


def _allocated(device: Placed) -> str:
    """The numbers and names genqemu chose for a device."""
    parts = []
    if device.devno:
        parts.append(f"devno {device.devno}")
    if device.chassis is not None:
        parts.append(f"{device.config.chassis_key} {device.chassis}")
    if device.port is not None:  # an ATA disk or CD-ROM (genqemu/ata.py)
        unit = f" unit {device.unit}" if device.unit is not None else ""
        parts.append(f"{device.refs['controller']} port {device.port}{unit}")
    elif device.scsi:
        parts.append(f"on SCSI controller {device.refs['controller']}")
    if device.usb_port is not None:  # genqemu/usb.py
        parts.append(f"{device.usb_bus} port {device.usb_port}")
    for role, numbers in device.fds.items():
        parts.append(f"{role} {','.join(map(str, numbers))}")
    if device.backend_id is not None:
        parts.append(f"backend {device.backend_id}")
    return "; ".join(parts) or "-"


def _firmware(vm: Vm, launch: Launch) -> list[str]:
    """Which firmware boots, from which descriptor and why, and its flash drives."""
    choice = vm.firmware
    if choice is None and not vm.pflash:
        return []
    lines = ["", "Firmware:"]
    if choice is not None:
        fw = choice.config
        wanted = (
            (
                "Secure Boot"
                + (", keys enrolled" if fw.wants_enrolled_keys else ", no keys enrolled")
            )
            if fw.secure_boot
            else "no Secure Boot"
        )
        if choice.descriptor is not None:
            d = choice.descriptor
            lines.append(f"  uefi ({wanted}): descriptor {d.name} in {d.path.parent}")
            lines.append(f"    {d.description}")
            lines += [f"    passed over {name}: {why}" for name, why in choice.passed_over]
            if choice.machine_option_source:
                needs = [f"{n}={v}" for n, v in choice.machine_options.items()]
                needs += [f"-global {dr}.{p}={v}" for dr, p, v in choice.globals]
                lines.append(
                    f"    {choice.machine_option_source.partition(': ')[2]} adds: "
                    + ", ".join(needs)
                )
        elif fw.type == "custom":
            lines.append("  custom: the config's code image")
        else:
            lines.append("  bios: the machine's default firmware (nothing emitted)")
    for unit, drive in enumerate(vm.pflash):
        mode = "read-only" if drive.read_only else "read-write"
        lines.append(f"  flash unit {unit} {mode} ({drive.format}) {drive.file}")
    for template, target in launch.copies:
        lines.append(
            f"  {target}: created from {template} when missing"
            + (f", owned by {launch.owner}" if launch.owner else "")
        )
    return lines


def explain(vm: Vm, launch: Launch, source: str) -> str:
    """The whole explanation, as text."""
    profile = vm.profile
    machine_rule = (
        "the config" if vm.config.machine and vm.config.machine.type else "profile default"
    )
    lines = [
        f"{source} for {vm.arch} (profile {profile.arch}), binary {vm.binary}",
        f"for QEMU {vm.qemu_version} ({vm.qemu_version_source})",
        f"machine {vm.machine_type} ({machine_rule}), accel {vm.accel or 'QEMU default (tcg)'}",
    ]
    if vm.cpu_model:
        rule = "the config" if vm.config.cpu and vm.config.cpu.model else "profile default"
        lines.append(f"cpu {vm.cpu_model} ({rule})")
    if vm.machine_options or vm.withheld_machine_options:
        lines += ["", "Machine options:"]
        options = [
            (name, prop(name, value).partition("=")[2], vm.machine_option_sources.get(name, ""))
            for name, value in vm.machine_options.items()
        ]
        options += [
            (name, "(not emitted)", reason) for name, reason in vm.withheld_machine_options.items()
        ]
        lines += ["  " + line for line in _table(("option", "value", "from"), options)]
    lines += _firmware(vm, launch)
    if vm.devices:
        lines += ["", "Devices:"]
        rows = [
            (d.id, d.kind, d.driver, d.transport or "-", d.transport_rule, _allocated(d))
            for d in vm.devices
        ]
        header = ("id", "kind", "driver", "transport", "chosen by", "allocated")
        lines += ["  " + line for line in _table(header, rows)]
        notes = [f"  {d.id}: {note}" for d in vm.devices for note in d.notes]
        if notes:
            lines += ["", "Decided by genqemu:", *notes]
        from genqemu.hotplug_place import spare_ports

        if spare := spare_ports(vm):
            lines += ["", f"Free ports for genqemu hotplug: {', '.join(spare)}"]
    if vm.tpm is not None and vm.tpm_driver:
        t = vm.tpm.config
        where = getattr(t, "socket_path", None) or getattr(t, "path", "")
        lines += [
            "",
            "TPM:",
            f"  {vm.tpm.id}: {vm.tpm_driver} (profile: machine {vm.machine_type}), "
            f"backend {t.backend} at {where}",
        ]
    if launch.fds:
        lines += ["", "Files QEMU inherits (opened by the script):"]
        lines += [
            f"  fd {fd.number} {'read-write' if fd.mode == 'rw' else 'read-only'} {fd.path}"
            for fd in launch.fds
        ]
    if launch.passed:
        lines += ["", "Descriptors the caller passes (the script opens none of them):"]
        lines += [f"  fd {n} listening QMP socket ({path})" for path, n in launch.passed.items()]
    if launch.prestart:
        lines += ["", "Run before QEMU (by the script and genqemu run):"]
        for step in launch.prestart:
            lines.append(f"  {step.why}")
            if step.argv:
                lines.append("    " + " ".join(quote(word) for word in step.argv))
    if launch.prefix:
        lines += ["", f"Runs as: {' '.join(launch.prefix)}"]
    if vm.config.extra_args:
        lines += [
            "",
            "Passed through as written (extra_args):",
            "  " + " ".join(vm.config.extra_args),
        ]
    return "\n".join(lines) + "\n"
