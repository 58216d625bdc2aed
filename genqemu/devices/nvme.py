"""NVMe: a controller on PCI and its namespaces, each a disk on a -blockdev node.

A namespace names its controller the way scsi-hd names its virtio-scsi
(`bus`, defaulting to the only one), so each stays one `[[device]]` with the
disk keys every BlockDevice has. Namespace ids are numbered per controller:
the ones the config sets are kept, the rest get the lowest free ones from 1,
in config order; QEMU 7.2 takes 1 to 256.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from genqemu.checks import Ref
from genqemu.devices.base import PciDevice
from genqemu.devices.storage import BlockDevice
from genqemu.schema import Problems, key
from genqemu.values import Integer, Text

if TYPE_CHECKING:
    from genqemu.config import Config

MAX_NAMESPACES = 256  # QEMU 7.2: "invalid namespace id (must be between 0 and 256)"
# The controller's serial is the 20-byte SN field of Identify Controller:
# QEMU cuts a longer one silently, so a longer one is refused.
SERIAL = Text(max_len=20, pattern=r"[ -~]+\Z", hint="1 to 20 printable ASCII characters")


class Nvme(PciDevice):
    """An NVMe controller; `nvme-ns` namespaces attach to it."""

    kind = "nvme"
    id_prefix = "nvme"
    serial: str | None = key(
        SERIAL,
        default=None,
        doc="serial number the guest sees (QEMU requires one); default: the device id",
    )

    def validate(self, problems: Problems) -> None:
        super().validate(problems)
        if self.serial is None and self.id is not None and len(self.id) > 20:
            problems.add(
                f"{self.toml_path}.serial",
                f"the default serial is the id, and {self.id!r} is longer than the 20 "
                "characters of an NVMe serial: set serial",
            )


class NvmeNs(BlockDevice):
    """An NVMe namespace: a disk on an NVMe controller."""

    kind = "nvme-ns"
    id_prefix = "ns"
    drop_keys = ("serial",)  # the controller has the serial; QEMU's nvme-ns has none
    bus: str = key(
        Ref("nvme", single_default=True),
        default=None,
        doc="nvme controller id; default: the only one",
    )
    nsid: int | None = key(
        Integer(min=1, max=MAX_NAMESPACES),
        default=None,
        doc="namespace id, unique on its controller; default: the lowest free one from 1",
    )

    def controller(self, config: Config) -> Nvme | None:
        """The controller this namespace is on (None where `bus` names none)."""
        controllers = [d for d in config.device if isinstance(d, Nvme)]
        if self.bus is None:
            return controllers[0] if len(controllers) == 1 else None
        return next((c for c in controllers if c.id == self.bus), None)

    def namespace_id(self, config: Config) -> int:
        """The nsid QEMU is given: the one set, or the lowest one free on the controller."""
        if self.nsid is not None:
            return self.nsid
        return _numbered(self.controller(config), config)[id(self)]

    def check_config(self, config: Config, problems: Problems) -> None:
        controller = self.controller(config)
        if controller is None:
            return  # a dangling or missing bus is reported with the references
        siblings = [d for d in _namespaces(config) if d.controller(config) is controller]
        if self.nsid is not None:
            first = next(d for d in siblings if d.nsid == self.nsid)
            if first is not self:
                problems.add(
                    f"{self.toml_path}.nsid",
                    f"{self.nsid} is already used by {first.toml_path} on the same "
                    "controller: pick another or leave it out",
                )
        elif siblings[0] is self and len(siblings) > MAX_NAMESPACES:
            problems.add(
                self.toml_path,
                f"a controller holds at most {MAX_NAMESPACES} namespaces: "
                "add another nvme controller",
            )


def _namespaces(config: Config) -> list[NvmeNs]:
    return [d for d in config.device if isinstance(d, NvmeNs)]


def _numbered(controller: Nvme | None, config: Config) -> dict[int, int]:
    """nsid by namespace (its Python id) for the namespaces left without one."""
    siblings = [d for d in _namespaces(config) if d.controller(config) is controller]
    taken = {d.nsid for d in siblings if d.nsid is not None}
    found: dict[int, int] = {}
    number = 0
    for namespace in siblings:
        if namespace.nsid is None:
            number += 1
            while number in taken:
                number += 1
            found[id(namespace)] = number
    return found
