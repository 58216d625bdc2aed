"""genqemu(1), written from the command line itself (`python -m genqemu.manpage`,
`make man`): the usage, help and options each command shows with --help, so the
man page cannot say what the program does not do. docs/genqemu.1 is its output
(a test checks that it is current) and the wheel installs it as
share/man/man1/genqemu.1."""

from __future__ import annotations

from typing import Any

import typer

NAME = "genqemu"


def roff(text: str) -> str:
    """Text as roff reads it literally: backslashes escaped, no line taken for a request."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(f"\\&{line}" if line[:1] in ".'" else line for line in text.splitlines())


def paragraphs(text: str) -> str:
    """A help text's paragraphs (separated by blank lines), each filled by roff."""
    blocks = [" ".join(block.split()) for block in text.strip().split("\n\n")]
    return "\n.PP\n".join(roff(block) for block in blocks if block)


def synopsis(command: Any, ctx: Any) -> str:
    pieces = " ".join(command.collect_usage_pieces(ctx))
    return f".B {roff(ctx.command_path)}\n{roff(pieces)}"


def options(command: Any, ctx: Any, skip: str = "") -> str:
    """One tagged paragraph per argument and option, as --help lists them."""
    lines = []
    for param in command.get_params(ctx):
        record = None if param.name == skip else param.get_help_record(ctx)
        if record is None:
            continue
        names, text = record
        lines += [".TP", f"\\fB{roff(names)}\\fR", paragraphs(text) if text else ""]
    return "\n".join(line for line in lines if line)


def manpage() -> str:
    """The whole page, from the app's click command tree."""
    group = typer.main.get_command(_app())
    root = typer.Context(group, info_name=NAME, **group.context_settings)
    default_name = group.default  # type: ignore[attr-defined]
    default = group.commands[default_name]  # type: ignore[attr-defined]
    others = [(n, c) for n, c in group.commands.items() if not c.hidden]  # type: ignore[attr-defined]
    contexts = {
        name: command.context_class(
            command, info_name=name, parent=root, **command.context_settings
        )
        for name, command in [(default_name, default), *others]
    }
    out = [
        f'.TH {NAME.upper()} 1 "" "{NAME}" "User Commands"',
        ".nh",  # no hyphenation: option and variable names are typed as printed
        ".ad l",
        ".SH NAME",
        f"{NAME} \\- {roff(group.help or '').removeprefix(NAME + ': ').rstrip('.')}",
        ".SH SYNOPSIS",
        "\n.br\n".join(synopsis(c, contexts[n]) for n, c in [(default_name, default), *others]),
        ".SH DESCRIPTION",
        paragraphs(default.help or ""),
        ".SH OPTIONS",
        options(default, contexts[default_name]),
        ".SH COMMANDS",
    ]
    for name, command in others:
        ctx = contexts[name]
        out += [f".SS {roff(ctx.command_path)}", paragraphs(command.help or "")]
        out += [options(command, ctx)]
        if command.epilog:
            out += [".PP", paragraphs(command.epilog)]
    out += [".SH NOTES", paragraphs(default.epilog or "")]
    out += [".SH SHELL COMPLETION", options(group, root, skip="help")]
    out += [".SH SEE ALSO", "\\fBqemu\\fR(1), \\fBqemu\\-img\\fR(1)"]
    return "\n".join(out) + "\n"


def _app() -> typer.Typer:
    from genqemu.cli import app

    return app


if __name__ == "__main__":
    import sys

    sys.stdout.write(manpage())
