"""Start a real QEMU paused and talk QMP to it: the acceptance tests' only tool."""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any


class QemuFailed(Exception):
    """QEMU exited before QMP answered; the message holds its stderr."""


class Qmp:
    """A QMP connection: `execute` sends a command and returns its result."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = sock.makefile("r", encoding="utf-8")
        greeting = self._read()
        assert "QMP" in greeting, greeting
        self.execute("qmp_capabilities")

    def _read(self) -> dict[str, Any]:
        while True:
            line = self.reader.readline()
            if not line:
                raise QemuFailed("QMP connection closed")
            message: dict[str, Any] = json.loads(line)
            if "event" not in message:
                return message

    def execute(self, command: str, **arguments: Any) -> Any:
        request: dict[str, Any] = {"execute": command}
        if arguments:
            request["arguments"] = arguments
        self.sock.sendall(json.dumps(request).encode() + b"\n")
        reply = self._read()
        if "error" in reply:
            raise QemuFailed(f"{command}: {reply['error']}")
        return reply.get("return")

    def devices(self) -> dict[str, str]:
        """Every device with an id: id -> QOM type."""
        found = {}
        for child in self.execute("qom-list", path="/machine/peripheral"):
            if child["type"].startswith("child<"):
                found[child["name"]] = child["type"][len("child<") : -1]
        return found

    def walk(self, path: str = "/machine") -> Iterator[tuple[str, str]]:
        """Every object under `path`: (QOM path, type)."""
        for child in self.execute("qom-list", path=path):
            kind = child["type"]
            if kind.startswith("child<"):
                child_path = f"{path}/{child['name']}"
                yield child_path, kind[len("child<") : -1]
                yield from self.walk(child_path)


@contextmanager
def paused_qemu(
    argv: Sequence[str], *, timeout: float = 60.0, fds: Sequence[tuple[int, str, str]] = ()
) -> Iterator[Qmp]:
    """Run `argv` paused (-S) with no display and a QMP socket of our own.

    `fds` are (number, path, mode) files QEMU inherits; sh opens them first,
    as the launch script does.
    """
    with tempfile.TemporaryDirectory(prefix="genqemu-qmp-") as tmp:
        path = Path(tmp) / "qmp.sock"
        full = [
            *argv,
            "-S",
            "-display",
            "none",
            "-chardev",
            f"socket,id=genqemu-test-qmp,path={path},server=on,wait=off",
            "-mon",
            "chardev=genqemu-test-qmp,mode=control",
        ]
        if fds:
            opens = " ".join(
                f"{number}{'<>' if mode == 'rw' else '<'}{shlex.quote(file)}"
                for number, file, mode in fds
            )
            full = ["sh", "-c", f'exec {opens} "$@"', "sh", *full]
        process = subprocess.Popen(
            full, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp
        )
        try:
            sock = _connect(path, process, timeout)
            with sock:
                try:
                    qmp = Qmp(sock)
                except (OSError, QemuFailed):
                    raise QemuFailed(_exit_message(process, timeout)) from None
                yield qmp
                with suppress(QemuFailed):
                    qmp.execute("quit")
            process.wait(timeout=timeout)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            for stream in (process.stdout, process.stderr):
                if stream:
                    stream.close()


def _connect(path: Path, process: subprocess.Popen[bytes], timeout: float) -> socket.socket:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise QemuFailed(_exit_message(process, timeout))
        if path.exists():
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(os.fspath(path))
                # A QEMU that stops answering (seen once: a qemu-system-ppc64
                # 10.0 that hung, ignoring SIGTERM) fails the test, not the suite.
                sock.settimeout(timeout)
                return sock
            except OSError:
                sock.close()
        time.sleep(0.02)
    process.kill()
    raise QemuFailed(f"no QMP socket after {timeout}s")


def _exit_message(process: subprocess.Popen[bytes], timeout: float) -> str:
    try:
        _, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    return f"QEMU exited with {process.returncode}: {err.decode(errors='replace').strip()}"
