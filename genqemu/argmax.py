"""Whether an argv fits what execve(2) takes, so that a script never fails with E2BIG.

Linux counts every argument and every environment string with its NUL byte,
and a pointer for each, against ARG_MAX (a quarter of the stack limit, as
`getconf ARG_MAX` says: 2 MiB by default), and refuses any single string of
more than 32 pages (MAX_ARG_STRLEN, 128 KiB). The script runs where it is run,
not where it is generated: genqemu checks against the generating host's limit
and keeps the generating process's environment free for the one the script
will inherit, which is the best guess it has.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence

MAX_ARGUMENT = 32 * 4096  # MAX_ARG_STRLEN: the longest single argument Linux takes
POINTER = 8


def strings_size(strings: Iterable[str]) -> int:
    """The bytes execve counts for these strings: each with its NUL and a pointer."""
    return sum(len(s.encode()) + 1 + POINTER for s in strings) + POINTER


def limit() -> int:
    """This system's ARG_MAX (Linux's default where sysconf cannot tell)."""
    try:
        found = os.sysconf("SC_ARG_MAX")
    except (ValueError, OSError):  # pragma: no cover - every POSIX system has it
        found = -1
    return found if found > 0 else 2 * 1024 * 1024


def problems(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> list[str]:
    """Why `argv` cannot be exec'd here, if it cannot: an argument over 128 KiB, or
    argv and the environment together over ARG_MAX."""
    found = []
    for index, word in enumerate(argv):
        size = len(word.encode())
        if size > MAX_ARGUMENT:
            from genqemu.qemu_options import ONCE  # only on this error path

            option = argv[index - 1] if index and argv[index - 1].startswith("-") else word[:20]
            key = ONCE.get(option.lstrip("-"))
            found.append(
                f"the argument of {option} is {size} bytes, and Linux takes at most "
                f"{MAX_ARGUMENT} bytes in one argument (E2BIG): shorten " + (key if key else "it")
            )
    environ = os.environ if environ is None else environ
    used = strings_size(argv)
    reserve = strings_size(f"{k}={v}" for k, v in environ.items())
    if used + reserve > limit():
        found.append(
            f"the command line is {used} bytes, and with this environment's {reserve} "
            f"bytes that is over this system's ARG_MAX of {limit()} bytes: QEMU would "
            "not start ('Argument list too long'); split the VM's devices or shorten "
            "its longest values"
        )
    return found
