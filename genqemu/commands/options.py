"""What the commands share: option types, settings, error handling, the host's arch."""

from __future__ import annotations

import enum
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

if TYPE_CHECKING:
    from genqemu.launch import Launch
    from genqemu.settings import Settings

HELP = {"help_option_names": ["-h", "--help"]}


class Format(enum.StrEnum):
    """Output formats."""

    sh = "sh"
    json = "json"
    args = "args"


class Syntax(enum.StrEnum):
    """How -device, -object, -netdev and -blockdev are written."""

    qemuopts = "qemuopts"
    json = "json"


def complete_arch(incomplete: str) -> list[str]:
    """Shell completion of --arch: every spelling of every profile."""
    from genqemu.profile_files import arch_names

    return sorted(name for name in arch_names(user_settings()) if name.startswith(incomplete))


def shipped_arches() -> str:
    """`amd64, arm64, ...`: the shipped profiles, named by their files (one
    folder listing, no TOML read, so --help stays fast)."""
    from genqemu.resources import data_dir

    files = data_dir("profiles").iterdir()
    return ", ".join(sorted(path.stem for path in files if path.suffix == ".toml"))


def _arch_option(repeat: str) -> Any:
    """--arch; `repeat` says when it may be given more than once."""
    return typer.Option(
        "--arch",
        "-a",
        metavar="ARCH",
        autocompletion=complete_arch,
        show_default=False,
        help=f"Target: {shipped_arches()}, an alias of one, or one a --profile-dir adds."
        f"{repeat} Default: this host's.",
    )


Arches = Annotated[
    Optional[list[str]],  # noqa: UP045 - typer needs Optional
    _arch_option(" Repeat it with -O."),
]
# explain and run take one arch (a list, so that a second one is refused, not dropped).
OneArch = Annotated[Optional[list[str]], _arch_option("")]  # noqa: UP045


def _folders(flag: str, what: str, variable: str) -> Any:
    """A repeatable option naming folders searched before the shipped ones."""
    return typer.Option(
        flag,
        metavar="DIR",
        show_default=False,
        help=f"Look for {what} here first (repeatable; also {variable}).",
    )


ProfileDirs = Annotated[
    Optional[list[Path]],  # noqa: UP045 - typer needs Optional
    _folders("--profile-dir", "arch profiles", "GENQEMU_PROFILE_PATH"),
]
TemplateDirs = Annotated[
    Optional[list[Path]],  # noqa: UP045
    _folders("--template-dir", "device templates", "GENQEMU_TEMPLATE_PATH"),
]
FirmwareDirs = Annotated[
    Optional[list[Path]],  # noqa: UP045
    typer.Option(
        "--firmware-dir",
        metavar="DIR",
        show_default=False,
        help="Read QEMU firmware descriptors ([firmware] type = uefi) here instead of "
        "this host's (repeatable, first wins; also GENQEMU_FIRMWARE_PATH): the target "
        "host's, when it differs.",
    ),
]
SyntaxOption = Annotated[
    Syntax,
    typer.Option(
        "--syntax",
        help="qemuopts: key=value,...; json: QEMU's JSON form of "
        "-device, -object, -netdev and -blockdev (QEMU 7.2 and newer).",
    ),
]

QemuVersionOption = Annotated[
    Optional[str],  # noqa: UP045 - typer needs Optional
    typer.Option(
        "--qemu-version",
        metavar="X.Y",
        show_default=False,
        help="The QEMU version the command line is for: what it lacks is refused. "
        "Default: the config's qemu_version, else the arch profile's.",
    ),
]


@contextmanager
def errors_exit() -> Iterator[None]:
    """Turn a GenqemuError into its message on stderr and its exit status (2)."""
    from genqemu.errors import GenqemuError

    try:
        yield
    except GenqemuError as error:
        sys.stderr.write(f"{error}\n")
        raise typer.Exit(error.exit_code) from None


def user_settings(
    profiles: list[Path] | None = None,
    templates: list[Path] | None = None,
    qemu_version: str | None = None,
    firmware: list[Path] | None = None,
) -> Settings:
    """The settings of this command: the --profile-dir and --template-dir folders,
    then GENQEMU_PROFILE_PATH's and GENQEMU_TEMPLATE_PATH's, --qemu-version, and
    the firmware descriptor folders (--firmware-dir, GENQEMU_FIRMWARE_PATH, QEMU's).
    The environment is read here, by the command line only; the library takes
    what it is given."""
    from genqemu.settings import Settings

    return Settings.from_env(profiles, templates, qemu_version=qemu_version, firmware=firmware)


def load_launch(config: Path, arch: str | None, syntax: str, settings: Settings) -> Launch:
    """The launch plan of a config file for `arch` (default: this host's)."""
    from genqemu.build import build_file
    from genqemu.launch import plan

    return plan(build_file(config, arch or host_arch(), settings), syntax, settings)


def one_arch(arch: list[str] | None, command: str) -> str:
    """The one --arch of a command that takes one (default: this host's)."""
    from genqemu.errors import UsageError

    if arch and len(arch) > 1:
        raise UsageError(f"{command} takes one --arch")
    return arch[0] if arch else host_arch()


def host_arch() -> str:
    """This machine's architecture as uname spells it (profiles list it as an alias)."""
    import os

    return os.uname().machine
