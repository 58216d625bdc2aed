"""The command line.

    genqemu [--arch ARCH] [--format sh|json|args] [--syntax S] [-o PATH] CONFIG
    genqemu --arch A --arch B -O DIR [--check] CONFIG...
    genqemu run [--arch ARCH] [--dry-run] CONFIG [-- QEMU_ARGS...]
    genqemu COMMAND ...          (explain, import, schema, hotplug, unplug; each
                                 with its own --help)

The first forms are the `generate` command: when the first argument is not a
command name, `generate` is implied. Users never type it, so it is hidden and
its help and errors name `genqemu` alone; its help lists the other commands.
This module holds the app and its
group; each command lives in genqemu/commands/, whose modules are the only
ones that print. Heavy modules are imported inside the commands, so `--help`
and `--version` stay fast.

Each command reads the user's folders (its --profile-dir/--template-dir and
GENQEMU_PROFILE_PATH/GENQEMU_TEMPLATE_PATH) once into a Settings value
(genqemu/settings.py) and passes it to the library; nothing is kept between
commands.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from genqemu.commands import generate
from genqemu.commands.options import HELP
from genqemu.commands.options import complete_arch as _complete_arch


class Command(TyperCommand):
    """A command whose usage line reads like its help: `CONFIG`, not typer's `{CONFIG}`."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces: list[str] = super().collect_usage_pieces(ctx)
        return [piece.removeprefix("{").removesuffix("}") for piece in pieces]


class ImpliedContext(typer.Context):
    """The context of the implied command: users type `genqemu CONFIG`, so its
    usage line and the `Try 'genqemu -h'` of its errors name `genqemu` alone."""

    @property
    def command_path(self) -> str:
        return self.parent.command_path if self.parent else super().command_path


class DefaultCommand(Command):
    """`generate`: its help is genqemu's own, so it lists the other commands too."""

    context_class = ImpliedContext

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        group = ctx.parent.command if ctx.parent else None
        if isinstance(group, TyperGroup):
            rows = [
                (f"{name} ...", command.get_short_help_str(limit=90))
                for name, command in group.commands.items()
                if not command.hidden
            ]
            with formatter.section("Commands (each with its own --help)"):
                formatter.write_dl(rows)
        super().format_epilog(ctx, formatter)


class RunCommand(Command):
    """`run`: an unknown option is most likely a QEMU option given without `--`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        from typer._click.exceptions import NoSuchOption

        try:
            result: list[str] = super().parse_args(ctx, args)
        except NoSuchOption as error:
            error.message += (
                f" (QEMU options go after --: genqemu run CONFIG -- {error.option_name})"
            )
            raise
        return result


class DefaultCommandGroup(TyperGroup):
    """Runs `generate` unless the first argument names another command (or is one
    of the group's own options, such as --install-completion)."""

    default = "generate"

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        own = {name for param in self.params for name in param.opts} - {"--help", "-h"}
        if not args or (args[0] not in self.commands and args[0] not in own):
            args = [self.default, *args]
        return super().parse_args(ctx, args)


def _group() -> None:
    """genqemu: one VM description, a correct QEMU command line per architecture."""


def _make_app(every_command: bool) -> typer.Typer:
    """The app: `generate`, and with `every_command` the other commands too."""
    made = typer.Typer(cls=DefaultCommandGroup, rich_markup_mode=None)
    made.callback()(_group)
    # `generate` is hidden: users never type it (see DefaultCommandGroup).
    made.command(cls=DefaultCommand, context_settings=HELP, epilog=generate.EPILOG, hidden=True)(
        generate.generate
    )
    if every_command:
        # Imported here: the usual run (the lean app, see app_for) needs none of them.
        from genqemu.commands import explain, hotplug, import_, run, schema

        made.command(cls=RunCommand, context_settings=HELP, epilog=run.EPILOG)(run.run)
        made.command(
            cls=Command,
            context_settings=HELP,
            short_help="Why the command line is what it is: transports, drivers, devnos, fds.",
        )(explain.explain)
        made.command("import", cls=Command, context_settings=HELP, epilog=import_.EPILOG)(
            import_.import_command
        )
        made.command(cls=Command, context_settings=HELP)(schema.schema)
        made.command(
            cls=Command,
            context_settings=HELP,
            short_help="The QMP commands that add devices to a running VM.",
        )(hotplug.hotplug)
        made.command(
            cls=Command,
            context_settings=HELP,
            short_help="The QMP commands that remove devices from a running VM.",
        )(hotplug.unplug)
    return made


_whole: list[typer.Typer] = []


def whole_app() -> typer.Typer:
    """The app with every command, made once, on first use."""
    if not _whole:
        _whole.append(_make_app(every_command=True))
    return _whole[0]


def __getattr__(name: str) -> typer.Typer:
    """`genqemu.cli.app`: the whole app, made when first asked for (the usual run
    makes only the lean one, and imports none of the other commands)."""
    if name == "app":
        return whole_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


COMMANDS = frozenset(("generate", "run", "explain", "import", "schema", "hotplug", "unplug"))


def app_for(args: Sequence[str]) -> typer.Typer:
    """The app to run `args` with. Typer builds every registered command on each
    run (about 2 ms of the start-up benchmark's 70); the usual run, the implied
    `generate` with no help asked and no completion, gets an app of that command
    alone, which parses and reports exactly as the whole one does (a test
    compares them). Everything else gets the whole app."""
    whole = (
        not args
        or args[0] in COMMANDS
        or any(arg in ("-h", "--help") for arg in args)
        or any(name.endswith("_COMPLETE") for name in os.environ)
        or args[0].startswith(("--install-completion", "--show-completion"))
    )
    return whole_app() if whole else _make_app(every_command=False)


__all__ = ["_complete_arch", "app_for", "main", "whole_app"]


def main() -> None:
    """Console-script entry point."""
    app_for(sys.argv[1:])()
