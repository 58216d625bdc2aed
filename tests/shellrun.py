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

# Arguments a user appends: "$@" must pass them on untouched.
EXTRA = ["-S", "x y", "$(touch pwned)", ""]

_FAKE_C = r"""
#include <stdio.h>
int main(int argc, char **argv) {
    for (int i = 0; i < argc; i++) { fputs(argv[i], stdout); putchar(0); }
    return 0;
}
"""


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


class ShellRunner:
    """One shell's driver: run a script, return its exit status and the exec'd argv."""

    def __init__(self, command: list[str], workdir: Path, fake: Path) -> None:
        self.workdir = workdir
        self.pending = False
        self.fake = fake
        self.shim = workdir / "bin"
        self.shim.mkdir(parents=True, exist_ok=True)
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
            cwd=workdir,
            env=env,
            text=True,
        )

    def run(self, text: str, binary: str) -> tuple[int, list[str], str]:
        """Run the script `text` whose command is `binary` (found on PATH)."""
        self.start(text, binary)
        return self.result()

    def start(self, text: str, binary: str) -> None:
        """Start running the script `text`; `result` waits for it."""
        if self.pending:
            self.result()
        self.pending = True
        link = self.shim / binary
        if not link.is_symlink():
            link.symlink_to(self.fake)
        self.script.write_text(text, encoding="utf-8")
        assert self.process.stdin
        self.process.stdin.write(f"{self.script}\n")
        self.process.stdin.flush()

    def result(self) -> tuple[int, list[str], str]:
        """The exit status, exec'd argv and stderr of the script `start` ran."""
        assert self.process.stdout
        self.pending = False
        status = int(self.process.stdout.readline())
        raw = self.out.read_bytes()
        argv = [part.decode("utf-8", "surrogateescape") for part in raw.split(b"\0")[:-1]]
        if argv:
            argv[0] = Path(argv[0]).name  # the name, also where $0 is a path
        return status, argv, self.err.read_text(errors="replace")

    def forget(self, binary: str) -> None:
        """Remove the shim of a one-off binary name."""
        (self.shim / binary).unlink(missing_ok=True)

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=10)
