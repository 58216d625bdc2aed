"""`genqemu import`: a QEMU command line or launch script in, a config out."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from genqemu.commands.options import FirmwareDirs, errors_exit, user_settings

EPILOG = (
    "Exit status: 0 on success, 2 on input genqemu cannot read (nothing is "
    "written then). Docs: docs/import.md in the source."
)


def import_command(
    source: Annotated[
        str,
        typer.Argument(
            help="QEMU command line, launch script or JSON argv; - or nothing: stdin.",
            metavar="[FILE|-]",
            show_default=False,
        ),
    ] = "-",
    arch: Annotated[
        Optional[str],  # noqa: UP045 - typer needs Optional
        typer.Option(
            "--arch",
            "-a",
            metavar="ARCH",
            help="Target arch; default: the one of the QEMU binary the command line runs.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--output",
            "-o",
            metavar="PATH",
            help="Write the config here (atomically) instead of to stdout.",
            show_default=False,
        ),
    ] = None,
    firmware_dir: FirmwareDirs = None,
) -> None:
    """Turn a QEMU command line or launch script into a genqemu config (TOML).

    Options genqemu models become typed keys; every other option goes to
    extra_args as written, so the config starts the same VM. A summary of
    what was typed and passed through goes to stderr.
    """
    from genqemu.importer.cli import run_import

    with errors_exit():
        # No --profile-dir here: the environment's folders only. The firmware
        # descriptors say which read-only flash is [firmware] type = "uefi".
        text, summary = run_import(source, arch, user_settings(firmware=firmware_dir))
        if output is None:
            sys.stdout.write(text)
        else:
            from genqemu.output import write_atomic

            write_atomic(output, text, 0o644)
        sys.stderr.write(summary + "\n")
