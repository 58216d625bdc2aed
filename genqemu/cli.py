"""The command line.

    genqemu [--arch ARCH] [--format sh|json|args] [--syntax S] [-o PATH] CONFIG
    genqemu --arch A --arch B -O DIR [--check] CONFIG...
    genqemu run [--arch ARCH] [--dry-run] CONFIG [-- QEMU_ARGS...]
    genqemu COMMAND ...          (explain, import, schema; each with its own --help)

The first forms are the `generate` command: when the first argument is not a
command name, `generate` is implied. This module holds the app and its
group; each command lives in genqemu/commands/, whose modules are the only
ones that print. Heavy modules are imported inside the commands, so `--help`
and `--version` stay fast.

Each command reads the user's folders (its --profile-dir/--template-dir and
GENQEMU_PROFILE_PATH/GENQEMU_TEMPLATE_PATH) once into a Settings value
(genqemu/settings.py) and passes it to the library; nothing is kept between
commands.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from genqemu.commands import explain, generate, import_, run, schema
from genqemu.commands.options import HELP
from genqemu.commands.options import complete_arch as _complete_arch


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


@app.callback()
def _group() -> None:
    """genqemu: one VM description, a correct QEMU command line per architecture."""


app.command(context_settings=HELP, epilog=generate.EPILOG)(generate.generate)
app.command(context_settings=HELP)(explain.explain)
app.command(context_settings=HELP)(schema.schema)
app.command(context_settings=HELP, epilog=run.EPILOG)(run.run)
app.command("import", context_settings=HELP, epilog=import_.EPILOG)(import_.import_command)

__all__ = ["_complete_arch", "app", "main"]


def main() -> None:
    """Console-script entry point."""
    app()
