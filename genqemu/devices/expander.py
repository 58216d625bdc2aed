"""PCI Express expander buses (`pxb-pcie`): an extra root bus, e.g. one per NUMA node."""

from __future__ import annotations

from typing import TYPE_CHECKING

from genqemu.devices.base import PciDevice
from genqemu.schema import Problems, key
from genqemu.values import Integer

if TYPE_CHECKING:
    from genqemu.config import Config


class PxbPcie(PciDevice):
    """A PCI Express expander bus on the machine's root bus (q35, arm64 virt). Root
    ports name its id in `bus`; the guest finds it through ACPI (firmware or a
    direct kernel boot on q35; UEFI on arm64 virt, whose device tree lacks it)."""

    kind = "pxb-pcie"
    id_prefix = "pxb"
    bus_nr: int = key(
        Integer(min=1, max=255),
        doc="the first bus number behind it (the root bus has 0 and counts up from there: "
        "leave room, e.g. 128)",
    )
    numa_node: int | None = key(
        Integer(min=0, max=127),
        default=None,
        doc="the [[numa]] node (its number) that the bus and its devices are close to",
    )

    def check_config(self, config: Config, problems: Problems) -> None:
        if self.numa_node is not None and self.numa_node >= len(config.numa):
            nodes = f"0-{len(config.numa) - 1}" if config.numa else "none: add [[numa]] tables"
            problems.add(
                f"{self.toml_path}.numa_node",
                f"there is no NUMA node {self.numa_node} (nodes: {nodes})",
            )
