"""Entropy, memory balloon, host sockets, shared folders, panic and loader devices."""

from __future__ import annotations

from typing import TYPE_CHECKING

from genqemu.checks import PATH
from genqemu.devices.base import Device, VhostUserDevice, VirtioDevice, backend_id_key
from genqemu.schema import Problems, key
from genqemu.values import Boolean, Integer, Text

if TYPE_CHECKING:
    from genqemu.config import Config


class VirtioRng(VirtioDevice):
    """A hardware random number generator for the guest."""

    kind = "virtio-rng"
    id_prefix = "rng"
    backend_prefix = "rng-"
    backend_id: str = backend_id_key("rng object", "rng-")
    filename: str | None = key(
        PATH,
        default=None,
        doc="host entropy source (rng-random); default: QEMU's built-in generator (rng-builtin)",
    )
    max_bytes: int | None = key(
        Integer(min=1), default=None, doc="bytes the guest may read per period"
    )
    period: int | None = key(Integer(min=1), default=None, doc="period in milliseconds")


class VirtioBalloon(VirtioDevice):
    """A memory balloon."""

    kind = "virtio-balloon"
    id_prefix = "balloon"
    deflate_on_oom: bool | None = key(
        Boolean(), default=None, doc="give memory back when the guest runs out"
    )
    free_page_reporting: bool | None = key(
        Boolean(), default=None, doc="tell the host which pages are free"
    )


class VhostVsock(VirtioDevice):
    """A virtio socket to the host (QEMU opens /dev/vhost-vsock unless vhostfd says)."""

    kind = "vhost-vsock"
    id_prefix = "vsock"
    guest_cid: int = key(
        Integer(min=3, max=2**32 - 2, hint="0-2 are reserved and 4294967295 is VMADDR_CID_ANY"),
        doc="the guest's context id, 3 to 4294967294, unique on the host",
    )
    vhostfd: str | None = key(
        PATH,
        default=None,
        doc="open this vhost-vsock device (e.g. /dev/vhost-vsock) in the script and pass "
        "it as vhostfd",
    )

    def inherited_files(self) -> list[tuple[str, str, str]]:
        return [] if self.vhostfd is None else [("vhostfd", self.vhostfd, "rw")]


class Virtio9p(VirtioDevice):
    """A host directory shared over 9p (`-fsdev` + `virtio-9p`): QEMU reads it
    itself (fsdriver local) or through virtfs-proxy-helper (fsdriver proxy)."""

    kind = "virtio-9p"
    id_prefix = "fs"
    backend_prefix = "fsdev-"
    backend_id: str = backend_id_key("-fsdev", "fsdev-")
    fsdriver: str = key(
        Text(choices=("local", "proxy")),
        default="local",
        doc="local, or proxy (QEMU's 'handle' driver is gone since 6.0)",
    )
    path: str | None = key(PATH, default=None, doc="host directory to share (local)")
    security_model: str | None = key(
        Text(choices=("mapped-xattr", "mapped-file", "passthrough", "none")),
        default=None,
        doc="how guest file ownership is stored (local, required): mapped-xattr, "
        "mapped-file, passthrough (needs root) or none",
    )
    socket: str | None = key(
        PATH, default=None, doc="unix socket of virtfs-proxy-helper (proxy, required)"
    )
    mount_tag: str = key(
        Text(pattern=r".", hint="cannot be empty", max_len=31),
        doc="tag the guest mounts, e.g. mount -t 9p TAG /mnt",
    )
    readonly: bool | None = key(Boolean(), default=None, doc="export read-only")
    multidevs: str | None = key(
        Text(choices=("remap", "forbid", "warn")),
        default=None,
        doc="what to do with several host file systems under path (local)",
    )

    def validate(self, problems: Problems) -> None:
        super().validate(problems)
        local = self.fsdriver == "local"
        needed = ("path", "security_model") if local else ("socket",)
        unused = ("socket",) if local else ("path", "security_model", "multidevs")
        for name in needed:
            if getattr(self, name) is None:
                problems.add(
                    f"{self.toml_path}.{name}", f"required with fsdriver {self.fsdriver!r}: set it"
                )
        for name in unused:
            if getattr(self, name) is not None:
                problems.add(
                    f"{self.toml_path}.{name}",
                    f"does not apply to fsdriver {self.fsdriver!r}: remove it",
                )


class VhostUserFs(VhostUserDevice):
    """A host directory shared by a virtiofsd backend."""

    kind = "vhost-user-fs"
    id_prefix = "vufs"
    drop_keys = ("disable_modern", "disable_legacy")  # virtio 1.0 only: QEMU has neither
    tag: str = key(
        Text(pattern=r".", hint="cannot be empty", max_len=36),
        doc="tag the guest mounts, e.g. mount -t virtiofs TAG /mnt",
    )
    queue_size: int | None = key(
        Integer(min=1, max=1024), default=None, doc="requests per queue (a power of two)"
    )
    num_request_queues: int | None = key(
        Integer(min=1, max=1024), default=None, doc="number of request queues"
    )


class Pvpanic(Device):
    """Tells the host when the guest panics: the ISA pvpanic on amd64,
    pvpanic-pci elsewhere (the arch profile names the driver). With the
    top-level no_shutdown, a panicked guest stays for inspection."""

    kind = "pvpanic"
    id_prefix = "panic"
    events: int | None = key(
        Integer(min=0, max=7),
        default=None,
        doc="events reported: bit 0 panicked, bit 1 crash loaded, bit 2 shutdown",
    )


class Loader(Device):
    """Loads a file (or a value) into guest memory at start (`-device loader`)."""

    kind = "loader"
    id_prefix = "loader"
    file: str = key(PATH, doc="file to load")
    addr: int | None = key(
        Integer(min=0, max=2**64 - 1),
        default=None,
        doc="guest physical address; default: the file's own (ELF, U-Boot image)",
    )
    cpu_num: int | None = key(Integer(min=0), default=None, doc="CPU whose PC is set to it")
    force_raw: bool | None = key(Boolean(), default=None, doc="load as a raw image")

    def check_config(self, config: Config, problems: Problems) -> None:
        cpus = config.smp.cpus if config.smp else 1
        if self.cpu_num is not None and self.cpu_num >= cpus:
            # QEMU 7.2: "Specified boot CPU#N is nonexistent".
            problems.add(
                f"{self.toml_path}.cpu_num",
                f"CPU {self.cpu_num} does not exist: the VM starts with {cpus} "
                "(numbered from 0); lower cpu_num or raise smp.cpus",
            )
