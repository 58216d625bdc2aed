"""The import contract as a test helper: does a re-rendered argv start the same VM?

Written apart from genqemu/importer (it shares only QEMU's option table, which
tests/test_import_units.py checks against the real binaries), so a mistake in
the importer's canonical forms does not hide itself. Two argvs are equivalent
when the multisets of (option, parsed properties) are equal after:

- reading each option as QEMU does: QemuOpts (tests/support/qemuopts.py) or
  JSON, short forms in their long form (-M, -enable-kvm, -accel, -m 1G, -smp 4,
  -drive if=virtio|none, -drive if=pflash,file=F, -virtfs, -nic, -serial stdio, -qmp unix:, -global
  D.P=V, -mon without mode= is mode=readline, -audio DRIVER,model=M is an -audiodev and
  the card QEMU makes on it), booleans on/off, integers decimal, sizes in bytes;
- ids: a value naming an id that no input option defines (QEMU or genqemu
  made it up) compares equal to any other such value;
- what genqemu adds where the input had nothing and QEMU does the same by
  itself: -machine type (QEMU's default machine), the machine options devices
  need (kernel-irqchip, nvdimm), -cpu (QEMU's default CPU, the profile's
  qemu_default_cpu), device id, CCW devno, chassis, rng-builtin backend, tap
  script=no/downscript=no, and the bus of a port when its controller is the
  only one (QEMU picks that bus too); and -display none where the input has
  no -display (QEMU would open a window there: the import notes it);
- inherited fds: compared by the file they are open on;
- -usb and -usbdevice: as the controller, devices and hubs QEMU makes for
  them (tests/support/legacy_usb_model.py), or nothing after a usb=off; a
  USB -device without port=: with the port and hubs QEMU gives it there;
- -cdrom, -hda..-hdd, -drive if=ide on pc and q35: as the ide-cd and ide-hd
  devices (and QEMU's default CD-ROM) QEMU makes (tests/support/legacy_drive_model.py);
  an ATA device with an explicit slot is out of the order check, like addr=;

and QEMU creates the devices that take automatic addresses (no addr=, no
devno=) in the same order, and numbers -serial ports the same.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from genqemu.profiles import Profile
from genqemu.qemu_options import FLAGS, WITH_ARGUMENT

from .argv_long_forms import cache_to_device, long_form
from .legacy_drive_model import expand_legacy_drives
from .legacy_usb_model import expand_legacy_usb
from .qemuopts import parse

Item = tuple[str, tuple[tuple[str, str], ...]]
_IMPLIED = {
    "machine": "type", "M": "type", "m": "size", "smp": "cpus", "name": "guest",
    "device": "driver", "object": "qom-type", "netdev": "type", "nic": "type",
    "chardev": "backend", "fsdev": "fsdriver", "virtfs": "fsdriver", "blockdev": "driver",
    "numa": "type", "sandbox": "enable", "fw_cfg": "name", "mon": "chardev", "accel": "accel",
    "drive": None, "global": None, "rtc": None, "overcommit": None, "audiodev": "driver",
    "display": "type", "boot": "order", "audio": "driver",
}  # fmt: skip
_JSON = {"device", "object", "netdev", "blockdev", "audiodev", "display"}
_IDS = {"id", "node-name"}
_REFS = {
    "drive", "netdev", "chardev", "fsdev", "rng", "memdev", "bus", "iothread",
    "memory-backend", "confidential-guest-support", "audiodev",
}  # fmt: skip
_SIZES = {"m": {"size", "maxmem"}, "object": {"size"}, "device": {"label-size"}}
_RESERVES = re.compile(r"(io|mem|pref32|pref64)-reserve\Z")
# Ports, and the controller whose only bus QEMU puts them on when they name none.
_PORTS = {
    "virtconsole": "virtio-serial-",
    "virtserialport": "virtio-serial-",
    "scsi-hd": "virtio-scsi-",
}


def options(argv: list[str]) -> list[tuple[str, str | None]]:
    """(name, argument) of each option, in order."""
    found: list[tuple[str, str | None]] = []
    position = 0
    while position < len(argv):
        word = argv[position]
        name = word.lstrip("-")
        if name in WITH_ARGUMENT and word.startswith("-"):
            found.append((name, argv[position + 1]))
            position += 2
        else:
            assert name in FLAGS or not word.startswith("-"), word
            found.append((name if word.startswith("-") else "", None if name in FLAGS else word))
            position += 1
    return found


def _props(name: str, arg: str) -> list[tuple[str, str]]:
    if name in _JSON and arg.startswith("{"):
        out: list[tuple[str, str]] = []
        _flatten(json.loads(arg), "", out)
        return out
    if name == "cpu":
        model, *features = arg.split(",")
        pairs = [("model", model)]
        for feature in features:
            if feature[:1] in "+-" and "=" not in feature:
                pairs.append((feature[1:], "on" if feature[0] == "+" else "off"))
            else:
                key, _, value = feature.partition("=")
                pairs.append((key, value or "on"))
        return pairs
    if name not in _IMPLIED:
        return [("", arg)]
    pairs = []
    for key, read in parse(arg, _IMPLIED[name]):
        if read is None:  # a flag
            pairs.append((key[2:], "off") if key.startswith("no") else (key, "on"))
        else:
            pairs.append((key, read))
    return pairs


def _flatten(value: Any, prefix: str, out: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else key, out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _flatten(item, f"{prefix}.{index}", out)
    else:
        text = ("on" if value else "off") if isinstance(value, bool) else str(value)
        out.append((re.sub(r"^(host|guest)fwd\.\d+\.str$", r"\1fwd", prefix), text))


Found = list[tuple[str, dict[str, Any], tuple[float, int]]]


def _phase(name: str, arg: str | None, props: list[tuple[str, str]]) -> float:
    """When QEMU 7.2 creates the devices of an option (see genqemu/importer/order.py)."""
    if name == "nic":
        return 0.0
    if name == "drive":
        return 1.5
    if name == "audio":  # soundhw_init: before -device, after the board's -nic
        return 0.25
    return 2.0 if name == "device" and arg is not None and arg.startswith("{") else 1.0


def items(argv: list[str], fds: dict[int, str], virtio: str) -> Found:
    """The long-form items of an argv (argv[0] is the binary): (option, properties,
    creation rank); a property repeated (hostfwd) keeps every value in a list."""
    out: list[tuple[str, list[tuple[str, str]]]] = []
    ranks: list[tuple[float, int]] = []
    machine: dict[str, str] = {}
    accels: list[str] = []
    for position, (name, arg) in enumerate(options(argv[1:])):
        props = _props(name, arg) if arg is not None else []
        if name in ("machine", "M"):
            for key, value in props:
                if key == "accel":
                    accels += value.split(":")
                else:
                    machine[key] = value
        elif name == "enable-kvm":
            accels.append("kvm")
        elif name == "accel" and len(props) == 1:
            accels.append(props[0][1])
        else:
            expanded = long_form(name, props, arg, virtio)
            out += expanded
            ranks += [(_phase(name, arg, props), position)] * len(expanded)
    if machine or accels:
        accel = [("accel", ":".join(accels))] if accels else []
        out.append(("machine", [*machine.items(), *accel]))
        ranks.append((0.0, -1))
    cache_to_device(out)
    return [
        (name, _fd_paths(name, props, fds), rank)
        for (name, props), rank in zip(out, ranks, strict=True)
    ]


def _fd_paths(name: str, props: list[tuple[str, str]], fds: dict[int, str]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for key, value in props:
        if key in ("fds", "vhostfds", "vhostfd") or (
            name == "incoming" and value.startswith("fd:")
        ):
            value = re.sub(r"\d+", lambda m: fds.get(int(m.group()), m.group()), value)
        table.setdefault(key, []).append(value)
    return table


def _normal(name: str, key: str, value: str, ids: set[str]) -> str:
    if key in _IDS | _REFS:
        base = value.split(".")[0]
        return value if value in ids or base in ids else "?"
    if key in _SIZES.get(name, set()) or (name == "device" and _RESERVES.match(key)):
        match = re.fullmatch(r"([0-9]+)([kmgtpeKMGTPE]?)", value)
        if match:
            unit = match.group(2).lower() or ("m" if name == "m" else "")
            return str(int(match.group(1)) << (10 * (" kmgtpe".index(unit) if unit else 0)))
    if (
        name == "device"
        and key == "addr"
        and re.fullmatch(r"(0x)?[0-9a-f]{1,2}(\.(0x)?[0-7])?", value)
    ):
        slot, _, function = value.partition(".")
        return f"{int(slot, 16)}.{int(function or '0', 16)}"
    lowered = value.lower()
    if lowered in ("on", "yes", "true", "off", "no", "false"):
        return "on" if lowered in ("on", "yes", "true") else "off"
    if re.fullmatch(r"0x[0-9a-fA-F]+|[1-9][0-9]*", value):
        return str(int(value, 0))
    return value


def _key(name: str, table: dict[str, list[str]], ids: set[str]) -> Item:
    pairs = [(k, _normal(name, k, v, ids)) for k, values in table.items() for v in values]
    return name, tuple(sorted(pairs))


def differences(
    input_argv: list[str],
    input_fds: dict[int, str],
    output_argv: list[str],
    output_fds: dict[int, str],
    profile: Profile,
) -> list[str]:
    """What differs between the VM of the input and of the re-rendered output ([] if none)."""
    machine = profile.machine(profile.qemu_default_machine or profile.default_machine)
    virtio = "-ccw" if machine is not None and machine.transports[0] == "ccw" else "-pci"
    before = expand_legacy_usb(items(input_argv, input_fds, virtio), input_argv, profile)
    after = expand_legacy_usb(items(output_argv, output_fds, virtio), output_argv, profile)
    before, after = expand_legacy_drives(before, profile), expand_legacy_drives(after, profile)
    ids = {v for _, table, _ in before for k in _IDS for v in table.get(k, [])}
    want = Counter(_key(name, table, ids) for name, table, _ in before)
    got: Counter[Item] = Counter()
    unmatched = Counter(want)
    for index, (name, table, rank) in enumerate(after):
        item = _key(name, table, ids)
        if not unmatched[item]:  # only what matches nothing as it is may drop extras
            table = _allow(name, table, before, profile, unmatched, ids)
            after[index] = (name, table, rank)
            item = _key(name, table, ids)
        unmatched[item] -= 1
        got[item] += 1
    got = Counter({item: count for item, count in got.items() if item[1] or item in want})
    problems = [f"input only: {item}" for item in want - got]
    problems += [f"output only: {item}" for item in got - want]
    return problems + _order(before, after, ids)


def _allow(
    name: str,
    table: dict[str, list[str]],
    before: Found,
    profile: Profile,
    unmatched: Counter[Item],
    ids: set[str],
) -> dict[str, list[str]]:
    """`table` less what genqemu may add where the input had nothing, if that makes
    it an input item not matched yet."""
    if name == "machine":
        # Only what QEMU does by itself too: its default machine type, and what
        # intel-iommu and nvdimm devices need (QEMU refuses them without it under
        # KVM, or ignores it under TCG). The profile's options change the VM.
        # Nor QEMU's own value written out (the profile's qemu_options, which
        # tests/test_profiles.py reads back from QEMU).
        given = next((t for n, t, _ in before if n == "machine"), {})
        default = [profile.qemu_default_machine]
        known = profile.machines.get(table.get("type", [""])[0])
        qemu = {
            k: [("on" if v else "off") if isinstance(v, bool) else str(v)]
            for k, v in (known.qemu_options if known else {}).items()
        }
        return {
            k: v
            for k, v in table.items()
            if k in given
            or (k == "type" and default != [None] and v != default)  # None: QEMU refuses
            or (k not in ("type", "kernel-irqchip", "nvdimm") and qemu.get(k) != v)
        }
    if name == "display" and table == {"type": ["none"]}:
        # The one change the contract takes where QEMU would do otherwise: a
        # command line without -display gets -display none (QEMU would open a
        # window, or VNC on localhost:0), and the import says so in a note.
        return table if any(n == "display" for n, _, _ in before) else {}
    if name == "cpu" and not any(n == "cpu" for n, _, _ in before):
        return {} if table.get("model") == [profile.qemu_default_cpu] else table
    builtin = ["rng-builtin"]
    if name == "object" and table.get("qom-type") == builtin:
        return table if any(t.get("qom-type") == builtin for _, t, _ in before) else {}
    optional = {"device": {"id", "devno", "chassis", "chassis_nr", "rng"}, "netdev": set()}
    controller = _PORTS.get(table.get("driver", [""])[0])
    drivers = [t.get("driver", [""])[0] for n, t, _ in before if n == "device"]
    if controller and sum(1 for d in drivers if d.startswith(controller)) == 1:
        optional["device"].add("bus")  # QEMU puts the port on the only such bus too
    if name == "netdev" and table.get("script") == ["no"]:
        optional["netdev"] = {"script", "downscript"}
    # The candidates needing the fewest keys dropped first: a device with rng=r1
    # is the input's rng=r1 one, not a plain one trimmed of its rng.
    candidates = [t for n, t, _ in before if n == name and name in optional]
    for candidate in sorted(candidates, key=lambda t: len(set(table) - set(t))):
        extra = set(table) - set(candidate)
        trimmed = {k: v for k, v in table.items() if k not in extra}
        # Trimmed to this candidate, it must be this candidate: trimmed for one
        # input item, it may not take the place of another one.
        key = _key(name, trimmed, ids)
        if extra <= optional[name] and key == _key(name, candidate, ids) and unmatched[key] > 0:
            return trimmed
    return table


def _order(before: Found, after: Found, ids: set[str]) -> list[str]:
    """Devices without their own address, and serial ports, in the same creation order."""

    def sequence(found: Found) -> list[str]:
        devices = [
            (rank, table["driver"][0])
            for name, table, rank in found
            if name == "device" and not {"addr", "devno", "ata-slot"} & set(table)
        ]
        # Stable: the devices of one option (-audio model=hda) keep their order.
        return [driver for _, driver in sorted(devices, key=lambda device: device[0])]

    def serials(found: Found) -> list[str]:
        return [
            _normal("serial", "chardev", t.get("chardev", ["-"])[0], ids)
            for n, t, _ in found
            if n == "serial"
        ]

    problems = []
    if sequence(before) != sequence(after):
        problems.append(f"device order: {sequence(before)} != {sequence(after)}")
    if serials(before) != serials(after):
        problems.append(f"serial ports: {serials(before)} != {serials(after)}")
    return problems
