"""What a booted guest should see, and what it says it sees.

GUEST_VIEW maps each device kind to the lines the guest's init prints for one
device of that kind (tests/support/boot_init.sh), with the instance names
left out (vda, eth0, virtio3), and to the kernel modules the guest needs for
it. A new
device kind is one entry; a kind without an entry fails the boot test. The
lines may depend on the guest kernel (`guest.has(module)`): Debian does not
build every driver for every arch.

The virtio device ids are the virtio specification's (5.x "Device Types"):
net 1, block 2, console 3, entropy 4, balloon 5, SCSI 8, 9P 9, input 18, vsock 19.
"""

from __future__ import annotations

import fnmatch
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

BEGIN = "=== genqemu guest view ==="
END = "=== end of guest view ==="

# The console each arch's kernel is told to use, and the guest's view of
# the machine's serial ports when the VM has `count` of them (-serial).
CONSOLE = {
    "amd64": "ttyS0",
    "arm64": "ttyAMA0",
    "ppc64le": "hvc0",
    "riscv64": "ttyS0",
    "s390x": "ttysclp0",
}
SERIAL_PORTS: dict[str, Callable[[int], list[str]]] = {
    # ISA 16550A UARTs, one per -serial.
    "amd64": lambda count: ["tty ttyS"] * count,
    # The virt board has one PL011 whether or not a -serial feeds it.
    "arm64": lambda count: ["tty ttyAMA"],
    # spapr-vty devices, one per -serial; Linux drives them with hvc_vio.
    "ppc64le": lambda count: ["hvc"] * count,
    # The virt board's one NS16550A.
    "riscv64": lambda count: ["tty ttyS"],
    # The SCLP ASCII console (sclpconsole), then the line-mode one (sclplmconsole).
    "s390x": lambda count: ["tty ttysclp", "tty sclp_line"][:count],
}

# Guest modules every VM gets: the virtio transports that are modules in
# Debian's kernels (virtio-ccw is built into the s390x kernel).
BASE_MODULES = ("virtio_pci", "virtio_mmio")
# efivarfs, for the init to read the SecureBoot variable of a guest booted
# through UEFI (a module in Debian's amd64 and arm64 kernels; none elsewhere).
FIRMWARE_MODULES = ("efivarfs?",)

# The [tpm] device (the profile's per machine) and the guest driver that binds
# it. Debian builds tpm_crb, tpm_tis (amd64) and tpm_ibmvtpm (ppc64el) into
# the kernel; its arm64 and riscv64 kernels have no TIS MMIO driver, so there
# tpm-tis-device is a platform device no driver binds, and the guest has no TPM.
TPM_DRIVER = {
    "tpm-crb": "tpm_crb",
    "tpm-tis": "tpm_tis",
    "tpm-spapr": "tpm_ibmvtpm",
    "tpm-tis-device": "tpm_tis",
}
TPM_MODULES = tuple(f"{driver}?" for driver in dict.fromkeys(TPM_DRIVER.values()))

# The sysfs bus of a virtio device's parent, per genqemu transport.
GUEST_BUS = {"pci": "pci", "ccw": "ccw", "mmio": "platform"}


@dataclass(frozen=True)
class Guest:
    """What an expected view may depend on besides the device."""

    arch: str
    machine: str  # the resolved machine type: q35, microvm, virt, ...
    firmware: bool  # booted through UEFI firmware (ACPI), not straight into the kernel
    has: Callable[[str], bool]  # whether the guest kernel has this module (or built in)
    secure_boot: bool = False  # the firmware has Secure Boot on
    config: Any = None  # the loaded config (for what its devices number among them: nsid)


def uefi_boot(config: Any) -> tuple[bool, bool]:
    """(boots through UEFI firmware, with Secure Boot on) for a raw config:
    [firmware] type uefi or custom, or govmm's pflash list."""
    firmware = config.get("firmware") or {}
    uefi = firmware.get("type") in ("uefi", "custom") or bool(config.get("pflash"))
    return uefi, uefi and bool(firmware.get("secure_boot", False))


@dataclass(frozen=True)
class View:
    """One device kind in the guest: its lines and the modules that make them.

    `lines` is None for kinds that cannot start in a sandbox
    (tests/support/localize.py takes them out); one that is still there fails
    the test. A module name
    ending in `?` is loaded where the kernel has it.
    """

    lines: Callable[[Any, Guest], list[str]] | None
    modules: tuple[str, ...] = ()


NEEDS_HOST = View(None)


def virtio(device: Any, device_id: int, driver: str) -> str:
    """A virtio device bound to `driver`, on its transport's bus (at its devno on CCW)."""
    line = f"virtio id={device_id} driver={driver} bus={GUEST_BUS[device.transport]}"
    if device.transport == "ccw":
        _, ssid, number = device.devno.split(".")
        line += f" at=0.{int(ssid, 16):x}.{number}"
    return line


def _ro(device: Any) -> int:
    return int(bool(device.config.read_only))


def pci(device_id: str, driver: str) -> str:
    """One of QEMU's own PCI devices (vendor 1b36) and the driver bound to it."""
    return f"pci id=1b36:{device_id} driver={driver}"


def _bridge(device_id: str) -> Callable[[Any, Guest], list[str]]:
    """A PCI-PCI bridge. Its standard hotplug controller (SHPC; pci-bridge's
    shpc=off removes it) is driven by shpchp where the kernel has it and the
    OS owns bridge hotplug: not on x86, whose pc and q35 keep it in ACPI. On
    s390x, zPCI shows the guest its PCI functions but no bridges.
    """

    def lines(device: Any, guest: Guest) -> list[str]:
        if guest.arch == "s390x":
            return []
        native = guest.arch != "amd64" and getattr(device.config, "shpc", None) is not False
        return [pci(device_id, "shpchp" if native and guest.has("shpchp") else "none")]

    return lines


def _pvpanic(device: Any, guest: Guest) -> list[str]:
    if device.driver == "pvpanic-pci":
        driver = "pvpanic-pci" if guest.has("pvpanic-pci") else "none"
        return [pci("0011", driver)] + ([f"pvpanic driver={driver}"] if driver != "none" else [])
    # The ISA device is ACPI's QEMU0001, which pvpanic-mmio drives.
    return ["pvpanic driver=pvpanic-mmio"]


def _nvdimm(device: Any, guest: Guest) -> list[str]:
    # NVDIMMs are described in ACPI (NFIT) only: x86, and arm64 booted through
    # UEFI. A device tree (arm64's direct kernel boot) describes none, and
    # ppc64el's kernel has no LIBNVDIMM for pseries' own description.
    if guest.has("nfit") and (guest.arch == "amd64" or guest.firmware):
        return [f"block bus=nd ro={int(bool(device.config.readonly))} readable=yes"]
    return []


def _card(driver: str) -> View:
    """An emulated network card: its interface, with its MAC, where the guest
    kernel has the driver (Debian's riscv64 kernel has no 8139cp; s390x
    builds none of these cards). QEMU's rtl8139 is a C+ chip (revision 0x20),
    which 8139too leaves to 8139cp."""
    return View(
        lambda d, g: [f"net mac={d.config.mac or '*'} driver={driver}"] if g.has(driver) else [],
        (f"{driver}?",),
    )


def _zpci(device: Any, guest: Guest) -> list[str]:
    """On s390x, each PCI function comes with its own zPCI IOMMU."""
    return ["iommu s390-iommu"] if guest.arch == "s390x" and device.transport == "pci" else []


def _watchdog(module: str, identity: str) -> Callable[[Any, Guest], list[str]]:
    """A watchdog the kernel registered (/dev/watchdogN), named by the identity
    its driver gives it, where the kernel has that driver."""
    return lambda d, g: [f"watchdog identity={identity} dev=yes"] if g.has(module) else []


def _cdrom(device: Any, guest: Guest) -> list[str]:
    """A CD-ROM drive (sr, through libata on ATA or on SCSI), read-only, and the
    volume label of its medium; an empty tray has nothing to read."""
    from .iso import iso_label

    file = device.config.file
    readable = "yes" if file else "no"
    label = iso_label(file) if file else "none"
    return [f"block bus=scsi ro=1 readable={readable}", f"cdrom label={label}"]


def _ide_hd(device: Any, guest: Guest) -> list[str]:
    """An ATA disk, a SCSI disk to Linux (libata), with the serial QEMU gives it
    (QM000NN, after the IDE unit, when the config sets none)."""
    serial = device.config.serial or "QM*"
    return [f"block bus=scsi ro={_ro(device)} readable=yes", f"ata serial={serial}"]


def _drm(driver: str, module: str) -> View:
    """A graphics adapter that a DRM driver binds, where the kernel has it."""
    name = module.rstrip("?")
    return View(lambda d, g: [f"drm driver={driver}"] if g.has(name) else [], (module,))


def _virtio_gpu(device: Any, guest: Guest) -> list[str]:
    """virtio-gpu (virtio id 16) and its DRM card; unbound where the kernel has
    no DRM (s390x)."""
    if not guest.has("virtio-gpu"):
        return [virtio(device, 16, "none")]
    return [virtio(device, 16, "virtio_gpu"), "drm driver=virtio_gpu"]


def _usbhc(pci_id: str, usb_class: str, module: str, driver: str) -> View:
    """A USB host controller (PCI class 0c03), bound to `driver` where the
    kernel has `module` (Debian builds UHCI and OHCI only for some arches)."""

    def lines(device: Any, guest: Guest) -> list[str]:
        bound = driver if guest.has(module) else "none"
        own = [pci(pci_id.split(":")[1], bound)] if pci_id.startswith("1b36:") else []
        return [*own, f"usbhc id={pci_id} class=0c03{usb_class} driver={bound}"]

    return View(lines, (f"{module}?",))


def _usb(usb_id: str, product: str, driver: str, modules: tuple[str, ...] = ()) -> View:
    """A USB device QEMU emulates: its ids and product name (spaces as _), the
    serial (the config's on a disk, QEMU's own number on the others) and
    the driver of its first interface."""

    def lines(device: Any, guest: Guest) -> list[str]:
        serial = getattr(device.config, "serial", None) or "*"
        line = f"usb id={usb_id} product={product} serial={serial} driver={driver}"
        if device.kind == "usb-storage":
            return [line, f"block bus=scsi ro={_ro(device)} readable=yes"]
        return [line]

    return View(lines, modules)


# USB HID devices: usbhid binds the interface, hid_generic the HID device.
_HID = ("usbhid", "hid_generic")


def _sound(module: str, driver: str, codecs: int) -> View:
    """A sound card ALSA registered, where the guest kernel has its driver
    (QEMU's HDA codecs are driven by the generic HDA codec parser). On
    pseries snd_hda_intel binds the controller but finds no codec ("no codecs
    initialized", QEMU 7.2, Debian's 6.1 kernel), so ALSA registers no card."""
    extra = ("snd_hda_codec_generic?",) if codecs else ()

    def lines(device: Any, guest: Guest) -> list[str]:
        if not guest.has(module) or (codecs and guest.arch == "ppc64le"):
            return []
        return [f"sound driver={driver} codecs={codecs}"]

    return View(lines, (*extra, f"{module}?"))


def _virtio_sound(device: Any, guest: Guest) -> list[str]:
    """virtio-sound (virtio id 25): Debian 12's amd64, arm64 and ppc64el
    kernels (6.1) lack virtio_snd (CONFIG_SND_VIRTIO is not set), so there the
    device is unbound and ALSA has no card; Debian 13's riscv64 kernel has it."""
    if not guest.has("virtio_snd"):
        return [virtio(device, 25, "none")]
    return [virtio(device, 25, "virtio_snd"), "sound driver=virtio-snd codecs=0"]


GUEST_VIEW: dict[str, View] = {
    "virtio-blk": View(
        lambda d, g: [
            virtio(d, 2, "virtio_blk"),
            f"block bus=virtio ro={_ro(d)} serial={d.config.serial or ''} readable=yes",
        ],
        ("virtio_blk",),
    ),
    "virtio-net": View(
        lambda d, g: [
            virtio(d, 1, "virtio_net"),
            f"net mac={d.config.mac or '*'} driver=virtio_net",
        ],
        ("virtio_net",),
    ),
    "e1000e": _card("e1000e"),
    "e1000": _card("e1000"),
    "rtl8139": _card("8139cp"),
    "spapr-vlan": _card("ibmveth"),
    "virtio-scsi": View(lambda d, g: [virtio(d, 8, "virtio_scsi")], ("virtio_scsi",)),
    "scsi-hd": View(lambda d, g: [f"block bus=scsi ro={_ro(d)} readable=yes"], ("sd_mod",)),
    # AHCI (Intel 8086:2922 on an added one) is not one of QEMU's own PCI
    # devices: the guest lists what sits on its ports.
    "ahci": View(lambda d, g: [], ("ahci",)),
    "ide-hd": View(_ide_hd, ("sd_mod", "ahci", "ata_piix?")),
    "cdrom": View(_cdrom, ("sr_mod",)),
    # On pseries' VIO bus, which the init does not list: what sits on it shows.
    "spapr-vscsi": View(lambda d, g: [], ("ibmvscsi?",)),
    "virtio-9p": View(
        lambda d, g: [virtio(d, 9, "9pnet_virtio"), f"9p {d.config.mount_tag} mounted=yes"],
        ("9pnet_virtio", "9p"),
    ),
    "virtio-serial": View(lambda d, g: [virtio(d, 3, "virtio_console")], ("virtio_console",)),
    # A console port is an hvc tty; Linux gives it no virtio-ports entry.
    "virtconsole": View(lambda d, g: ["hvc"]),
    "virtserialport": View(lambda d, g: [f"port name={d.config.name or ''}"]),
    "guest-agent": View(lambda d, g: ["port name=org.qemu.guest_agent.0"]),
    # spice-vdagent finds it by this name (/dev/virtio-ports/com.redhat.spice.0).
    "spice-agent": View(lambda d, g: ["port name=com.redhat.spice.0"]),
    # Counted with the machine's serial ports (SERIAL_PORTS), which the test adds.
    "serial": View(lambda d, g: []),
    "virtio-rng": View(
        lambda d, g: [virtio(d, 4, "virtio_rng"), "rng virtio_rng"], ("virtio_rng",)
    ),
    "virtio-balloon": View(lambda d, g: [virtio(d, 5, "virtio_balloon")], ("virtio_balloon",)),
    "vhost-vsock": View(
        lambda d, g: [virtio(d, 19, "vmw_vsock_virtio_transport")],
        ("vmw_vsock_virtio_transport",),
    ),
    "pcie-root-port": View(lambda d, g: [pci("000c", "pcieport")]),
    "pci-bridge": View(_bridge("0001")),
    "pcie-pci-bridge": View(_bridge("000e")),
    # A host bridge (class 0600), which the init leaves out: its root ports show it.
    "pxb-pcie": View(lambda d, g: []),
    "pvpanic": View(_pvpanic, ("pvpanic-mmio?", "pvpanic-pci?")),
    # The kernel is told intel_iommu=on (test_boot.py): the remapping unit.
    "intel-iommu": View(lambda d, g: ["iommu dmar"]),
    "nvdimm": View(_nvdimm, ("nfit?", "nd_pmem?")),
    # virtio-mem's RAM shows in MemTotal only once the guest plugs it.
    "virtio-mem": View(lambda d, g: [virtio(d, 24, "virtio_mem")], ("virtio_mem?",)),
    # The device's region on the nd bus, a /dev/pmemN disk through nd_pmem.
    "virtio-pmem": View(
        lambda d, g: [virtio(d, 27, "virtio_pmem"), "block bus=nd ro=0 readable=yes"],
        ("virtio_pmem?", "nd_pmem?"),
    ),
    # A blob in guest memory: nothing for the guest to list.
    "loader": View(lambda d, g: []),
    "i6300esb": View(_watchdog("i6300esb", "i6300ESB_timer"), ("i6300esb?",)),
    # Without a diag288 device, diag288_wdt's insmod fails (DIAGNOSE 288
    # raises a program check), so it is loaded on every s390x guest.
    "diag288": View(_watchdog("diag288_wdt", "z_Watchdog"), ("diag288_wdt?",)),
    # ISA cannot be enumerated: ib700wdt claims a watchdog at its fixed ports
    # whether or not one is there, so the init does not load it (it would show
    # on every PC guest) and the guest has nothing to say about the ib700.
    "ib700": View(lambda d, g: []),
    # The controller (QEMU's PCI id 1b36:0010) by its serial (the id by
    # default); each namespace as a block device and by its nsid and size in
    # 512-byte sectors: the 8 MiB image tests/support/localize.py makes.
    "nvme": View(
        lambda d, g: [pci("0010", "nvme"), f"nvme serial={d.config.serial or d.id}"], ("nvme",)
    ),
    "nvme-ns": View(
        lambda d, g: [
            f"block bus=nvme ro={_ro(d)} readable=yes",
            f"nvme-ns nsid={d.config.namespace_id(g.config)} size=16384",
        ]
    ),
    # Graphics adapters: the DRM card each one's driver makes (none on s390x,
    # whose kernel has no DRM: virtio-gpu-ccw is a virtio device no driver
    # binds). VGA and bochs-display are Bochs VBE devices (1234:1111) to Linux.
    "vga": _drm("bochs-drm", "bochs?"),
    "bochs-display": _drm("bochs-drm", "bochs?"),
    "cirrus-vga": _drm("cirrus", "cirrus?"),
    "qxl-vga": View(
        lambda d, g: (
            [pci("0100", "qxl"), "drm driver=qxl"] if g.has("qxl") else [pci("0100", "none")]
        ),
        ("qxl?",),
    ),
    "virtio-gpu": View(_virtio_gpu, ("virtio-gpu?",)),
    "virtio-vga": View(_virtio_gpu, ("virtio-gpu?",)),
    # A framebuffer in guest RAM that only firmware sets up: the kernel draws
    # on it through the firmware's (efifb), no device to list.
    "ramfb": View(lambda d, g: []),
    # USB controllers by PCI id and class (xHCI 30, EHCI 20, UHCI 00, OHCI 10),
    # and the devices QEMU emulates on them (QEMU's USB ids: hw/usb/dev-*.c).
    "qemu-xhci": _usbhc("1b36:000d", "30", "xhci_pci", "xhci_hcd"),
    "nec-usb-xhci": _usbhc("1033:0194", "30", "xhci_pci", "xhci_hcd"),
    "ich9-usb-ehci1": _usbhc("8086:293a", "20", "ehci_pci", "ehci-pci"),
    "ich9-usb-uhci1": _usbhc("8086:2934", "00", "uhci_hcd", "uhci_hcd"),
    "piix3-usb-uhci": _usbhc("8086:7020", "00", "uhci_hcd", "uhci_hcd"),
    "pci-ohci": _usbhc("106b:003f", "10", "ohci_pci", "ohci-pci"),
    "usb-tablet": _usb("0627:0001", "QEMU_USB_Tablet", "usbhid", _HID),
    "usb-kbd": _usb("0627:0001", "QEMU_USB_Keyboard", "usbhid", _HID),
    "usb-mouse": _usb("0627:0001", "QEMU_USB_Mouse", "usbhid", _HID),
    "usb-hub": _usb("0409:55aa", "QEMU_USB_Hub", "hub"),
    "usb-storage": _usb(
        "46f4:0001", "QEMU_USB_HARDDRIVE", "usb-storage", ("usb_storage", "sd_mod")
    ),
    # usb-bot + scsi-cd: QEMU's mass-storage ids, its own USB serial (the
    # config's is the scsi-cd's), and an sr drive.
    "usb-cdrom": View(
        lambda d, g: [
            "usb id=46f4:0001 product=QEMU_USB_HARDDRIVE serial=* driver=usb-storage",
            *_cdrom(d, g),
        ],
        ("usb_storage", "sr_mod"),
    ),
    # Nothing until a usbredir client connects to its chardev.
    "usb-redir": View(lambda d, g: []),
    "usb-host": NEEDS_HOST,
    # virtio-input (virtio id 18), by the name QEMU gives each to the guest.
    "virtio-keyboard": View(
        lambda d, g: [virtio(d, 18, "virtio_input"), "input name=QEMU_Virtio_Keyboard"],
        ("virtio_input",),
    ),
    "virtio-mouse": View(
        lambda d, g: [virtio(d, 18, "virtio_input"), "input name=QEMU_Virtio_Mouse"],
        ("virtio_input",),
    ),
    "virtio-tablet": View(
        lambda d, g: [virtio(d, 18, "virtio_input"), "input name=QEMU_Virtio_Tablet"],
        ("virtio_input",),
    ),
    # Sound cards, by the driver name ALSA lists in /proc/asound/cards, with
    # the codecs it found on an HDA controller's bus (one: the config's).
    "intel-hda": _sound("snd_hda_intel", "HDA-Intel", 1),
    "ich9-intel-hda": _sound("snd_hda_intel", "HDA-Intel", 1),
    "ac97": _sound("snd_intel8x0", "ICH", 0),
    "es1370": _sound("snd_ens1370", "ENS1370", 0),
    "virtio-sound": View(_virtio_sound, ("virtio_snd?",)),
    "vfio-pci": NEEDS_HOST,
    "vfio-ccw": NEEDS_HOST,
    "vfio-ap": NEEDS_HOST,
    "spapr-tpm-proxy": NEEDS_HOST,
    # Not in the sandbox (localize() takes it out); test_boot.py boots it with a
    # qemu-storage-daemon as its backend. The serial is the backend's.
    "vhost-user-blk": View(
        lambda d, g: [virtio(d, 2, "virtio_blk"), "block bus=virtio ro=0 serial=* readable=yes"],
        ("virtio_blk",),
    ),
    "vhost-user-scsi": NEEDS_HOST,
    "vhost-user-fs": NEEDS_HOST,
}

# Devices that `extra_args` (options genqemu passes through unmodeled) add,
# by driver; the boot test reads `-device DRIVER,...` from extra_args.
EXTRA_DEVICE_VIEW: dict[str, list[str]] = {
    "qemu-xhci": [pci("000d", "xhci_hcd"), "usbhc id=1b36:000d class=0c0330 driver=xhci_hcd"],
    "usb-tablet": ["usb id=0627:0001 product=QEMU_USB_Tablet serial=* driver=usbhid"],
    # QEMU's PCI test device (1b36:0005), which no Linux driver binds.
    "pci-testdev": [pci("0005", "none")],
}


class UnknownKind(Exception):
    """A device kind the boot test has no expected guest view for."""


def guest_modules() -> list[str]:
    """Every module the initramfs loads: the transports, then each kind's."""
    modules = list(BASE_MODULES) + list(FIRMWARE_MODULES) + list(TPM_MODULES)
    for view in GUEST_VIEW.values():
        modules += [m for m in view.modules if m not in modules]
    return modules


def smbios_view(smbios: Any, guest: Guest) -> list[str]:
    """The lines of a raw config's [smbios]: on amd64 SeaBIOS and OVMF hand the
    tables on; on arm64 only UEFI firmware does (a direct kernel boot has none)."""
    if not smbios or not (guest.arch == "amd64" or guest.firmware):
        return []
    system = smbios.get("system") or {}
    lines = [f"oem {string}" for string in smbios.get("oem_strings", [])]
    if system.get("serial"):
        lines.append(f"dmi product={system.get('product', '*')} serial={system['serial']}")
    return lines


def tpm_view(tpm_driver: str | None, guest: Guest) -> list[str]:
    """The guest's line for the VM's [tpm] device (a swtpm TPM 2.0), where it has the driver."""
    driver = TPM_DRIVER.get(tpm_driver or "")
    if driver is None or not guest.has(driver):
        return []
    # The TPM core also offers the chip's random numbers as a hwrng (tpm-rng-N),
    # but not a CRB TPM's on an AMD CPU (Linux's workaround for AMD's fTPM, in
    # Debian's 6.1 kernels), and QEMU's x86 CPUs under TCG say AuthenticAMD:
    # the amd64 guest (q35, OVMF) lists no tpm-rng, the ppc64le one does.
    rng = [] if driver == "tpm_crb" and guest.arch == "amd64" else ["rng tpm-rng-"]
    return [f"tpm version=2 driver={driver} dev=yes", *rng]


def expected_view(
    devices: Sequence[Any],
    guest: Guest,
    serial_ports: int,
    extra_args: Sequence[str] = (),
    smbios: Any = None,
    tpm_driver: str | None = None,
) -> list[str]:
    """The guest's lines for these devices (and the raw [smbios], and the VM's TPM
    device, if any), sorted; `*` in a line matches anything."""
    lines = [f"console {CONSOLE[guest.arch]}", *SERIAL_PORTS[guest.arch](serial_ports)]
    lines += tpm_view(tpm_driver, guest)
    if guest.firmware:
        lines += ["firmware efi", f"secure-boot {'on' if guest.secure_boot else 'off'}"]
    lines += smbios_view(smbios, guest)
    for device in devices:
        view = GUEST_VIEW.get(device.kind)
        if view is None:
            raise UnknownKind(
                f"no guest view for device kind {device.kind!r}: add it to GUEST_VIEW in "
                "tests/support/boot_view.py (the lines the guest prints for it, and its modules)"
            )
        if view.lines is None:
            raise UnknownKind(f"{device.kind} cannot start in a sandbox: localize() keeps it")
        lines += view.lines(device, guest)
        if device.config.virtio:
            lines += _zpci(device, guest)
    for option, value in itertools.pairwise(extra_args):
        if option == "-device":
            driver = value.split(",")[0]
            if driver not in EXTRA_DEVICE_VIEW:
                raise UnknownKind(
                    f"no guest view for {driver!r} from extra_args: add it to "
                    "EXTRA_DEVICE_VIEW in tests/support/boot_view.py"
                )
            lines += EXTRA_DEVICE_VIEW[driver]
    return sorted(lines)


def numa_view(config: Any, guest: Guest) -> list[str]:
    """The guest's NUMA lines for a resolved config: none for one node (every
    kernel has a node0, so only several nodes are listed), else each node's
    started vCPUs (any, where no node names its vCPUs: QEMU places them) and
    its memory, which the guest rounds up to 128 MiB (boot_init.sh).

    Not yet explained: the Debian 12 arm64 guest booted through UEFI (AAVMF,
    ACPI) lists one node, with a vCPU in each node too (QEMU 7.2)."""
    nodes = config.numa
    if len(nodes) < 2 or (guest.arch == "arm64" and guest.firmware):
        return []
    started = config.smp.cpus if config.smp else 1
    placed = any(node.cpus for node in nodes)
    hmat = any(node.initiator is not None for node in nodes)
    lines = []
    for index, node in enumerate(nodes):
        cpus = [c for f, last in node.cpu_ranges for c in range(f, last + 1) if c < started]
        listed = _cpulist(cpus) if placed else "*"
        mib = -(-(node.memory or 0) // (128 << 20)) * 128
        # With the HMAT table, a node with memory has an initiator: the one named,
        # or itself where it has vCPUs.
        initiator = node.initiator if node.initiator is not None else index if cpus else None
        shown = f"node{initiator}" if hmat and node.memory and initiator is not None else "none"
        lines.append(f"numa node{index} cpus={listed} mem={mib}M initiators={shown}")
    return lines


def _cpulist(cpus: list[int]) -> str:
    """As the kernel writes a cpulist: [0, 1, 3] -> '0-1,3'; [] -> 'none' (boot_init.sh)."""
    if not cpus:
        return "none"
    runs: list[list[int]] = []
    for cpu in sorted(cpus):
        if runs and cpu == runs[-1][1] + 1:
            runs[-1][1] = cpu
        else:
            runs.append([cpu, cpu])
    return ",".join(f"{a}-{b}" if a != b else str(a) for a, b in runs)


def guest_block(console: str) -> list[str]:
    """The lines between the markers, as printed; ValueError if the block is incomplete."""
    lines = console.replace("\r", "").splitlines()
    try:
        start = lines.index(BEGIN)
        end = lines.index(END, start)
    except ValueError:
        raise ValueError("the guest did not print a complete view") from None
    return lines[start + 1 : end]


def normalize(line: str) -> str:
    """A guest line without its instance name: `block vda bus=virtio` -> `block bus=virtio`."""
    kind, _, rest = line.partition(" ")
    name, _, details = rest.partition(" ")
    if kind in (
        "virtio",
        "block",
        "net",
        "port",
        "pci",
        "pvpanic",
        "watchdog",
        "nvme",
        "nvme-ns",
        "data",
        "tpm",
        "cdrom",
        "ata",
        "drm",
        "usbhc",
        "usb",
        "input",
        "sound",
    ):
        if kind == "virtio" and " bus=ccw " not in f" {details} ":
            details = re.sub(r" at=\S*", "", details)
        return f"{kind} {details}".rstrip()
    if kind == "hvc":
        return "hvc"
    if kind in ("tty", "rng", "iommu"):
        return f"{kind} {re.sub(r'[.]?[0-9]+$', '', name)}"
    return line


def guest_view(block: Sequence[str]) -> list[str]:
    """The guest's device lines, normalized and sorted (the `kernel` line left out)."""
    return sorted(normalize(line) for line in block if not line.startswith("kernel "))


def unmatched(expected: Sequence[str], seen: Sequence[str]) -> tuple[list[str], list[str]]:
    """(expected lines the guest lacks, guest lines nobody expected); `*` is a wildcard.

    Exact lines pair up first, so a wildcard never takes a line an exact one needs.
    """
    missing = []
    left = list(seen)
    patterns = []
    for line in expected:
        if "*" in line:
            patterns.append(line)
        elif line in left:
            left.remove(line)
        else:
            missing.append(line)
    for pattern in patterns:
        match = next((line for line in left if fnmatch.fnmatchcase(line, pattern)), None)
        if match is None:
            missing.append(pattern)
        else:
            left.remove(match)
    return missing, left
