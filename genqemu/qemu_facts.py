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

# The names the templates know these tables by.
GLOBALS: dict[str, object] = {
    "cache_modes": CACHE_MODES,
    "confidential_properties": CONFIDENTIAL_PROPERTIES,
}
