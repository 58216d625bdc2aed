"""`genqemu explain`: why the command line of a config is what it is."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from genqemu.commands.options import (
    FirmwareDirs,
    OneArch,
    ProfileDirs,
    QemuVersionOption,
    TemplateDirs,
    errors_exit,
    one_arch,
    user_settings,
)


def explain(
    config: Annotated[
        Path, typer.Argument(help="VM description (TOML).", metavar="CONFIG", show_default=False)
    ],
    arch: OneArch = None,
    profile_dir: ProfileDirs = None,
    firmware_dir: FirmwareDirs = None,
    template_dir: TemplateDirs = None,
    qemu_version: QemuVersionOption = None,
) -> None:
    """Explain the command line: transports and the rules that chose them, drivers,
    allocated device numbers, chassis and fds, and what was added for the arch."""
    from genqemu.build import build_file
    from genqemu.explain import explain as explanation
    from genqemu.launch import plan

    with errors_exit():
        settings = user_settings(profile_dir, template_dir, qemu_version, firmware_dir)
        vm = build_file(config, one_arch(arch, "explain"), settings)
        sys.stdout.write(explanation(vm, plan(vm, "qemuopts", settings), str(config)))
