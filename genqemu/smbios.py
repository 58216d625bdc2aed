"""`[smbios]`: what the guest's DMI tables say about its maker (`-smbios type=N`).

One sub-table per SMBIOS structure, named for what it describes (bios,
system, baseboard, chassis) rather than its type number, with the field
names QEMU uses: a user who reads `dmidecode` output or /sys/class/dmi/id
finds the same words. The system UUID is not here: QEMU writes the VM's
`uuid` (-uuid) into the type 1 structure, and `type=1,uuid=` would set that
same value a second way. Which arches have SMBIOS is a profile fact.
"""

from __future__ import annotations

from genqemu.schema import Model, Problems, Table, key
from genqemu.values import ListOf, Text

# An SMBIOS string is a count of its bytes and cannot be empty (0 means "none").
_STRING = Text(pattern=r".", hint="an SMBIOS string cannot be empty: remove the key")
_RELEASE = Text(pattern=r"\d{1,3}\.\d{1,3}\Z", hint="write MAJOR.MINOR, each 0-255, e.g. '1.2'")
_DATE = Text(pattern=r"\d\d/\d\d/\d{4}\Z", hint="SMBIOS dates are MM/DD/YYYY, e.g. '01/31/2024'")


class _Structure(Model):
    """One SMBIOS structure: an empty table would emit nothing, so it is refused."""

    def validate(self, problems: Problems) -> None:
        self.require_one_key(problems)


class Bios(_Structure):
    """Type 0, BIOS information."""

    vendor: str | None = key(_STRING, default=None, doc="BIOS vendor")
    version: str | None = key(_STRING, default=None, doc="BIOS version")
    date: str | None = key(_DATE, default=None, doc="release date, MM/DD/YYYY")
    release: str | None = key(_RELEASE, default=None, doc="BIOS release MAJOR.MINOR")


class System(_Structure):
    """Type 1, system information (its UUID is the VM's top-level `uuid`)."""

    manufacturer: str | None = key(_STRING, default=None, doc="system manufacturer")
    product: str | None = key(_STRING, default=None, doc="product name")
    version: str | None = key(_STRING, default=None, doc="product version")
    serial: str | None = key(_STRING, default=None, doc="serial number")
    sku: str | None = key(_STRING, default=None, doc="SKU number")
    family: str | None = key(_STRING, default=None, doc="product family")


class Baseboard(_Structure):
    """Type 2, baseboard (motherboard) information."""

    manufacturer: str | None = key(_STRING, default=None, doc="board manufacturer")
    product: str | None = key(_STRING, default=None, doc="board product name")
    version: str | None = key(_STRING, default=None, doc="board version")
    serial: str | None = key(_STRING, default=None, doc="board serial number")
    asset: str | None = key(_STRING, default=None, doc="asset tag")
    location: str | None = key(_STRING, default=None, doc="location in the chassis")


class Chassis(_Structure):
    """Type 3, system enclosure or chassis."""

    manufacturer: str | None = key(_STRING, default=None, doc="chassis manufacturer")
    version: str | None = key(_STRING, default=None, doc="chassis version")
    serial: str | None = key(_STRING, default=None, doc="chassis serial number")
    asset: str | None = key(_STRING, default=None, doc="asset tag")
    sku: str | None = key(_STRING, default=None, doc="SKU number")


class Smbios(Model):
    """`-smbios type=0|1|2|3|11`: the guest's DMI tables (arm64: through UEFI only)."""

    bios: Bios | None = key(Table(Bios), default=None, doc="type 0: BIOS information")
    system: System | None = key(Table(System), default=None, doc="type 1: system information")
    baseboard: Baseboard | None = key(
        Table(Baseboard), default=None, doc="type 2: baseboard information"
    )
    chassis: Chassis | None = key(Table(Chassis), default=None, doc="type 3: chassis information")
    oem_strings: tuple[str, ...] = key(
        ListOf(_STRING),
        default=[],
        doc="type 11: OEM strings, in order (cloud-init reads 'ds=nocloud;s=URL' from one)",
    )

    def validate(self, problems: Problems) -> None:
        if not self.oem_strings and all(
            getattr(self, name) is None for name in ("bios", "system", "baseboard", "chassis")
        ):
            problems.add(
                self.toml_path,
                "is empty: set at least one of bios, system, baseboard, chassis, oem_strings",
            )
