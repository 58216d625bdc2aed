"""`genqemu hotplug` and `genqemu unplug`: the QMP commands that change a running VM."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from genqemu.commands.options import (
    OneArch,
    ProfileDirs,
    QemuVersionOption,
    TemplateDirs,
    errors_exit,
    one_arch,
    user_settings,
)

Config = Annotated[
    Path,
    typer.Argument(help="The VM as it was started (TOML).", metavar="CONFIG", show_default=False),
]


QmpSocket = Annotated[
    Optional[str],  # noqa: UP045 (typer reads the annotation at run time)
    typer.Option(
        "--qmp",
        metavar="SOCKET",
        help="Send the commands to the VM's QMP unix socket instead of printing them; "
        "exit 1 with QEMU's message if one fails.",
        show_default=False,
    ),
]
Timeout = Annotated[
    float,
    typer.Option(
        metavar="SECONDS",
        min=0.1,
        help="With --qmp: how long to wait for each answer and each DEVICE_DELETED.",
    ),
]
Plugged = Annotated[
    Optional[list[Path]],  # noqa: UP045 (typer reads the annotation at run time)
    typer.Option(
        "--plugged",
        metavar="NEW",
        help="A NEW.toml an earlier genqemu hotplug of CONFIG added (repeatable: every "
        "such file, in the order they were added): its devices are in the running VM.",
        show_default=False,
    ),
]


def _print_or_send(
    commands: list[dict[str, Any]], qmp: str | None, timeout: float, *, removing: bool
) -> None:
    """The QMP commands on stdout, one JSON object per line; with --qmp, sent (and
    undone on a failure, or each device's DEVICE_DELETED awaited when removing)."""
    from genqemu import qmpsend
    from genqemu.hotplug import dumps

    if qmp is None:
        sys.stdout.write(dumps(commands))
    else:
        (qmpsend.send_unplug if removing else qmpsend.send_hotplug)(qmp, commands, timeout)


def hotplug(
    config: Config,
    new: Annotated[
        Optional[Path],  # noqa: UP045 (typer reads the annotation at run time)
        typer.Argument(
            help="The [[device]] (and [[chardev]]) tables to add (TOML); optional with "
            "--cpus or --memory.",
            metavar="[NEW]",
            show_default=False,
        ),
    ] = None,
    cpus: Annotated[
        int,
        typer.Option(
            "--cpus",
            metavar="N",
            min=0,
            help="Add N vCPUs to the smp.cpus CONFIG started with (not a total), in the "
            "next free slots, up to smp.maxcpus.",
            show_default=False,
        ),
    ] = 0,
    memory: Annotated[
        Optional[str],  # noqa: UP045 (typer reads the annotation at run time)
        typer.Option(
            "--memory",
            metavar="SIZE",
            help='Add a DIMM of SIZE ("512M", "1G": like the config\'s sizes), within '
            "memory.slots and memory.maxmem.",
            show_default=False,
        ),
    ] = None,
    arch: OneArch = None,
    qmp: QmpSocket = None,
    timeout: Timeout = 30.0,
    plugged: Plugged = None,
    profile_dir: ProfileDirs = None,
    template_dir: TemplateDirs = None,
    qemu_version: QemuVersionOption = None,
) -> None:
    """Print the QMP commands, one JSON object per line, that add NEW's devices,
    --cpus more vCPUs and a --memory DIMM (in that order) to the running VM that
    CONFIG started (ids, ports and devnos fit that VM); with --qmp, send them,
    and on a failure remove what was added."""
    from genqemu.hotplug import hotplug_commands

    with errors_exit():
        if new is None and not cpus and memory is None:
            from genqemu.errors import UsageError

            raise UsageError("hotplug needs NEW.toml, --cpus N or --memory SIZE: say what to add")
        settings = user_settings(profile_dir, template_dir, qemu_version)
        commands = hotplug_commands(
            config,
            new,
            one_arch(arch, "hotplug"),
            settings,
            cpus=cpus,
            memory=memory,
            plugged=plugged or (),
        )
        _print_or_send(commands, qmp, timeout, removing=False)


def unplug(
    config: Config,
    ids: Annotated[
        list[str],
        typer.Argument(
            help="Ids of devices or chardevs of CONFIG or of a --plugged file.",
            metavar="ID...",
            show_default=False,
        ),
    ],
    arch: OneArch = None,
    qmp: QmpSocket = None,
    timeout: Timeout = 30.0,
    plugged: Plugged = None,
    profile_dir: ProfileDirs = None,
    template_dir: TemplateDirs = None,
    qemu_version: QemuVersionOption = None,
) -> None:
    """Print the QMP commands that remove devices of the running VM that CONFIG
    started: device_del of each (wait for DEVICE_DELETED), then their backends;
    with --qmp, send them and wait."""
    from genqemu.hotplug import unplug_commands

    with errors_exit():
        settings = user_settings(profile_dir, template_dir, qemu_version)
        commands = unplug_commands(config, ids, one_arch(arch, "unplug"), settings, plugged or ())
        _print_or_send(commands, qmp, timeout, removing=True)
