"""PCI topology (root ports, bridges), the Intel IOMMU and PCI passthrough."""

from __future__ import annotations

from typing import Any

from genqemu.checks import PATH
from genqemu.devices.base import Device, PciDevice
from genqemu.schema import Problems, key
from genqemu.values import Boolean, Integer, Size, Text

_RESERVE = Size()
# A bridge has no option ROM BAR: QEMU 7.2 aborts (SIGABRT, pci_register_bar
# assertion) on any non-empty romfile; an empty one is accepted and changes nothing.
_BRIDGE_ROMFILE = Text(
    pattern=r"\Z",
    hint="a bridge has no option ROM, and QEMU aborts on any romfile: "
    'remove the key (or write "", which changes nothing)',
)
_BRIDGE_ROMFILE_DOC = 'must be "" (kept for govmm\'s ROMFile): a bridge has no option ROM'


class PciBridgeDevice(PciDevice):
    """A device that opens a new PCI bus; other devices name its id in `bus`."""

    id_prefix = "pci"
    bus_reserve: int | None = key(
        Integer(min=0, max=2**32 - 1), default=None, doc="bus numbers to reserve behind it"
    )
    io_reserve: int | None = key(_RESERVE, default=None, doc="I/O window to reserve")
    mem_reserve: int | None = key(_RESERVE, default=None, doc="memory window to reserve")
    pref32_reserve: int | None = key(
        _RESERVE, default=None, doc="32-bit prefetchable window (not with pref64_reserve)"
    )
    pref64_reserve: int | None = key(
        _RESERVE, default=None, doc="64-bit prefetchable window (not with pref32_reserve)"
    )

    def validate(self, problems: Problems) -> None:
        if self.pref32_reserve is not None and self.pref64_reserve is not None:
            problems.add(
                f"{self.toml_path}.pref64_reserve",
                "cannot be set together with pref32_reserve (one prefetchable window): remove one",
            )


class PcieRootPort(PciBridgeDevice):
    """A PCI Express root port (q35, virt): one hotpluggable slot."""

    kind = "pcie-root-port"
    id_prefix = "rp"
    chassis_key = "chassis"
    chassis: int | None = key(
        Integer(min=0, max=255),
        default=None,
        doc="chassis number (0 is valid here, unlike a pci-bridge's chassis_nr); default: "
        "the next one free from 1 (chassis and slot pairs are unique)",
    )
    slot: int | None = key(Integer(min=0, max=65535), default=None, doc="slot number (default 0)")
    port: int | None = key(
        Integer(min=0, max=255), default=None, doc="PCI Express port number (default 0)"
    )
    hotplug: bool | None = key(Boolean(), default=None, doc="allow hotplug into it")


class PciBridge(PciBridgeDevice):
    """A conventional PCI-to-PCI bridge with 32 slots."""

    kind = "pci-bridge"
    id_prefix = "pci"
    chassis_key = "chassis_nr"
    chassis_nr: int | None = key(
        Integer(min=1, max=255), default=None, doc="chassis number; default: the next one free"
    )
    shpc: bool | None = key(Boolean(), default=None, doc="standard hotplug controller")
    romfile: str | None = key(_BRIDGE_ROMFILE, default=None, doc=_BRIDGE_ROMFILE_DOC)


class PciePciBridge(PciDevice):
    """A PCI Express to PCI bridge, for conventional PCI devices on q35 and virt."""

    kind = "pcie-pci-bridge"
    id_prefix = "pci"
    romfile: str | None = key(_BRIDGE_ROMFILE, default=None, doc=_BRIDGE_ROMFILE_DOC)


class IntelIommu(Device):
    """The Intel VT-d IOMMU (q35 only). With intremap, genqemu adds the machine
    option kernel-irqchip=split, which QEMU needs for it under KVM."""

    kind = "intel-iommu"
    id_prefix = "iommu"
    intremap: bool | None = key(Boolean(), default=None, doc="interrupt remapping")
    device_iotlb: bool | None = key(Boolean(), default=None, doc="device IOTLB (ATS)")
    caching_mode: bool | None = key(
        Boolean(), default=None, doc="caching mode (needed for vfio devices behind it)"
    )
    aw_bits: int | None = key(
        Integer(min=39, max=48), default=None, doc="guest address width: 39 or 48"
    )

    def machine_options(self) -> dict[str, Any]:
        return {"kernel-irqchip": "split"} if self.intremap else {}


_BDF = Text(
    pattern=r"([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-1][0-9a-fA-F]\.[0-7]\Z",
    hint="write a host PCI address like '0000:01:00.0'",
)
_PCI_ID = Integer(min=0, max=0xFFFF)


class VfioPci(PciDevice):
    """A host PCI device passed through with VFIO (a NIC, a GPU, ...)."""

    kind = "vfio-pci"
    id_prefix = "hostdev"
    host: str | None = key(_BDF, default=None, doc="host PCI address (or use sysfsdev)")
    sysfsdev: str | None = key(
        PATH, default=None, doc="sysfs path of the device or mediated device (or use host)"
    )
    x_pci_vendor_id: int | None = key(_PCI_ID, default=None, doc="vendor id the guest sees")
    x_pci_device_id: int | None = key(_PCI_ID, default=None, doc="device id the guest sees")
    romfile: str | None = key(Text(), default=None, doc="option ROM file; empty disables it")
    bootindex: int | None = key(Integer(min=0), default=None, doc="boot order")

    def validate(self, problems: Problems) -> None:
        if (self.host is None) == (self.sysfsdev is None):
            problems.add(self.toml_path, "set exactly one of host and sysfsdev")
