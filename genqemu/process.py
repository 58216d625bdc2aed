"""How the QEMU process starts: whose identity it runs with, what it waits for."""

from __future__ import annotations

from typing import ClassVar

from genqemu.checks import PATH
from genqemu.schema import INVALID, Check, Invalid, Model, Problems, key, value_text
from genqemu.values import ListOf, Text

_NAME = Text(pattern=r"[A-Za-z_][A-Za-z0-9_.-]*\Z", hint="a user or group name")


class UserOrId(Check[int | str]):
    """A numeric id or a name, as setpriv takes them."""

    type_name = "integer id or name"

    def __call__(self, value: object, path: str, problems: Problems) -> int | str | Invalid:
        if isinstance(value, bool):
            return self.wrong_type(value, path, problems)
        if isinstance(value, int):
            if not 0 <= value <= 2**32 - 2:
                problems.add(path, f"must be 0 to 4294967294, got {value_text(value)}")
                return INVALID
            return value
        if isinstance(value, str):
            return _NAME(value, path, problems)
        return self.wrong_type(value, path, problems)


class RunAs(Model):
    """Run QEMU as this user: the script execs it through util-linux `setpriv`,
    after opening the files QEMU inherits (so those may need root)."""

    user: int | str = key(UserOrId(), doc="user id or name")
    group: int | str = key(UserOrId(), doc="primary group id or name")
    groups: tuple[int | str, ...] = key(
        ListOf(UserOrId()),
        default=[],
        doc="supplementary groups; default: none (the caller's are cleared)",
    )


class Incoming(Model):
    """`-incoming ...`: start waiting for a migration stream instead of booting."""

    type: ClassVar[str] = ""

    def inherited_files(self) -> list[tuple[str, str, str]]:
        """Files QEMU inherits for the stream: (role, path, mode)."""
        return []


class DeferIncoming(Incoming):
    """Wait for the migrate-incoming QMP command to say where the stream is."""

    type = "defer"


class ExecIncoming(Incoming):
    """Read the stream from a command's output (run by QEMU with /bin/sh -c)."""

    type = "exec"
    command: str = key(Text(pattern=r".", hint="cannot be empty"), doc="shell command")


class FdIncoming(Incoming):
    """Read the stream from a file the launch script opens (read-only)."""

    type = "fd"
    path: str = key(PATH, doc="file holding the migration stream")

    def inherited_files(self) -> list[tuple[str, str, str]]:
        return [("fd", self.path, "r")]
