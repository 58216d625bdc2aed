"""The VM description: every top-level table and key of a genqemu config.

Keys follow QEMU's own option and property names in snake_case. A key left
out is not emitted, so QEMU's default applies, unless its doc says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from genqemu.chardevs import CHARDEV
from genqemu.checks import ID, NAME, PATH, PROPERTY, PROPERTY_HINT
from genqemu.devices import DEVICE, Device
from genqemu.flash import Firmware, FlashImage, PathOrImage
from genqemu.qemu_facts import VERSION_PATTERN
from genqemu.schema import Model, Problems, Table, Tagged, key
from genqemu.values import Boolean, Integer, ListOf, MapOf, Scalar, Size, Text, format_size

if TYPE_CHECKING:
    from genqemu.confidential import Confidential
    from genqemu.display import Display
    from genqemu.monitor import Monitor
    from genqemu.numa import NumaNode
    from genqemu.process import Incoming, RunAs
    from genqemu.runtime import Overcommit, Rtc, Sandbox
    from genqemu.smbios import Smbios
    from genqemu.tpm import Tpm

MIB = 1 << 20
# Tables by type: a model's module is imported when a config has the table.
CONFIDENTIAL: Tagged[Confidential] = Tagged("type", "genqemu.confidential:Confidential")
DISPLAY: Tagged[Display] = Tagged("type", "genqemu.display:Display")
INCOMING: Tagged[Incoming] = Tagged("type", "genqemu.process:Incoming")
TPM: Tagged[Tpm] = Tagged("backend", "genqemu.tpm:Tpm")
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z"
_ACCEL = r"(kvm|tcg|hvf|whpx|xen|nvmm|hax)(:(kvm|tcg|hvf|whpx|xen|nvmm|hax))*\Z"
_OPTIONS = MapOf(Scalar(), key_pattern=PROPERTY, key_hint=PROPERTY_HINT)
# QEMU splits -cpu at every comma (strtok), so ",," escapes nothing there.
_NO_COMMA = "QEMU's -cpu option splits at every comma, even a doubled one: remove the comma"
_CPU_FEATURES = MapOf(
    Scalar(Text(pattern=r"[^,]*\Z", hint=_NO_COMMA)), key_pattern=PROPERTY, key_hint=PROPERTY_HINT
)


class Machine(Model):
    """`-machine TYPE,accel=ACCEL,OPTIONS`."""

    type: str | None = key(
        Text(
            pattern=r"[^,=]+\Z",
            hint="QEMU reads the machine type up to the first ',' or '=': remove them",
        ),
        default=None,
        doc="machine type; default: the arch profile's default machine",
    )
    accel: str | None = key(
        Text(
            pattern=_ACCEL,
            hint="an accelerator such as 'kvm' or 'tcg', or a fallback chain such as 'kvm:tcg'",
        ),
        default=None,
        doc="accelerator, or a fallback chain like 'kvm:tcg'; default: QEMU's (TCG)",
    )
    options: Mapping[str, Any] = key(
        _OPTIONS, default={}, doc="further machine properties, e.g. { dump-guest-core = false }"
    )
    spare_root_ports: int | None = key(
        Integer(min=1, max=16),
        default=None,
        doc="PCIe root ports no device uses, after the devices, for `genqemu hotplug` "
        "(q35, arm64 and riscv64 virt, whose root bus has no hot-plug)",
    )

    def validate(self, problems: Problems) -> None:
        # genqemu emits these itself; a second one on the command line would win silently.
        for name in ("type", "accel"):
            if name in self.options:
                problems.add(
                    f"{self.toml_path}.options.{name}",
                    f"genqemu sets {name} from machine.{name}: set it there instead",
                )


class Cpu(Model):
    """`-cpu MODEL,FEATURE=on|off`."""

    model: str | None = key(
        Text(pattern=r"[^,]+\Z", hint=_NO_COMMA),
        default=None,
        doc="CPU model; default: the arch profile's default, else QEMU's",
    )
    features: Mapping[str, Any] = key(
        _CPU_FEATURES, default={}, doc="CPU properties, e.g. { pmu = false }"
    )


class Smp(Model):
    """`-smp CPUS,sockets=,cores=,threads=,maxcpus=`."""

    cpus: int = key(Integer(min=1), doc="number of CPUs at start")
    sockets: int | None = key(Integer(min=1), default=None, doc="CPU sockets")
    cores: int | None = key(Integer(min=1), default=None, doc="cores per socket")
    threads: int | None = key(Integer(min=1), default=None, doc="threads per core")
    maxcpus: int | None = key(
        Integer(min=1), default=None, doc="maximum number of CPUs, for hotplug (>= cpus)"
    )

    def validate(self, problems: Problems) -> None:
        total = self.maxcpus or self.cpus
        if self.maxcpus is not None and self.maxcpus < self.cpus:
            problems.add(
                f"{self.toml_path}.maxcpus", f"must be >= cpus ({self.cpus}), got {self.maxcpus}"
            )
        elif None not in (self.sockets, self.cores, self.threads):
            product = (self.sockets or 1) * (self.cores or 1) * (self.threads or 1)
            if product != total:
                what = "maxcpus" if self.maxcpus else "cpus"
                problems.add(
                    self.toml_path,
                    f"sockets * cores * threads = {product} must equal {what} ({total}): "
                    "change one of them",
                )


# Where `hugepages = true` backs guest RAM: hugetlbfs's usual mount point.
HUGEPAGES = "/dev/hugepages"


class Memory(Model):
    """`-m SIZE,slots=,maxmem=`."""

    size: int = key(Size(min=MIB, multiple=MIB), doc='guest RAM, e.g. "2G"')
    slots: int | None = key(
        Integer(min=1, max=256), default=None, doc="hotplug memory slots (needs maxmem)"
    )
    maxmem: int | None = key(
        Size(multiple=MIB), default=None, doc="maximum RAM including hotplugged memory (>= size)"
    )
    hugepages: bool = key(
        Boolean(),
        default=False,
        doc="back RAM with huge pages: a file under mem_path (default /dev/hugepages)",
    )
    mem_path: str | None = key(
        PATH, default=None, doc="back RAM with a file in this directory (e.g. /dev/shm)"
    )
    share: bool | None = key(
        Boolean(),
        default=None,
        doc="map RAM shared (vhost-user backends need it): a memfd, or a file under mem_path",
    )
    prealloc: bool | None = key(Boolean(), default=None, doc="allocate all RAM at start")

    @property
    def backed(self) -> bool:
        """Whether RAM needs an explicit backend object (memory-backend-ram or -file)."""
        return bool(self.hugepages or self.mem_path or self.share or self.prealloc)

    @property
    def backend_path(self) -> str | None:
        """The directory of file-backed RAM, if any."""
        return self.mem_path or (HUGEPAGES if self.hugepages else None)

    def validate(self, problems: Problems) -> None:
        if self.slots is not None and self.maxmem is None:
            problems.add(f"{self.toml_path}.slots", "needs maxmem: set memory.maxmem as well")
        if self.maxmem is not None and self.maxmem < self.size:
            problems.add(
                f"{self.toml_path}.maxmem",
                f"must be >= size ({format_size(self.size)}), got {format_size(self.maxmem)}",
            )


class Kernel(Model):
    """Direct kernel boot: `-kernel`, `-initrd`, `-append`."""

    path: str = key(PATH, doc="kernel image on the host that runs QEMU")
    initrd: str | None = key(PATH, default=None, doc="initial ramdisk")
    append: str | None = key(Text(), default=None, doc="kernel command line")


class Qmp(Model):
    """A QMP monitor on a unix socket: `-chardev socket` + `-mon`. QEMU creates
    the socket at `path`, or takes a listening one that the process running the
    script already holds on descriptor `fd` (as kata's runtime passes it)."""

    id_prefix: ClassVar[str] = "qmp"
    id: str | None = key(ID, default=None, doc="chardev id; default qmp0, qmp1, ...")
    path: str | None = key(PATH, default=None, doc="unix socket path (or fd)")
    fd: int | None = key(
        Integer(min=3, max=1023),
        default=None,
        doc="a listening unix socket the caller passes on this descriptor (or path); "
        "it must not be one genqemu numbers for the files the script opens",
    )
    server: bool = key(Boolean(), default=True, doc="QEMU listens (true) or connects (false)")
    wait: bool = key(
        Boolean(), default=False, doc="as a server, wait for a client before starting the guest"
    )

    def validate(self, problems: Problems) -> None:
        if (self.path is None) == (self.fd is None):
            problems.add(self.toml_path, "set exactly one of path and fd")
        elif self.fd is not None and not self.server:
            problems.add(
                f"{self.toml_path}.server",
                "a passed descriptor is a listening socket, so QEMU is the server: remove it",
            )


class Global(Model):
    """`-global driver=D,property=P,value=V`."""

    driver: str = key(Text(pattern=PROPERTY, hint=PROPERTY_HINT), doc="QEMU driver name")
    property: str = key(Text(pattern=PROPERTY, hint=PROPERTY_HINT), doc="property name")
    value: Any = key(Scalar(), doc="the value")


class Iothread(Model):
    """`-object iothread,id=`: an event loop thread disks can run in."""

    id: str = key(ID, doc="id that devices name in their iothread key")
    poll_max_ns: int | None = key(Integer(min=0), default=None, doc="busy-poll time in nanoseconds")


class FwCfg(Model):
    """`-fw_cfg name=NAME,file=FILE` or `string=STRING`: a blob the firmware and guest read."""

    name: str = key(
        Text(
            pattern=r"[^,]+\Z",
            hint="1-55 bytes, no comma; QEMU wants names under opt/",
            max_len=55,  # bytes, as QEMU counts: "name too long (max. 55 char)"
        ),
        doc="item name, e.g. opt/com.example/config",
    )
    file: str | None = key(PATH, default=None, doc="host file with the content")
    string: str | None = key(Text(), default=None, doc="the content itself")

    def validate(self, problems: Problems) -> None:
        if (self.file is None) == (self.string is None):
            problems.add(self.toml_path, "set exactly one of file and string")


class Config(Model):
    """A whole VM description."""

    unmodelled: ClassVar[str] = (
        "a QEMU option genqemu does not model goes in extra_args, as QEMU writes it: "
        'extra_args = ["-boot", "menu=on"]'
    )

    name: str | None = key(NAME, default=None, doc="guest name (`-name guest=`)")
    uuid: str | None = key(
        Text(pattern=_UUID, hint="write a UUID like '8e5bd3a5-9a1d-4d5e-8a7a-0b6b6a6b6a6b'"),
        default=None,
        doc="system UUID",
    )
    binary: str | None = key(
        Text(
            pattern=r"[^-]",
            hint="it cannot start with '-', which the shell's exec reads as an option: "
            "write './NAME' for a program in the current directory",
        ),
        default=None,
        doc="QEMU binary to run; default: the arch profile's",
    )
    qemu_version: str | None = key(
        Text(pattern=VERSION_PATTERN, hint="write MAJOR.MINOR, e.g. 10.0"),
        default=None,
        doc="the QEMU version the script is for (`--qemu-version` wins): what it lacks "
        "is refused, naming the version it needs; default: the arch profile's",
    )
    machine: Machine | None = key(Table(Machine), default=None, doc="machine type and options")
    cpu: Cpu | None = key(Table(Cpu), default=None, doc="CPU model and features")
    smp: Smp | None = key(Table(Smp), default=None, doc="CPU topology")
    memory: Memory | None = key(Table(Memory), default=None, doc="guest RAM")
    numa: tuple[NumaNode, ...] = key(
        ListOf(Table["NumaNode"]("genqemu.numa:NumaNode")),
        default=[],
        doc="NUMA nodes, numbered in this order (`-numa node`), each with its vCPUs, its "
        "share of memory.size (its own RAM backend, with [memory]'s options) and distances",
    )
    kernel: Kernel | None = key(Table(Kernel), default=None, doc="direct kernel boot")
    firmware: Firmware | None = key(
        Table(Firmware),
        default=None,
        doc="boot firmware: UEFI (Secure Boot) from QEMU's descriptors",
    )
    bios: str | None = key(PATH, default=None, doc="firmware image (`-bios`)")
    pflash: tuple[FlashImage, ...] = key(
        ListOf(PathOrImage()),
        default=[],
        doc="flash images in unit order (`-drive if=pflash`), each a path (read-write) or "
        "{ file = PATH, read_only = true }; [firmware] is the safer way to UEFI",
    )
    smbios: Smbios | None = key(
        Table["Smbios"]("genqemu.smbios:Smbios"),
        default=None,
        doc="DMI tables: BIOS, system, board and chassis makers",
    )
    vga: str | None = key(
        Text(choices=("std", "cirrus", "vmware", "qxl", "virtio", "none")),
        default=None,
        doc="the machine's VGA card (`-vga`); with graphics [[device]]s only 'none'",
    )
    rtc: Rtc | None = key(Table["Rtc"]("genqemu.runtime:Rtc"), default=None, doc="real-time clock")
    no_user_config: bool = key(
        Boolean(), default=True, doc="ignore the host's QEMU config files (`-no-user-config`)"
    )
    nodefaults: bool = key(
        Boolean(),
        default=True,
        doc="create no device that the config does not name (`-nodefaults`)",
    )
    nographic: bool = key(Boolean(), default=False, doc="no graphical output (`-nographic`)")
    display: Display | None = key(DISPLAY, default=None, doc="the screen, by type (default: none)")
    no_reboot: bool = key(Boolean(), default=False, doc="exit instead of rebooting")
    no_shutdown: bool = key(
        Boolean(), default=False, doc="stop instead of exiting when the guest powers off"
    )
    daemonize: bool = key(Boolean(), default=False, doc="detach from the terminal")
    stopped: bool = key(Boolean(), default=False, doc="start with the CPUs stopped (`-S`)")
    iommu_platform: bool = key(
        Boolean(),
        default=False,
        doc="set iommu_platform=on on every virtio device that does not say otherwise",
    )
    overcommit: Overcommit | None = key(
        Table["Overcommit"]("genqemu.runtime:Overcommit"),
        default=None,
        doc="`-overcommit` settings",
    )
    sandbox: Sandbox | None = key(
        Table["Sandbox"]("genqemu.runtime:Sandbox"), default=None, doc="seccomp filter"
    )
    pidfile: str | None = key(PATH, default=None, doc="file QEMU writes its pid to")
    logfile: str | None = key(PATH, default=None, doc="QEMU's debug log (`-D`)")
    qmp: tuple[Qmp, ...] = key(ListOf(Table(Qmp)), default=[], doc="QMP monitor sockets")
    monitor: tuple[Monitor, ...] = key(
        ListOf(Table["Monitor"]("genqemu.monitor:Monitor")),
        default=[],
        doc="HMP or QMP monitors on a [[chardev]]",
    )
    global_: tuple[Global, ...] = key(
        ListOf(Table(Global)), default=[], toml="global", doc="driver property defaults (`-global`)"
    )
    iothread: tuple[Iothread, ...] = key(ListOf(Table(Iothread)), default=[], doc="I/O threads")
    chardev: tuple[Any, ...] = key(
        ListOf(CHARDEV), default=[], doc="character backends that devices name by id"
    )
    fw_cfg: tuple[FwCfg, ...] = key(ListOf(Table(FwCfg)), default=[], doc="firmware config items")
    confidential: Confidential | None = key(
        CONFIDENTIAL, default=None, doc="confidential-guest object (by type)"
    )
    incoming: Incoming | None = key(
        INCOMING, default=None, doc="wait for an incoming migration (by type)"
    )
    tpm: Tpm | None = key(
        TPM,
        default=None,
        doc="a TPM 2.0 (by backend): swtpm (emulator) or the host's (passthrough); the "
        "device model is the machine's (tpm-crb on q35, tpm-tis on pc, ...)",
    )
    run_as: RunAs | None = key(
        Table["RunAs"]("genqemu.process:RunAs"), default=None, doc="user and groups QEMU runs as"
    )
    device: tuple[Device, ...] = key(ListOf(DEVICE), default=[], doc="guest devices, in bus order")
    extra_args: tuple[str, ...] = key(
        ListOf(Text()),
        default=[],
        doc="QEMU arguments genqemu does not model, appended as written (QEMU syntax: "
        'not escaped, only quoted for the shell), e.g. ["-device", "usb-tablet"]',
    )
