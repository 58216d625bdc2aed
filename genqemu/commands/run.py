"""`genqemu run`: start QEMU for a config, exactly as its launch script would."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from genqemu.commands.options import (
    FirmwareDirs,
    OneArch,
    ProfileDirs,
    QemuVersionOption,
    Syntax,
    SyntaxOption,
    TemplateDirs,
    errors_exit,
    load_launch,
    one_arch,
    user_settings,
)

EPILOG = (
    "Arguments after -- go to QEMU, after the generated ones (like the script's "
    '"$@"). Exit status: QEMU\'s own once it starts; 2 on a bad config or argument, '
    "a missing QEMU binary or an fd that cannot be opened."
)


def run(
    config: Annotated[
        Path,
        typer.Argument(help="VM description (TOML).", metavar="CONFIG", show_default=False),
    ],
    qemu_args: Annotated[
        Optional[list[str]],  # noqa: UP045 - typer needs Optional
        typer.Argument(
            help="Extra QEMU arguments, after --.", metavar="[-- QEMU_ARGS...]", show_default=False
        ),
    ] = None,
    arch: OneArch = None,
    syntax: SyntaxOption = Syntax.qemuopts,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", "-n", help="Print the fds and the command it would exec, then exit."
        ),
    ] = False,
    profile_dir: ProfileDirs = None,
    firmware_dir: FirmwareDirs = None,
    template_dir: TemplateDirs = None,
    qemu_version: QemuVersionOption = None,
) -> None:
    """Start QEMU for a VM description, exactly as the generated launch script would."""
    from genqemu import run as runner

    extra = qemu_args or []
    with errors_exit():
        settings = user_settings(profile_dir, template_dir, qemu_version, firmware_dir)
        launch = load_launch(config, one_arch(arch, "run"), syntax, settings)
        if dry_run:
            sys.stdout.write(runner.dry_run_text(launch, extra))
            return
        runner.execute(launch, extra)
