"""The command line.

    genqemu [--arch ARCH] [--format sh|json|args] [--syntax S] [-o PATH] CONFIG
    genqemu --arch A --arch B -O DIR [--check] CONFIG...
    genqemu run [--arch ARCH] [--dry-run] CONFIG [-- QEMU_ARGS...]
    genqemu COMMAND ...          (explain, import, schema; each with its own --help)

The first forms are the `generate` command: when the first argument is not a
command name, `generate` is implied. Only this module prints; heavy modules
are imported inside the commands, so `--help` and `--version` stay fast.

Each command reads the user's folders (its --profile-dir/--template-dir and
GENQEMU_PROFILE_PATH/GENQEMU_TEMPLATE_PATH) once into a Settings value
(genqemu/settings.py) and passes it to the library; nothing is kept between
commands.
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
    from genqemu.settings import Settings


class Format(enum.StrEnum):
    """Output formats."""

    sh = "sh"
    json = "json"
    args = "args"


class Syntax(enum.StrEnum):
    """How -device, -object, -netdev and -blockdev are written."""

    qemuopts = "qemuopts"
    json = "json"


class DefaultCommandGroup(TyperGroup):
    """Runs `generate` unless the first argument names another command (or is one
    of the group's own options, such as --install-completion)."""

    default = "generate"

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        own = {name for param in self.params for name in param.opts} - {"--help", "-h"}
        if not args or (args[0] not in self.commands and args[0] not in own):
            args = [self.default, *args]
        return super().parse_args(ctx, args)


app = typer.Typer(cls=DefaultCommandGroup, rich_markup_mode=None)
HELP = {"help_option_names": ["-h", "--help"]}


@app.callback()
def _group() -> None:
    """genqemu: one VM description, a correct QEMU command line per architecture."""


def _version(value: bool) -> None:
    if value:
        typer.echo(f"genqemu {__version__}")
        raise typer.Exit()


def _complete_arch(incomplete: str) -> list[str]:
    from genqemu.profiles import arch_names

    return sorted(name for name in arch_names(user_settings()) if name.startswith(incomplete))


Arches = Annotated[
    Optional[list[str]],  # noqa: UP045 - typer needs Optional
    typer.Option(
        "--arch",
        "-a",
        metavar="ARCH",
        autocompletion=_complete_arch,
        show_default=False,
        help="Target: amd64 (x86_64), s390x, ppc64le (ppc64), arm64 (aarch64), riscv64, or "
        "one a --profile-dir adds. Repeat it with -O. Default: this host's.",
    ),
]


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
SyntaxOption = Annotated[
    Syntax,
    typer.Option(
        "--syntax",
        help="qemuopts: key=value,...; json: QEMU's JSON form of "
        "-device, -object, -netdev and -blockdev (QEMU 7.2 and newer).",
    ),
]


@app.command(
    context_settings=HELP,
    epilog="Exit status: 0 on success (--check: nothing differs), 1 when --check finds a "
    "difference, 2 on a bad config or argument (nothing is written then). Other commands, "
    "each with --help: genqemu run (start QEMU instead of writing a script), genqemu "
    "explain, genqemu import (turn a QEMU command line into a config), genqemu schema. "
    "Docs: README.md, docs/config.md.",
)
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
    template_dir: TemplateDirs = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Generate the QEMU command line for a VM description, for one architecture."""
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
            result = text(configs[0], arches[0], user_settings(profile_dir, template_dir))
            if output is None:
                sys.stdout.write(result)
            else:
                formats.write_atomic(output, result, mode)
            return
        if output is not None:
            raise UsageError("-o writes one file and -O a folder of them: give one")
        from genqemu import batch

        outputs = batch.plan_outputs(configs, arches, output_dir, output_format.value)
        settings = user_settings(profile_dir, template_dir)
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


@app.command(context_settings=HELP)
def explain(
    config: Annotated[
        Path, typer.Argument(help="VM description (TOML).", metavar="CONFIG", show_default=False)
    ],
    arch: Arches = None,
    profile_dir: ProfileDirs = None,
    template_dir: TemplateDirs = None,
) -> None:
    """Explain the command line: transports and the rules that chose them, drivers,
    allocated device numbers, chassis and fds, and what was added for the arch."""
    from genqemu.build import build_file
    from genqemu.errors import UsageError
    from genqemu.explain import explain as explanation
    from genqemu.launch import plan

    with errors_exit():
        if arch and len(arch) > 1:
            raise UsageError("explain takes one --arch")
        settings = user_settings(profile_dir, template_dir)
        vm = build_file(config, arch[0] if arch else host_arch(), settings)
        sys.stdout.write(explanation(vm, plan(vm, "qemuopts", settings), str(config)))


@app.command(context_settings=HELP)
def schema() -> None:
    """Print the JSON Schema of a config (for editors: see docs/editors.md)."""
    import json

    from genqemu.jsonschema import config_schema

    sys.stdout.write(json.dumps(config_schema(), indent=2) + "\n")


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
    arch: Arches = None,
    syntax: SyntaxOption = Syntax.qemuopts,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", "-n", help="Print the fds and the command it would exec, then exit."
        ),
    ] = False,
    profile_dir: ProfileDirs = None,
    template_dir: TemplateDirs = None,
) -> None:
    """Start QEMU for a VM description, exactly as the generated launch script would."""
    from genqemu import run as runner
    from genqemu.errors import UsageError

    extra = qemu_args or []
    with errors_exit():
        if arch and len(arch) > 1:
            raise UsageError("run takes one --arch")
        settings = user_settings(profile_dir, template_dir)
        launch = load_launch(config, arch[0] if arch else None, syntax, settings)
        if dry_run:
            sys.stdout.write(runner.describe(launch, extra))
            return
        runner.execute(launch, extra)


@app.command(
    "import",
    context_settings=HELP,
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
        # No --profile-dir here: the environment's folders only.
        text, summary = run_import(source, arch, user_settings())
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


def user_settings(
    profiles: list[Path] | None = None, templates: list[Path] | None = None
) -> Settings:
    """The settings of this command: the --profile-dir and --template-dir folders,
    then GENQEMU_PROFILE_PATH's and GENQEMU_TEMPLATE_PATH's. The environment is
    read here, by the command line only; the library takes what it is given."""
    from genqemu.settings import Settings

    return Settings.from_env(profiles, templates)


def load_launch(config: Path, arch: str | None, syntax: str, settings: Settings) -> Launch:
    """The launch plan of a config file for `arch` (default: this host's)."""
    from genqemu.build import build_file
    from genqemu.launch import plan

    return plan(build_file(config, arch or host_arch(), settings), syntax, settings)


def host_arch() -> str:
    """This machine's architecture as uname spells it (profiles list it as an alias)."""
    import os

    return os.uname().machine


def main() -> None:
    """Console-script entry point."""
    app()
