"""The boot tests' tools, without booting: archive, initramfs, guest view, docs.

These run in the fast suite; tests/test_boot.py boots the real kernels.
"""

from __future__ import annotations

import hashlib
import lzma
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from support import boot_debian, boot_initramfs, qemu_debian
from support.boot_debian import DownloadError, Package, apt_mirror, parse_packages, resolve
from support.boot_docs import comparable, render_section
from support.boot_initramfs import KernelError, load_order, newc_archive
from support.boot_view import (
    BEGIN,
    END,
    GUEST_VIEW,
    Guest,
    UnknownKind,
    expected_view,
    guest_block,
    guest_modules,
    normalize,
    uefi_boot,
    unmatched,
)

from genqemu.devices import Device

INDEX = """\
Package: busybox-static
Version: 1:1.35.0-4
Filename: pool/main/b/busybox/busybox-static_1.35.0-4_s390x.deb
Size: 10
SHA256: aa

Package: linux-image-s390x
Version: 6.1.176-1
Depends: linux-image-6.1.0-50-s390x (= 6.1.176-1)
Filename: pool/main/l/linux/linux-image-s390x_6.1.176-1_s390x.deb
Size: 1
SHA256: bb

Package: linux-image-6.1.0-50-s390x
Version: 6.1.176-1
Depends: kmod,
 linux-base (>= 4.3~)
Filename: pool/main/l/linux/linux-image-6.1.0-50-s390x_6.1.176-1_s390x.deb
Size: 30529824
SHA256: cc
"""


def test_apt_mirror_reads_deb822_and_one_line_sources(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "other.sources").write_text(
        "Types: deb\nURIs: http://example.invalid/ubuntu\nSuites: jammy\n"
    )
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb deb-src\n# a comment\nURIs: http://mirror.invalid/debian/\n"
        "Suites: bookworm bookworm-updates\nComponents: main\n\n"
        "Types: deb\nURIs: http://security.invalid/\nSuites: bookworm-security\n"
    )
    assert apt_mirror(tmp_path) == "http://mirror.invalid/debian"
    (tmp_path / "sources.list").write_text(
        "# deb http://old.invalid/ bookworm main\n"
        "deb [arch=amd64 signed-by=/k.gpg] http://one.invalid/debian bookworm main\n"
    )
    assert apt_mirror(tmp_path) == "http://one.invalid/debian"


def test_apt_mirror_without_a_bookworm_source(tmp_path: Path) -> None:
    (tmp_path / "sources.list").write_text("deb http://example.invalid/ubuntu jammy main\n")
    assert apt_mirror(tmp_path) is None


def test_the_kernel_is_the_image_the_flavour_metapackage_depends_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(boot_debian, "_fetch", lambda url, **_: lzma.compress(INDEX.encode()))
    kernel, busybox = resolve("s390x")
    assert kernel == Package(
        "linux-image-6.1.0-50-s390x",
        "6.1.176-1",
        "pool/main/l/linux/linux-image-6.1.0-50-s390x_6.1.176-1_s390x.deb",
        "cc",
        30529824,
    )
    assert busybox.version == "1:1.35.0-4"
    assert parse_packages(INDEX, {"nothing"}) == {}


def test_a_deb_is_checked_against_the_index_and_cached(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GENQEMU_BOOT_CACHE", str(tmp_path))
    fetched: list[str] = []

    def fetch(url: str, **_: Any) -> bytes:
        fetched.append(url)
        return b"deb contents"

    monkeypatch.setattr(boot_debian, "_fetch", fetch)
    good = hashlib.sha256(b"deb contents").hexdigest()
    bad = Package("p", "1", "pool/p_1_s390x.deb", "0" * 64, 12)
    with pytest.raises(DownloadError, match="sha256"):
        boot_debian.deb(bad)
    assert not (tmp_path / "debs" / "p_1_s390x.deb").exists()
    package = Package("p", "1", "pool/p_1_s390x.deb", good, 12)
    assert boot_debian.deb(package).read_bytes() == b"deb contents"
    assert boot_debian.deb(package).read_bytes() == b"deb contents"
    assert len(fetched) == 2  # the bad one, then the good one once


def test_an_unreachable_archive_is_a_download_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GENQEMU_BOOT_CACHE", str(tmp_path))
    monkeypatch.setenv("GENQEMU_DEBIAN_MIRROR", "http://127.0.0.1:9/debian")
    with pytest.raises(DownloadError, match=r"127\.0\.0\.1:9/debian/dists/bookworm"):
        boot_initramfs.boot_kit("s390x", ["virtio_blk"])


def test_modules_load_after_their_dependencies(monkeypatch: pytest.MonkeyPatch) -> None:
    depends = {"sd_mod": "scsi_mod,t10-pi", "t10_pi": "crc_t10dif", "virtio_scsi": "scsi_mod"}
    monkeypatch.setattr(
        boot_initramfs, "modinfo", lambda path: {"depends": depends.get(path.stem, "")}
    )
    names = ["sd_mod", "scsi_mod", "t10_pi", "crc_t10dif", "virtio_scsi"]
    files = {name: Path(f"{name}.ko") for name in names}
    order = [name for name, _ in load_order(["sd_mod", "virtio_scsi"], files, set())]
    assert order == ["scsi_mod", "crc_t10dif", "t10_pi", "sd_mod", "virtio_scsi"]
    built_in = {"scsi_mod"}
    assert [n for n, _ in load_order(["virtio_scsi"], files, built_in)] == ["virtio_scsi"]
    with pytest.raises(KernelError, match=r"module crc_t10dif \(for t10_pi\) is neither"):
        load_order(["sd_mod"], {k: v for k, v in files.items() if k != "crc_t10dif"}, set())


def read_newc(archive: bytes) -> dict[str, tuple[int, bytes, int]]:
    """A cpio newc archive's entries: path -> (mode, data, rdev)."""
    entries: dict[str, tuple[int, bytes, int]] = {}
    offset = 0
    while True:
        assert archive[offset : offset + 6] == b"070701"
        fields = [int(archive[offset + 6 + 8 * i : offset + 14 + 8 * i], 16) for i in range(13)]
        size, namesize = fields[6], fields[11]
        name_start = offset + 110
        name = archive[name_start : name_start + namesize - 1].decode()
        data_start = name_start + namesize + (-(110 + namesize) % 4)
        if name == "TRAILER!!!":
            return entries
        entries[name] = (
            fields[1],
            archive[data_start : data_start + size],
            fields[9] << 8 | fields[10],
        )
        offset = data_start + size + (-size % 4)


def test_initramfs_is_a_newc_archive_with_console_and_shell() -> None:
    entries = read_newc(newc_archive({"init": b"#!/bin/sh\n", "lib/modules/a.ko": b"x" * 5}))
    assert entries["dev/console"] == (0o020600, b"", (5 << 8) | 1)
    assert entries["bin/sh"] == (0o120777, b"busybox", 0)
    assert entries["init"] == (0o100755, b"#!/bin/sh\n", 0)
    assert entries["lib/modules/a.ko"] == (0o100644, b"xxxxx", 0)
    assert entries["lib/modules"][0] == entries["lib"][0] == 0o040755
    assert list(entries).index("lib") < list(entries).index("lib/modules/a.ko")


def kinds(base: type[Device] = Device) -> set[str]:
    found = set()
    for cls in base.__subclasses__():
        if cls.kind:
            found.add(cls.kind)
        found |= kinds(cls)
    return found


def test_every_device_kind_has_a_guest_view() -> None:
    """A new kind needs its line in GUEST_VIEW (tests/support/boot_view.py) to boot."""
    assert kinds() - set(GUEST_VIEW) == set()


def guest(arch: str, machine: str = "virt", modules: tuple[str, ...] = ()) -> Guest:
    return Guest(arch, machine, False, lambda module: module in modules)


def test_a_guest_booted_through_uefi_reports_the_firmware_and_secure_boot() -> None:
    """The efi and secure-boot lines come with UEFI firmware only, from either
    way of asking for it ([firmware] or govmm's pflash list)."""
    assert uefi_boot({}) == (False, False)
    assert uefi_boot({"firmware": {"type": "bios"}}) == (False, False)
    assert uefi_boot({"pflash": ["code.fd", "vars.fd"]}) == (True, False)
    assert uefi_boot({"firmware": {"type": "uefi"}}) == (True, False)
    assert uefi_boot({"firmware": {"type": "uefi", "secure_boot": True}}) == (True, True)
    assert uefi_boot({"firmware": {"type": "custom", "secure_boot": True}}) == (True, True)
    plain = expected_view([], guest("arm64"), 1)
    assert not any(line.startswith(("firmware", "secure-boot")) for line in plain)
    for secure_boot, state in ((False, "off"), (True, "on")):
        uefi = Guest("arm64", "virt", True, lambda module: False, secure_boot)
        lines = expected_view([], uefi, 1)
        assert {"firmware efi", f"secure-boot {state}"} <= set(lines)
        assert normalize(f"secure-boot {state}") == f"secure-boot {state}"
    assert "efivarfs?" in guest_modules()


def placed(kind: str, virtio: bool = False, decided: Any = None, **keys: Any) -> SimpleNamespace:
    """A stand-in for a device's resolution record: what resolution `decided`
    (transport, devno, driver) and, as its config, the device's `keys`."""
    config = SimpleNamespace(kind=kind, virtio=virtio, **keys)
    return SimpleNamespace(kind=kind, config=config, **(decided or {}))


def test_an_unknown_kind_fails_loudly() -> None:
    with pytest.raises(UnknownKind, match="no guest view for device kind 'virtio-crypto'"):
        expected_view([SimpleNamespace(kind="virtio-crypto")], guest("amd64"), 1)


def test_expected_view_of_ccw_devices_names_their_devno() -> None:
    decided = {"transport": "ccw", "devno": "fe.0.000a"}
    disk = placed("virtio-blk", True, decided, read_only=True, serial=None)
    assert expected_view([disk], guest("s390x"), 1) == [
        "block bus=virtio ro=1 serial= readable=yes",
        "console ttysclp0",
        "tty ttysclp",
        "virtio id=2 driver=virtio_blk bus=ccw at=0.0.000a",
    ]


def test_guest_lines_lose_their_instance_names() -> None:
    assert normalize("virtio virtio3 id=1 driver=virtio_net bus=pci at=0000:00:04.0") == (
        "virtio id=1 driver=virtio_net bus=pci"
    )
    assert normalize("virtio virtio0 id=2 driver=virtio_blk bus=ccw at=0.0.0001") == (
        "virtio id=2 driver=virtio_blk bus=ccw at=0.0.0001"
    )
    assert normalize("block vdb bus=virtio ro=1 serial= readable=yes") == (
        "block bus=virtio ro=1 serial= readable=yes"
    )
    assert normalize("tty ttyAMA0") == "tty ttyAMA"
    assert normalize("rng virtio_rng.1") == "rng virtio_rng"
    assert normalize("hvc hvc2") == "hvc"
    assert normalize("9p share mounted=yes") == "9p share mounted=yes"


def test_wildcards_take_only_what_exact_lines_leave() -> None:
    expected = ["net mac=* driver=virtio_net", "net mac=52:54:00:00:00:01 driver=virtio_net"]
    seen = ["net mac=52:54:00:00:00:01 driver=virtio_net", "net mac=x driver=virtio_net"]
    assert unmatched(expected, seen) == ([], [])
    assert unmatched(expected, seen[:1]) == (["net mac=* driver=virtio_net"], [])
    assert unmatched(["hvc"], ["hvc", "hvc"]) == ([], ["hvc"])


def test_guest_block_needs_both_markers() -> None:
    console = f"firmware\r\n{BEGIN}\r\nkernel 6.1\r\nhvc hvc0\r\n{END}\r\nreboot: Power down\r\n"
    assert guest_block(console) == ["kernel 6.1", "hvc hvc0"]
    with pytest.raises(ValueError, match="did not print a complete view"):
        guest_block(console.split(END)[0])


def test_guest_modules_start_with_the_transports_and_repeat_none() -> None:
    modules = guest_modules()
    assert modules[:2] == ["virtio_pci", "virtio_mmio"]
    assert len(modules) == len(set(modules))
    assert "virtio_blk" in modules and "sd_mod" in modules


def test_doc_sections_compare_device_lines_without_names_or_order() -> None:
    def render(lines: list[str], version: str = "6.1") -> str:
        console = "\n".join(["SLOF \x1b[1mbanner", BEGIN, f"kernel {version}", *lines, END])
        argv = ["qemu-system-s390x", "-kernel", "/cache/kit/kernel", "-no-reboot"]
        return render_section("s390x", ["linux 1"], argv, console, {"/cache/kit": "$KIT"})

    one = render(["virtio virtio0 id=2 driver=virtio_blk", "virtio virtio1 id=1 driver=virtio_net"])
    two = render(["virtio virtio0 id=1 driver=virtio_net", "virtio virtio1 id=2 driver=virtio_blk"])
    assert one != two
    assert comparable(one) == comparable(two)
    assert comparable(one) != comparable(render(["virtio virtio0 id=2 driver=virtio_blk"]))
    lines = ["virtio virtio0 id=2 driver=virtio_blk", "virtio virtio1 id=1 driver=virtio_net"]
    assert comparable(one) != comparable(render(lines, version="6.2"))
    assert "-kernel $KIT/kernel \\\n    -no-reboot" in one
    assert "SLOF banner" in one


def test_devices_that_need_the_host_and_unknown_extra_devices_fail_loudly() -> None:
    vfio = SimpleNamespace(kind="vfio-pci")
    with pytest.raises(UnknownKind, match="vfio-pci cannot start in a sandbox"):
        expected_view([vfio], guest("amd64"), 1)
    with pytest.raises(UnknownKind, match="'virtio-gpu-pci' from extra_args"):
        expected_view([], guest("amd64"), 1, ["-msg", "timestamp=on", "-device", "virtio-gpu-pci"])
    assert expected_view([], guest("amd64"), 1, ["-device", "qemu-xhci,id=x"]) == [
        "console ttyS0",
        "pci id=1b36:000d driver=xhci_hcd",
        "tty ttyS",
        "usbhc id=1b36:000d class=0c0330 driver=xhci_hcd",
    ]


def test_views_that_depend_on_the_guest_kernel_and_machine() -> None:
    panic = placed("pvpanic", decided={"driver": "pvpanic-pci"})
    assert "pvpanic driver=pvpanic-pci" in expected_view(
        [panic], guest("amd64", "q35", ("pvpanic-pci",)), 1
    )
    assert "pci id=1b36:0011 driver=none" in expected_view([panic], guest("arm64"), 1)
    isa = placed("pvpanic", decided={"driver": "pvpanic"})
    assert "pvpanic driver=pvpanic-mmio" in expected_view([isa], guest("amd64", "q35"), 1)
    bridge = placed("pci-bridge", shpc=None)
    with_shpchp = ("shpchp",)
    assert "pci id=1b36:0001 driver=shpchp" in expected_view(
        [bridge], guest("arm64", "virt", with_shpchp), 1
    )
    assert "pci id=1b36:0001 driver=none" in expected_view(
        [bridge], guest("amd64", "q35", with_shpchp), 1
    )
    assert "pci id=1b36:0001 driver=none" in expected_view([bridge], guest("riscv64"), 1)
    no_shpc = placed("pci-bridge", shpc=False)
    assert "pci id=1b36:0001 driver=none" in expected_view(
        [no_shpc], guest("arm64", "virt", with_shpchp), 1
    )
    rng = placed("virtio-rng", True, {"transport": "pci"})
    assert "iommu s390-iommu" in expected_view([rng], guest("s390x"), 1)
    assert "iommu s390-iommu" not in expected_view([rng], guest("arm64"), 1)


def _qemu_index(version: str) -> str:
    names = [*qemu_debian.QEMU_PACKAGES, "seabios", "opensbi", "unrelated"]
    return "\n".join(
        f"Package: {name}\nVersion: {version}\nFilename: pool/main/q/{name}_1_all.deb\n"
        f"Size: 1\nSHA256: {index:02x}\n"
        for index, name in enumerate(names)
    )


def _archive(qemu: str) -> Any:
    """A fake archive: bookworm-backports has QEMU `qemu`, bookworm has ipxe-qemu."""
    ipxe = "Package: ipxe-qemu\nVersion: 1.0\nFilename: pool/main/i/ipxe.deb\nSize: 1\nSHA256: ff\n"

    def fetch(url: str, **_: Any) -> bytes:
        text = _qemu_index(qemu) if "bookworm-backports" in url else ipxe
        return lzma.compress(text.encode())

    return fetch


def test_qemu_10_comes_from_backports_with_its_firmware(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GENQEMU_BOOT_CACHE", str(tmp_path))
    monkeypatch.delenv("GENQEMU_BOOT_REFRESH", raising=False)
    monkeypatch.setattr(boot_debian, "_fetch", _archive("1:10.0.2+ds-2+deb13u1~bpo12+1"))
    chosen = qemu_debian.packages("10.0")
    assert [p.name for p in chosen] == [
        *qemu_debian.QEMU_PACKAGES,
        "seabios",
        "opensbi",
        "ipxe-qemu",
    ]
    assert (tmp_path / f"{qemu_debian.cache_name('10.0')}.json").exists()  # the choice is cached
    monkeypatch.setattr(boot_debian, "_fetch", None)  # no network once chosen
    assert qemu_debian.packages("10.0") == chosen


def test_another_qemu_in_the_suite_is_a_download_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GENQEMU_BOOT_CACHE", str(tmp_path))
    monkeypatch.setattr(boot_debian, "_fetch", _archive("1:10.1.0+ds-1~bpo12+1"))
    with pytest.raises(DownloadError, match=r"has qemu-system-x86 1:10\.1\.0.*, not QEMU 10\.0"):
        qemu_debian.packages("10.0")


def test_the_wrapper_mounts_the_unpacked_folders(tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    (staging / "usr/bin").mkdir(parents=True)
    (staging / "usr/bin/qemu-system-s390x").write_text("")
    (staging / "usr/lib/x86_64-linux-gnu/qemu").mkdir(parents=True)
    (staging / "usr/lib/x86_64-linux-gnu/qemu/hw-usb-host.so").write_text("")
    (staging / "usr/lib/riscv64-linux-gnu/opensbi").mkdir(parents=True)
    (staging / "usr/lib/riscv64-linux-gnu/opensbi/fw.bin").write_text("firmware")
    (staging / "usr/share/qemu").mkdir(parents=True)
    (staging / "usr/share/qemu/fw.bin").symlink_to("../../lib/riscv64-linux-gnu/opensbi/fw.bin")
    qemu_debian._write_wrappers(staging, tmp_path / "qemu-10.0")
    link = staging / "usr/share/qemu/fw.bin"
    assert not link.is_symlink() and link.read_text() == "firmware"
    wrapper = (staging / "bin/qemu-system-s390x").read_text()
    assert f"root={tmp_path}/qemu-10.0\n" in wrapper
    assert "for folder in usr/share/qemu usr/share/seabios usr/lib/ipxe/qemu " in wrapper
    assert "usr/lib/x86_64-linux-gnu/qemu; do" in wrapper
    assert wrapper.endswith('"$root" qemu-system-s390x "$@"\n')
