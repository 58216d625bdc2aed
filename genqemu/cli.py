"""The command line: `genqemu [--arch ARCH] [--format sh|json|args] [-o PATH] CONFIG`.

Only this module prints. Heavy modules are imported inside the command, so
`--help` and `--version` stay fast.
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from genqemu import __version__


class Format(enum.StrEnum):
    """Output formats."""

    sh = "sh"
    json = "json"
    args = "args"


app = typer.Typer(add_completion=False, rich_markup_mode=None)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"genqemu {__version__}")
        raise typer.Exit()


@app.command(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Exit status: 0 on success, 2 on a bad config or argument (nothing is "
    "written then). Docs: README.md and docs/config.md.",
)
def generate(
    config: Annotated[
        Path, typer.Argument(help="VM description (TOML).", metavar="CONFIG", show_default=False)
    ],
    arch: Annotated[
        Optional[str],  # noqa: UP045 - typer 0.28 needs Optional here
        typer.Option(
            "--arch",
            "-a",
            metavar="ARCH",
            help="Target: amd64 (x86_64), s390x, ppc64le (ppc64), "
            "arm64 (aarch64). Default: this host's.",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        Format,
        typer.Option(
            "--format",
            "-f",
            help="sh: launch script; json: argv and metadata; args: one argument per line.",
        ),
    ] = Format.sh,
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--output",
            "-o",
            metavar="PATH",
            help="Write here (atomically; a script gets mode 0755) instead of to stdout.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Generate the QEMU command line for a VM description, for one architecture."""
    from genqemu.errors import GenqemuError

    try:
        text = _generate(config, arch, output_format)
        if output is None:
            sys.stdout.write(text)
        else:
            from genqemu.output import write_atomic

            write_atomic(output, text, 0o755 if output_format is Format.sh else 0o644)
    except GenqemuError as error:
        sys.stderr.write(f"{error}\n")
        raise typer.Exit(error.exit_code) from None


def _generate(config: Path, arch: str | None, output_format: Format) -> str:
    from genqemu import output
    from genqemu.build import build_file
    from genqemu.render import render

    vm = build_file(config, arch or host_arch())
    options = render(vm)
    if output_format is Format.json:
        return output.to_json(vm, options)
    if output_format is Format.args:
        return output.to_args(vm, options)
    return output.to_sh(vm, options, str(config))


def host_arch() -> str:
    """This machine's architecture as --arch spells it (aliases resolve later)."""
    import os

    return os.uname().machine


def main() -> None:
    """Console-script entry point."""
    app()
