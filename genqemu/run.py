"""`genqemu run`: start QEMU exactly as the generated launch script would.

The script opens each inherited file descriptor (`exec 3<>PATH`), then runs
`exec PREFIX... BINARY OPTIONS... "$@"`. This module does the same from the
launch plan: it opens every fd on its number, leaves it inheritable, and
replaces this process with QEMU, so QEMU's own messages and exit status are
what the user sees.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from shlex import quote
from typing import TYPE_CHECKING

from genqemu.errors import GenqemuError

if TYPE_CHECKING:
    from genqemu.launch import InheritedFd, Launch


def command(launch: Launch, extra: Sequence[str] = ()) -> list[str]:
    """What is exec'd: the privilege-drop prefix, the QEMU argv, the extra arguments."""
    return [*launch.prefix, *launch.argv, *extra]


def dry_run_text(launch: Launch, extra: Sequence[str] = ()) -> str:
    """The dry run: the script's copies and fd redirections, then the command, shell-quoted."""
    from genqemu.output import copy_commands, prestart_lines

    lines = copy_commands(launch) + prestart_lines(launch)
    lines += [f"exec {fd.number}{_redirect(fd)}{quote(fd.path)}" for fd in launch.fds]
    lines.append("exec " + " ".join(quote(part) for part in command(launch, extra)))
    return "\n".join(lines) + "\n"


def _redirect(fd: InheritedFd) -> str:
    return "<>" if fd.mode == "rw" else "<"


def open_fds(fds: Sequence[InheritedFd]) -> None:
    """Open each file on its descriptor number, inheritable, like `exec N<>PATH`.

    `<>` opens read-write and creates a missing file (as sh does); `<` opens
    read-only. A failure is a GenqemuError naming the path and the fd.
    """
    for fd in fds:
        flags = os.O_RDWR | os.O_CREAT if fd.mode == "rw" else os.O_RDONLY
        try:
            opened = os.open(fd.path, flags, 0o666)
        except OSError as error:
            raise GenqemuError(
                f"genqemu: cannot open {fd.path} as fd {fd.number}: {error.strerror}"
            ) from None
        if opened == fd.number:
            os.set_inheritable(opened, True)
        else:
            os.dup2(opened, fd.number, inheritable=True)
            os.close(opened)


def copy_templates(launch: Launch) -> None:
    """Create each missing file from its template, as the script does (output.copy_commands)."""
    for template, target in launch.copies:
        if os.path.lexists(target):
            continue
        new = target + ".genqemu-new"
        try:
            shutil.copyfile(template, new)
            if launch.owner:
                user, _, group = launch.owner.partition(":")
                shutil.chown(new, _id_or_name(user), _id_or_name(group))
            Path(new).replace(target)
        except OSError as error:
            raise GenqemuError(
                f"genqemu: cannot create {target} from {template}: {error.strerror}"
            ) from None


def _id_or_name(text: str) -> str | int:
    return int(text) if text.isdigit() else text


def check_passed(passed: dict[str, int]) -> None:
    """Each descriptor the config says the caller passes must be open here."""
    for path, number in passed.items():
        try:
            os.fstat(number)
        except OSError:
            raise GenqemuError(
                f"genqemu: {path}.fd: descriptor {number} is not open: run genqemu with "
                "the listening QMP socket on it (or set path instead)"
            ) from None


def find_program(name: str) -> str:
    """The path exec will run for `name`; a GenqemuError if there is none."""
    path = shutil.which(name)
    if path is None:
        where = "" if os.sep in name else " on PATH"
        raise GenqemuError(
            f"genqemu: {name}: not found{where}; install QEMU for this arch "
            "(on Debian: qemu-system-x86, qemu-system-arm, qemu-system-ppc or qemu-system-misc)"
        )
    return path


def execute(launch: Launch, extra: Sequence[str] = ()) -> None:
    """Replace this process with QEMU. Returns only by raising GenqemuError."""
    argv = command(launch, extra)
    program = find_program(argv[0])
    check_passed(launch.passed)
    copy_templates(launch)
    if launch.prestart:
        from genqemu.prestart import run

        run(launch.prestart)
    open_fds(launch.fds)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execv(program, argv)
    except OSError as error:
        raise GenqemuError(f"genqemu: cannot run {program}: {error.strerror}") from None
