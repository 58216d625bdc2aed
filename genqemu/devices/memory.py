"""Memory devices."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from genqemu.checks import PATH
from genqemu.devices.base import Device, backend_id_key
from genqemu.schema import Problems, key
from genqemu.values import Boolean, Size, Text, format_size

if TYPE_CHECKING:
    from genqemu.config import Config
    from genqemu.profiles import Profile

_UUID = Text(
    pattern=r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z",
    hint="write a UUID like '8e5bd3a5-9a1d-4d5e-8a7a-0b6b6a6b6a6b'",
)


class Nvdimm(Device):
    """An emulated NVDIMM backed by a host file (`memory-backend-file` + `nvdimm`).
    It is hotpluggable memory: memory.slots and memory.maxmem must leave room."""

    kind = "nvdimm"
    id_prefix = "nvdimm"
    backend_prefix = "mem-"
    backend_id: str = backend_id_key("memory-backend-file object", "mem-")
    file: str = key(PATH, doc="host file (or DAX device) that holds the NVDIMM's content")
    size: int = key(Size(min=1 << 20), doc='size of the NVDIMM, e.g. "4G"')
    share: bool | None = key(Boolean(), default=None, doc="guest writes reach the file")
    readonly: bool | None = key(
        Boolean(),
        default=None,
        doc="the guest cannot write: the file opens read-only and the NVDIMM is unarmed",
    )
    pmem: bool | None = key(Boolean(), default=None, doc="the file is on real persistent memory")
    label_size: int | None = key(
        Size(min=128 << 10), default=None, doc="room for namespace labels (pseries needs it)"
    )
    uuid: str | None = key(_UUID, default=None, doc="device UUID (pseries needs it)")

    def machine_options(self) -> dict[str, Any]:
        return {"nvdimm": True}

    def check_profile(self, profile: Profile, problems: Problems) -> None:
        multiple = profile.nvdimm_data_multiple
        data = self.size - (self.label_size or 0)
        if multiple and data % multiple:
            problems.add(
                f"{self.toml_path}.size",
                f"on {profile.arch} the size less label_size must be a multiple of "
                f"{format_size(multiple)} (it is {format_size(data)}): "
                f"e.g. {format_size(multiple * max(1, data // multiple) + (self.label_size or 0))}",
            )

    def check_config(self, config: Config, problems: Problems) -> None:
        check_room(self, self.size, config, problems, "an NVDIMM", slots=True)


def check_room(
    device: Device, size: int, config: Config, problems: Problems, what: str, *, slots: bool
) -> None:
    """Hotpluggable memory needs memory.maxmem (and memory.slots where it takes
    a DIMM slot) with room for `size` above memory.size."""
    memory = config.memory
    if memory is None or memory.maxmem is None or (slots and memory.slots is None):
        needed = "memory.slots and memory.maxmem" if slots else "memory.maxmem"
        problems.add(device.toml_path, f"{what} is hotpluggable memory: set {needed}")
    elif memory.maxmem - memory.size < size:
        problems.add(
            f"{device.toml_path}.size",
            f"{format_size(size)} does not fit between memory.size and "
            f"memory.maxmem ({format_size(memory.maxmem - memory.size)} free): "
            "raise memory.maxmem",
        )
