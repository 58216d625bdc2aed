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


# The SPICE agent: its chardev backend, the SPICE channel it carries and the
# port name spice-vdagent opens in the guest.
SPICE_AGENT = {"backend": "spicevmc", "channel": "vdagent", "port": "com.redhat.spice.0"}

# The names the templates know these tables by.
GLOBALS: dict[str, object] = {
    "cache_modes": CACHE_MODES,
    "confidential_properties": CONFIDENTIAL_PROPERTIES,
    "monitor_modes": MONITOR_MODES,
    "smbios_types": SMBIOS_TYPES,
    "smbios_oem_type": SMBIOS_OEM_TYPE,
    "spice_agent": SPICE_AGENT,
}
