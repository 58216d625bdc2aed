"""`--qmp SOCKET`: send hot-plug and unplug commands to a running QEMU.

A QMP session: read the greeting, negotiate (`qmp_capabilities`), then one
command at a time, each answered by a `return` or an `error` line; events
(`DEVICE_DELETED`) arrive in between. A hot-plug that fails part-way
deletes what it already added, last first, so the VM is left as it was.
An unplug waits for each `DEVICE_DELETED` (the guest must release a PCI
device; CCW and virtio-serial ports go at once) before it deletes the
backends, which QEMU refuses while the device still holds them.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any

from genqemu.errors import GenqemuError

Command = dict[str, Any]


class QmpFailed(GenqemuError):
    """QEMU refused a command or did not answer: exit status 1."""

    exit_code = 1


class Session:
    """One QMP connection over a unix socket."""

    def __init__(self, path: str, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self.events: list[dict[str, Any]] = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(path)
        except OSError as error:
            self.sock.close()
            raise QmpFailed(f"genqemu: cannot connect to QMP at {path}: {error.strerror}") from None
        self.reader = self.sock.makefile("r", encoding="utf-8")
        greeting = self._message()
        if "QMP" not in greeting:
            raise QmpFailed(f"genqemu: {path} is not a QMP socket (no greeting)")
        self.execute({"execute": "qmp_capabilities"})

    def close(self) -> None:
        self.reader.close()
        self.sock.close()

    def _message(self) -> dict[str, Any]:
        try:
            line = self.reader.readline()
        except TimeoutError:
            raise QmpFailed(f"genqemu: QEMU did not answer within {self.timeout:g}s") from None
        if not line:
            raise QmpFailed(f"genqemu: QEMU closed the QMP connection at {self.path}")
        message: dict[str, Any] = json.loads(line)
        return message

    def execute(self, command: Command) -> Any:
        """Send one command; its result, or QmpFailed with QEMU's message."""
        self.sock.sendall(json.dumps(command).encode() + b"\n")
        while True:
            reply = self._message()
            if "event" in reply:
                self.events.append(reply)
                continue
            if "error" in reply:
                raise QmpFailed(
                    f"genqemu: QEMU refused {json.dumps(command)}: {reply['error'].get('desc')}"
                )
            return reply.get("return")

    def wait_deleted(self, device: str) -> None:
        """Until QEMU reports DEVICE_DELETED for `device` (QmpFailed after the timeout)."""
        deadline = time.monotonic() + self.timeout
        while not any(_deleted(event, device) for event in self.events):
            left = deadline - time.monotonic()
            if left <= 0:
                raise QmpFailed(
                    f"genqemu: {device} was not deleted within {self.timeout:g}s: the guest "
                    "has not released it (a PCI device needs a booted guest that answers)"
                )
            self.sock.settimeout(left)
            try:
                message = self._message()
            finally:
                self.sock.settimeout(self.timeout)
            if "event" in message:
                self.events.append(message)


def _deleted(event: dict[str, Any], device: str) -> bool:
    return event.get("event") == "DEVICE_DELETED" and event.get("data", {}).get("device") == device


def undo(command: Command) -> Command | None:
    """The command that removes what `command` added (qemu_facts.QMP_COMMANDS)."""
    from genqemu.qemu_facts import QMP_COMMANDS

    for spec in QMP_COMMANDS.values():
        if spec.add == command["execute"]:
            name = command["arguments"][spec.key]
            return {"execute": spec.delete, "arguments": {spec.delete_key: name}}
    return None


def send_hotplug(path: str, commands: list[Command], timeout: float) -> None:
    """Send `commands`; on a failure, remove what was added and raise QmpFailed."""
    session = Session(path, timeout)
    done: list[Command] = []
    try:
        for command in commands:
            try:
                session.execute(command)
            except QmpFailed as error:
                undone = _undo_all(session, done)
                raise QmpFailed(f"{error}\n{undone}") from None
            done.append(command)
    finally:
        session.close()


def _undo_all(session: Session, done: list[Command]) -> str:
    """Remove what `done` added, last first; what happened, for the message."""
    failed: list[str] = []
    for command in reversed(done):
        removal = undo(command)
        if removal is None:
            continue
        try:
            session.execute(removal)
            if removal["execute"] == "device_del":
                session.wait_deleted(removal["arguments"]["id"])
        except QmpFailed as error:
            failed.append(str(error))
    if not done:
        return "genqemu: nothing had been added"
    if failed:
        return "genqemu: undoing what was added failed too:\n" + "\n".join(failed)
    return f"genqemu: removed the {len(done)} item(s) added before it; the VM is as it was"


def send_unplug(path: str, commands: list[Command], timeout: float) -> None:
    """Send `commands`: each device_del, then wait for its DEVICE_DELETED
    before the backend deletes that follow."""
    session = Session(path, timeout)
    try:
        pending: list[str] = []
        for command in commands:
            if command["execute"] != "device_del":
                for device in pending:
                    session.wait_deleted(device)
                pending = []
            session.execute(command)
            if command["execute"] == "device_del":
                pending.append(command["arguments"]["id"])
        for device in pending:
            session.wait_deleted(device)
    finally:
        session.close()
