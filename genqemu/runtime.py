"""How the QEMU process itself behaves: its guest clock (`-rtc`), memory locking
and CPU power management (`-overcommit`) and its seccomp filter (`-sandbox`)."""

from __future__ import annotations

from genqemu.schema import Model, Problems, key
from genqemu.values import Boolean, Text


class Rtc(Model):
    """`-rtc base=,clock=,driftfix=`."""

    base: str | None = key(
        Text(
            pattern=r"(utc|localtime|\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\d)?)\Z",
            hint="use 'utc', 'localtime' or a date like '2006-06-17T16:01:21'",
        ),
        default=None,
        doc="'utc', 'localtime' or a start date",
    )
    clock: str | None = key(Text(choices=("host", "rt", "vm")), default=None, doc="clock source")
    driftfix: str | None = key(
        Text(choices=("none", "slew")), default=None, doc="interrupt drift fix (acts on x86 only)"
    )

    def validate(self, problems: Problems) -> None:
        self.require_one_key(problems)


class Overcommit(Model):
    """`-overcommit mem-lock=,cpu-pm=`."""

    mem_lock: bool | None = key(Boolean(), default=None, doc="lock guest and QEMU memory in RAM")
    cpu_pm: bool | None = key(Boolean(), default=None, doc="let the guest control CPU power")

    def validate(self, problems: Problems) -> None:
        self.require_one_key(problems)


_SANDBOX_ACTION = Text(choices=("allow", "deny"))


class Sandbox(Model):
    """`-sandbox on,...`: QEMU's seccomp filter."""

    enable: bool = key(Boolean(), default=True, doc="turn the filter on")
    obsolete: str | None = key(_SANDBOX_ACTION, default=None, doc="obsolete system calls")
    elevateprivileges: str | None = key(
        Text(choices=("allow", "deny", "children")), default=None, doc="set*uid/gid calls"
    )
    spawn: str | None = key(_SANDBOX_ACTION, default=None, doc="fork and execve")
    resourcecontrol: str | None = key(
        _SANDBOX_ACTION, default=None, doc="process affinity and scheduler priority"
    )
