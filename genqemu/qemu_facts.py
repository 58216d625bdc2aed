"""QEMU facts that both directions read: the templates, and the importer.

The templates spell a config as QEMU options; `genqemu import` reads QEMU
options back into a config. Where both need the same table, it lives here
once: the templates see it as a Jinja global (registered in templating.py,
under the names in GLOBALS), the importer imports it.
"""

from __future__ import annotations

from typing import NamedTuple


class CacheMode(NamedTuple):
    """What `-drive cache=MODE` sets, spelled as -blockdev and -device properties."""

    direct: bool  # cache.direct: bypass the host page cache (O_DIRECT)
    no_flush: bool  # cache.no-flush: ignore the guest's flush requests
    write_cache: bool  # the device's write-cache: the guest sees a write-back cache


# Every -drive cache= mode, as QEMU's documentation spells it out.
CACHE_MODES: dict[str, CacheMode] = {
    "writeback": CacheMode(direct=False, no_flush=False, write_cache=True),
    "none": CacheMode(direct=True, no_flush=False, write_cache=True),
    "writethrough": CacheMode(direct=False, no_flush=False, write_cache=False),
    "directsync": CacheMode(direct=True, no_flush=False, write_cache=False),
    "unsafe": CacheMode(direct=False, no_flush=True, write_cache=True),
}

# The properties of each confidential-guest object that genqemu writes after
# `-object TYPE,id=ID`, in that order; each holds the [confidential] key of
# the same name (with _ for -).
CONFIDENTIAL_PROPERTIES: dict[str, tuple[str, ...]] = {
    "sev-guest": ("cbitpos", "reduced-phys-bits", "policy", "kernel-hashes", "sev-device"),
    "tdx-guest": ("debug",),
    "s390-pv-guest": (),
    "pef-guest": (),
}

# What QEMU does when a watchdog expires (-action watchdog=ACTION; the
# older -watchdog-action takes the same values). One action for the VM.
WATCHDOG_ACTIONS = ("reset", "shutdown", "poweroff", "pause", "debug", "none", "inject-nmi")

# The SMBIOS structure type of each [smbios] table (-smbios type=N), and of
# its oem_strings (type 11, one value= each). The template writes these
# numbers, the importer reads them back.
SMBIOS_TYPES: dict[str, int] = {"bios": 0, "system": 1, "baseboard": 2, "chassis": 3}
SMBIOS_OEM_TYPE = 11
# An added AHCI controller (ich9-ahci) has six SATA ports, buses ID.0 to ID.5,
# one device on each.
AHCI_PORTS = 6
# The ports of each USB controller's bus (ID.0), numbered from 1, and of a
# usb-hub (QEMU 7.2 and 10.0: a port past them is "not found"). An xHCI's
# USB 2 and USB 3 ports share one bus port each: 4 with the default p2 = p3 = 4.
USB_PORTS = {
    "qemu-xhci": 4,
    "nec-usb-xhci": 4,
    "ich9-usb-ehci1": 6,
    "ich9-usb-uhci1": 2,
    "piix3-usb-uhci": 2,
    "pci-ohci": 3,
    "usb-hub": 8,
}
# Controllers whose ports take no full-speed device, so no usb-hub (USB 1.1): a
# lone EHCI. QEMU 7.2 and 10.0 plug a sixth -device into its last port without
# the hub they add elsewhere, and refuse a -device usb-hub on it.
USB_HIGH_SPEED_ONLY = frozenset({"ich9-usb-ehci1"})

# -usbdevice NAME: the USB device it makes (QEMU 7.2 and 10.0 also take
# wacom-tablet and braille, and refuse NAME:params).
USBDEVICE_DRIVERS = {"tablet": "usb-tablet", "mouse": "usb-mouse", "keyboard": "usb-kbd"}
# A chardev with mux=on carries at most this many frontends (devices and
# monitors): QEMU 7.2 and 10.0 refuse a fifth ("too many uses").
MUX_MAX_USERS = 4
# -mon mode= for each monitor mode genqemu knows ([[monitor]] mode, and the
# qmp key's sockets): the templates write it, the importer reads it back.
MONITOR_MODES: dict[str, str] = {"hmp": "readline", "qmp": "control"}
# virtio-mem's default (and least) block size on x86_64 and aarch64 hosts, the
# transparent huge page size: "'block-size' property is smaller than the
# default block size (2 MiB)"; size and requested-size are multiples of it.
VIRTIO_MEM_BLOCK = 2 << 20
# -audiodev drivers a sound card's audio key may name (QEMU 7.2 builds none,
# alsa, oss, wav, spice and dbus into Debian's binary; pa, sdl and jack are
# modules of the qemu-system-gui package; pipewire arrived in 8.1, SINCE).
AUDIO_DRIVERS = ("none", "alsa", "oss", "wav", "spice", "dbus", "pa", "sdl", "jack", "pipewire")
# The codecs an Intel HDA controller carries on its bus.
HDA_CODECS = ("hda-duplex", "hda-output", "hda-micro")
# -audio DRIVER,model=M: the genqemu sound kind of each card QEMU's -audio
# makes, and the HDA codec it puts on the controller's bus (measured on 7.2 and
# 10.0.2: model=hda is intel-hda on q35 too; virtio is 10.0's, a virtio-sound).
AUDIO_MODELS: dict[str, tuple[str, str | None]] = {
    "hda": ("intel-hda", HDA_CODECS[0]),
    "ac97": ("ac97", None),
    "es1370": ("es1370", None),
    "virtio": ("virtio-sound", None),
}
# The -audiodev id -audio makes when it names none (QEMU 7.2 and 10.0).
AUDIO_DEFAULT_ID = "audiodev0"
# The virtio-serial port name the QEMU guest agent (qemu-ga) opens in the guest.
GUEST_AGENT_PORT = "org.qemu.guest_agent.0"

# The QEMU versions the test suite starts every example on, every arch
# (tests/test_acceptance.py): Debian 12's and the newest Debian builds for it.
CHECKED_VERSIONS = ("7.2", "10.0")
# The first QEMU version that has each thing genqemu can emit that not every
# QEMU has, by its QEMU spelling (an -object type, a command-line option). A
# config that needs one is refused when its target QEMU (--qemu-version, the
# config's qemu_version, else the profile's) is older. Between 7.2 and 10.0
# nothing genqemu emits changed spelling or went away (measured: every
# emitted property, -machine option and option name of both binaries).
SINCE: dict[str, str] = {
    "--syntax json": "7.2",  # JSON -netdev; -device and -object took it earlier
    "tdx-guest": "10.1",
    "-audiodev pipewire": "8.1",
    "virtio-sound": "8.2",
}
# MAJOR.MINOR, as the profiles, the config and --qemu-version write a version.
VERSION_PATTERN = r"[0-9]+\.[0-9]+\Z"


def version(text: str) -> tuple[int, int]:
    """ "10.0" -> (10, 0), for comparing versions written MAJOR.MINOR."""
    major, minor = text.split(".")
    return int(major), int(minor)


def lacks(target: str, spelling: str) -> str | None:
    """The version `spelling` needs, if QEMU `target` is older than it; else None."""
    needed = SINCE.get(spelling)
    return needed if needed and version(target) < version(needed) else None


class QmpCommands(NamedTuple):
    """How QMP adds and removes what one command-line option creates."""

    add: str  # the command whose arguments are the option's JSON form
    key: str  # the member of those arguments that names it
    delete: str  # the command that removes it again
    delete_key: str  # its argument, holding that name


# Each option genqemu hot-plugs, in the order QEMU needs them added (backends
# before the device that names them); removal runs in the reverse order, the
# device first. netdev_add and device_add are spelled with '_' in QMP.
QMP_COMMANDS: dict[str, QmpCommands] = {
    "-chardev": QmpCommands("chardev-add", "id", "chardev-remove", "id"),
    "-object": QmpCommands("object-add", "id", "object-del", "id"),
    "-blockdev": QmpCommands("blockdev-add", "node-name", "blockdev-del", "node-name"),
    "-netdev": QmpCommands("netdev_add", "id", "netdev_del", "id"),
    "-device": QmpCommands("device_add", "id", "device_del", "id"),
}
# Device kinds `genqemu hotplug` refuses, with why. Measured on QEMU 7.2 with
# device_add in a paused VM (q35 with root ports, pc, pseries, arm64 virt,
# s390x; tests/test_hotplug_kinds.py hot-plugs every other kind of the
# examples into its example): the rest of the PCI kinds, the virtio-serial
# ports, SCSI disks and USB devices hot-plug.
COLD_PLUG_ONLY: dict[str, str] = {
    "pcie-root-port": "a root port sits on the root bus, which has no hot-plug here: "
    "give CONFIG spare root ports instead",
    "pxb-pcie": 'QEMU: "expects a pluggable device type"',
    "intel-iommu": 'QEMU: "expects a pluggable device type"',
    "loader": 'QEMU: "can not be hotplugged on this machine"',
    "pvpanic": "it is on the ISA bus, which has no hot-plug",
    "ib700": "it is on the ISA bus, which has no hot-plug",
    "serial": "the serial port's bus has no hot-plug",
    "ide-hd": "the IDE and SATA buses have no hot-plug in QEMU",
    "cdrom": "the IDE and SATA buses have no hot-plug in QEMU",
    "spapr-vscsi": "QEMU: \"Bus 'spapr-vio' does not support hotplugging\"",
    "spapr-vlan": "QEMU: \"Bus 'spapr-vio' does not support hotplugging\"",
    "spapr-tpm-proxy": "it is machine-wide on pseries, not on a hot-pluggable bus",
    "virtio-9p": "its -fsdev backend has no QMP command to add it",
    "diag288": "it is s390x's machine-wide watchdog, not on a hot-pluggable bus",
    "nvdimm": "genqemu hotplug adds memory as a DIMM with --memory SIZE instead",
    "virtio-mem": "genqemu hotplug adds memory as a DIMM with --memory SIZE instead",
    "virtio-pmem": "genqemu hotplug adds memory as a DIMM with --memory SIZE instead",
    "vga": 'QEMU: "expects a pluggable device type" (display adapters are there from the start)',
    "cirrus-vga": 'QEMU: "expects a pluggable device type" (display adapters are there from '
    "the start)",
    "qxl-vga": 'QEMU: "expects a pluggable device type" (display adapters are there from '
    "the start)",
    "virtio-vga": 'QEMU: "expects a pluggable device type" (display adapters are there from '
    "the start)",
    "virtio-gpu": 'QEMU: "expects a pluggable device type" (display adapters are there from '
    "the start; bochs-display is the one QEMU hot-plugs)",
    "ramfb": "QEMU: \"Bus 'main-system-bus' does not support hotplugging\"",
    "ich9-usb-ehci1": 'QEMU: "expects a pluggable device type" (qemu-xhci, nec-usb-xhci and '
    "piix3-usb-uhci hot-plug)",
    "ich9-usb-uhci1": 'QEMU: "expects a pluggable device type" (qemu-xhci, nec-usb-xhci and '
    "piix3-usb-uhci hot-plug)",
    "pci-ohci": 'QEMU: "expects a pluggable device type" (qemu-xhci, nec-usb-xhci and '
    "piix3-usb-uhci hot-plug)",
    "nvme-ns": "an NVMe controller's namespaces are there from its start (QEMU: \"Bus "
    "'nvme0' does not support hotplugging\"): hot-plug the controller, with them, in NEW",
}
# The memory devices that take guest-physical room above memory.size (up to
# memory.maxmem), each with whether it also takes one of memory.slots: what
# genqemu hotplug --memory counts before adding a DIMM.
MEMORY_DEVICES = {"nvdimm": True, "virtio-mem": False, "virtio-pmem": False}
# The chardev backends chardev-add takes from genqemu hotplug; the others are
# refused (stdio is QEMU's own, mux has no QMP form; the rest: not yet).
QMP_CHARDEV_BACKENDS = ("socket", "file", "pty", "null")

# The SPICE agent: its chardev backend, the SPICE channel it carries and the
# port name spice-vdagent opens in the guest.
SPICE_AGENT = {"backend": "spicevmc", "channel": "vdagent", "port": "com.redhat.spice.0"}
# The channels a spicevmc chardev may carry (name=): QEMU 7.2 and 10.0 allow
# these three ("allowed spice char type names: vdagent, smartcard, usbredir").
SPICEVMC_CHANNELS = ("usbredir", "smartcard", "vdagent")

# The names the templates know these tables by.
GLOBALS: dict[str, object] = {
    "cache_modes": CACHE_MODES,
    "confidential_properties": CONFIDENTIAL_PROPERTIES,
    "monitor_modes": MONITOR_MODES,
    "smbios_types": SMBIOS_TYPES,
    "smbios_oem_type": SMBIOS_OEM_TYPE,
    "guest_agent_port": GUEST_AGENT_PORT,
    "spice_agent": SPICE_AGENT,
}
