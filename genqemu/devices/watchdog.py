"""Watchdogs: a timer the guest must keep resetting, or QEMU acts.

Which watchdog exists is an arch fact (the profiles): the i6300esb on PCI,
the ib700 on the ISA bus of PC machines, diag288 on s390x. What QEMU does
when one expires is one setting for the whole VM (`-action watchdog=`), so
each watchdog may name it, and watchdogs that name different ones are refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from genqemu.devices.base import Device, PciDevice
from genqemu.qemu_facts import WATCHDOG_ACTIONS
from genqemu.schema import Problems, key
from genqemu.values import Text

if TYPE_CHECKING:
    from genqemu.config import Config


class Watchdog(Device):
    """What every watchdog kind shares: the VM's action on expiry."""

    id_prefix = "watchdog"
    template = "watchdog.j2"
    action: str | None = key(
        Text(choices=WATCHDOG_ACTIONS),
        default=None,
        doc="what QEMU does when the guest lets it expire, one action for the whole VM: "
        "reset (QEMU's default), shutdown, poweroff, pause, debug, none or inject-nmi",
    )

    def sets_vm_action(self, config: Config) -> bool:
        """Whether this watchdog emits the VM's -action watchdog=: the first one
        that names an action does (check_config refuses others that differ)."""
        return self.action is not None and _first_with_action(config) is self

    def check_config(self, config: Config, problems: Problems) -> None:
        first = _first_with_action(config)
        if first is not None and self.action is not None and self.action != first.action:
            problems.add(
                f"{self.toml_path}.action",
                f"{self.action!r} differs from {first.toml_path}.action ({first.action!r}): "
                "QEMU has one watchdog action for the whole VM (-action watchdog=); set "
                "the same action on every watchdog, or leave it out on all but one",
            )


def _first_with_action(config: Config) -> Watchdog | None:
    return next((d for d in config.device if isinstance(d, Watchdog) and d.action), None)


class I6300esb(Watchdog, PciDevice):
    """The Intel 6300ESB watchdog, a PCI device (Linux: i6300esb)."""

    kind = "i6300esb"


class Ib700(Watchdog):
    """The iBASE 700 watchdog on the ISA bus of PC machines (Linux: ib700wdt)."""

    kind = "ib700"


class Diag288(Watchdog):
    """The s390x watchdog that the guest drives with DIAGNOSE 288 (Linux: diag288_wdt)."""

    kind = "diag288"
