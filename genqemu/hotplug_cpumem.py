"""`genqemu hotplug --cpus N` and `--memory SIZE`: the QMP commands that add
vCPUs and a DIMM to the VM CONFIG started.

Both count from CONFIG as it was started: `--cpus N` adds N vCPUs to the
smp.cpus it started with, in the slots after them (the order -smp fills
them, so the guest's CPUs stay numbered without holes; QEMU's
query-hotpluggable-cpus lists the same free slots last first), up to
smp.maxcpus. `--memory SIZE` adds one DIMM of SIZE (a RAM backend of the
kind CONFIG's RAM has, and a pc-dimm) within memory.slots and memory.maxmem,
counting the NVDIMMs, virtio-mem and virtio-pmem devices CONFIG has. What was
hot-plugged before is not known (genqemu keeps no state): write it into
CONFIG (smp.cpus) before adding more. Whether and how a machine can is its
profile's `[machines.NAME.hotplug]` (genqemu/profile_hotplug.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genqemu.schema import Problems

if TYPE_CHECKING:
    from genqemu.profile_hotplug import CpuHotplug, MachineHotplug
    from genqemu.resolve import Vm
    from genqemu.settings import Settings

Command = dict[str, Any]
_SIZE_PATH = "--memory"


def more_commands(
    vm: Vm,
    config: Path | str,
    cpus: int,
    memory: int | str | None,
    before: list[Command],
    settings: Settings,
) -> list[Command]:
    """device_add of `cpus` more vCPUs, then a DIMM of `memory`, with ids that
    neither the running VM nor the commands `before` use; ConfigError names
    CONFIG's keys (smp.maxcpus) or the option (--cpus) to change."""
    from genqemu.errors import ConfigError

    problems = Problems()
    used = used_ids(vm, before)
    commands = []
    if cpus < 0:
        problems.add("--cpus", f"is how many vCPUs to add: give 1 or more, got {cpus}")
    elif cpus:
        commands += cpu_commands(vm, cpus, used, settings, problems)
    if memory is not None:
        commands += memory_commands(vm, parse_size(memory), used, settings, problems)
    if problems:
        raise ConfigError(f"{config} (hotplug)", problems.items)
    return commands


def parse_size(text: str | int) -> int:
    """A --memory SIZE as the config writes sizes ("512M", "1G", bytes);
    ConfigError otherwise."""
    from genqemu.errors import ConfigError
    from genqemu.values import Size

    problems = Problems()
    size = Size(min=1 << 20)(text, _SIZE_PATH, problems)
    if problems or not isinstance(size, int):
        raise ConfigError("genqemu hotplug", problems.items)
    return size


def cpu_commands(
    vm: Vm, count: int, used: set[str], settings: Settings, problems: Problems
) -> list[Command]:
    """device_add of `count` more vCPUs in the slots after CONFIG's."""
    where = f"{vm.arch} machine {vm.machine_type}"
    spec = _machine(vm)
    cpus = spec.cpus if spec else None
    if cpus is None:
        return _cannot(vm, spec, "--cpus", "vCPUs", problems)
    smp = vm.config.smp
    if smp is None or smp.maxcpus is None:
        problems.add(
            "smp.maxcpus",
            "is not set, so the VM has no free vCPU slot: start it with smp.maxcpus "
            "(more than smp.cpus) to hot-plug vCPUs",
        )
        return []
    started = smp.cpus
    if started + count > smp.maxcpus:
        problems.add(
            "smp.maxcpus",
            f"smp.cpus ({started}) + --cpus {count} = {started + count} is over "
            f"smp.maxcpus ({smp.maxcpus}): add at most {smp.maxcpus - started}, or "
            "raise smp.maxcpus (and restart the VM)",
        )
        return []
    model = _model(vm, cpus, settings, problems)
    if model is None:
        return []
    _, cores, threads = _topology(smp.maxcpus, smp.sockets, smp.cores, smp.threads)
    step = threads if cpus.whole_cores else 1
    if cpus.whole_cores and (count % threads or started % threads):
        problems.add(
            "--cpus",
            f"on {where} a vCPU slot is a whole core of smp.threads ({threads}) vCPUs: "
            f"give a multiple of {threads}",
        )
        return []
    from genqemu.render import environment

    template = environment("qemuopts", settings).get_template("qmp-cpu.j2")
    add = _device_add()
    commands = []
    for index in range(started, started + count, step):
        numbers = {
            "socket": index // (cores * threads),
            "core": (index // threads) % cores,
            "thread": index % threads,
            "index": index,
        }
        slot = {name: numbers[number] for name, number in cpus.ids.items()}
        ident = _free_id("cpu", used, index)
        text = template.render(type=cpus.type.replace("{model}", model), id=ident, slot=slot)
        commands.append({"execute": add, "arguments": json.loads(text)})
    return commands


def memory_commands(
    vm: Vm, size: int, used: set[str], settings: Settings, problems: Problems
) -> list[Command]:
    """object-add of a RAM backend and device_add of a pc-dimm that maps it."""
    where = f"{vm.arch} machine {vm.machine_type}"
    spec = _machine(vm)
    if spec is None or not spec.dimms:
        return _cannot(vm, spec, "--memory", "DIMMs", problems)
    if spec.dimms_need_firmware and vm.config.firmware is None:
        problems.add(
            "firmware",
            f"{where} hot-plugs DIMMs only when it boots firmware (its ACPI memory hot-plug "
            'device): start the VM with [firmware] type = "uefi"',
        )
        return []
    from genqemu.values import format_size

    if spec.dimm_multiple and size % spec.dimm_multiple:
        problems.add(
            "--memory",
            f"on {where} a DIMM's size must be a multiple of {format_size(spec.dimm_multiple)}, "
            f"got {format_size(size)}",
        )
        return []
    if not _room(vm, size, problems):
        return []
    from genqemu.hotplug import options_of
    from genqemu.qemu_facts import QMP_COMMANDS

    ident = _free_id("dimm", used, 0)
    backend = _free_id(f"mem-{ident}", used, None)
    context = {"c": vm.config, "id": ident, "backend_id": backend, "size": size}
    commands = []
    for option, arguments in options_of("hotplug-dimm.j2", context, settings):
        commands.append({"execute": QMP_COMMANDS[option].add, "arguments": arguments})
    return commands


def _cannot(
    vm: Vm, spec: MachineHotplug | None, option: str, what: str, problems: Problems
) -> list[Command]:
    """The refusal of `option` where the machine has no hot-plug of `what`: in
    QEMU's words where the profile has them."""
    where = f"{vm.arch} machine {vm.machine_type}"
    why = spec.why_not if spec and spec.why_not else f"QEMU cannot hot-plug {what} on {where}"
    problems.add(option, f"{why}: remove {option}")
    return []


def _room(vm: Vm, size: int, problems: Problems) -> bool:
    """memory.slots and memory.maxmem leave room for one more DIMM of `size`."""
    from genqemu.values import format_size

    memory = vm.config.memory
    if memory is None or memory.slots is None or memory.maxmem is None:
        problems.add(
            "memory.slots",
            "is not set, so the VM has no free DIMM slot: start it with memory.slots "
            "and memory.maxmem to hot-plug memory",
        )
        return False
    from genqemu.qemu_facts import MEMORY_DEVICES

    devices = [d for d in vm.devices if d.kind in MEMORY_DEVICES]
    dimms = [d for d in devices if MEMORY_DEVICES[d.kind]]
    taken = sum(getattr(d.config, "size", 0) for d in devices)
    if len(dimms) + 1 > memory.slots:
        problems.add(
            "memory.slots",
            f"all {memory.slots} are taken by CONFIG's NVDIMMs: raise memory.slots "
            "(and restart the VM)",
        )
        return False
    free = memory.maxmem - memory.size - taken
    if size > free:
        problems.add(
            "memory.maxmem",
            f"--memory {format_size(size)} is over what memory.maxmem "
            f"({format_size(memory.maxmem)}) leaves free above memory.size and CONFIG's "
            f"memory devices ({format_size(free)}): hot-plug at most that, or raise "
            "memory.maxmem (and restart the VM)",
        )
        return False
    return True


def _machine(vm: Vm) -> MachineHotplug | None:
    machine = vm.profile.machine(vm.machine_type)
    return machine.hotplug if machine else None


def _model(vm: Vm, cpus: CpuHotplug, settings: Settings, problems: Problems) -> str | None:
    """The CPU model the running VM has: the config's (or the profile's default),
    else the one QEMU picks at the VM's QEMU version (and accelerator)."""
    from genqemu.profiles import accel_chain

    model = vm.cpu_model
    if model is None:
        chain = accel_chain(vm.accel)
        if cpus.kvm_default_model and "kvm" in chain:
            if chain != ["kvm"]:
                problems.add(
                    "cpu.model",
                    f"QEMU picks {cpus.kvm_default_model!r} under kvm and "
                    f"{cpus.default_models.get(vm.qemu_version, 'another')!r} otherwise, and "
                    f"machine.accel {vm.accel!r} may run either: set cpu.model",
                )
                return None
            return cpus.kvm_default_model
        model = cpus.default_models.get(vm.qemu_version)
        if model is None:
            problems.add(
                "cpu.model",
                f"the hot-plugged vCPU's type is the running CPU model's, and the {vm.arch} "
                f"profile does not know QEMU {vm.qemu_version}'s default on "
                f"{vm.machine_type} ({vm.qemu_version_source}): set cpu.model",
            )
            return None
    return cpus.models.get(model, model)


def _topology(
    maxcpus: int, sockets: int | None, cores: int | None, threads: int | None
) -> tuple[int, int, int]:
    """-smp's sockets, cores and threads as QEMU computes the missing ones
    (machines since 6.2 prefer cores over sockets)."""
    if not cores:
        sockets, threads = sockets or 1, threads or 1
        cores = max(1, maxcpus // (sockets * threads))
    elif not sockets:
        threads = threads or 1
        sockets = max(1, maxcpus // (cores * threads))
    if not threads:
        threads = max(1, maxcpus // (sockets * cores))
    return sockets, cores, threads


def _free_id(prefix: str, used: set[str], start: int | None) -> str:
    """`prefix` + the first number from `start` (or `prefix` itself when None)
    that no device of the running VM or of this call has; then taken."""
    number = start
    ident = prefix if number is None else f"{prefix}{number}"
    while ident in used:
        number = (number or 0) + 1
        ident = f"{prefix}{number}"
    used.add(ident)
    return ident


def _device_add() -> str:
    from genqemu.qemu_facts import QMP_COMMANDS

    return QMP_COMMANDS["-device"].add


def used_ids(vm: Vm, commands: list[Command]) -> set[str]:
    """Every id of the running VM and of the commands before (NEW's devices)."""
    records: list[Any] = [*vm.devices, *vm.chardevs, *vm.iothreads, *vm.qmp]
    used = {r.id for r in records} | {d.backend_id for d in vm.devices if d.backend_id}
    for ident in (vm.ram_backend, *(n.id for n in vm.numa)):
        if ident:
            used.add(ident)
    for command in commands:
        arguments = command.get("arguments", {})
        for name in ("id", "node-name"):
            if isinstance(arguments.get(name), str):
                used.add(arguments[name])
    return used
