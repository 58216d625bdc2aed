"""`genqemu [generate]`: the QEMU command line of configs, for one arch or many (-O)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from genqemu import __version__
from genqemu.commands.options import (
    Arches,
    FirmwareDirs,
    Format,
    ProfileDirs,
    QemuVersionOption,
    Syntax,
    SyntaxOption,
    TemplateDirs,
    errors_exit,
    host_arch,
    load_launch,
    user_settings,
)

if TYPE_CHECKING:
    from genqemu.settings import Settings

EPILOG = (
    "Exit status: 0 on success (--check: nothing differs), 1 when --check finds a "
    "difference, 2 on a bad config or argument (nothing is written then). Shell "
    "completion: genqemu --install-completion (bash, zsh, fish). Docs: man genqemu; "
    "README.md and docs/config.md in the source."
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"genqemu {__version__}")
        raise typer.Exit()


def generate(
    configs: Annotated[
        list[Path],
        # readable=False: genqemu reports an unreadable file itself, as root too.
        typer.Argument(
            help="VM description (TOML); several with -O.",
            metavar="CONFIG...",
            show_default=False,
            readable=False,
        ),
    ],
    arch: Arches = None,
    output_format: Annotated[
        Format,
        typer.Option(
            "--format",
            "-f",
            help="sh: launch script; json: argv and metadata; args: one argument per line.",
        ),
    ] = Format.sh,
    syntax: SyntaxOption = Syntax.qemuopts,
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--output",
            "-o",
            metavar="PATH",
            help="Write here (atomically; a script gets mode 0755) instead of to stdout.",
            show_default=False,
            readable=False,  # it is written, never read
        ),
    ] = None,
    output_dir: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--output-dir",
            "-O",
            metavar="DIR",
            show_default=False,
            help="Write DIR/<config-stem>.<arch>.<format> for every config and arch.",
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="With -O: write nothing; print a diff and exit 1 if any "
            "file differs from what would be generated.",
        ),
    ] = False,
    profile_dir: ProfileDirs = None,
    firmware_dir: FirmwareDirs = None,
    template_dir: TemplateDirs = None,
    qemu_version: QemuVersionOption = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Write the QEMU launch script (or argv) of a VM description for an architecture;
    with -O, of several descriptions and architectures."""
    from genqemu import output as formats
    from genqemu.errors import UsageError

    with errors_exit():
        arches = arch or [host_arch()]
        mode = 0o755 if output_format is Format.sh else 0o644

        def text(config: Path, target_arch: str, settings: Settings) -> str:
            launch = load_launch(config, target_arch, syntax, settings)
            if output_format is Format.json:
                return formats.to_json(launch)
            if output_format is Format.args:
                return formats.to_args(launch)
            return formats.to_sh(launch, str(config))

        if output_dir is None:
            if check:
                raise UsageError("--check compares with the files under -O DIR: give -O")
            if len(configs) > 1 or len(arches) > 1:
                raise UsageError("several configs or arches make several files: give -O DIR")
            result = text(
                configs[0],
                arches[0],
                user_settings(profile_dir, template_dir, qemu_version, firmware_dir),
            )
            if output is None:
                sys.stdout.write(result)
            else:
                formats.write_atomic(output, result, mode)
            return
        if output is not None:
            raise UsageError("-o writes one file and -O a folder of them: give one")
        from genqemu import batch

        outputs = batch.plan_outputs(configs, arches, output_dir, output_format.value)
        settings = user_settings(profile_dir, template_dir, qemu_version, firmware_dir)
        texts = batch.generate_all(outputs, lambda config, target: text(config, target, settings))
        if not check:
            batch.write_all(texts, mode)
            return
        diff = batch.check_all(texts)
        if diff:
            sys.stdout.write(diff)
            sys.stderr.write(f"genqemu: {diff.count('+++ ')} of {len(texts)} files differ\n")
            raise typer.Exit(1)
        sys.stderr.write(f"genqemu: {len(texts)} files up to date\n")
