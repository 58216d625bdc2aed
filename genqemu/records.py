"""What resolution decided, kept apart from what the config asked for.

The validated config is frozen: `device.transport` is always the transport
the user wrote (or None). Whatever resolution chooses, derives or allocates
for an entry is a field of the entry's record here, and the templates,
`genqemu explain`, the launch plan and the importer's verifier read it there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from genqemu.devices import Device

E = TypeVar("E")
# Record fields that settle the config key of the same name.
_SETTLES = frozenset({"id", "backend_id", "devno", "iommu_platform", "disable_legacy"})


def settled_key(field: str, chassis_key: str = "") -> str | None:
    """The config key a record field (as a template reads it: `refs.bus`, `chassis`)
    settles, if any: the docs list that key's QEMU spelling under it."""
    if field.startswith("refs."):
        return field.removeprefix("refs.")
    if field == "chassis":
        return chassis_key or None
    return field if field in _SETTLES else None


@dataclass(eq=False, slots=True)
class Named(Generic[E]):
    """A chardev, iothread, QMP socket or confidential object, and its id."""

    config: E
    id: str


@dataclass(eq=False, slots=True)
class Placed:
    """One device as the target builds it.

    `refs` holds the id each reference key names (the bus, the controller,
    the chardev...), including the ones resolution defaulted; `chassis` is
    the chassis number of a root port or bridge, whatever its key is called.
    """

    config: Device
    id: str
    driver: str = ""
    transport: str | None = None
    transport_rule: str = "none"
    devno: str | None = None
    chassis: int | None = None
    backend_id: str | None = None
    refs: dict[str, str | None] = field(default_factory=dict)
    iommu_platform: bool | None = None
    disable_legacy: bool | None = None
    fds: dict[str, list[int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

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
