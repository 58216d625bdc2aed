"""Resolution: a checked config plus an arch profile become one concrete VM.

Everything the templates print is decided here, once: the machine and its
options, each device's transport and driver name (placement.py), ids and
references (ids.py), CCW device numbers, chassis numbers and inherited file
descriptors (allocate.py), guest RAM backing and the privilege drop. Every
problem is collected and reported together, each with its TOML path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from genqemu.allocate import allocate_chassis, allocate_devnos, allocate_fds, check_passed_fds
from genqemu.chardevs import Chardev
from genqemu.config import Config, Iothread, Qmp
from genqemu.devices import in_use
from genqemu.errors import ConfigError
from genqemu.ids import ChardevUses, assign_ids, resolve_references
from genqemu.launch import InheritedFd
from genqemu.placement import place
from genqemu.profiles import MachineProfile, Profile, accel_chain
from genqemu.records import Entry, Named, Placed
from genqemu.schema import Problems, suggest
from genqemu.settings import SHIPPED, Settings

if TYPE_CHECKING:
    from genqemu.confidential import Confidential
    from genqemu.firmware_resolve import FirmwareChoice, FlashDrive
    from genqemu.numa import NumaNode
    from genqemu.tpm import Tpm

# The steps of an optional table import their module only when a config has
# the table (tests/test_device_index.py checks which modules a run loads).

RAM_BACKEND_ID = "ram0"


class Vm:
    """A config resolved for one arch: what the templates render.

    `config` is what the user asked for, unchanged; every entry that resolution
    gives an id or more has a record in `devices`, `chardevs`, `iothreads`,
    `qmp` and `confidential` (genqemu/records.py).
    """

    def __init__(
        self, config: Config, profile: Profile, machine_type: str, settings: Settings = SHIPPED
    ) -> None:
        self.config = config
        self.source = "<config>"  # the config's file name, for messages
        self.profile = profile
        self.arch = profile.arch
        self.binary = config.binary or profile.binary
        # The QEMU the script is for (MAJOR.MINOR), and who said so (for messages).
        self.qemu_version, self.qemu_version_source = (
            (settings.qemu_version, "--qemu-version")
            if settings.qemu_version
            else (config.qemu_version, "the config's qemu_version")
            if config.qemu_version
            else (profile.qemu_version, f"the {profile.arch} profile's qemu_version")
        )
        self.machine_type = machine_type
        self.accel = config.machine.accel if config.machine else None
        self.machine_options: dict[str, Any] = {}
        self.machine_option_sources: dict[str, str] = {}
        self.withheld_machine_options: dict[str, str] = {}  # name -> why (for explain)
        self.cpu_model = (config.cpu and config.cpu.model) or profile.default_cpu
        self.cpu_features: Mapping[str, Any] = config.cpu.features if config.cpu else {}
        self.devices = [Placed(d, d.id or "") for d in config.device]
        self.chardevs = [Named[Chardev](c, c.id) for c in config.chardev]
        self.iothreads = [Named[Iothread](t, t.id) for t in config.iothread]
        self.qmp = [Named[Qmp](q, q.id or "") for q in config.qmp]
        self.confidential: Named[Confidential] | None = (
            Named(config.confidential, config.confidential.id)
            if config.confidential is not None
            else None
        )
        self.tpm: Named[Tpm] | None = Named(config.tpm, "") if config.tpm is not None else None
        self.tpm_driver: str | None = None  # the machine's TPM device (profile)
        self.display_secret: str | None = None  # id of the VNC/SPICE password's secret
        self.default_display = False  # -display none: no [display], none in extra_args
        self.pflash: list[FlashDrive] = []  # in unit order
        self.firmware: FirmwareChoice | None = None  # what [firmware] resolved to
        self.copies: list[tuple[str, str]] = []  # (template, file) the launch creates
        self.ram_backend: str | None = None  # id of the guest RAM backend object
        self.ram_backend_via = "numa"  # or "machine"
        # [[numa]] nodes, each with the id of its RAM backend object.
        self.numa: list[Named[NumaNode]] = [
            Named(n, f"ram-node{i}") for i, n in enumerate(config.numa)
        ]
        self.fds: list[InheritedFd] = []  # files QEMU inherits, numbered from 3
        self.incoming_fds: dict[str, list[int]] = {}  # the incoming stream's, by role
        self.privilege_drop: list[str] = []  # command prefix that drops privileges


def resolve(config: Config, profile: Profile, source: str, settings: Settings = SHIPPED) -> Vm:
    """Resolve `config` for `profile`'s arch, or raise ConfigError with every problem.
    `settings` name the other arches a device kind missing here exists on."""
    problems = Problems()
    machine_type = (config.machine and config.machine.type) or profile.default_machine
    vm = Vm(config, profile, machine_type, settings)
    vm.source = source
    machine = profile.machine(machine_type)
    if config.machine and config.machine.spare_root_ports:
        from genqemu.hotplug_place import spare_root_ports

        vm.devices += spare_root_ports(config.machine.spare_root_ports, vm, machine, problems)
    if machine is None:
        problems.add(
            "machine.type",
            f"{machine_type!r} is not a machine genqemu knows on {profile.arch}"
            + suggest(machine_type, profile.machines),
        )
    _check_accel_limits(config, profile, vm.accel, problems)
    _check_cpu_model(vm.cpu_model, profile, vm.accel, problems)
    if machine is not None and config.vga is not None and config.vga not in machine.vga:
        valid = ", ".join(map(repr, machine.vga))
        problems.add(
            "vga",
            f"{config.vga!r} is not a VGA card of machine {machine_type} on {profile.arch}: "
            f"valid here: {valid} (another display device goes in extra_args as a -device)",
        )
    if vm.cpu_features and vm.cpu_model is None:
        problems.add(
            "cpu.features",
            f"need a CPU model: {profile.arch} has no default one, so set cpu.model (e.g. 'max')",
        )
    entries: list[Entry] = [
        *((c, "chardev", "chardev") for c in vm.chardevs),
        *((t, "iothread", "iothread") for t in vm.iothreads),
        *((q, "qmp", q.config.id_prefix) for q in vm.qmp),
        *((d, d.kind, d.config.id_prefix) for d in vm.devices),
    ]
    if vm.confidential is not None:
        entries.append((vm.confidential, vm.confidential.config.type, "confidential"))
    if vm.tpm is not None:
        entries.append((vm.tpm, "tpm", vm.tpm.config.id_prefix))
    ids = assign_ids(entries, vm.devices, problems)
    if vm.tpm is not None:
        from genqemu.tpm import resolve_tpm

        resolve_tpm(vm, machine, ids, problems)
    if config.display is not None:
        from genqemu.display import resolve_display

        resolve_display(vm, ids, problems)
    else:  # -display none, unless extra_args has a -display of its own (QEMU takes one)
        vm.default_display = not {"-display", "--display"} & set(config.extra_args)
    uses = ChardevUses(c.id for c in config.chardev if c.mux)
    root_bus = machine.root_bus if machine else None
    for device in vm.devices:
        resolve_references(device, ids, uses, root_bus, problems)
        if machine is not None:
            place(device, config, profile, machine_type, machine, problems, settings)
        device.config.check_config(config, problems)
    for chardev in config.chardev:
        chardev.check_config(config, problems)
    if config.monitor:
        from genqemu.monitor import resolve_monitors

        resolve_monitors(config.monitor, ids, uses, problems)
    if in_use("ata"):
        from genqemu.ata import place_ata

        place_ata(vm.devices, profile, machine, problems)
    if in_use("usb"):
        from genqemu.usb import place_usb

        place_usb(vm.devices, ids, problems)
    _check_host_features(config, profile, problems)
    if config.numa:
        from genqemu.numa import check_numa

        check_numa(config, profile, machine, problems)
    _check_qemu_version(vm, problems)
    allocate_devnos(vm.devices, profile, problems)
    allocate_chassis(vm.devices, problems)
    vm.fds, vm.incoming_fds = allocate_fds(vm.devices, config.incoming)
    check_passed_fds(config.qmp, vm.fds, problems)
    _memory_backend(vm, machine)
    if config.firmware is not None or config.pflash or config.confidential is not None:
        from genqemu.firmware_resolve import resolve_flash

        resolve_flash(vm, machine, settings, problems)
    vm.privilege_drop = _privilege_drop(config)
    if machine is not None:
        vm.machine_options = _machine_options(vm, machine)
    if config.extra_args:
        from genqemu.passthrough import check_extra_args

        check_extra_args(vm, problems)
    if problems:
        raise ConfigError(source, problems.items)
    return vm


def _machine_options(vm: Vm, machine: MachineProfile) -> dict[str, Any]:
    """Machine options: the machine's, the accelerators', those the devices,
    the confidential object and the RAM backend need, then the user's. Where
    each came from is kept in vm.machine_option_sources (for explain)."""
    options: dict[str, Any] = {}

    def put(values: Mapping[str, Any], source: str) -> None:
        options.update(values)
        vm.machine_option_sources.update(dict.fromkeys(values, source))

    put(machine.options, f"profile: machine {vm.machine_type}")
    emitted, withheld = vm.profile.accel_options(vm.accel)
    for name, values in emitted:
        put(values, f"profile: under {name}")
    preferred = accel_chain(vm.accel)[0]
    for name, values in withheld:
        reason = f"profile: under {name}, withheld: it would weaken {preferred}, tried first"
        vm.withheld_machine_options.update(dict.fromkeys(values, reason))
    for device in vm.devices:
        put(device.config.machine_options(), f"needed by {device.kind} {device.id}")
    if vm.confidential is not None:
        put({"confidential-guest-support": vm.confidential.id}, "[confidential]")
    if vm.firmware is not None:
        put(vm.firmware.machine_options, vm.firmware.machine_option_source)
    if vm.ram_backend is not None and vm.ram_backend_via == "machine":
        put({"memory-backend": vm.ram_backend}, "profile: RAM backend on the machine")
    if vm.config.numa:
        from genqemu.numa import uses_hmat

        if uses_hmat(vm.config.numa):
            put({"hmat": True}, "[[numa]] initiator: the ACPI HMAT table")
    if vm.config.machine:
        put(vm.config.machine.options, "the config")
    for name in options:
        vm.withheld_machine_options.pop(name, None)
    return options


def _check_accel_limits(
    config: Config, profile: Profile, accel: str | None, problems: Problems
) -> None:
    """What the accelerators the guest may run under cannot do on this arch."""
    threads = config.smp.threads if config.smp else None
    for name in accel_chain(accel):
        limit = profile.accel[name].max_threads if name in profile.accel else None
        if threads is not None and limit is not None and threads > limit:
            problems.add(
                "smp.threads",
                f"{profile.arch} under {name} runs at most {limit} "
                f"thread(s) per core, got {threads}: use more cores or sockets instead",
            )


def _check_cpu_model(
    model: str | None, profile: Profile, accel: str | None, problems: Problems
) -> None:
    """A CPU model one accelerator of the chain lacks (host under TCG) stops QEMU
    whenever the guest lands there, so the chain never works as written."""
    chain = accel_chain(accel)
    lacking = [n for n in chain if n in profile.accel and model in profile.accel[n].missing_cpus]
    if model is None or not lacking:
        return
    instead = profile.accel[lacking[0]].missing_cpus[model]
    if accel is None:
        where = f"QEMU runs {lacking[0]} when machine.accel is not set"
    elif len(chain) == 1:
        where = f"machine.accel is {accel!r}"
    else:
        where = f"machine.accel {accel!r} falls back to {', '.join(lacking)}"
    others = [n for n in chain if n not in lacking]
    fix = (
        f", or set machine.accel = {':'.join(others)!r}"
        if others
        else f", or set machine.accel to an accelerator that has {model!r}"
    )
    problems.add(
        "cpu.model",
        f"CPU model {model!r} does not exist under {', '.join(lacking)}, and {where}: "
        f"use {instead!r}, which works under every accelerator{fix}",
    )


def _check_host_features(config: Config, profile: Profile, problems: Problems) -> None:
    """Whole-VM rules: shared RAM for vhost-user, fw_cfg, SMBIOS, the confidential object."""
    memory = config.memory
    for device in config.device:
        if device.needs_shared_memory and not (memory and memory.share):
            problems.add(
                device.toml_path,
                f"{device.kind} maps guest RAM into its backend: "
                "set memory.share = true (and memory.size)",
            )
            break
    if config.fw_cfg and not profile.fw_cfg:
        problems.add(
            "fw_cfg",
            f"{profile.arch} machines have no fw_cfg device: remove "
            "the [[fw_cfg]] entries for this arch",
        )
    if config.smbios and not profile.smbios:
        problems.add(
            "smbios",
            f"QEMU has no SMBIOS tables on {profile.arch}: remove [smbios] for this arch",
        )
    confidential = config.confidential
    if confidential is not None and confidential.type not in profile.devices:
        problems.add(
            "confidential.type",
            f"{confidential.type} does not exist on {profile.arch} with this profile",
        )


def _check_qemu_version(vm: Vm, problems: Problems) -> None:
    """What the target QEMU is too old for (genqemu/qemu_facts.py SINCE)."""
    from genqemu.qemu_facts import lacks

    confidential = vm.config.confidential
    if confidential is not None and (needed := lacks(vm.qemu_version, confidential.type)):
        problems.add("confidential.type", _too_old(vm, confidential.type, needed))
    for device in vm.config.device:
        for name, spelling in device.qemu_spellings():
            if needed := lacks(vm.qemu_version, spelling):
                problems.add(f"{device.toml_path}.{name}", _too_old(vm, spelling, needed))


def _too_old(vm: Vm, what: str, needed: str) -> str:
    """The message for a feature QEMU `needed` has and the target does not."""
    return (
        f"{what} needs QEMU {needed}; the target is QEMU {vm.qemu_version} "
        f"({vm.qemu_version_source}): if yours is {needed} or newer, say so with "
        f'qemu_version = "{needed}" or --qemu-version {needed}'
    )


def _memory_backend(vm: Vm, machine: MachineProfile | None) -> None:
    """Guest RAM gets an explicit backend when it is file-backed, shared or preallocated
    (with NUMA nodes, each node has a backend of its own instead)."""
    memory = vm.config.memory
    if memory is not None and memory.backed and not vm.numa:
        vm.ram_backend = RAM_BACKEND_ID
        vm.ram_backend_via = (machine and machine.ram_backend) or vm.profile.ram_backend


def _privilege_drop(config: Config) -> list[str]:
    """`setpriv ... --` that makes QEMU run as config.run_as (util-linux)."""
    run_as = config.run_as
    if run_as is None:
        return []
    groups = ",".join(str(g) for g in run_as.groups)
    return [
        "setpriv",
        f"--reuid={run_as.user}",
        f"--regid={run_as.group}",
        f"--groups={groups}" if groups else "--clear-groups",
        "--",
    ]
