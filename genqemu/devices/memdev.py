"""Virtio memory devices: virtio-mem (RAM the guest is asked to plug, a block
at a time) and virtio-pmem (a host file the guest maps as persistent memory).

Each has a memory backend of its own, as an NVDIMM does, and lives in the
machine's hotplug memory area: memory.maxmem must leave room for it (no DIMM
slot is taken, so memory.slots is not needed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from genqemu.checks import PATH
from genqemu.devices.base import VirtioDevice, backend_id_key
from genqemu.devices.memory import check_room
from genqemu.qemu_facts import VIRTIO_MEM_BLOCK
from genqemu.schema import Problems, key
from genqemu.values import Boolean, Integer, Size, format_size

if TYPE_CHECKING:
    from genqemu.config import Config

_BACKEND = "memory-backend-ram (or -file) object"


class VirtioMem(VirtioDevice):
    """`virtio-mem-pci`: up to `size` of RAM, of which the guest plugs `requested_size`."""

    kind = "virtio-mem"
    id_prefix = "vmem"
    backend_prefix = "mem-"
    backend_id: str = backend_id_key(_BACKEND, "mem-")
    size: int = key(
        Size(min=VIRTIO_MEM_BLOCK),
        doc='most RAM the device can give the guest, e.g. "1G" (a multiple of block_size)',
    )
    requested_size: int | None = key(
        Size(),
        default=None,
        doc='RAM the guest is asked to plug now, e.g. "256M" (at most size, a multiple of '
        "block_size); default: none (QMP qom-set changes it later)",
    )
    block_size: int | None = key(
        Size(min=VIRTIO_MEM_BLOCK),
        default=None,
        doc='unit the guest plugs RAM in, a power of two, e.g. "2M"; default: QEMU\'s (2M)',
    )
    node: int | None = key(
        Integer(min=0), default=None, doc="NUMA node (its index in [[numa]]) the RAM belongs to"
    )
    file: str | None = key(
        PATH,
        default=None,
        doc="host file or hugetlbfs path that holds the RAM (memory-backend-file); "
        "default: anonymous RAM",
    )
    share: bool | None = key(Boolean(), default=None, doc="guest writes reach the file")

    def validate(self, problems: Problems) -> None:
        super().validate(problems)
        block = self.block_size or VIRTIO_MEM_BLOCK
        if self.block_size is not None and self.block_size & (self.block_size - 1):
            problems.add(
                f"{self.toml_path}.block_size",
                f"{format_size(self.block_size)} is not a power of two: e.g. "
                f"{format_size(1 << (self.block_size.bit_length() - 1))}",
            )
            return
        for name in ("size", "requested_size"):
            value = getattr(self, name)
            if value is not None and value % block:
                problems.add(
                    f"{self.toml_path}.{name}",
                    f"{format_size(value)} is not a multiple of the block size "
                    f"({format_size(block)}): e.g. {format_size(value // block * block or block)}",
                )
        if self.requested_size is not None and self.requested_size > self.size:
            problems.add(
                f"{self.toml_path}.requested_size",
                f"{format_size(self.requested_size)} is more than size "
                f"({format_size(self.size)}): lower it or raise size",
            )
        if self.share is not None and self.file is None:
            problems.add(f"{self.toml_path}.share", "shares a file: set file as well")

    def check_config(self, config: Config, problems: Problems) -> None:
        check_room(self, self.size, config, problems, "virtio-mem", slots=False)
        if self.node is not None and self.node >= max(1, len(config.numa)):
            problems.add(
                f"{self.toml_path}.node",
                f"node {self.node} does not exist: the VM has {max(1, len(config.numa))} "
                "(declare it with [[numa]], or use a lower number)",
            )


class VirtioPmem(VirtioDevice):
    """`virtio-pmem-pci`: a host file the guest sees as persistent memory (/dev/pmemN)."""

    kind = "virtio-pmem"
    id_prefix = "vpmem"
    backend_prefix = "mem-"
    backend_id: str = backend_id_key("memory-backend-file object", "mem-")
    file: str = key(PATH, doc="host file that holds the persistent memory's content")
    size: int = key(Size(min=1 << 20), doc='size of the persistent memory, e.g. "1G"')
    share: bool = key(
        Boolean(),
        default=True,
        doc="guest writes reach the file (QEMU's default is off, which would lose them)",
    )

    def check_config(self, config: Config, problems: Problems) -> None:
        check_room(self, self.size, config, problems, "virtio-pmem", slots=False)
