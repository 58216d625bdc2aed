"""What every device kind shares: ids, transports, PCI placement, resolution hooks.

A device class declares its keys and, as class variables, what resolution
needs: `kind` (QEMU's driver name without a transport suffix), whether the
driver takes the transport suffix (`virtio`), the prefixes of its automatic
id and of its backend's id. Which transports a kind attaches over, and which
keys apply on each transport, are arch facts: the profiles say them. Its
template is templates/<kind>.j2 unless it names another.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from genqemu.checks import ID, NAME, PATH, Ref
from genqemu.devices.kinds import KINDS
from genqemu.schema import Field, Model, Problems, Tagged, key
from genqemu.values import Boolean, Text

if TYPE_CHECKING:
    from genqemu.config import Config
    from genqemu.profiles import Profile

DEVNO = Text(
    pattern=r"[0-9a-fA-F]{1,2}\.[0-3]\.[0-9a-fA-F]{1,4}\Z",
    hint="a CCW device number is CSSID.SSID.DEVNO in hex, e.g. 'fe.0.0001'",
)
PCI_ADDR = Text(
    pattern=r"(0x)?[01]?[0-9a-fA-F](\.[0-7])?\Z",
    hint="a PCI address is SLOT[.FUNCTION] in hex, slot 0-1f, function 0-7, e.g. '0x3' or '1f.2'",
)
# Devices a PCI device can sit behind, besides the machine's root bus.
PCI_BUSES = ("pcie-root-port", "pci-bridge", "pcie-pci-bridge", "pxb-pcie")


class PciBus(Ref):
    """The id of a bridge or root port, or the machine's root bus (pcie.0, pci.0)."""

    def __init__(self) -> None:
        super().__init__(*PCI_BUSES)
        self._source = None  # pci.0 and pcie.0 are not ids; resolve checks the name

    def type_text(self) -> str:
        return "id of a " + ", ".join(PCI_BUSES) + " or the machine's root bus"


class Device(Model):
    """A guest device; subclasses set `kind` and declare their keys."""

    kind: ClassVar[str] = ""
    id_prefix: ClassVar[str] = "dev"
    backend_prefix: ClassVar[str] = ""  # derived id of the host-side backend
    virtio: ClassVar[bool] = False  # driver = kind + the transport's suffix
    template: ClassVar[str] = ""
    chassis_key: ClassVar[str] = ""  # the key of a root port's or bridge's chassis number
    # Found once per class, from the declared keys:
    transport_bound: ClassVar[tuple[Field[Any], ...]] = ()  # keys that apply per transport
    references: ClassVar[tuple[tuple[Field[Any], Ref], ...]] = ()  # keys naming another entry
    unmodelled: ClassVar[str] = (
        "a property genqemu does not model: pass the whole device in extra_args instead, "
        'as QEMU writes it (extra_args = ["-device", "DRIVER,id=ID,PROPERTY=VALUE"])'
    )

    id: str = key(ID, default=None, doc="device id; default: the kind's prefix and a number")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind and not cls.template:
            cls.template = f"{cls.kind}.j2"
        fields = cls.fields.values()
        cls.transport_bound = tuple(f for f in fields if f.per_transport)
        cls.references = tuple((f, f.check) for f in fields if isinstance(f.check, Ref))

    @property
    def needs_shared_memory(self) -> bool:
        """The device's backend maps guest RAM (vhost-user): RAM must be shared."""
        return False

    def machine_options(self) -> dict[str, Any]:
        """Machine options this device needs (an IOMMU's kernel-irqchip, ...)."""
        return {}

    def inherited_files(self) -> list[tuple[str, str, str]]:
        """Files QEMU must inherit for this device: (role, path, mode "rw" or "r")."""
        return []

    def check_config(self, config: Config, problems: Problems) -> None:
        """Rules between this device and the rest of the config."""

    def check_profile(self, profile: Profile, problems: Problems) -> None:
        """Rules between this device and the arch's facts."""

    def qemu_spellings(self) -> list[tuple[str, str]]:
        """(key, QEMU spelling) of what this device makes QEMU build, for the
        version gate (qemu_facts.SINCE): a kind newer QEMUs added is listed there."""
        return [("kind", self.kind)]


DEVICE: Tagged[Device] = Tagged(
    "kind",
    Device,
    unmodelled="a device genqemu does not model goes in extra_args, as QEMU writes it: "
    'extra_args = ["-device", "{name},id=ID,..."]',
    index=KINDS,
    package=__name__.rpartition(".")[0],
)


def backend_id_key(backend: str, prefix: str) -> Any:
    """The `backend_id` key of a kind whose host-side backend is `backend`."""
    return key(ID, default=None, doc=f"id of its {backend}; default: {prefix} and the device id")


class PciDevice(Device):
    """Where a PCI device sits: a bus and a slot."""

    bus: str | None = key(
        PciBus(),
        default=None,
        per_transport=True,
        doc="id of the bridge or root port it sits behind, or the root bus; default: QEMU's choice",
    )
    addr: str | None = key(
        PCI_ADDR, default=None, per_transport=True, doc='slot and function on that bus, e.g. "0x3"'
    )
    multifunction: bool | None = key(
        Boolean(), default=None, per_transport=True, doc="the slot holds several functions"
    )


class VirtioDevice(PciDevice):
    """A virtio device: its driver is `kind` plus the transport suffix."""

    virtio = True
    transport: str | None = key(
        NAME,
        default=None,
        doc="virtio transport as the arch profile names it (pci, ccw, mmio in the shipped "
        "ones); default: the machine's",
    )
    devno: str | None = key(
        DEVNO,
        default=None,
        per_transport=True,
        doc="CCW device number; default: the next free fe.0.NNNN",
    )
    iommu_platform: bool | None = key(
        Boolean(), default=None, doc="use the platform IOMMU; default: the top-level knob"
    )
    romfile: str | None = key(
        Text(),
        default=None,
        per_transport=True,
        doc="option ROM file; an empty string disables it",
    )
    disable_modern: bool | None = key(
        Boolean(), default=None, per_transport=True, doc="offer only the legacy virtio interface"
    )
    disable_legacy: bool | None = key(
        Boolean(), default=None, per_transport=True, doc="offer only the modern virtio interface"
    )

    def validate(self, problems: Problems) -> None:
        super().validate(problems)
        # QEMU 7.2: "device cannot work as neither modern nor legacy mode is enabled".
        # vhost-user-fs has neither key (drop_keys).
        if getattr(self, "disable_modern", None) and getattr(self, "disable_legacy", None):
            problems.add(
                f"{self.toml_path}.disable_legacy",
                "cannot be true with disable_modern = true: the device would offer no "
                "virtio interface at all; set one of them to false",
            )


class VhostUserDevice(VirtioDevice):
    """A virtio device whose backend is a vhost-user process on a unix socket."""

    backend_prefix = "char-"
    backend_id: str = backend_id_key("socket chardev", "char-")
    socket: str = key(PATH, doc="unix socket of the vhost-user backend (QEMU connects to it)")

    @property
    def needs_shared_memory(self) -> bool:
        return True
