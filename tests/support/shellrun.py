"""Run generated launch scripts under real shells and capture the argv they exec.

A PATH shim stands in for QEMU: a tiny program that prints its argv, NUL
separated. Each shell gets one long-lived driver (a dash loop reading script
paths on stdin), so a script costs one fork and two execs, not a Python
subprocess: about 2 ms, which keeps 10,000 configs x 2 shells affordable.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import NamedTuple

# Arguments a user appends: "$@" must pass them on untouched.
EXTRA = ["-S", "x y", "$(touch pwned)", ""]

# Prints its argv, then (after a \1 item) the file each inherited fd 3+ is open on.
_FAKE_C = r"""
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
    char link[64], target[4096];
    for (int i = 0; i < argc; i++) { fputs(argv[i], stdout); putchar(0); }
    putchar(1); putchar(0);
    for (int fd = 3; fd < 1024; fd++) {
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n >= 0) { target[n] = 0; printf("%d=%s", fd, target); putchar(0); }
    }
    return 0;
}
"""
# Programs a launch script may exec: QEMU itself (shimmed per config) and these.
PREFIXES = ("setpriv",)


def sandboxed(path: str) -> bool:
    """A relative path that stays in the directory it is opened from."""
    parts = path.split("/")
    return (
        not path.startswith("/")
        and all(part not in ("", ".", "..") for part in parts)
        and all(len(part.encode()) <= 255 for part in parts)
        and len(path.encode()) < 3000
    )


def make_fake(directory: Path) -> Path:
    """The argv printer: compiled C if a compiler exists, else a dash script.

    The script is as fast (no interpreter start-up to speak of) but sees the
    path PATH found as $0, not the name the shell exec'd: compare basenames.
    """
    binary = directory / "print-argv"
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler:
        source = directory / "print-argv.c"
        source.write_text(_FAKE_C)
        built = subprocess.run(
            [compiler, "-O2", "-o", str(binary), str(source)], capture_output=True, check=False
        )
        if built.returncode == 0:
            return binary
    dash = shutil.which("dash")
    assert dash, "dash is not installed: `make shells` installs it"
    binary.write_text(f'#!{dash}\nprintf "%s\\0" "$0" "$@"\n')
    binary.chmod(0o755)
    return binary


def shells() -> dict[str, list[str]]:
    """The POSIX shells to run scripts under: sh, dash and bash --posix, each once.

    On Debian sh is dash, so bash in POSIX mode stands in as the second one.
    dash is required (the Makefile installs it); bash is used when present.
    """
    found: dict[str, list[str]] = {}
    seen: set[str] = set()
    for name, command in (("sh", ["sh"]), ("dash", ["dash"]), ("bash", ["bash", "--posix"])):
        path = shutil.which(command[0])
        if path is None:
            if name == "dash":
                raise RuntimeError("dash is not installed: `make shells` installs it")
            continue
        real = os.path.realpath(path)
        if real in seen:
            continue
        seen.add(real)
        found[name] = [path, *command[1:]]
    return found


class Result(NamedTuple):
    """A script's exit status, the argv it exec'd, and the files its fds 3+ were
    open on (None where the fake cannot tell: the dash fallback)."""

    status: int
    argv: list[str]
    fds: dict[int, str] | None
    stderr: str


class ShellRunner:
    """One shell's driver: run a script, return its exit status and the exec'd argv."""

    def __init__(self, command: list[str], workdir: Path, fake: Path) -> None:
        self.workdir = workdir
        self.pending = False
        self.fake = fake
        self.shim = workdir / "bin"
        self.shim.mkdir(parents=True, exist_ok=True)
        for name in PREFIXES:
            (self.shim / name).symlink_to(fake)
        self.files = workdir / "files"  # where the scripts run, and open their fds
        self.files.mkdir()
        self.script = workdir / "vm.sh"
        self.out = workdir / "out"
        self.err = workdir / "err"
        extra = " ".join(shlex.quote(arg) for arg in EXTRA)
        run = " ".join(shlex.quote(part) for part in command)
        driver = (
            "while IFS= read -r script; do\n"
            f'  {run} "$script" {extra} >{shlex.quote(str(self.out))} '
            f"2>{shlex.quote(str(self.err))} </dev/null\n"
            '  echo "$?"\n'
            "done\n"
        )
        env = {**os.environ, "PATH": f"{self.shim}:/usr/local/bin:/usr/bin:/bin"}
        dash = shutil.which("dash") or "/bin/sh"
        self.process = subprocess.Popen(
            [dash, "-c", driver],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=self.files,
            env=env,
            text=True,
        )

    def run(self, text: str, binary: str, files: tuple[str, ...] = ()) -> Result:
        """Run the script `text` whose command is `binary` (found on PATH)."""
        self.start(text, binary, files)
        return self.result()

    def start(self, text: str, binary: str, files: tuple[str, ...] = ()) -> None:
        """Start running the script `text`; `result` waits for it.

        `files` are the (sandboxed) paths the script opens for QEMU to inherit;
        they are made first, and removed afterwards.
        """
        if self.pending:
            self.result()
        self.pending = True
        for name in files:
            path = self.files / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
        link = self.shim / binary
        if not link.is_symlink():
            link.symlink_to(self.fake)
        self.script.write_text(text, encoding="utf-8")
        assert self.process.stdin
        self.process.stdin.write(f"{self.script}\n")
        self.process.stdin.flush()

    def result(self) -> Result:
        """What the script `start` ran did: see Result."""
        assert self.process.stdout
        self.pending = False
        status = int(self.process.stdout.readline())
        items = [
            part.decode("utf-8", "surrogateescape") for part in self.out.read_bytes().split(b"\0")
        ]
        argv, _, opened = items[:-1], None, None
        if "\1" in argv:
            at = argv.index("\1")
            argv, opened = argv[:at], dict(item.split("=", 1) for item in argv[at + 1 :])
        if argv:
            argv[0] = Path(argv[0]).name  # the name, also where $0 is a path
        for entry in self.files.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        fds = None if opened is None else {int(k): v for k, v in opened.items()}
        return Result(status, argv, fds, self.err.read_text(errors="replace"))

    def forget(self, binary: str) -> None:
        """Remove the shim of a one-off binary name."""
        if binary not in PREFIXES:
            (self.shim / binary).unlink(missing_ok=True)

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=10)
