"""QEMU's command-line options: which take an argument and how QEMU reads it.

Data, not logic. The arity of every option QEMU 7.2 knows was read from the
real binaries (`qemu-system-ARCH -version -OPTION` says "requires an argument"
exactly for those in WITH_ARGUMENT; tests/test_import_units.py asks again);
options added later or removed earlier are listed so that command lines
written for other versions still split into options correctly.

Both directions read it: the importer splits command lines with it, and
genqemu/passthrough.py checks a config's extra_args against it.
"""

from __future__ import annotations

FLAGS = frozenset(
    {
        # QEMU 7.2
        "h", "help", "version", "mem-prealloc", "audio-help", "snapshot", "usb",
        "nographic", "portrait", "full-screen", "win2k-hack", "no-fd-bootchk", "no-acpi",
        "no-hpet", "singlestep", "S", "s", "enable-kvm", "xen-attach", "xen-domid-restrict",
        "no-reboot", "no-shutdown", "daemonize", "only-migratable", "nodefaults",
        "semihosting", "old-param", "no-user-config", "enable-sync-profile", "preconfig",
        "async-teardown",
        # newer QEMU
        "perfmap", "jitdump",
        # older QEMU
        "enable-fips", "nodefconfig", "no-kvm", "no-kvm-irqchip", "no-kvm-pit",
        "no-kvm-pit-reinjection", "enable-nesting", "localtime", "alt-grab", "ctrl-grab",
        "no-quit", "sdl", "curses", "no-frame", "show-cursor", "rtc-td-hack", "enable-hax",
        "xen-create", "virtfs_synth",
    }
)  # fmt: skip

WITH_ARGUMENT = frozenset(
    {
        # QEMU 7.2
        "machine", "M", "cpu", "accel", "smp", "numa", "add-fd", "set", "global", "boot",
        "m", "mem-path", "k", "audio", "audiodev", "device", "name", "uuid", "fda", "fdb",
        "hda", "hdb", "hdc", "hdd", "cdrom", "blockdev", "drive", "mtdblock", "sd", "pflash",
        "fsdev", "virtfs", "iscsi", "usbdevice", "display", "spice", "rotate", "vga", "g",
        "vnc", "acpitable", "smbios", "netdev", "nic", "net", "object", "chardev", "tpmdev",
        "kernel", "append", "initrd", "dtb", "fw_cfg", "serial", "parallel", "monitor",
        "qmp", "qmp-pretty", "mon", "debugcon", "pidfile", "overcommit", "gdb", "d", "D",
        "dfilter", "seed", "L", "bios", "xen-domid", "action", "loadvm", "option-rom", "rtc",
        "icount", "watchdog-action", "echr", "incoming", "chroot", "runas", "prom-env",
        "semihosting-config", "sandbox", "readconfig", "trace", "plugin", "qtest",
        "qtest-log", "msg", "dump-vmstate", "compat",
        # newer QEMU
        "run-with", "shim",
        # older QEMU
        "soundhw", "watchdog", "writeconfig", "realtime", "tb-size", "startdate", "balloon",
        "clock", "hdachs", "virtioconsole", "bt", "redir", "tftp", "bootp", "smb", "pcidevice",
    }
)  # fmt: skip

# Options QEMU reads as `key=value,...` (QemuOpts or keyval), with the key an
# unnamed first item gets (None: the first item must be named too).
IMPLIED_KEY: dict[str, str | None] = {
    "machine": "type",
    "M": "type",
    "accel": "accel",
    "smp": "cpus",
    "numa": "type",
    "m": "size",
    "device": "driver",
    "name": "guest",
    "blockdev": "driver",
    "drive": None,
    "fsdev": "fsdriver",
    "virtfs": "fsdriver",
    "netdev": "type",
    "nic": "type",
    "net": "type",
    "object": "qom-type",
    "chardev": "backend",
    "mon": "chardev",
    "audiodev": "driver",
    "display": "type",
    "fw_cfg": "name",
    "global": None,
    "boot": "order",
    "rtc": None,
    "overcommit": None,
    "sandbox": "enable",
    "tpmdev": "type",
    "add-fd": None,
    "msg": None,
    "action": None,
    "icount": "shift",
    "spice": None,
    "vnc": "vnc",  # ui/vnc.c: QemuOpts with implied key vnc (host:display or unix:path)
    "iscsi": None,
    "acpitable": None,
    "smbios": None,  # "-smbios 1,serial=x": "Must specify type= or file="
    "run-with": None,
    "semihosting-config": "enable",
    "compat": None,
}

# Options that take QEMU's JSON syntax when their argument starts with '{'.
JSON_SYNTAX = frozenset({"device", "object", "netdev", "blockdev", "audiodev", "display", "compat"})

# Options QEMU 7.2 takes once: a second one silently wins (-m, -cpu, -smp, -name,
# -uuid, -kernel, -initrd, -append, -bios, -vga, -rtc keys, -pidfile, -D,
# -incoming), merges into the first (-machine, -M: a later type wins, earlier
# properties stay; -display replaces the display -nographic chose; genqemu
# writes -display none when neither [display] nor extra_args has one), resets
# what the first set (-overcommit: an unnamed key is off again; -sandbox), is
# an error (-accel after machine accel=), or is a no-op (the flags). Each maps
# to the config key that makes genqemu emit it: with that key in effect the
# option may not appear in extra_args too (genqemu/passthrough.py).
ONCE: dict[str, str] = {
    "name": "name",
    "uuid": "uuid",
    "machine": "machine.type",
    "M": "machine.type",
    "accel": "machine.accel",
    "cpu": "cpu.model",
    "smp": "smp",
    "m": "memory",
    "overcommit": "overcommit",
    "no-user-config": "no_user_config",
    "nodefaults": "nodefaults",
    "nographic": "nographic",
    "display": "display",
    "no-reboot": "no_reboot",
    "no-shutdown": "no_shutdown",
    "daemonize": "daemonize",
    "S": "stopped",
    "sandbox": "sandbox",
    "bios": "bios",
    "kernel": "kernel.path",
    "initrd": "kernel.initrd",
    "append": "kernel.append",
    "vga": "vga",
    "rtc": "rtc",
    "pidfile": "pidfile",
    "D": "logfile",
    "incoming": "incoming",
}
