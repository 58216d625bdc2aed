"""Hot-plug: the QMP commands that add NEW.toml's devices to the VM CONFIG started.

Design. NEW.toml holds `[[device]]` and `[[chardev]]` tables in the config's
own schema. It is checked on its own first (genqemu.build.load_config), so
every error names NEW's own TOML paths (`device[0].bus`). CONFIG is built
as it was started (its Vm). Then NEW's tables are appended to CONFIG's and
the whole resolves once more through the usual resolution (resolve.py):
CONFIG's entries come first, so they keep their automatic ids, backend ids
and CCW devnos, and NEW's devices get the next free ones, with every
reference (a port's virtio-serial, a disk's iothread) checked against the
whole VM. A problem on an appended entry is reported at NEW's path. A NEW id
that CONFIG's VM already uses (also an automatic one) is refused first:
appending it would move the automatic ids of CONFIG's entries.

Where a device goes is decided after resolution, in the record
(hotplug_place.py): a PCI device on a machine whose root bus has no hot-plug
(the profile's `hotplug_port`) gets a pcie-root-port of CONFIG that no
device uses; a transport without hot-plug (profile `hotplug = false`:
virtio-mmio) and the kinds QEMU cannot hot-plug (qemu_facts.COLD_PLUG_ONLY)
are refused with why.

Each device renders through its own template, with --syntax json: the JSON
form of -device, -object, -blockdev and -netdev is QMP's argument form, so
qemu_facts.QMP_COMMANDS maps each option to its add command (and for unplug
to its delete command and the key that names it). A chardev's chardev-add
has another shape and a template of its own (qmp-chardev.j2). An option
QMP cannot add (-fsdev) or a file QEMU would inherit by number is refused.

Unplug renders the device CONFIG describes the same way and reverses it:
device_del of each -device, then the deletes of its backends, last first.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genqemu.errors import ConfigError, GenqemuError
from genqemu.schema import Problems, suggest
from genqemu.settings import SHIPPED, Settings

if TYPE_CHECKING:
    from genqemu.records import Placed
    from genqemu.resolve import Vm

Command = dict[str, Any]  # {"execute": NAME, "arguments": {...}}
_TABLES = ("device", "chardev")


def hotplug_commands(
    config: Path | str, new: Path | str, arch: str, settings: Settings = SHIPPED
) -> list[Command]:
    """The QMP commands, in order, that add `new`'s devices (and chardevs) to
    the VM `config` started on `arch`; ConfigError names every problem."""
    from genqemu.build import build_file, load_config
    from genqemu.tomlfile import read_toml

    running = build_file(config, arch, settings)
    new_source = str(new)
    raw_new = read_toml(new)
    _check_tables(raw_new, new_source)
    load_config(raw_new, new_source)  # NEW's own paths for NEW's own mistakes
    added = {table: list(raw_new.get(table, [])) for table in _TABLES}
    problems = Problems()
    _check_ids(running, added, problems)
    if problems:
        raise ConfigError(new_source, problems.items)
    offsets = {table: len(getattr(running.config, table)) for table in _TABLES}
    vm = _merged(config, added, arch, settings, new_source, offsets)
    from genqemu.hotplug_place import new_devices, place_new

    devices = new_devices(vm, offsets["device"], len(added["device"]), problems)
    chardevs = vm.chardevs[offsets["chardev"] :]

    place_new(vm, running, devices, problems)
    commands: list[Command] = []
    for chardev in chardevs:
        commands.append(_chardev_add(chardev, settings, problems))
    for device in devices:
        commands += _device_add(vm, device, settings, problems)
    if problems:
        raise ConfigError(new_source, [_local(p, m, offsets) for p, m in problems.items])
    return commands


def unplug_commands(
    config: Path | str, ids: list[str], arch: str, settings: Settings = SHIPPED
) -> list[Command]:
    """The QMP commands that remove the devices (or chardevs) `ids` of the VM
    `config` started: every device_del first, then their backends' deletes."""
    from genqemu.build import build_file
    from genqemu.qemu_facts import QMP_COMMANDS

    vm = build_file(config, arch, settings)
    devices = {d.id: d for d in vm.devices}
    chardevs = {c.id for c in vm.chardevs}
    problems = Problems()
    removals: list[Command] = []
    backends: list[Command] = []
    for ident in ids:
        if ident in chardevs:
            chardev = QMP_COMMANDS["-chardev"]
            backends.append(_command(chardev.delete, {chardev.delete_key: ident}))
            continue
        device = devices.get(ident)
        if device is None:
            problems.add(
                ident, "no device or chardev of CONFIG has this id" + suggest(ident, devices)
            )
            continue
        for option, arguments in reversed(_options(vm, device, settings)):
            spec = QMP_COMMANDS.get(option)
            if spec is None or spec.key not in arguments:
                continue
            deletion = _command(spec.delete, {spec.delete_key: arguments[spec.key]})
            (removals if option == "-device" else backends).append(deletion)
    if problems:
        raise ConfigError(f"{config} (unplug)", problems.items)
    return removals + backends


def _check_tables(raw: dict[str, Any], source: str) -> None:
    """NEW holds devices and chardevs only: anything else would be dropped."""
    if not raw:
        raise ConfigError(source, [("", "holds no [[device]] or [[chardev]] tables")])
    others = [name for name in raw if name not in _TABLES]
    if others:
        raise ConfigError(
            source,
            [
                (name, "only [[device]] and [[chardev]] tables can be hot-plugged: remove it")
                for name in others
            ],
        )


def _check_ids(running: Vm, added: dict[str, list[Any]], problems: Problems) -> None:
    """A NEW id (or backend id) that the running VM already has."""
    used: dict[str, str] = {}
    records: list[Any] = [*running.devices, *running.chardevs, *running.iothreads, *running.qmp]
    for record in records:
        used.setdefault(record.id, record.config.toml_path)
    for device in running.devices:
        if device.backend_id:
            used.setdefault(device.backend_id, f"the backend of {device.toml_path}")
    for table, entries in added.items():
        for index, entry in enumerate(entries):
            for key in ("id", "backend_id"):
                ident = entry.get(key) if isinstance(entry, dict) else None
                if isinstance(ident, str) and ident in used:
                    problems.add(
                        f"{table}[{index}].{key}",
                        f"{ident!r} is already used in the running VM by CONFIG's "
                        f"{used[ident]}: pick another",
                    )


def _merged(
    config: Path | str,
    added: dict[str, list[Any]],
    arch: str,
    settings: Settings,
    new_source: str,
    offsets: dict[str, int],
) -> Vm:
    """CONFIG with NEW's tables appended, resolved; problems at NEW's paths."""
    from genqemu.build import build
    from genqemu.tomlfile import read_toml

    raw = read_toml(config)
    for table, entries in added.items():
        raw[table] = [*raw.get(table, []), *entries]
    try:
        return build(raw, arch, str(config), settings)
    except ConfigError as error:
        raise ConfigError(
            new_source, [_local(path, message, offsets) for path, message in error.problems]
        ) from None


def _local(path: str, message: str, offsets: dict[str, int]) -> tuple[str, str]:
    """A merged config's path as NEW's (`device[5].bus` -> `device[1].bus`); a
    problem on CONFIG's own entries says so."""
    for table, offset in offsets.items():
        prefix = f"{table}["
        if path.startswith(prefix):
            number, _, rest = path[len(prefix) :].partition("]")
            if number.isdigit() and int(number) >= offset:
                return f"{table}[{int(number) - offset}]{rest}", message
    return path, f"(in CONFIG, with NEW added) {message}" if path else message


def _command(name: str, arguments: dict[str, Any]) -> Command:
    return {"execute": name, "arguments": arguments}


def _chardev_add(chardev: Any, settings: Settings, problems: Problems) -> Command:
    """chardev-add of one new [[chardev]] (qmp-chardev.j2)."""
    from genqemu.qemu_facts import QMP_CHARDEV_BACKENDS, QMP_COMMANDS
    from genqemu.render import environment

    config = chardev.config
    if config.backend not in QMP_CHARDEV_BACKENDS:
        problems.add(
            f"{config.toml_path}.backend",
            f"genqemu hotplug adds {', '.join(QMP_CHARDEV_BACKENDS)} chardevs, not "
            f"{config.backend!r}: use one of those",
        )
    if config.mux:
        problems.add(f"{config.toml_path}.mux", "QMP's chardev-add has no mux: remove it")
    template = environment("qemuopts", settings).get_template("qmp-chardev.j2")
    arguments = json.loads(template.render(c=config, r=chardev))
    return _command(QMP_COMMANDS["-chardev"].add, arguments)


def _options(vm: Vm, device: Placed, settings: Settings) -> list[tuple[str, dict[str, Any]]]:
    """A device's options as (option, JSON arguments); a non-JSON option gets {}."""
    from genqemu.jsonsyntax import JSON_OPTIONS, to_json
    from genqemu.render import environment, options

    found: list[tuple[str, dict[str, Any]]] = []
    rendered = []
    for syntax in ("qemuopts", "json"):
        template = environment(syntax, settings).get_template(device.config.template)
        rendered.append(options(template.render(d=device.config, r=device, vm=vm)))
    for plain, typed in zip(*rendered, strict=True):
        option = plain[0]
        if option in JSON_OPTIONS:
            found.append((option, json.loads(to_json(option, typed[1]))))
        else:
            found.append((option, {}))
    return found


def _device_add(vm: Vm, device: Placed, settings: Settings, problems: Problems) -> list[Command]:
    """The commands that add one device: its backends, then device_add."""
    from genqemu.jsonsyntax import JSON_OPTIONS
    from genqemu.qemu_facts import QMP_COMMANDS

    if device.fds:
        problems.add(
            device.toml_path,
            f"{device.kind} opens a file QEMU inherits by number, which a running QEMU "
            "cannot take from genqemu hotplug (getfd: not yet): use a path QEMU opens",
        )
        return []
    order = list(QMP_COMMANDS)
    commands: list[tuple[int, Command]] = []
    for option, arguments in _options(vm, device, settings):
        spec = QMP_COMMANDS.get(option)
        if spec is None or option not in JSON_OPTIONS:
            problems.add(
                device.toml_path,
                f"{device.kind} needs {option}, which genqemu hotplug cannot add over QMP: "
                "put it in CONFIG instead",
            )
            continue
        commands.append((order.index(option), _command(spec.add, arguments)))
    commands.sort(key=lambda pair: pair[0])  # stable: a backing chain keeps its order
    return [command for _, command in commands]


def dumps(commands: list[Command]) -> str:
    """One JSON object per line, as QMP reads them."""
    return "".join(json.dumps(c, separators=(",", ":")) + "\n" for c in commands)


__all__ = ["GenqemuError", "dumps", "hotplug_commands", "unplug_commands"]
