"""extra_args, the escape hatch: passed verbatim, but never a silent override.

QEMU takes some options once; a second one in extra_args would quietly win
over (or merge with) the one genqemu emits for a typed key, so the script
would start another VM than its config says. An id defined in extra_args
must not be one genqemu gives an entry, and an option must exist. Everything
else in extra_args is the user's: it is not checked further.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from genqemu.qemu_options import FLAGS, IMPLIED_KEY, JSON_SYNTAX, ONCE, WITH_ARGUMENT
from genqemu.schema import Problems, closest, join

if TYPE_CHECKING:
    from genqemu.records import Named
    from genqemu.resolve import Vm

# Keys whose option genqemu emits even when the config leaves them out.
_RESOLVED = {"machine.type": "machine_type", "cpu.model": "cpu_model"}


def check_extra_args(vm: Vm, problems: Problems) -> None:
    """Refuse unknown options, options a typed key already emits, and ids genqemu uses."""
    owners = _generated_ids(vm)
    for index, word, name, argument in _options(vm.config.extra_args, problems):
        path = join("extra_args", index)
        key = ONCE.get(name)
        value = _in_effect(vm, key) if key is not None else None
        if key is not None and value is not None:
            keep = (
                ""
                if key in _RESOLVED
                else f" (or set {key} = false to keep this one)"
                if value is True
                else f" (or leave {key} out to keep this one)"
            )
            problems.add(
                path,
                f"genqemu emits {word} for the config key {key!r} already, and QEMU takes "
                "it once: a second one here would silently override or merge with it; "
                f"set {key} instead and remove {word} from extra_args{keep}",
            )
        if argument is None:
            continue
        for prop, ident in _defined_ids(name, argument):
            owner = owners.get(ident)
            if owner is not None:
                problems.add(
                    join("extra_args", index + 1),
                    f"{prop}={ident} is the id genqemu gives {owner}; ids must be unique: "
                    "rename it here, or set another id there",
                )


def _options(
    args: tuple[str, ...], problems: Problems
) -> Iterator[tuple[int, str, str, str | None]]:
    """Each option of extra_args: (index, as written, name, argument); unknown
    options and a missing argument are problems. Other words (a disk image) pass."""
    index = 0
    while index < len(args):
        word = args[index]
        if not word.startswith("-") or word == "-":
            index += 1
            continue
        name = word[2:] if word.startswith("--") else word[1:]
        if name in FLAGS:
            yield index, word, name, None
            index += 1
        elif name in WITH_ARGUMENT:
            if index + 1 >= len(args):
                problems.add(
                    join("extra_args", index), f"{word} needs a value: add it after {word}"
                )
                return
            yield index, word, name, args[index + 1]
            index += 2
        else:
            near = closest(name, FLAGS | WITH_ARGUMENT, limit=len(FLAGS) + len(WITH_ARGUMENT))
            problems.add(
                join("extra_args", index),
                f"QEMU has no option {word}"
                + (f"; did you mean -{near}?" if near else "; see qemu-system-ARCH -help"),
            )
            index += 1


def _in_effect(vm: Vm, key: str) -> object:
    """The value of the config key `key` if it makes genqemu emit its option, else None."""
    if key in _RESOLVED:
        return getattr(vm, _RESOLVED[key])
    value: object = vm.config
    for part in key.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None
    return None if value is False else value


def _defined_ids(name: str, argument: str) -> list[tuple[str, str]]:
    """The ids and node names an option defines: (property, id)."""
    from genqemu.errors import GenqemuError
    from genqemu.importer.syntax import parse_json, parse_qemuopts

    if name in JSON_SYNTAX and argument.startswith("{"):
        try:
            props = parse_json(argument, name)
        except GenqemuError:  # QEMU says what is wrong with it
            return []
    elif name in IMPLIED_KEY:
        props = parse_qemuopts(argument, IMPLIED_KEY[name])
    else:
        return []
    return [
        (prop, value)
        for prop, value in props
        if prop == "id" or prop == "node-name" or prop.endswith(".node-name")
    ]


def _generated_ids(vm: Vm) -> dict[str, str]:
    """Every id genqemu writes on the command line, with what it belongs to."""
    owners: dict[str, str] = {}
    for device in vm.devices:
        owners[device.id] = f"{device.toml_path} ({device.kind})"
        if device.backend_id:
            owners[device.backend_id] = f"the backend of {device.toml_path} ({device.kind})"
    named: list[Named[Any]] = [*vm.chardevs, *vm.iothreads, *vm.qmp]
    for record in named:
        owners[record.id] = record.config.toml_path
    if vm.confidential is not None:
        owners[vm.confidential.id] = "confidential"
    if vm.ram_backend is not None:
        owners[vm.ram_backend] = "the guest RAM backend (memory)"
    for node in (n for n in vm.numa if n.config.memory):
        owners[node.id] = f"the RAM backend of {node.config.toml_path}"
    return owners
