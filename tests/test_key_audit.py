"""Every key of every device kind, on every arch, started by the real QEMU.

`-device DRIVER,help` lists a property; it does not say the driver works with
it (a non-empty romfile on a bridge makes QEMU 7.2 abort). So for each arch,
each device kind the profile has (on each transport of the default machine)
and each optional key, a value is derived from the key's check (both
booleans, each choice, an integer's bounds, sample texts and sizes below),
set in a config with as many keys at once as genqemu accepts together, and
started paused under TCG. A start that fails is retried key by key, and the
test names each key QEMU refuses: genqemu must refuse it first (validate(),
profile needs) or emit it differently. Kinds that cannot start in a sandbox
are left out as in test_acceptance (tests/support/localize.py).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from conftest import ARCHES, QEMU_VERSIONS, qemu_binary
from support.localize import NEEDS_HOST
from support.qmp import QemuFailed, paused_qemu

from genqemu.build import build
from genqemu.checks import Ref
from genqemu.devices import DEVICE, Device
from genqemu.errors import ConfigError
from genqemu.launch import plan
from genqemu.profiles import load_profile
from genqemu.qemu_facts import SINCE, lacks, version
from genqemu.schema import Field, Problems
from genqemu.values import Boolean, Integer, Size, Text

pytestmark = pytest.mark.qemu

# Host devices and backends (localize.py), and vhost-vsock (/dev/vhost-vsock):
# nothing here to start them with.
_NEEDS_HOST = NEEDS_HOST | {"vhost-vsock"}
# Keys whose valid values need context: a sample per variant (None: unset there).
# The keys not here are derived from their check.
_SAMPLES: dict[str, list[Any]] = {
    "serial": ["GQ-0001", "x" * 20],
    "name": ["org.genqemu.port0"],
    "romfile": ["", "{rom}"],
    "filename": ["/dev/urandom"],
    "devno": ["fe.0.1234", "0.1.00ff"],
    "addr": ["0x10", "0x11.0"],
    "uuid": ["8e5bd3a5-9a1d-4d5e-8a7a-0b6b6a6b6a6b"],
    "backend_id": ["bk0"],
    "mac": ["52:54:00:12:34:56"],
    # aio native needs cache none or directsync: the same variant has both.
    "cache": ["writeback", "directsync", "unsafe", "writethrough", "none"],
    "aio": ["threads", "native", "io_uring", "threads", "native"],
    # luks: genqemu refuses it (no key-secret), tests/hostile/luks-format.toml.
    "format": ["raw", "qcow2", "qed", "vmdk", "vdi", "vhdx", "vpc"],
    "io_reserve": ["4K", "64K"],
    "mem_reserve": ["2M", "64M"],
    "pref32_reserve": ["2M", None],  # one prefetchable window at a time
    "pref64_reserve": [None, "64M"],
    "label_size": ["128K", "1M"],
    # share needs a file (QEMU creates it); requested_size a multiple of block_size.
    "virtio-mem.file": ["{rom}.vmem", None],
    "virtio-mem.share": [True, None],
    "requested_size": ["4M", "8M"],
    "block_size": ["4M", "2M"],
    "node": [0],
    "aw_bits": [39, 48],
    "iothread": ["io0"],
    # Never both disable_* true (no virtio interface left), and disable_legacy
    # true with iommu_platform on PCI: genqemu refuses either, so no variant has it.
    "iommu_platform": [True, False],
    "disable_modern": [False, True],
    "disable_legacy": [True, False],
    # A bridge takes no option ROM (tests/hostile/bridge-romfile.toml).
    "pci-bridge.romfile": [""],
    "pcie-pci-bridge.romfile": [""],
    "loader.addr": [0x1000000, 0x2000000],
    "cpu_num": [0, 1],  # the audit VM has two CPUs
    # ATA disks and CD-ROMs: the file is the base config's (a CD-ROM's is optional),
    # a CD-ROM is read-only (false is refused), ports of an AHCI are 0-5, units IDE's.
    "cdrom.file": [None],
    "cdrom.read_only": [True, None],
    "usb-cdrom.read_only": [True, None],
    "ide-hd.read_only": [False, None],  # QEMU refuses a read-only ATA disk
    "port": [0, 5, 3],
    "unit": [None],
    # A sound card's backend: those a sandbox has on every QEMU (no host sound
    # system; pa, sdl and jack are modules Debian ships apart); wav writes a file.
    "audio": ["none", "wav", "none"],
    "wav_path": [None, "{rom}.wav", None],
}
# Keys the base config sets or that choose the transport or backend, not a property.
_BASE_KEYS = {"id", "transport", "fsdriver", "socket", "bus", "path"}
_KIB = 1024


def _base(kind: str, folder: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The kind's required keys, and the devices it needs beside it."""
    image = folder / "disk.img"
    if not image.exists():
        image.write_bytes(b"")
        os.truncate(image, 8 << 20)
    table: dict[str, Any] = {"kind": kind, "id": "dut"}
    extra: list[dict[str, Any]] = []
    if kind in ("virtio-blk", "scsi-hd", "nvme-ns", "ide-hd", "cdrom", "usb-storage", "usb-cdrom"):
        table["file"] = str(image)
    if kind.startswith("usb-"):  # a USB device, on QEMU's xHCI
        extra.append({"kind": "qemu-xhci", "id": "usb0"})
    if kind == "usb-redir":
        table["chardev"] = "c1"
    if kind == "nvme-ns":
        extra.append({"kind": "nvme", "id": "nvme0"})
    if kind == "scsi-hd":
        extra.append({"kind": "virtio-scsi", "id": "scsi0"})
    if kind in ("virtconsole", "virtserialport"):
        table["chardev"] = "c1"
    if kind in ("virtconsole", "virtserialport", "spice-agent"):
        extra.append({"kind": "virtio-serial", "id": "vser0"})
    if kind == "guest-agent":
        table["socket"] = str(folder / "qga.sock")
        extra.append({"kind": "virtio-serial", "id": "vser0"})
    if kind == "serial":
        table["chardev"] = "c1"
    if "netdev" in DEVICE.models[kind].fields:
        table["netdev"] = {"type": "user"}
    if kind == "virtio-9p":
        (folder / "share").mkdir(exist_ok=True)
        table.update(path=str(folder / "share"), security_model="none", mount_tag="t")
    if kind in ("nvdimm", "virtio-pmem"):
        nvdimm = folder / "nvdimm"
        nvdimm.write_bytes(b"")
        os.truncate(nvdimm, 16 << 20)
        table.update(file=str(nvdimm), size="16M")
    if kind == "virtio-mem":
        table["size"] = "16M"
    if kind == "pxb-pcie":
        table["bus_nr"] = 128  # required: past the root bus's numbers
    if kind == "loader":
        (folder / "blob").write_bytes(bytes(64))
        table.update(file=str(folder / "blob"), addr=0x1000000)
    return table, extra


def _bytes(value: object) -> int:
    size = Size()(value, "", Problems())
    assert isinstance(size, int)
    return size


def _values(kind: str, field: Field[Any], folder: Path) -> list[Any]:
    """The values to try for one key, one per variant."""
    check = field.check
    if field.name == "backing":  # in the variants whose format is qcow2 and qed
        base = folder / "base.img"
        if not base.exists():
            base.write_bytes(b"")
            os.truncate(base, 8 << 20)
        chain = [{"file": str(base), "format": "raw"}]
        return [None, chain, chain] + [None] * (len(_SAMPLES["format"]) - 3)
    samples = _SAMPLES.get(f"{kind}.{field.name}", _SAMPLES.get(field.name))
    if samples is not None:
        return [v.format(rom=folder / "rom.bin") if isinstance(v, str) else v for v in samples]
    if isinstance(check, Boolean):
        return [True, False]
    if isinstance(check, Integer):
        low = check.min if check.min is not None else 0
        high = check.max if check.max is not None else low + 1000
        return [low, min(low + 2, high), high]
    if isinstance(check, Text) and check.choices:
        return list(check.choices)
    if isinstance(check, Size):
        return [max(check.min, _KIB * _KIB)]
    raise AssertionError(f"no sample for key {field.name!r}: add one to _SAMPLES")


def _keys(model: type[Device], transport_keys: set[str]) -> dict[str, Field[Any]]:
    """The optional keys of a kind that apply on the transport."""
    return {
        f.name: f
        for f in model.fields.values()
        if not f.required
        and f.name not in _BASE_KEYS
        and (not isinstance(f.check, Ref) or f.name in _SAMPLES)
        and (not f.per_transport or f.name in transport_keys)
    }


def _cases() -> Iterator[tuple[str, str, str | None]]:
    """(arch, kind, transport) of every kind on the arch's default machine."""
    models = DEVICE.models
    for arch in ARCHES:
        profile = load_profile(arch)
        machine = profile.machine(profile.default_machine)
        assert machine is not None
        for kind, transports in profile.devices.items():
            if kind not in models or kind in _NEEDS_HOST or kind in machine.lacks:
                continue
            usable: list[str | None] = [t for t in transports if t in machine.transports]
            for transport in usable or [None]:
                yield arch, kind, transport


def _config(
    arch: str, kind: str, transport: str | None, keys: dict[str, Any], folder: Path
) -> dict[str, Any]:
    table, extra = _base(kind, folder)
    table.update(keys)
    profile = load_profile(arch)
    if kind in ("ide-hd", "cdrom"):  # an AHCI where the machine has no ATA, else SCSI
        extra.append({"kind": "ahci"} if "ahci" in profile.devices else {"kind": "virtio-scsi"})
    if transport is not None and DEVICE.models[kind].virtio:
        table["transport"] = transport
    config: dict[str, Any] = {
        "machine": {"accel": "tcg"},
        "smp": {"cpus": 2},
        "memory": {"size": "256M", "slots": 2, "maxmem": "1G"},
        "iothread": [{"id": "io0"}],
        "chardev": [{"id": "c1", "backend": "null"}],
        "device": [*extra, table],
    }
    if lacks(profile.qemu_version, kind):  # a newer kind: on the first QEMU that has it
        config["qemu_version"] = SINCE[kind]
    if kind == "spice-agent":  # only beside a SPICE display
        config["display"] = {"type": "spice", "unix": str(folder / "spice.sock")}
    # An image QEMU opens in that format (genqemu refuses luks: no key-secret).
    if keys.get("format", "luks") != "luks" and "file" in table:
        image = folder / f"disk.{keys['format']}"
        if not image.exists():
            subprocess.run(
                ["qemu-img", "create", "-q", "-f", keys["format"], str(image), "8M"], check=True
            )
        table["file"] = str(image)
    for need in profile.needs.get(kind, ()):
        if need in _SAMPLES:
            table.setdefault(need, _SAMPLES[need][0])
        if need == "firmware":  # arm64 virt builds NVDIMM support only with firmware
            flash = folder / "flash0.fd"
            flash.write_bytes(b"")
            os.truncate(flash, 64 << 20)
            config["pflash"] = [str(flash)]
    multiple = profile.nvdimm_data_multiple
    if kind == "nvdimm" and multiple:  # data a multiple of it, plus the label
        size = multiple + _bytes(table.get("label_size", 0))
        os.truncate(table["file"], size)
        table["size"] = size
    return config


def _start(arch: str, config: dict[str, Any]) -> str | None:
    """None if genqemu builds it and QEMU starts it, else why not."""
    try:
        vm = build(config, arch, "key-audit")
    except ConfigError as error:
        return f"genqemu: {error}"
    launch = plan(vm)
    fds = [(fd.number, fd.path, fd.mode) for fd in launch.fds]
    qemu = next(v for v in QEMU_VERSIONS if version(v) >= version(vm.qemu_version))
    try:
        with paused_qemu([qemu_binary(vm.binary, qemu), *launch.argv[1:]], fds=fds) as qmp:
            qmp.execute("query-status")
    except QemuFailed as error:
        return f"qemu: {error}"
    return None


def _audit(arch: str, kind: str, transport: str | None) -> tuple[int, int, list[str]]:
    """(starts, keys checked, failures) of one kind on one transport."""
    with tempfile.TemporaryDirectory(prefix="gq-audit-", dir="/var/tmp") as tmp:
        folder = Path(tmp)
        (folder / "rom.bin").write_bytes(bytes(512))
        profile = load_profile(arch)
        transport_keys = set(profile.transports[transport].keys) if transport else set()
        fields = _keys(DEVICE.models[kind], transport_keys)
        samples = {name: _values(kind, f, folder) for name, f in fields.items()}
        starts = 1
        base = _start(arch, _config(arch, kind, transport, {}, folder))
        if base is not None:
            return starts, 0, [f"{arch} {kind} {transport}: base config fails: {base}"]
        failures = []
        variants = max((len(v) for v in samples.values()), default=0)
        for index in range(variants):
            keys = {n: v[index % len(v)] for n, v in samples.items()}
            keys = {n: v for n, v in keys.items() if v is not None}
            starts += 1
            together = _start(arch, _config(arch, kind, transport, keys, folder))
            if together is None:
                continue
            found = []
            for name, value in keys.items():  # which key: one at a time
                starts += 1
                why = _start(arch, _config(arch, kind, transport, {name: value}, folder))
                if why is not None and not why.startswith("genqemu"):
                    found.append(f"{arch} {kind} {transport} {name}={value!r}: {why}")
            if not found and together.startswith("qemu"):
                found.append(f"{arch} {kind} {transport} {keys}: together: {together}")
            failures += found
        return starts, len(fields), sorted(set(failures))


def test_every_key_starts(capsys: pytest.CaptureFixture[str]) -> None:
    began = time.monotonic()
    cases = list(_cases())
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda case: _audit(*case), cases))
    failures = [f for _, _, found in results for f in found]
    starts = sum(s for s, _, _ in results)
    keys = sum(k for _, k, _ in results)
    with capsys.disabled():
        print(
            f"\nkey audit: {len(cases)} kind/transport/arch cases, {keys} keys, "
            f"{starts} QEMU starts, {time.monotonic() - began:.1f}s"
        )
    assert not failures, "\n".join(failures)
