"""Architecture profiles (profiles/<arch>.toml): every per-arch fact as data."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

from genqemu.checks import NAME, PROPERTY, PROPERTY_HINT
from genqemu.errors import ConfigError
from genqemu.profile_hotplug import MachineHotplug
from genqemu.qemu_facts import VERSION_PATTERN
from genqemu.schema import Model, Problems, Table, key
from genqemu.settings import SHIPPED, Settings
from genqemu.values import Boolean, Integer, ListOf, MapOf, Scalar, Size, Text

_NAMES = ListOf(NAME)
_KIND = r"[a-z][a-z0-9-]*\Z"
_RAM_BACKEND = Text(choices=("numa", "machine"))


class TransportProfile(Model):
    """How devices attach over one transport on this arch."""

    suffix: str = key(Text(), doc="appended to a virtio kind to name the driver: -pci, -ccw")
    devno: str | None = key(
        Text(pattern=r".*\{", hint="a Python format string such as 'fe.0.{:04x}'"),
        default=None,
        doc="format of the device numbers genqemu allocates (from 1) to devices without one",
    )
    keys: tuple[str, ...] = key(
        _NAMES,
        default=[],
        doc="device keys that apply only on this transport (a PCI bus and address, a "
        "device number); a device on another transport that sets one is refused",
    )
    iothread_accels: tuple[str, ...] = key(
        _NAMES,
        default=[],
        doc="the accelerators under which a device here can run in an iothread (it needs "
        "ioeventfd); default: all",
    )
    hotplug: bool = key(
        Boolean(),
        default=True,
        doc="whether QEMU can hot-plug a device on this transport's bus (virtio-mmio: no, "
        "'does not support hotplugging'); genqemu hotplug refuses it where not",
    )


class LegacyUsb(Model):
    """The USB controller the machine makes itself for -usb, -usbdevice or
    usb=on: what `genqemu import` types them as (QEMU 7.2 and 10.0, measured)."""

    driver: str = key(Text(pattern=_KIND, hint="a QEMU device driver"), doc="its driver")
    addr: str = key(
        Text(pattern=r"0x[0-9a-f]+(\.[0-7])?\Z", hint="a PCI address such as 0x1.2"),
        doc="its PCI address (slot.function)",
    )
    first_free: bool = key(
        Boolean(),
        default=False,
        doc="addr is just the first free slot, which the machine version, -vga and "
        "board NICs and disks move: typed only on the unversioned machine with "
        "-nodefaults and none of those",
    )
    companions: int = key(
        Integer(min=0),
        default=0,
        doc="UHCI companions QEMU adds to this EHCI controller, which genqemu's USB "
        "kinds cannot describe: -usb stays passed through",
    )


class MachineProfile(Model):
    """Facts about one machine type (and the versioned types it matches)."""

    match: tuple[str, ...] = key(
        _NAMES,
        default=[],
        doc="glob patterns of the -machine types this entry covers "
        "(besides its own name), e.g. pc-q35-*",
    )
    transports: tuple[str, ...] = key(
        ListOf(NAME, min_len=1), doc="virtio transports this machine has; the first is the default"
    )
    options: Mapping[str, Any] = key(
        MapOf(Scalar(), key_pattern=PROPERTY, key_hint=PROPERTY_HINT),
        default={},
        doc="machine options always emitted with this machine",
    )
    lacks: tuple[str, ...] = key(
        _NAMES, default=[], doc="device kinds of the arch that this machine cannot take"
    )
    root_bus: str | None = key(
        NAME, default=None, doc="name of the PCI root bus (pcie.0 or pci.0), if it has one"
    )
    hotplug_port: str | None = key(
        NAME,
        default=None,
        doc="the device kind a hot-plugged PCI device needs a free one of, where the root "
        "bus has no hot-plug (pcie.0: pcie-root-port); default: the root bus takes it",
    )
    ram_backend: str | None = key(
        _RAM_BACKEND, default=None, doc="how a guest RAM backend is attached; default: the arch's"
    )
    legacy_usb: LegacyUsb | None = key(
        Table(LegacyUsb),
        default=None,
        doc="the USB controller -usb and -usbdevice make; none: the machine makes none",
    )
    hotplug: MachineHotplug | None = key(
        Table(MachineHotplug), default=None, doc="vCPU and DIMM hot-plug (genqemu hotplug)"
    )
    qemu_options: Mapping[str, Any] = key(
        MapOf(Scalar(), key_pattern=PROPERTY, key_hint=PROPERTY_HINT),
        default={},
        doc="QEMU's own value, on this machine type as named here (unversioned, at "
        "qemu_version), of each machine option an [accel] sets differently: genqemu "
        "import writes it out where the command line names none",
    )
    firmware: tuple[str, ...] = key(
        ListOf(Text(choices=("uefi", "custom"))),
        default=[],
        doc='the [firmware] types besides "bios" (the machine\'s default firmware) this '
        "machine takes: uefi and custom attach flash drives",
    )
    builtin_firmware: str | None = key(
        NAME,
        default=None,
        doc="the firmware this machine always runs (SLOF, s390-ccw), named when a "
        "[firmware] type it lacks is refused",
    )
    tpm: str | None = key(
        Text(pattern=_KIND, hint="a QEMU device driver such as tpm-crb"),
        default=None,
        doc="the TPM device a [tpm] table gives the guest on this machine (tpm-crb, "
        "tpm-tis, tpm-tis-device, tpm-spapr); none: [tpm] is refused",
    )
    ata_bus: str | None = key(
        NAME,
        default=None,
        doc="the built-in ATA controller's bus name before the port number (ide: "
        "ide.0, ide.1, ...), where the machine has one; ATA disks and CD-ROMs attach there",
    )
    ata_ports: int = key(
        Integer(min=1), default=1, doc="ports (IDE channels, AHCI ports) of the built-in controller"
    )
    ata_units: int = key(
        Integer(min=1, max=2),
        default=1,
        doc="devices per port of the built-in controller: 2 on IDE (master, slave), 1 on AHCI",
    )
    hmat: bool = key(
        Boolean(),
        default=False,
        doc="the machine builds ACPI's HMAT table (`-machine hmat=on`), which [[numa]] "
        "initiator needs; false: initiator is refused",
    )
    vga: tuple[str, ...] = key(
        _NAMES,
        default=["none"],
        doc="the -vga cards this machine builds (none only, where QEMU has none or "
        "ignores -vga with a warning)",
    )


class AccelProfile(Model):
    """Defaults that apply when the guest may run under one accelerator."""

    machine_options: Mapping[str, Any] = key(
        MapOf(Scalar(), key_pattern=PROPERTY, key_hint=PROPERTY_HINT),
        default={},
        doc="machine options needed under this accelerator",
    )
    max_threads: int | None = key(
        Integer(min=1), default=None, doc="most threads per core (smp.threads) it can run"
    )
    weakens_others: bool = key(
        Boolean(),
        default=False,
        doc="its machine_options would make another accelerator less safe or slower "
        "(pseries' TCG caps turn off KVM's Spectre mitigations): they are emitted only "
        "when this accelerator comes first in the chain, so it must start without them",
    )
    missing_cpus: Mapping[str, str] = key(
        MapOf(NAME, key_pattern=PROPERTY, key_hint="a CPU model"),
        default={},
        doc="CPU models it does not have (host needs KVM), each with the model to use "
        'instead, one that works under every accelerator: host = "max"',
    )


class FeatureNeeds(Model):
    """What a firmware descriptor feature (requires-smm) needs from the machine."""

    machine_options: Mapping[str, Any] = key(
        MapOf(Scalar(), key_pattern=PROPERTY, key_hint=PROPERTY_HINT),
        default={},
        doc='machine options it needs, e.g. smm = "on"',
    )
    globals: Mapping[str, Mapping[str, Any]] = key(
        MapOf(
            MapOf(Scalar(), key_pattern=PROPERTY, key_hint=PROPERTY_HINT),
            key_pattern=r"[A-Za-z][A-Za-z0-9_.-]*\Z",
            key_hint="a QEMU driver name",
        ),
        default={},
        doc='-global properties it needs, by driver: { "cfi.pflash01" = { secure = "on" } }',
    )


class Profile(Model):
    """One architecture: binary, machines, transports, which devices exist."""

    arch: str = key(NAME, doc="canonical architecture name; the file is named after it")
    aliases: tuple[str, ...] = key(_NAMES, default=[], doc="other names --arch accepts")
    binary: str = key(NAME, doc="QEMU system emulator binary")
    qemu_version: str = key(
        Text(pattern=VERSION_PATTERN, hint="write MAJOR.MINOR, e.g. 7.2"),
        doc="the QEMU version the profile was checked against (JSON syntax needs 7.2)",
    )
    default_machine: str = key(NAME, doc="machine used when the config names none")
    qemu_default_machine: str | None = key(
        NAME,
        default=None,
        doc="the machine QEMU itself picks when the command line names none (genqemu "
        "import writes it out, or refuses the command line if it is not one of the "
        "[machines]); leave it out where QEMU has no default",
    )
    default_cpu: str | None = key(
        NAME, default=None, doc="CPU model used when the config names none"
    )
    qemu_default_cpu: str | None = key(
        NAME,
        default=None,
        doc="the CPU QEMU itself picks on default_machine when the command line names "
        "none, where default_cpu differs (genqemu import writes it out)",
    )
    machines: Mapping[str, MachineProfile] = key(
        MapOf(Table(MachineProfile), key_pattern=PROPERTY, key_hint=PROPERTY_HINT),
        doc="the machine types genqemu knows on this arch",
    )
    transports: Mapping[str, TransportProfile] = key(
        MapOf(Table(TransportProfile), key_pattern=_KIND, key_hint="a transport name"),
        doc="transports of this arch: their driver-name suffixes, numbering and keys",
    )
    devices: Mapping[str, tuple[str, ...]] = key(
        MapOf(_NAMES, key_pattern=_KIND, key_hint="a device kind"),
        doc="device kinds that exist here and the transports each attaches over (a "
        "virtio kind's driver is its name plus the transport's suffix); [] for none",
    )
    drivers: Mapping[str, str] = key(
        MapOf(NAME, key_pattern=_KIND, key_hint="a device kind"),
        default={},
        doc="QEMU driver of a non-virtio kind when it differs from the kind's name, "
        'e.g. pvpanic = "pvpanic-pci"',
    )
    needs: Mapping[str, tuple[str, ...]] = key(
        MapOf(_NAMES, key_pattern=_KIND, key_hint="a device kind"),
        default={},
        doc='keys a kind must set here ("firmware": [firmware] uefi or custom, bios or pflash)',
    )
    unusable: Mapping[str, str] = key(
        MapOf(Text(pattern=r"."), key_pattern=_KIND, key_hint="a QEMU driver name"),
        default={},
        doc="drivers QEMU builds here that cannot work, each with why (left out of [devices])",
    )
    nvdimm_data_multiple: int | None = key(
        Size(min=1),
        default=None,
        doc="an NVDIMM's size less its label_size must be a multiple of this (pseries: 256M)",
    )
    ram_backend: str = key(
        _RAM_BACKEND,
        default="numa",
        doc="how a guest RAM backend is attached: -numa node,memdev= or -machine memory-backend=",
    )
    numa: bool = key(
        Boolean(), default=True, doc="the machines take NUMA nodes (`-numa`, [[numa]])"
    )
    numa_cpuless: bool = key(
        Boolean(),
        default=True,
        doc="a NUMA node may have memory and no vCPUs once any node lists vCPUs (false on "
        "riscv64 virt, which makes each node a socket of harts)",
    )
    fw_cfg: bool = key(Boolean(), default=False, doc="the machines have a fw_cfg device")
    smbios: bool = key(Boolean(), default=False, doc="QEMU takes -smbios for this arch")
    descriptor_arch: str | None = key(
        NAME,
        default=None,
        doc="the architecture as QEMU's firmware descriptors name it (x86_64, aarch64): "
        '[firmware] type = "uefi" picks a descriptor for it',
    )
    firmware_install: str | None = key(
        Text(pattern=r"."),
        default=None,
        doc="how to get UEFI firmware with descriptors for this arch, said when none is found",
    )
    descriptor_features: Mapping[str, FeatureNeeds] = key(
        MapOf(Table(FeatureNeeds), key_pattern=_KIND, key_hint="a descriptor feature"),
        default={},
        doc="what the chosen firmware's features need from the machine, by feature",
    )
    accel: Mapping[str, AccelProfile] = key(
        MapOf(Table(AccelProfile), key_pattern=_KIND, key_hint="an accelerator name"),
        default={},
        doc="per-accelerator defaults; 'tcg' also applies when the config names no accel",
    )

    def validate(self, problems: Problems) -> None:
        if self.default_machine not in self.machines:
            problems.add(
                "default_machine", f"{self.default_machine!r} is not one of the [machines] tables"
            )
        for name, machine in self.machines.items():
            for transport in machine.transports:
                if transport not in self.transports:
                    problems.add(
                        f"machines.{name}.transports",
                        f"{transport!r} is not one of the [transports] tables",
                    )
        for kind, transports in self.devices.items():
            for transport in transports:
                if transport not in self.transports:
                    problems.add(
                        f"devices.{kind}", f"{transport!r} is not one of the [transports] tables"
                    )
        for table in ("drivers", "needs"):
            for kind in getattr(self, table):
                if kind not in self.devices:
                    problems.add(f"{table}.{kind}", f"{kind!r} is not one of the [devices]")

    def accel_options(
        self, accel: str | None
    ) -> tuple[list[tuple[str, Mapping[str, Any]]], list[tuple[str, Mapping[str, Any]]]]:
        """The machine options of each accelerator of the chain, as (emitted,
        withheld) lists of (accelerator, options): one that weakens others is
        withheld unless it comes first, where QEMU really runs it if it can."""
        emitted: list[tuple[str, Mapping[str, Any]]] = []
        withheld: list[tuple[str, Mapping[str, Any]]] = []
        for position, name in enumerate(accel_chain(accel)):
            spec = self.accel.get(name)
            if spec is not None and spec.machine_options:
                weakens = spec.weakens_others and position > 0
                (withheld if weakens else emitted).append((name, spec.machine_options))
        return emitted, withheld

    def machine(self, machine_type: str) -> MachineProfile | None:
        """The machine entry that covers `machine_type`, if any."""
        if machine_type in self.machines:
            return self.machines[machine_type]
        for machine in self.machines.values():
            if any(fnmatch.fnmatchcase(machine_type, pattern) for pattern in machine.match):
                return machine
        return None


def accel_chain(accel: str | None) -> list[str]:
    """The accelerators the guest may run under, preferred first; QEMU's default is TCG."""
    return accel.split(":") if accel else ["tcg"]


def load_profile(arch: str, settings: Settings = SHIPPED) -> Profile:
    """Load and check the profile of `arch` (a canonical name or an alias)."""
    from genqemu.profile_files import find_profile
    from genqemu.tomlfile import read_toml

    path = find_profile(arch, settings)
    problems = Problems()
    profile = Profile.load(read_toml(path), "", problems)
    if profile is not None and profile.arch != path.stem:
        problems.add("arch", f"must match the file name {path.stem!r}, got {profile.arch!r}")
    if profile is None or problems:
        raise ConfigError(str(path), problems.items)
    return profile
