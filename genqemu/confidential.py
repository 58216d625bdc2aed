"""Confidential-guest objects (`[confidential]`): memory encryption and secure execution.

Each is one `-object TYPE,id=...` that the machine names in
confidential-guest-support=; each exists on one architecture only (the
profile lists it), and needs KVM on matching hardware to start.
"""

from __future__ import annotations

from typing import ClassVar

from genqemu.checks import ID, PATH
from genqemu.schema import Model, key
from genqemu.values import Boolean, Integer


class Confidential(Model):
    """`-object TYPE,id=ID` + `-machine confidential-guest-support=ID`."""

    type: ClassVar[str] = ""
    id: str = key(ID, default="cgs0", doc="object id")

    def descriptor_features(self) -> set[str]:
        """What a firmware descriptor must list to boot this guest (QEMU's
        docs/interop/firmware.json names): [firmware] type = "uefi" requires them."""
        return set()


class SevGuest(Confidential):
    """AMD SEV memory encryption (amd64)."""

    type = "sev-guest"
    cbitpos: int = key(Integer(min=1, max=63), doc="C-bit position in page table entries, e.g. 47")
    reduced_phys_bits: int = key(
        Integer(min=1, max=63), doc="physical address bits the C-bit takes away, e.g. 1"
    )
    policy: int | None = key(
        Integer(min=0, max=2**32 - 1), default=None, doc="SEV policy bits (QEMU's default 0x1)"
    )
    firmware: str | None = key(
        PATH,
        default=None,
        doc="SEV-capable OVMF image, mapped read-only as the first flash drive",
    )

    def descriptor_features(self) -> set[str]:
        # Policy bit 2 asks for SEV-ES (encrypted register state).
        return {"amd-sev", "amd-sev-es"} if (self.policy or 0) & 0x4 else {"amd-sev"}

    kernel_hashes: bool | None = key(
        Boolean(), default=None, doc="measure -kernel, -initrd and -append into the launch"
    )
    sev_device: str | None = key(
        PATH, default=None, doc="host SEV device (QEMU's default /dev/sev)"
    )


class TdxGuest(Confidential):
    """Intel TDX trust domain (amd64; needs QEMU 10.1: state it with qemu_version)."""

    type = "tdx-guest"
    debug: bool | None = key(Boolean(), default=None, doc="debuggable trust domain")

    def descriptor_features(self) -> set[str]:
        return {"intel-tdx"}


class S390PvGuest(Confidential):
    """IBM Secure Execution protected virtualization (s390x)."""

    type = "s390-pv-guest"


class PefGuest(Confidential):
    """Power protected execution facility (ppc64le); pair it with a spapr-tpm-proxy device."""

    type = "pef-guest"
