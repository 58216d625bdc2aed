"""Rendering: each device's template turns the resolved VM into QEMU options.

Template convention: every non-empty line a template prints is one QEMU
option, its name and (after the first space) its argument. So an option with
its argument is one argv pair and one line of the launch script.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from genqemu.escape import esc, hexadecimal, onoff, prop, props, size, strings
from genqemu.resources import data_dir

if TYPE_CHECKING:
    import jinja2

    from genqemu.resolve import Vm

Option = tuple[str, ...]


@cache
def environment() -> jinja2.Environment:
    """The one Jinja environment: strict, no HTML escaping, filters registered here."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(data_dir("templates")),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
    )
    env.filters["esc"] = esc
    env.filters["size"] = size
    env.filters["hex"] = hexadecimal
    env.filters["onoff"] = onoff
    env.globals["prop"] = prop
    env.globals["props"] = props
    env.globals["strings"] = strings
    return env


def options(text: str) -> list[Option]:
    """Split rendered template text into options: `-name arg` -> ("-name", "arg")."""
    found: list[Option] = []
    for line in text.split("\n"):
        if line:
            name, space, argument = line.partition(" ")
            found.append((name, argument) if space else (name,))
    return found


def render(vm: Vm) -> list[Option]:
    """Every QEMU option of `vm`, in order: machine-wide ones, then each device."""
    env = environment()
    result = options(env.get_template("vm.j2").render(vm=vm, c=vm.config))
    chardev = env.get_template("chardev.j2")
    for entry in vm.chardevs:
        result += options(chardev.render(c=entry))
    for device in vm.devices:
        result += options(env.get_template(device.template).render(d=device, vm=vm))
    return result + passthrough(vm.config.extra_args)


def passthrough(args: list[str]) -> list[Option]:
    """The config's extra_args, verbatim; an argument starting with '-' starts a
    new line of the script (that grouping is only for reading)."""
    grouped: list[list[str]] = []
    for arg in args:
        if arg.startswith("-") or not grouped:
            grouped.append([arg])
        else:
            grouped[-1].append(arg)
    return [tuple(group) for group in grouped]


def argv(vm: Vm) -> list[str]:
    """The full argv: the binary, then every option and argument."""
    return [vm.binary, *(part for option in render(vm) for part in option)]
