"""Resolution: a checked config plus an arch profile become one concrete VM.

Everything the templates print is decided here, once: the machine and its
options, each device's transport and driver name, automatic ids, backend ids,
CCW device numbers and the targets of references. Every problem is collected
and reported together, each with its TOML path.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from genqemu.chardevs import Chardev
from genqemu.checks import Ref
from genqemu.config import Config, Iothread, Qmp
from genqemu.devices import Device
from genqemu.errors import ConfigError
from genqemu.launch import InheritedFd
from genqemu.profiles import MachineProfile, Profile
from genqemu.schema import Model, Problems, suggest

# QEMU refuses block node names of 32 characters or more.
NODE_NAME_MAX = 31


class Vm:
    """A config resolved for one arch: what the templates render."""

    def __init__(self, config: Config, profile: Profile, machine_type: str) -> None:
        self.config = config
        self.profile = profile
        self.arch = profile.arch
        self.binary = config.binary or profile.binary
        self.machine_type = machine_type
        machine = config.machine
        self.accel = machine.accel if machine else None
        self.machine_options: dict[str, Any] = {}
        self.cpu_model = (config.cpu and config.cpu.model) or profile.default_cpu
        self.cpu_features: dict[str, Any] = config.cpu.features if config.cpu else {}
        self.devices: list[Device] = config.device
        self.chardevs: list[Chardev] = config.chardev
        self.iothreads: list[Iothread] = config.iothread
        self.qmp: list[Qmp] = config.qmp
        self.fds: list[InheritedFd] = []  # files QEMU inherits, numbered from 3
        self.privilege_drop: list[str] = []  # command prefix that drops privileges


class _Ids:
    """Every id in the VM (user ids, automatic ids, backend ids), each unique."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        self.owners: dict[str, tuple[str, str]] = {}  # id -> (kind, TOML path)
        self.counters: dict[str, int] = {}
        self._of_kinds: dict[tuple[str, ...], list[str]] = {}

    def claim(self, ident: str, kind: str, path: str, what: str = "id") -> None:
        owner = self.owners.get(ident)
        if owner is None:
            self.owners[ident] = (kind, path)
            self._of_kinds.clear()
        else:
            self.problems.add(
                f"{path}.id",
                f"{what} {ident!r} is already used by {owner[1]}; ids must be unique: rename one",
            )

    def fresh(self, prefix: str) -> str:
        """The next unused `prefix<N>`."""
        number = self.counters.get(prefix, 0)
        while f"{prefix}{number}" in self.owners:
            number += 1
        self.counters[prefix] = number + 1
        return f"{prefix}{number}"

    def of_kinds(self, kinds: Iterable[str]) -> list[str]:
        """The ids of these kinds in claim order; remembered until the next claim, so
        that asking once per device (reference checks) stays linear. Do not modify."""
        key = tuple(kinds)
        found = self._of_kinds.get(key)
        if found is None:
            wanted = set(key)
            found = [ident for ident, (kind, _) in self.owners.items() if kind in wanted]
            self._of_kinds[key] = found
        return found


def resolve(config: Config, profile: Profile, source: str) -> Vm:
    """Resolve `config` for `profile`'s arch, or raise ConfigError with every problem."""
    problems = Problems()
    machine_type = (config.machine and config.machine.type) or profile.default_machine
    machine = profile.machine(machine_type)
    vm = Vm(config, profile, machine_type)
    if machine is None:
        problems.add(
            "machine.type",
            f"{machine_type!r} is not a {profile.arch} machine "
            "genqemu knows" + suggest(machine_type, profile.machines),
        )
    else:
        vm.machine_options = _machine_options(config, profile, machine, vm.accel)
    _check_accel_limits(config, profile, vm.accel, problems)
    ids = _assign_ids(config, problems)
    uses: dict[str, str] = {}
    for device in config.device:
        _resolve_references(device, ids, uses, problems)
        if machine is not None:
            _resolve_transport(device, config, profile, machine, problems)
    _allocate_devnos(config.device, profile, problems)
    if problems:
        raise ConfigError(source, problems.items)
    return vm


def _accels(accel: str | None) -> list[str]:
    """The accelerators the guest may run under; QEMU's default is TCG."""
    return accel.split(":") if accel else ["tcg"]


def _machine_options(
    config: Config, profile: Profile, machine: MachineProfile, accel: str | None
) -> dict[str, Any]:
    """Machine options: the machine's, the accelerators', then the user's."""
    options = dict(machine.options)
    for name in _accels(accel):
        if name in profile.accel:
            options.update(profile.accel[name].machine_options)
    if config.machine:
        options.update(config.machine.options)
    return options


def _check_accel_limits(
    config: Config, profile: Profile, accel: str | None, problems: Problems
) -> None:
    """What the accelerators the guest may run under cannot do on this arch."""
    threads = config.smp.threads if config.smp else None
    for name in _accels(accel):
        limit = profile.accel[name].max_threads if name in profile.accel else None
        if threads is not None and limit is not None and threads > limit:
            problems.add(
                "smp.threads",
                f"{profile.arch} under {name} runs at most {limit} "
                f"thread(s) per core, got {threads}: use more cores or sockets instead",
            )


def _assign_ids(config: Config, problems: Problems) -> _Ids:
    """Claim every user id, then give automatic and backend ids."""
    ids = _Ids(problems)
    named: list[tuple[Model, str, str]] = [
        *((c, "chardev", c.toml_path) for c in config.chardev),
        *((t, "iothread", t.toml_path) for t in config.iothread),
        *((q, "qmp", q.toml_path) for q in config.qmp),
        *((d, d.kind, d.toml_path) for d in config.device),
    ]
    for entry, kind, path in named:
        ident = entry.__dict__.get("id")
        if ident is not None:
            ids.claim(ident, kind, path)
    for entry, kind, path in named:
        if entry.__dict__.get("id") is None:
            prefix = entry.id_prefix if isinstance(entry, (Device, Qmp)) else kind
            entry.__dict__["id"] = ident = ids.fresh(prefix)
            ids.claim(ident, kind, path)
    for device in config.device:
        if device.backend_prefix:
            backend = device.backend_id = device.backend_prefix + device.id
            ids.claim(backend, "backend", device.toml_path, what="its backend id")
            if device.backend_prefix == "drive-" and len(backend) > NODE_NAME_MAX:
                problems.add(
                    f"{device.toml_path}.id",
                    f"too long: the block node name {backend!r} would have "
                    f"{len(backend)} characters and QEMU allows {NODE_NAME_MAX}; "
                    "shorten the id",
                )
    return ids


def _resolve_references(
    device: Device, ids: _Ids, uses: dict[str, str], problems: Problems
) -> None:
    """Check (or default) every key that names another entry by id."""
    for field in type(device).fields.values():
        check = field.check
        if not isinstance(check, Ref):
            continue
        path = f"{device.toml_path}.{field.name}"
        target = device.__dict__[field.attr]
        wanted = " or ".join(check.targets)
        if target is None:
            if not check.single_default:
                continue
            candidates = ids.of_kinds(check.targets)
            if len(candidates) != 1:
                fix = (
                    f"add a [[device]] with kind = {check.targets[0]!r}"
                    if not candidates
                    else f"there are several ({', '.join(candidates)}): say which in {field.name}"
                )
                problems.add(path, f"{device.kind} needs a {wanted}: {fix}")
                continue
            device.__dict__[field.attr] = target = candidates[0]
        owner = ids.owners.get(target)
        if owner is None:
            problems.add(
                path,
                f"no {wanted} has id {target!r}" + suggest(target, ids.of_kinds(check.targets)),
            )
        elif owner[0] not in check.targets:
            problems.add(path, f"{target!r} is a {owner[0]} ({owner[1]}), not a {wanted}")
        elif owner[0] == "chardev":
            first = uses.setdefault(target, device.toml_path)
            if first != device.toml_path:
                problems.add(
                    path,
                    f"chardev {target!r} is already used by {first}; a chardev "
                    "carries one device: add another [[chardev]]",
                )


def _resolve_transport(
    device: Device, config: Config, profile: Profile, machine: MachineProfile, problems: Problems
) -> None:
    """Pick the device's transport and driver name; check what depends on them."""
    path = device.toml_path
    exists_on = profile.devices.get(device.kind)
    if exists_on is None:
        problems.add(f"{path}.kind", f"{device.kind!r} does not exist on {profile.arch}")
        return
    if not device.virtio:
        device.driver = device.kind
        device.transport = None
        return
    usable = [t for t in machine.transports if t in exists_on]
    requested = device.transport
    if requested is not None:
        if requested not in usable:
            problems.add(
                f"{path}.transport",
                f"{device.kind} has no {requested!r} transport on {profile.arch} machine "
                f"{(config.machine and config.machine.type) or profile.default_machine}; "
                f"use one of: {', '.join(usable) or 'none'}",
            )
            return
        device.transport_rule = "set by the device"
    elif usable:
        requested = usable[0]
        device.transport_rule = f"default of the {profile.arch} machine"
    else:
        problems.add(path, f"{device.kind} has no transport on this {profile.arch} machine")
        return
    device.transport = requested
    device.driver = device.kind + profile.transports[requested].suffix
    device.devno = device.__dict__.get("devno")
    for field in type(device).fields.values():
        value = device.__dict__[field.attr]
        if field.transports and value is not None and requested not in field.transports:
            problems.add(
                f"{path}.{field.name}",
                f"only applies on the {' or '.join(field.transports)} transport, and "
                f"this {device.kind} uses {requested} on {profile.arch}: remove it",
            )
    _iommu_platform(device, config, problems)


def _iommu_platform(device: Device, config: Config, problems: Problems) -> None:
    """Apply the top-level knob; on PCI, QEMU needs disable-legacy=on with it."""
    values = device.__dict__
    if values["iommu_platform"] is None and config.iommu_platform:
        values["iommu_platform"] = True
    if values["iommu_platform"] and device.transport == "pci":
        if values["disable_legacy"] is False:
            problems.add(
                f"{device.toml_path}.disable_legacy",
                "must be true with iommu_platform on PCI (QEMU offers no IOMMU to "
                "legacy virtio): remove it",
            )
        values["disable_legacy"] = True


def _allocate_devnos(devices: list[Device], profile: Profile, problems: Problems) -> None:
    """Give CCW-style device numbers: check the ones set, then fill in the rest."""
    used: dict[str, str] = {}
    pending: list[Device] = []
    for device in devices:
        spec = profile.transports.get(device.__dict__.get("transport") or "")
        if spec is None or spec.devno is None:
            continue
        if device.devno is None:
            pending.append(device)
            continue
        css, ssid, unit = device.devno.split(".")
        device.devno = devno = f"{int(css, 16):x}.{ssid}.{int(unit, 16):04x}"
        first = used.setdefault(devno, device.toml_path)
        if first != device.toml_path:
            problems.add(
                f"{device.toml_path}.devno",
                f"{devno} is already used by {first}: pick another or leave it out",
            )
    number = 0
    for device in pending:
        pattern = profile.transports[device.transport or ""].devno or ""
        while True:
            number += 1
            devno = pattern.format(number)
            if devno not in used:
                break
        if number > 0xFFFF:
            problems.add(
                device.toml_path,
                "no free CCW device number is left (65535 are "
                "in use): set devno with another subchannel set, e.g. fe.1.0001",
            )
            return
        used[devno] = device.toml_path
        device.devno = devno
