"""What resolution decided, kept apart from what the config asked for.

The validated config is frozen: `device.transport` is always the transport
the user wrote (or None). Whatever resolution chooses, derives or allocates
for an entry is a field of the entry's record here, and the templates,
`genqemu explain`, the launch plan and the importer's verifier read it there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from genqemu.devices import Device

E = TypeVar("E")
# Record fields that settle the config key of the same name.
_SETTLES = frozenset(
    {"id", "backend_id", "devno", "iommu_platform", "disable_legacy", "port", "unit"}
)


def settled_key(field: str, chassis_key: str = "") -> str | None:
    """The config key a record field (as a template reads it: `refs.bus`, `chassis`)
    settles, if any: the docs list that key's QEMU spelling under it."""
    if field.startswith("refs."):
        return field.removeprefix("refs.")
    if field == "chassis":
        return chassis_key or None
    return field if field in _SETTLES else None


class Named(Generic[E]):
    """A chardev, iothread, QMP socket or confidential object, and its id."""

    __slots__ = ("config", "id")

    def __init__(self, config: E, id: str) -> None:
        self.config = config
        self.id = id


class Placed:
    """One device as the target builds it.

    `refs` holds the id each reference key names (the bus, the controller,
    the chardev...), including the ones resolution defaulted; `chassis` is
    the chassis number of a root port or bridge, whatever its key is called.
    (Plain classes with slots: importing dataclasses costs more start-up time
    than all of resolution for a small VM.)
    """

    __slots__ = (
        "backend_id",
        "chassis",
        "config",
        "devno",
        "disable_legacy",
        "driver",
        "fds",
        "id",
        "iommu_platform",
        "notes",
        "port",
        "refs",
        "scsi",
        "transport",
        "transport_rule",
        "unit",
        "usb_bus",
        "usb_port",
    )

    def __init__(self, config: Device, id: str) -> None:
        self.config = config
        self.id = id
        self.driver = ""
        self.transport: str | None = None
        self.transport_rule = "none"
        self.devno: str | None = None
        self.chassis: int | None = None
        self.backend_id: str | None = None
        self.refs: dict[str, str | None] = {}
        self.iommu_platform: bool | None = None
        self.disable_legacy: bool | None = None
        self.fds: dict[str, list[int]] = {}
        self.notes: list[str] = []
        # Where an ATA disk or CD-ROM sits (genqemu/ata.py): the port on its
        # controller and, on IDE, the unit; `scsi` when a CD-ROM is on SCSI instead.
        self.port: int | None = None
        self.unit: int | None = None
        self.scsi = False
        # Where a USB device is plugged in (genqemu/usb.py): its controller's bus
        # (usb0.0) and the port on it, a dotted path behind hubs (4.1).
        self.usb_bus: str | None = None
        self.usb_port: str | None = None

    @property
    def kind(self) -> str:
        return self.config.kind

    @property
    def toml_path(self) -> str:
        return self.config.toml_path

    def settled_keys(self) -> dict[str, Any]:
        """The config keys whose value resolution settled, by TOML key name: what a
        config that set each of them would say (the importer leaves out those that
        genqemu settles the same way by itself)."""
        found: dict[str, Any] = {"id": self.id}
        fields = self.config.fields
        if self.backend_id is not None:
            found["backend_id"] = self.backend_id
        if "devno" in fields:
            found["devno"] = self.devno
        chassis = self.config.chassis_key
        if chassis:
            found[chassis] = self.chassis
        return found


# A record that gets an id, the kind its id is claimed as, and its automatic id's prefix.
Entry = tuple[Named[Any] | Placed, str, str]
