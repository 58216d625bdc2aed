"""The command line.

    genqemu [--arch ARCH] [--format sh|json|args] [-o PATH] CONFIG
    genqemu run [--arch ARCH] [--dry-run] CONFIG [-- QEMU_ARGS...]
    genqemu COMMAND ...          (further commands, each with its own --help)

The first form is the `generate` command: when the first argument is not a
command name, `generate` is implied. Only this module prints; heavy modules
are imported inside the commands, so `--help` and `--version` stay fast.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from typer.core import TyperGroup

from genqemu import __version__

if TYPE_CHECKING:
    from genqemu.launch import Launch


class Format(enum.StrEnum):
    """Output formats."""

    sh = "sh"
    json = "json"
    args = "args"


class DefaultCommandGroup(TyperGroup):
    """Runs `generate` unless the first argument names another command."""

    default = "generate"

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args or args[0] not in self.commands:
            args = [self.default, *args]
        return super().parse_args(ctx, args)


app = typer.Typer(cls=DefaultCommandGroup, add_completion=False, rich_markup_mode=None)


@app.callback()
def _group() -> None:
    """genqemu: one VM description, a correct QEMU command line per architecture."""


ARCH_OPTION = typer.Option(
    "--arch",
    "-a",
    metavar="ARCH",
    help="Target: amd64 (x86_64), s390x, ppc64le (ppc64), arm64 (aarch64). Default: this host's.",
    show_default=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"genqemu {__version__}")
        raise typer.Exit()


@app.command(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Exit status: 0 on success, 2 on a bad config or argument (nothing is "
    "written then). Docs: README.md and docs/config.md. To start QEMU instead of "
    "writing a script: genqemu run [--arch ARCH] [--dry-run] CONFIG [-- QEMU_ARGS...]. "
    "To turn an existing QEMU command line into a config: genqemu import --help.",
)
def generate(
    config: Annotated[
        Path,
        typer.Argument(help="VM description (TOML).", metavar="CONFIG", show_default=False),
    ],
    arch: Annotated[Optional[str], ARCH_OPTION] = None,  # noqa: UP045 - typer needs Optional
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
    from genqemu import output as formats

    with errors_exit():
        launch = load_launch(config, arch)
        if output_format is Format.json:
            text = formats.to_json(launch)
        elif output_format is Format.args:
            text = formats.to_args(launch)
        else:
            text = formats.to_sh(launch, str(config))
        if output is None:
            sys.stdout.write(text)
        else:
            mode = 0o755 if output_format is Format.sh else 0o644
            formats.write_atomic(output, text, mode)


@app.command(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Arguments after -- go to QEMU, after the generated ones (like the script's "
    '"$@"). Exit status: QEMU\'s own once it starts; 2 on a bad config or argument, '
    "a missing QEMU binary or an fd that cannot be opened.",
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
    arch: Annotated[Optional[str], ARCH_OPTION] = None,  # noqa: UP045
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", "-n", help="Print the fds and the command it would exec, then exit."
        ),
    ] = False,
) -> None:
    """Start QEMU for a VM description, exactly as the generated launch script would."""
    from genqemu import run as runner

    extra = qemu_args or []
    with errors_exit():
        launch = load_launch(config, arch)
        if dry_run:
            sys.stdout.write(runner.describe(launch, extra))
            return
        runner.execute(launch, extra)


@app.command(
    "import",
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Exit status: 0 on success, 2 on input genqemu cannot read (nothing is "
    "written then). Docs: docs/import.md.",
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
) -> None:
    """Turn a QEMU command line or launch script into a genqemu config (TOML).

    Options genqemu models become typed keys; every other option goes to
    extra_args as written, so the config starts the same VM. A summary of
    what was typed and passed through goes to stderr.
    """
    from genqemu.importer.cli import run_import

    with errors_exit():
        text, summary = run_import(source, arch)
        if output is None:
            sys.stdout.write(text)
        else:
            from genqemu.output import write_atomic

            write_atomic(output, text, 0o644)
        sys.stderr.write(summary + "\n")


@contextmanager
def errors_exit() -> Iterator[None]:
    """Turn a GenqemuError into its message on stderr and its exit status (2)."""
    from genqemu.errors import GenqemuError

    try:
        yield
    except GenqemuError as error:
        sys.stderr.write(f"{error}\n")
        raise typer.Exit(error.exit_code) from None


def load_launch(config: Path, arch: str | None) -> Launch:
    """The launch plan of a config file for `arch` (default: this host's)."""
    from genqemu.build import build_file
    from genqemu.launch import plan

    return plan(build_file(config, arch or host_arch()))


def host_arch() -> str:
    """This machine's architecture as uname spells it (profiles list it as an alias)."""
    import os

    return os.uname().machine


def main() -> None:
    """Console-script entry point."""
    app()
