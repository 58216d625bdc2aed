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

What earlier hot-plugs added (`--plugged` files) is part of the running VM
(hotplug_plugged.py): a new hot-plug resolves after them, unplug finds them.

Unplug renders the device the running VM has the same way and reverses it:
device_del of each -device, then the deletes of its backends, last first.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genqemu.errors import ConfigError, GenqemuError
from genqemu.schema import Problems, suggest
from genqemu.settings import SHIPPED, Settings

if TYPE_CHECKING:
    from genqemu.hotplug_plugged import Running
    from genqemu.records import Placed
    from genqemu.resolve import Vm

Command = dict[str, Any]  # {"execute": NAME, "arguments": {...}}


def hotplug_commands(
    config: Path | str,
    new: Path | str | None,
    arch: str,
    settings: Settings = SHIPPED,
    *,
    cpus: int = 0,
    memory: int | str | None = None,
    plugged: Sequence[Path | str] = (),
) -> list[Command]:
    """The QMP commands, in order, that add `new`'s devices (and chardevs), then
    `cpus` more vCPUs, then a DIMM of `memory` ("1G", or bytes) to the VM
    `config` started on `arch`, after the earlier hot-plugs of the `plugged`
    files (hotplug_plugged.py, hotplug_cpumem.py); ConfigError names every problem."""
    from genqemu.hotplug_plugged import running_vm

    running = running_vm(config, plugged, arch, settings)
    commands = [] if new is None else _new_commands(running, new, arch, settings)
    if cpus or memory is not None:
        from genqemu.hotplug_cpumem import more_commands

        commands += more_commands(running.vm, config, cpus, memory, commands, settings)
    return commands


def _new_commands(
    running: Running, new: Path | str, arch: str, settings: Settings
) -> list[Command]:
    """The commands that add NEW.toml's devices and chardevs."""
    after = running.plus(new, arch, settings)
    devices, chardevs = after.last()
    problems = Problems()
    commands: list[Command] = []
    for chardev in chardevs:
        commands.append(_chardev_add(chardev, settings, problems))
    for device in devices:
        commands += _device_add(after.vm, device, settings, problems)
    if problems:
        raise after.sources.localized(problems.items, str(new))
    return commands


def unplug_commands(
    config: Path | str,
    ids: list[str],
    arch: str,
    settings: Settings = SHIPPED,
    plugged: Sequence[Path | str] = (),
) -> list[Command]:
    """The QMP commands that remove the devices (or chardevs) `ids` of the VM
    `config` started, or that the hot-plugs of the `plugged` files added
    (hotplug_plugged.py): every device_del first, then their backends' deletes."""
    from genqemu.hotplug_plugged import running_vm
    from genqemu.qemu_facts import QMP_COMMANDS

    vm = running_vm(config, plugged, arch, settings).vm
    devices = {device.id: device for device in vm.devices}
    chardevs = {chardev.id for chardev in vm.chardevs}
    whose = "CONFIG or a --plugged file" if plugged else "CONFIG"
    problems = Problems()
    removals: list[Command] = []
    backends: list[Command] = []
    for ident in ids:
        if ident in chardevs:
            chardev = QMP_COMMANDS["-chardev"]
            backends.append(_command(chardev.delete, {chardev.delete_key: ident}))
            continue
        if ident not in devices:
            problems.add(
                ident,
                f"no device or chardev of {whose} has this id"
                + suggest(ident, sorted([*devices, *chardevs])),
            )
            continue
        device = devices[ident]
        for option, arguments in reversed(_options(vm, device, settings)):
            spec = QMP_COMMANDS.get(option)
            if spec is None or spec.key not in arguments:
                continue
            deletion = _command(spec.delete, {spec.delete_key: arguments[spec.key]})
            (removals if option == "-device" else backends).append(deletion)
    if problems:
        raise ConfigError(f"{config} (unplug)", problems.items)
    return removals + backends


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
    context = {"d": device.config, "r": device, "vm": vm}
    return options_of(device.config.template, context, settings)


def options_of(
    name: str, context: dict[str, Any], settings: Settings
) -> list[tuple[str, dict[str, Any]]]:
    """The options template `name` renders, as (option, JSON arguments)."""
    from genqemu.jsonsyntax import JSON_OPTIONS, to_json
    from genqemu.render import environment, options

    found: list[tuple[str, dict[str, Any]]] = []
    rendered = []
    for syntax in ("qemuopts", "json"):
        template = environment(syntax, settings).get_template(name)
        rendered.append(options(template.render(**context)))
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
