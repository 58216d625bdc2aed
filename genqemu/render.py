"""Rendering: each device's template turns the resolved VM into QEMU options.

Template convention: every non-empty line a template prints is one QEMU
option, its name and (after the first space) its argument. So an option with
its argument is one argv pair and one line of the launch script.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

from genqemu.settings import SHIPPED, Settings

if TYPE_CHECKING:
    import jinja2

    from genqemu.resolve import Vm

# One QEMU option as argv words: its name, then its argument if it has one.
OptionWords = tuple[str, ...]


def environment(syntax: str = "qemuopts", settings: Settings = SHIPPED) -> jinja2.Environment:
    """The Jinja environment of a syntax and the settings' template folders
    (genqemu/templating.py), built on first use."""
    return _environment(syntax, settings)


@cache
def _environment(syntax: str, settings: Settings) -> jinja2.Environment:
    """One environment per (syntax, settings) value in a process."""
    from genqemu import templating

    return templating.environment(syntax, settings)


def options(text: str) -> list[OptionWords]:
    """Split rendered template text into options: `-name arg` -> ("-name", "arg")."""
    found: list[OptionWords] = []
    for line in text.split("\n"):
        if line:
            name, space, argument = line.partition(" ")
            found.append((name, argument) if space else (name,))
    return found


def render(vm: Vm, syntax: str = "qemuopts", settings: Settings = SHIPPED) -> list[OptionWords]:
    """Every QEMU option of `vm`, in order: machine-wide ones, then each device.

    With syntax "json", -device, -object, -netdev and -blockdev take QEMU's
    JSON form: the templates render once more with typed helpers, and those
    lines are turned into JSON objects (genqemu/jsonsyntax.py).
    """
    modelled = _render(vm, environment("qemuopts", settings))
    if syntax == "json":
        from genqemu.jsonsyntax import JSON_OPTIONS, to_json

        typed = _render(vm, environment("json", settings))
        modelled = [
            (plain[0], to_json(plain[0], json[1])) if plain[0] in JSON_OPTIONS else plain
            for plain, json in zip(modelled, typed, strict=True)
        ]
    return modelled + passthrough(vm.config.extra_args)


def _render(vm: Vm, env: jinja2.Environment) -> list[OptionWords]:
    """Every modelled option, rendered with one environment's helpers."""
    result = options(env.get_template("vm.j2").render(vm=vm, c=vm.config))
    chardev = env.get_template("chardev.j2")
    for record in vm.chardevs:
        result += options(chardev.render(c=record.config, r=record))
    monitor = env.get_template("monitor.j2")
    for entry in vm.config.monitor:
        result += options(monitor.render(m=entry))
    templates: dict[str, jinja2.Template] = {}
    for device in vm.devices:
        name = device.config.template
        template = templates.get(name)
        if template is None:
            template = templates[name] = env.get_template(name)
        result += options(template.render(d=device.config, r=device, vm=vm))
    return result


def passthrough(args: Sequence[str]) -> list[OptionWords]:
    """The config's extra_args, verbatim; an argument starting with '-' starts a
    new line of the script (that grouping is only for reading)."""
    grouped: list[list[str]] = []
    for arg in args:
        if arg.startswith("-") or not grouped:
            grouped.append([arg])
        else:
            grouped[-1].append(arg)
    return [tuple(group) for group in grouped]


def argv(vm: Vm, settings: Settings = SHIPPED) -> list[str]:
    """The full argv: the binary, then every option and argument."""
    return [vm.binary, *(part for option in render(vm, settings=settings) for part in option)]
