"""The input of genqemu import: a launch script, argv text or JSON, down to one QEMU argv.

The format is recognised, not declared: a JSON list (argv) or object (genqemu's
own `--format json`), one argument per line (`--format args`: the binary
alone on the first line, an option on the second), else a sh script or a
command line pasted from a document. Of a script, the one command that runs
a QEMU binary is taken, with the files earlier `exec N<>PATH` lines open
for it and the `setpriv` it may run through; environment assignments and
other wrappers are reported, since a genqemu config does not hold them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from genqemu.errors import GenqemuError
from genqemu.importer.shell import Command, Word, parse_script

# 512 KiB: over a hundred times libvirt's golden command lines (1-4 KB), and a
# quarter of what Linux lets a command's arguments and environment take (2 MiB).
MAX_INPUT = 512 * 1024
_QEMU = re.compile(r"(qemu-system-[A-Za-z0-9_]+|qemu-kvm|kvm)\Z")
# Words that may come before the command in a simple command.
_RESERVED = frozenset({"then", "else", "do", "!", "{", "if", "elif", "while", "until", "time"})
# Commands that mention a binary without running it.
_NOT_RUNNING = frozenset({"echo", "printf", "which", "type", "test", "[", "[[", "hash", "alias"})


@dataclass
class Invocation:
    """The QEMU command: binary, arguments, inherited files and how it was started."""

    binary: str
    args: list[str]
    fds: dict[int, tuple[str, str]] = field(default_factory=dict)  # fd -> (path, mode)
    run_as: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)


def is_qemu(binary: str) -> bool:
    """Whether `binary` names a QEMU system emulator."""
    return bool(_QEMU.match(binary.rsplit("/", 1)[-1]))


def read_invocation(text: str) -> Invocation:
    """The QEMU invocation `text` holds, in whichever format it is written."""
    if len(text.encode()) > MAX_INPUT:
        raise GenqemuError(
            f"the input is {len(text.encode())} bytes; genqemu import reads at most "
            f"{MAX_INPUT} bytes (a QEMU command line is a few kilobytes)"
        )
    if "\x00" in text:
        raise GenqemuError("the input contains a NUL byte: it is not a script or a command line")
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")):
        invocation = _from_json(stripped)
    elif _one_argument_per_line(text):
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()
        invocation = Invocation(lines[0].strip(), lines[1:])
    elif not stripped:
        raise GenqemuError("the input is empty: give a QEMU command line or launch script")
    else:
        invocation = _from_script(text)
    if not is_qemu(invocation.binary):
        raise GenqemuError(
            f"{invocation.binary!r} is not a QEMU system emulator; genqemu import reads "
            "a command line that runs qemu-system-ARCH (e.g. qemu-system-x86_64)"
        )
    return invocation


def _one_argument_per_line(text: str) -> bool:
    lines = text.split("\n")
    return (
        len(lines) > 1
        and is_qemu(lines[0].strip())
        and " " not in lines[0].strip()
        and lines[1].startswith("-")
        and not any(line.rstrip().endswith("\\") for line in lines)
    )


def _from_json(text: str) -> Invocation:
    try:
        document = json.loads(text)
    except ValueError as error:
        raise GenqemuError(f"the input looks like JSON but is not valid: {error}") from None
    if isinstance(document, dict):  # genqemu --format json
        argv = document.get("argv")
        fds = document.get("fds", [])
        prefix = document.get("prefix", [])
    else:
        argv, fds, prefix = document, [], []
    if not _strings(argv) or not argv:
        raise GenqemuError('JSON input must be a list of strings (argv) or an object with "argv"')
    if not isinstance(fds, list) or not _strings(prefix):
        raise GenqemuError('"fds" must be a list and "prefix" a list of strings')
    invocation = Invocation(argv[0], argv[1:])
    for entry in fds:
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("fd"), int)
            and isinstance(entry.get("path"), str)
            and entry.get("mode") in ("rw", "r")
        ):
            raise GenqemuError('each of "fds" must be {"fd": N, "path": "...", "mode": "rw"|"r"}')
        invocation.fds[entry["fd"]] = (entry["path"], entry["mode"])
    _wrappers(invocation, prefix)
    return invocation


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _from_script(text: str) -> Invocation:
    commands = parse_script(text)
    found = [(command, start) for command in commands if (start := _qemu_word(command)) >= 0]
    if not found:
        first = next((c.words[0].text for c in commands if c.words), "")
        hint = f" (it runs {first!r})" if first else ""
        raise GenqemuError(f"no command in the input runs QEMU{hint}: expected qemu-system-ARCH")
    if len(found) > 1:
        lines = ", ".join(str(command.line) for command, _ in found)
        raise GenqemuError(
            f"the input runs QEMU {len(found)} times (lines {lines}); import one command at a time"
        )
    command, start = found[0]
    problems = [problem for word in command.words for problem in word.problems]
    if problems:
        raise GenqemuError(
            "the QEMU command uses values only the shell knows when it runs; genqemu does "
            "not guess them:\n" + "\n".join(problems)
        )
    args = [word.text for word in command.words[start + 1 :] if not word.caller_args]
    invocation = Invocation(command.words[start].text, args)
    for earlier in commands[: commands.index(command)]:
        if [w.text for w in earlier.words] == ["exec"]:
            _open_files(invocation, earlier)
    _open_files(invocation, command)
    prefix = command.words[:start]
    env = [w.text.partition("=")[0] for w in prefix if w.assignment]
    if env:
        invocation.notes.append(
            "environment not kept (a genqemu config does not set QEMU's): " + ", ".join(env)
        )
    _wrappers(invocation, [w.text for w in prefix if not w.assignment])
    return invocation


def _qemu_word(command: Command) -> int:
    """The index of the word that runs QEMU, or -1."""
    words: list[Word] = command.words
    index = 0
    while index < len(words) and (words[index].assignment or words[index].text in _RESERVED):
        index += 1
    if index < len(words) and words[index].text in _NOT_RUNNING:
        return -1
    if (
        index + 1 < len(words)
        and words[index].text == "command"
        and words[index + 1].text
        in (
            "-v",
            "-V",
        )
    ):
        return -1
    for position in range(index, len(words)):
        if is_qemu(words[position].text) and not words[position].problems:
            return position
    return -1


def _open_files(invocation: Invocation, command: Command) -> None:
    for redirect in command.redirects:
        modes = {"<>": "rw", "<": "r", ">": "w", ">>": "w"}
        if redirect.fd is not None and redirect.fd >= 3 and redirect.op in modes:
            invocation.fds[redirect.fd] = (redirect.target, modes[redirect.op])
        elif command.words:
            shown = f"{'' if redirect.fd is None else redirect.fd}{redirect.op}{redirect.target}"
            invocation.notes.append(f"redirection not kept: {shown} (line {redirect.line})")


def _wrappers(invocation: Invocation, words: list[str]) -> None:
    """`exec` is implied; `setpriv` becomes run_as; anything else is reported."""
    words = [w for w in words if w not in ("exec", *_RESERVED)]
    if words[:1] == ["env"]:
        words = words[1:]
    if words[:1] == ["setpriv"]:
        run_as = _setpriv(words[1:])
        if run_as is not None:
            invocation.run_as = run_as
            return
    if words:
        invocation.notes.append(
            f"QEMU ran through {' '.join(words)!r}; genqemu writes no such wrapper: dropped"
        )


def _setpriv(words: list[str]) -> dict[str, Any] | None:
    """util-linux setpriv's options as a run_as table, if they are the ones genqemu writes."""
    run_as: dict[str, Any] = {}
    for word in words:
        name, _, value = word.partition("=")
        if name in ("--reuid", "--regid") and value:
            run_as["user" if name == "--reuid" else "group"] = _id(value)
        elif name == "--groups" and value:
            run_as["groups"] = [_id(v) for v in value.split(",")]
        elif word == "--clear-groups":
            run_as["groups"] = []
        elif word != "--":
            return None
    return run_as if {"user", "group"} <= set(run_as) else None


def _id(value: str) -> int | str:
    return int(value) if value.isdigit() else value
