"""Parity with govmm (kata-containers' Go library): where each Go field went.

Data for docs/config.md. tests/test_reference.py checks that every genqemu
key named here exists, so the table cannot point at keys that are gone.
Key paths: `memory.size` walks tables from the top level; `device virtio-blk:
serial` is a key of one kind of a tagged table (device, chardev, netdev,
confidential, incoming).
"""

from __future__ import annotations

# (Go type.field, genqemu key path, note)
GO_FIELDS: list[tuple[str, str, str]] = [
    ("Config.Path", "binary", "default: the arch profile's binary"),
    ("Config.Name", "name", ""),
    ("Config.UUID", "uuid", ""),
    ("Config.Uid / Gid / Groups", "run_as", "setpriv prefix in the script"),
    ("Config.CPUModel", "cpu.model", ""),
    ("Config.SeccompSandbox", "sandbox", "a table of the -sandbox options"),
    ("Config.VGA", "vga", ""),
    ("Config.Bios", "bios", ""),
    ("Config.PFlash", "pflash", ""),
    ("Config.GlobalParam", "global", "a list of driver/property/value tables"),
    ("Config.PidFile", "pidfile", ""),
    ("Config.LogFile", "logfile", ""),
    ("Config.FwCfg (Name, File, Str)", "fw_cfg", "name + file or string, never both"),
    ("Config.IOThreads", "iothread", ""),
    (
        "Config.fds (extra files)",
        "device virtio-net: netdev",
        "named by path where they are used: macvtap device, vhost_device, vsock vhostfd, "
        "incoming fd",
    ),
    ("Machine.Type / Acceleration / Options", "machine", "type, accel, options"),
    (
        "QMPSocket (Type, Name, Server, NoWait; FD in later govmm)",
        "qmp",
        "path or fd, server, wait",
    ),
    ("SMP (CPUs, Cores, Threads, Sockets, MaxCPUs)", "smp", "maxcpus >= cpus is checked"),
    ("Memory (Size, Slots, MaxMem, Path)", "memory", "size, slots, maxmem, mem_path"),
    ("Kernel (Path, InitrdPath, Params)", "kernel", "path, initrd, append"),
    ("RTC (Base, Clock, DriftFix)", "rtc", "base, clock, driftfix"),
    ("Knobs.NoUserConfig", "no_user_config", "default true"),
    ("Knobs.NoDefaults", "nodefaults", "default true"),
    ("Knobs.NoGraphic", "nographic", ""),
    ("Knobs.NoReboot", "no_reboot", ""),
    ("Knobs.NoShutdown", "no_shutdown", "also PVPanicDevice.NoShutdown"),
    ("Knobs.Daemonize", "daemonize", ""),
    ("Knobs.Stopped", "stopped", ""),
    ("Knobs.HugePages", "memory.hugepages", ""),
    ("Knobs.FileBackedMem", "memory.mem_path", ""),
    ("Knobs.MemShared", "memory.share", ""),
    ("Knobs.MemPrealloc", "memory.prealloc", ""),
    ("Knobs.Mlock", "overcommit.mem_lock", "-overcommit mem-lock=on (-realtime is gone)"),
    ("Knobs.IOMMUPlatform", "iommu_platform", "per device too"),
    ("Incoming (exec, fd, defer)", "incoming", "type = exec | fd | defer"),
    ("Object memory-backend-file + nvdimm", "device nvdimm: file", "size, share, readonly"),
    (
        "Object sev-guest (CBitPos, ReducedPhysBits, File)",
        "confidential sev-guest: cbitpos",
        "reduced_phys_bits, firmware",
    ),
    (
        "Object tdx-guest (Debug)",
        "confidential tdx-guest: debug",
        'amd64, QEMU 10.1 or newer (qemu_version = "10.1")',
    ),
    ("Object s390-pv-guest", "confidential s390-pv-guest: id", ""),
    (
        "Object pef-guest (+ spapr-tpm-proxy)",
        "confidential pef-guest: id",
        "with device kind spapr-tpm-proxy",
    ),
    (
        "FSDevice (virtio-9p)",
        "device virtio-9p: mount_tag",
        "fsdriver, path, security_model, multidevs, socket",
    ),
    ("CharDevice (backends)", "chardev socket: path", "socket, file, pipe, pty, serial, tty"),
    ("CharDevice (virtconsole, virtserialport)", "device virtconsole: chardev", "bus, name"),
    ("CharDevice (virtio-serial)", "device virtio-serial: max_ports", ""),
    ("LegacySerialDevice", "device serial: chardev", ""),
    ("SerialDevice.MaxPorts", "device virtio-serial: max_ports", ""),
    (
        "NetDevice tap (IFName, Script, DownScript, VHost)",
        "netdev tap: ifname",
        "also vethtap: QEMU opens the tap by name",
    ),
    (
        "NetDevice macvtap / ipvtap (FDs, VhostFDs)",
        "netdev macvtap: device",
        "vhost_device gives the vhost fds; queues > 1 gives mq=on",
    ),
    ("NetDevice vhost-user", "netdev vhost-user: socket", ""),
    ("NetDevice vfio", "device vfio-pci: host", "a passed-through NIC is a vfio-pci device"),
    ("NetDevice MACAddress", "device virtio-net: mac", ""),
    ("NetDevice Bus / Addr", "device virtio-net: bus", "addr too, kept as written"),
    (
        "BlockDevice (File, Format, AIO, ReadOnly, ShareRW)",
        "device virtio-blk: file",
        "format, aio, read_only, share_rw",
    ),
    ("BlockDevice.WCE", "device virtio-blk: config_wce", "false is govmm's config-wce=off"),
    (
        "VhostUserDevice blk / scsi / fs (Tag)",
        "device vhost-user-fs: tag",
        "kinds vhost-user-blk, vhost-user-scsi, vhost-user-fs",
    ),
    (
        "PCIeRootPortDevice",
        "device pcie-root-port: chassis",
        "slot, bus, addr, multifunction, *_reserve",
    ),
    (
        "VFIODevice (BDF, VendorID, DeviceID, Bus)",
        "device vfio-pci: x_pci_vendor_id",
        "host, x_pci_device_id, bus; vfio-ccw and vfio-ap kinds",
    ),
    ("SCSIController (IOThread)", "device virtio-scsi: iothread", ""),
    ("BridgeDevice pci-bridge (Chassis, SHPC)", "device pci-bridge: chassis_nr", "shpc"),
    ("BridgeDevice pcie-pci-bridge", "device pcie-pci-bridge: romfile", ""),
    ("VSOCKDevice (ContextID, VHostFD)", "device vhost-vsock: guest_cid", "vhostfd"),
    ("RngDevice (Filename, MaxBytes, Period)", "device virtio-rng: filename", "max_bytes, period"),
    ("BalloonDevice.DeflateOnOOM", "device virtio-balloon: deflate_on_oom", ""),
    (
        "IommuDev (Intremap, DeviceIotlb, CachingMode)",
        "device intel-iommu: intremap",
        "device_iotlb, caching_mode",
    ),
    ("PVPanicDevice", "device pvpanic: events", ""),
    ("LoaderDevice (File)", "device loader: file", ""),
    (
        "(all) DisableModern / ROMFile / DevNo / Transport",
        "device virtio-rng: transport",
        "disable_modern, romfile, devno on every virtio kind",
    ),
]

# What genqemu deliberately does differently from govmm.
DEFECTS_FIXED: list[str] = [
    "An invalid device, QMP socket or network type is an error with its TOML path, "
    "never dropped from the command line (govmm skipped anything !Valid(), which "
    "silently lost ipvtap, vethtap, vfio and vhost-user networks).",
    "Unsupported combinations (vhost-user-blk on CCW, a virtio device over MMIO on "
    "pseries) are validation errors naming the device, the arch and the transports "
    "that exist, not a log.Fatal.",
    "Every value inside a key=value option is comma-escaped and every argument is "
    "shell-quoted; control characters are refused.",
    "virtio-9p on CCW gets `iommu_platform=on` as its own property (govmm wrote "
    "`,,iommu_platform=on`, which became part of mount_tag).",
    "Each fw_cfg entry appears once (govmm repeated the whole list per entry).",
    "virtio-serial max_ports is emitted whenever it is set (govmm needed a romfile).",
    "Properties are checked against the device's own transport (govmm checked a "
    "bridge's romfile against an empty transport).",
    "PCI addresses are passed as written (govmm parsed decimal and printed hex).",
    "The target architecture is chosen per run (--arch) from a profile, and the binary "
    "comes from it (govmm used the build host's arch and qemu-system-x86_64).",
    "Deprecated or rejected fragments are gone: `readonly=on` instead of a bare "
    "`readonly`, no `scsi=` on virtio-blk (legacy virtio, deprecated by QEMU), no "
    "made-up `size=` on vhost-user-blk, `-overcommit mem-lock=` instead of `-realtime`; disks use "
    "`-blockdev`, which does not interpret `:` or `json:` in file names.",
    "Not carried over, because QEMU 7.2 has no such thing: the Windows-only `console` "
    "chardev backend, 9p `handle` fsdriver (removed in QEMU 6.0), vhost-user-fs "
    "`cache-size` (DAX was never merged) and its `versiontable`.",
    "-incoming does not add -S by itself: set `stopped = true` for govmm's behaviour.",
]
